package httpx

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Page limits shared by every list endpoint.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// EncodeCursor turns a keyset position into an opaque string.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reverses EncodeCursor; a tampered cursor is a 400.
func DecodeCursor(s string, dst any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = DecodeStrict(b, dst)
	}
	if err != nil {
		e := apperr.Invalid("invalid_cursor", "the cursor is not one this API returned")
		e.Fields = []apperr.FieldError{{Field: "cursor", Code: "invalid_cursor", Message: "use the next_cursor of a previous page"}}
		return e
	}
	return nil
}

// ParseLimit reads a page size, defaulting and refusing values over the cap.
func ParseLimit(raw string) (int, error) {
	if raw == "" {
		return DefaultPageSize, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > MaxPageSize {
		e := apperr.Invalid("invalid_limit", "limit must be a whole number from 1 to "+strconv.Itoa(MaxPageSize))
		e.Fields = []apperr.FieldError{{Field: "limit", Code: "out_of_range", Message: "must be 1.." + strconv.Itoa(MaxPageSize)}}
		return 0, e
	}
	return n, nil
}
