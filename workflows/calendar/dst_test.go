package calendar

import (
	"testing"
	"time"
)

// In America/New_York, 2026 clocks go forward on Sunday March 8 at 02:00 EST
// (07:00Z) to 03:00 EDT, and back on Sunday November 1 at 02:00 EDT (06:00Z)
// to 01:00 EST. The tests name instants in UTC so that nothing depends on how
// time.Date resolves a wall-clock time that is skipped or repeated.

func utc(t testing.TB, s string) time.Time { return at(t, time.UTC, s) }

func nyCalendar(t testing.TB, sunday ...Range) *Calendar {
	ny := load(t, "America/New_York")
	w := Weekdays(Range{At(9, 0), At(17, 0)})
	w.Sunday = sunday
	return mustNew(t, Spec{Name: "ny", TimeZone: "America/New_York", Location: ny, Week: w})
}

type dstCase struct {
	from string // UTC
	d    time.Duration
	want string // UTC
}

func checkAdd(t *testing.T, c *Calendar, cases []dstCase) {
	t.Helper()
	for _, tc := range cases {
		from := utc(t, tc.from)
		got := c.Add(from, tc.d)
		if want := utc(t, tc.want); !got.Equal(want) {
			t.Errorf("Add(%sZ = %s, %v) = %s, want %sZ", tc.from, from.In(c.Location()).Format("Mon 15:04 MST"), tc.d,
				got.In(c.Location()).Format("2006-01-02 15:04:05.999999999 MST"), tc.want)
		}
		if b := c.Between(from, got); b != tc.d {
			t.Errorf("Between(%sZ, Add(…, %v)) = %v", tc.from, tc.d, b)
		}
	}
}

func checkWorking(t *testing.T, c *Calendar, cases map[string]bool) {
	t.Helper()
	for s, want := range cases {
		if got := c.IsWorkingTime(utc(t, s)); got != want {
			t.Errorf("IsWorkingTime(%sZ = %s) = %v, want %v", s, utc(t, s).In(c.Location()).Format("Mon 15:04 MST"), got, want)
		}
	}
}

func TestSpringForward(t *testing.T) {
	c := nyCalendar(t, Range{At(1, 0), At(3, 0)})
	// Sunday 01:00–03:00 on March 8 is 01:00 EST (06:00Z) to the jump at 07:00Z,
	// when the wall clock shows 03:00 EDT: one real hour.
	checkWorking(t, c, map[string]bool{
		"2026-03-08 05:59:59": false, // 00:59:59 EST
		"2026-03-08 06:00":    true,  // 01:00 EST
		"2026-03-08 06:59:59": true,  // 01:59:59 EST
		"2026-03-08 07:00":    false, // 03:00 EDT, the range's end
		"2026-03-15 06:30":    true,  // next Sunday 02:30 EDT exists and works
	})
	if got := c.Between(utc(t, "2026-03-08 05:00"), utc(t, "2026-03-08 09:00")); got != time.Hour {
		t.Errorf("Sunday March 8 holds %v of working time, want 1h", got)
	}
	if got := c.Between(utc(t, "2026-03-15 04:00"), utc(t, "2026-03-15 09:00")); got != 2*time.Hour {
		t.Errorf("Sunday March 15 holds %v of working time, want 2h", got)
	}
	checkAdd(t, c, []dstCase{
		{"2026-03-08 05:30", 0, "2026-03-08 06:00"},
		{"2026-03-08 05:30", 30 * time.Minute, "2026-03-08 06:30"},
		{"2026-03-08 05:30", time.Hour, "2026-03-08 07:00"},                   // the end of the shortened range
		{"2026-03-08 05:30", time.Hour + 1, "2026-03-09 13:00:00.000000001"},  // Monday 09:00 EDT
		{"2026-03-08 07:00", 0, "2026-03-09 13:00"},                           // Monday 09:00 EDT
		{"2026-03-09 13:00", -time.Hour, "2026-03-08 06:00"},                  // back over Sunday's single hour
		{"2026-03-09 13:00", -time.Hour - time.Minute, "2026-03-06 21:59"},    // Friday 16:59 EST
		{"2026-03-06 21:00", 2 * time.Hour, "2026-03-08 07:00"},               // Friday 16:00 EST + 1h + Sunday's hour
		{"2026-03-06 21:00", 2*time.Hour + time.Minute, "2026-03-09 13:01"},   // then Monday
		{"2026-03-14 22:00", 90 * time.Minute, "2026-03-15 06:30"},            // a normal Sunday: 01:30 EDT
		{"2026-03-02 14:00", 5*8*time.Hour + 3*time.Hour, "2026-03-09 15:00"}, // a week across the change
	})
}

