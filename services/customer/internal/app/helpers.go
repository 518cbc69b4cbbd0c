package app

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

func validID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func trimmed(p *string) *string {
	if p == nil {
		return nil
	}
	t := strings.TrimSpace(*p)
	return &t
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func nowUTC() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
