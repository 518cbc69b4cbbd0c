package visits

import (
	"testing"
	"time"
)

func TestWeekStartIsMonday(t *testing.T) {
	for _, c := range []struct{ day, monday string }{
		{"2026-12-07", "2026-12-07"}, // Monday
		{"2026-12-08", "2026-12-07"},
		{"2026-12-13", "2026-12-07"}, // Sunday ends the week
		{"2026-12-14", "2026-12-14"},
		{"2027-01-01", "2026-12-28"}, // across a year
	} {
		d, ok := parseDay(c.day)
		if !ok {
			t.Fatalf("parseDay(%q) failed", c.day)
		}
		if got := weekStart(d).Format(dayLayout); got != c.monday {
			t.Errorf("weekStart(%s) = %s, want %s", c.day, got, c.monday)
		}
	}
	if _, ok := parseDay("2026-13-01"); ok {
		t.Error("a month 13 parsed")
	}
}

// Today is the user's date: 23:30 UTC is already the next day in Shanghai.
func TestTodayInTheUsersTimeZone(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)
	if got := today(at, sh).Format(dayLayout); got != "2026-12-07" {
		t.Errorf("today in Shanghai at %s = %s", at, got)
	}
	if got := today(at, time.UTC).Format(dayLayout); got != "2026-12-06" {
		t.Errorf("today in UTC at %s = %s", at, got)
	}
}