func TestFallBack(t *testing.T) {
	c := nyCalendar(t, Range{At(1, 0), At(3, 0)})
	// Sunday 01:00–03:00 on November 1: 01:00–02:00 EDT (05:00–06:00Z), then the
	// clock shows 01:00 again, now EST, and runs to 03:00 EST (08:00Z): three
	// real hours.
	checkWorking(t, c, map[string]bool{
		"2026-11-01 04:59": false, // 00:59 EDT
		"2026-11-01 05:00": true,  // 01:00 EDT
		"2026-11-01 05:59": true,  // 01:59 EDT
		"2026-11-01 06:00": true,  // 01:00 EST, the repeated hour
		"2026-11-01 07:30": true,  // 02:30 EST
		"2026-11-01 08:00": false, // 03:00 EST
	})
	if got := c.Between(utc(t, "2026-11-01 04:00"), utc(t, "2026-11-01 09:00")); got != 3*time.Hour {
		t.Errorf("Sunday November 1 holds %v of working time, want 3h", got)
	}
	checkAdd(t, c, []dstCase{
		{"2026-11-01 04:00", 0, "2026-11-01 05:00"},
		{"2026-11-01 05:00", time.Hour, "2026-11-01 06:00"},
		{"2026-11-01 05:00", 150 * time.Minute, "2026-11-01 07:30"}, // 02:30 EST
		{"2026-11-01 05:00", 3 * time.Hour, "2026-11-01 08:00"},
		{"2026-11-01 05:00", 3*time.Hour + 1, "2026-11-02 14:00:00.000000001"}, // Monday 09:00 EST
		{"2026-11-02 14:00", -time.Hour, "2026-11-01 07:00"},
		{"2026-11-02 14:00", -3 * time.Hour, "2026-11-01 05:00"},
		{"2026-11-02 14:00", -3*time.Hour - 1, "2026-10-30 20:59:59.999999999"}, // Friday 16:59:59.999999999 EDT
		{"2026-10-30 20:00", 5 * time.Hour, "2026-11-02 15:00"},                 // Friday 16:00 EDT: 1h + 3h + Monday 09:00–10:00 EST
	})
}

// A range across the repeated hour splits in two, with a hole between.
func TestFallBackSplitsARange(t *testing.T) {
	c := nyCalendar(t, Range{At(1, 30), At(2, 30)})
	// 01:30–02:00 EDT (05:30–06:00Z), then 01:00–01:30 EST is outside the range,
	// then 01:30–02:30 EST (06:30–07:30Z).
	checkWorking(t, c, map[string]bool{
		"2026-11-01 05:29": false,
		"2026-11-01 05:30": true,
		"2026-11-01 06:00": false, // 01:00 EST
		"2026-11-01 06:29": false,
		"2026-11-01 06:30": true,
		"2026-11-01 07:29": true,
		"2026-11-01 07:30": false,
	})
	if got := c.Between(utc(t, "2026-11-01 04:00"), utc(t, "2026-11-01 09:00")); got != 90*time.Minute {
		t.Errorf("November 1 holds %v, want 1h30m", got)
	}
	if got := c.Between(utc(t, "2026-03-08 04:00"), utc(t, "2026-03-08 09:00")); got != 30*time.Minute {
		t.Errorf("March 8 holds %v, want 30m (01:30–02:00 EST)", got)
	}
	checkAdd(t, c, []dstCase{
		{"2026-11-01 06:10", 0, "2026-11-01 06:30"},
		{"2026-11-01 05:45", 15 * time.Minute, "2026-11-01 06:00"},
		{"2026-11-01 05:45", 30 * time.Minute, "2026-11-01 06:45"}, // over the hole
		{"2026-11-01 06:45", -30 * time.Minute, "2026-11-01 05:45"},
		{"2026-11-01 06:30", -1, "2026-11-01 05:59:59.999999999"},
	})
}

// A range inside the skipped hour does not happen that day; it happens once on
// the day the clocks go back.
func TestRangeInTheSkippedHour(t *testing.T) {
	c := nyCalendar(t, Range{At(2, 0), At(2, 30)})
	if got := c.Between(utc(t, "2026-03-08 00:00"), utc(t, "2026-03-09 00:00")); got != 0 {
		t.Errorf("March 8 holds %v, want 0", got)
	}
	if got := c.Between(utc(t, "2026-11-01 00:00"), utc(t, "2026-11-02 00:00")); got != 30*time.Minute {
		t.Errorf("November 1 holds %v, want 30m (02:00–02:30 EST)", got)
	}
	checkAdd(t, c, []dstCase{
		{"2026-03-08 05:00", 0, "2026-03-09 13:00"}, // Sunday's range is gone: Monday 09:00 EDT
		{"2026-03-14 23:00", 0, "2026-03-15 06:00"}, // next Sunday 02:00 EDT
		{"2026-11-01 04:00", 0, "2026-11-01 07:00"}, // 02:00 EST
		{"2026-11-01 04:00", -1, "2026-10-30 20:59:59.999999999"},
	})
}

// Ordinary 09:00–17:00 hours do not notice either change: two business hours
// from Friday 16:00 are Monday 10:00 on the wall clock.
func TestOfficeHoursAcrossDST(t *testing.T) {
	c := nyCalendar(t)
	ny := c.Location()
	checkAdd(t, c, []dstCase{
		{"2026-03-06 21:00", 2 * time.Hour, "2026-03-09 14:00"}, // Fri 16:00 EST → Mon 10:00 EDT
		{"2026-10-30 20:00", 2 * time.Hour, "2026-11-02 15:00"}, // Fri 16:00 EDT → Mon 10:00 EST
		{"2026-03-09 14:00", -2 * time.Hour, "2026-03-06 21:00"},
		{"2026-11-02 15:00", -2 * time.Hour, "2026-10-30 20:00"},
	})
	for _, tc := range []struct{ a, b string }{
		{"2026-03-06 09:00", "2026-03-09 17:00"},
		{"2026-10-30 09:00", "2026-11-02 17:00"},
	} {
		a, b := at(t, ny, tc.a), at(t, ny, tc.b)
		if got := c.Between(a, b); got != 16*time.Hour {
			t.Errorf("Between(%s, %s) = %v, want 16h", tc.a, tc.b, got)
		}
	}
	// A whole year is 261 weekdays of 8 hours whatever the offsets.
	if got := c.Between(at(t, ny, "2026-01-01 00:00"), at(t, ny, "2027-01-01 00:00")); got != 261*8*time.Hour {
		t.Errorf("2026 holds %v, want %v", got, 261*8*time.Hour)
	}
}
