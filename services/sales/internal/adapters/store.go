package adapters

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/auth"
)

// NewID returns a new time-ordered id.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Store is the sales database.
type Store struct{ db *gorm.DB }

// NewStore returns a store over gdb.
func NewStore(gdb *gorm.DB) *Store { return &Store{db: gdb} }

// DB returns the underlying handle (for idempotent creates).
func (s *Store) DB() *gorm.DB { return s.db }

// Event is one timeline entry.
type Event struct {
	ID          string `gorm:"primaryKey"`
	SubjectType string
	SubjectID   string
	Kind        string
	Actor       string
	Summary     string
	Data        string
	At          time.Time
	RecordedAt  time.Time
}

func (Event) TableName() string { return "timeline_events" }

// ScopedLeads restricts q to the leads or opportunities (owner_id and team
// columns) the scope may see. Managers also see the unowned pool.
func ScopedLeads(q *gorm.DB, s auth.Scope, pool bool) *gorm.DB {
	switch {
	case s.All:
		return q
	case s.OwnerID != "":
		return q.Where("owner_id = ?", s.OwnerID)
	case len(s.Teams) > 0:
		if pool {
			return q.Where("(team IN ? OR (pooled AND team = ''))", s.Teams)
		}
		return q.Where("team IN ?", s.Teams)
	default:
		return q.Where("1 = 0")
	}
}

func (s *Store) RecordEvent(ctx context.Context, e Event) error {
	e.RecordedAt = now()
	if e.Data == "" {
		e.Data = "{}"
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&e).Error
}

// Timeline returns a subject's events in order.
func (s *Store) Timeline(ctx context.Context, subjectType, subjectID string, limit int, after *Cursor) ([]Event, error) {
	q := s.db.WithContext(ctx).Where("subject_type = ? AND subject_id = ?", subjectType, subjectID)
	if after != nil {
		q = q.Where("(at, id) > (?, ?)", after.At, after.ID)
	}
	var out []Event
	return out, q.Order("at, id").Limit(limit + 1).Find(&out).Error
}

func eventID(subject, what string, n int) string { return subject + ":" + what + ":" + itoa(n) }

func itoa(n int) string { return strconv.Itoa(n) }

// jsonObject builds a JSON object from key, value pairs, leaving out empty values.
// formatOptional is t in RFC 3339 (UTC), or "" for none.
func formatOptional(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func jsonObject(kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}
