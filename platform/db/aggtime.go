package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// AggTime scans an aggregate over a timestamp column (MIN, MAX): a time on
// PostgreSQL, text on SQLite, where an aggregate has no declared column
// type. NULL (no rows) scans as the zero time.
type AggTime struct{ T time.Time }

// Scan implements sql.Scanner.
func (d *AggTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		d.T = x.UTC()
		return nil
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	case nil:
		d.T = time.Time{}
		return nil
	}
	return fmt.Errorf("db: cannot scan %T as a time", v)
}

func (d *AggTime) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			d.T = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("db: cannot parse time %q", s)
}

// Value implements driver.Valuer (gorm needs both halves).
func (d AggTime) Value() (driver.Value, error) { return d.T, nil }

// Ptr is the time, or nil when the aggregate had none.
func (d AggTime) Ptr() *time.Time {
	if d.T.IsZero() {
		return nil
	}
	t := d.T
	return &t
}
