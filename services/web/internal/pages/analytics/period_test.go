package analytics

import (
	"testing"
	"time"
)

// Twelve weeks from Monday or twelve months from the 1st, in the user's
// zone, ending after the current one — across the zone's midnight and a
// year's end.
func TestRange(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		now      time.Time
		tz       *time.Location
		bucket   string
		from, to string
	}{
		// Wednesday 18 March 2026, 10:00 in Shanghai.
		{time.Date(2026, 3, 18, 2, 0, 0, 0, time.UTC), sh, "week", "2025-12-29", "2026-03-23"},
		// Sunday 22 March 23:30 in Shanghai is still that week.
		{time.Date(2026, 3, 22, 15, 30, 0, 0, time.UTC), sh, "week", "2025-12-29", "2026-03-23"},
		// Monday 23 March 00:30 in Shanghai (still Sunday in UTC): the next week.
		{time.Date(2026, 3, 22, 16, 30, 0, 0, time.UTC), sh, "week", "2026-01-05", "2026-03-30"},
		// ... and in New York it is Sunday afternoon.
		{time.Date(2026, 3, 22, 16, 30, 0, 0, time.UTC), ny, "week", "2025-12-29", "2026-03-23"},
		{time.Date(2026, 3, 18, 2, 0, 0, 0, time.UTC), sh, "month", "2025-04-01", "2026-04-01"},
		{time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC), sh, "month", "2025-02-01", "2026-02-01"},
	} {
		from, to := Range(tc.now, tc.tz, tc.bucket)
		if got := from.Format(time.DateOnly) + " " + to.Format(time.DateOnly); got != tc.from+" "+tc.to {
			t.Errorf("%s in %s by %s: %s, want %s %s", tc.now, tc.tz, tc.bucket, got, tc.from, tc.to)
		}
		if from.Location() != tc.tz || from.Hour() != 0 || to.Hour() != 0 {
			t.Errorf("%s: not midnights in %s: %s, %s", tc.now, tc.tz, from, to)
		}
		if tc.bucket == "week" && (from.Weekday() != time.Monday || to.Sub(from) < 12*7*24*time.Hour-2*time.Hour) {
			t.Errorf("%s: not twelve weeks from a Monday: %s – %s", tc.now, from, to)
		}
	}
}
