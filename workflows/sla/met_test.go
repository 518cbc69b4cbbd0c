package sla_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/sla"
)

// TestMeet: met before the deadline is met; at or after it, breached for good.
func TestMeet(t *testing.T) {
	cal := officeHours(t)
	start := newClock(t, sla.FirstResponse, utc(9, 9, 0), 8*time.Hour, true)
	due := utc(9, 17, 0)
	tests := []struct {
		name      string
		checkAt   time.Time // zero: no Check before Meet
		metAt     time.Time
		state     sla.State
		breachedD bool
	}{
		{"one nanosecond before the deadline", time.Time{}, due.Add(-ns), sla.Met, false},
		{"at the deadline", time.Time{}, due, sla.Breached, true},
		{"late, breach not yet recorded", time.Time{}, utc(10, 12, 0), sla.Breached, true},
		{"late, breach recorded before", utc(9, 17, 30), utc(10, 12, 0), sla.Breached, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := start
			if !tt.checkAt.IsZero() {
				c.Check(cal, tt.checkAt)
			}
			if err := c.Meet(cal, tt.metAt); err != nil {
				t.Fatal(err)
			}
			wantTime(t, "MetAt", c.MetAt, tt.metAt)
			for _, now := range []time.Time{tt.metAt, utc(20, 12, 0)} {
				wantState(t, c, cal, now, tt.state)
			}
			if tt.breachedD {
				wantTime(t, "BreachedAt", c.BreachedAt, due)
			} else if !c.BreachedAt.IsZero() {
				t.Errorf("BreachedAt = %s, want none", c.BreachedAt)
			}
			if warned, breached := c.Check(cal, utc(20, 12, 0)); warned || breached {
				t.Error("Check after Meet recorded something")
			}
			if _, ok := c.NextInstant(cal); ok {
				t.Error("NextInstant after Meet: want none")
			}
			wantTime(t, "WarnedAt", c.WarnedAt, utc(9, 15, 0))
			if got, want := c.Remaining(cal, utc(20, 12, 0)), cal.Between(tt.metAt, due); got != want {
				t.Errorf("Remaining after Meet = %v, want %v (frozen at MetAt)", got, want)
			}
		})
	}
}

// TestMeetOnHold: meeting a target on hold ends the hold then.
func TestMeetOnHold(t *testing.T) {
	cal := officeHours(t)
	c := newClock(t, sla.Resolution, utc(9, 9, 0), 8*time.Hour, true)
	if err := c.Pause(utc(9, 12, 0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Meet(cal, utc(10, 12, 0)); err != nil {
		t.Fatal(err)
	}
	if c.IsPaused() || len(c.Paused) != 1 || !c.Paused[0].End.Equal(utc(10, 12, 0)) {
		t.Errorf("holds after Meet: %+v, paused since %s", c.Paused, c.PausedSince)
	}
	wantState(t, c, cal, utc(10, 12, 0), sla.Met)
	if got := c.Remaining(cal, utc(11, 9, 0)); got != 5*time.Hour {
		t.Errorf("Remaining = %v, want 5h", got)
	}
}

// TestReopen: the time a case sat resolved is not counted; a breach stays.
func TestReopen(t *testing.T) {
	cal := officeHours(t)
	c := newClock(t, sla.Resolution, utc(9, 9, 0), 8*time.Hour, true)
	if err := c.Meet(cal, utc(9, 12, 0)); err != nil { // 3h used
		t.Fatal(err)
	}
	if err := c.Reopen(utc(10, 14, 0)); err != nil {
		t.Fatal(err)
	}
	wantTime(t, "Due after reopening", c.Due(cal, utc(10, 14, 0)), utc(11, 10, 0)) // 4h Tuesday, 1h Wednesday
	wantState(t, c, cal, utc(11, 10, 0).Add(-ns), sla.Warning)
	wantState(t, c, cal, utc(11, 10, 0), sla.Breached)
	if err := c.Meet(cal, utc(11, 11, 0)); err != nil {
		t.Fatal(err)
	}
	wantTime(t, "BreachedAt", c.BreachedAt, utc(11, 10, 0))
	if err := c.Reopen(utc(12, 9, 0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Meet(cal, utc(12, 9, 30)); err != nil {
		t.Fatal(err)
	}
	wantState(t, c, cal, utc(12, 9, 30), sla.Breached)
	wantTime(t, "BreachedAt after a second resolution", c.BreachedAt, utc(11, 10, 0))
}

// TestElapsedClock: an elapsed-time budget counts nights and weekends.
func TestElapsedClock(t *testing.T) {
	c := newClock(t, sla.Resolution, utc(6, 18, 0), 48*time.Hour, false)
	wantTime(t, "Due", c.Due(nil, utc(6, 18, 0)), utc(8, 18, 0))
	if err := c.Pause(utc(7, 0, 0)); err != nil {
		t.Fatal(err)
	}
	wantTime(t, "Due on hold", c.Due(nil, utc(7, 6, 30)), utc(9, 0, 30))
	if err := c.Resume(utc(7, 6, 30)); err != nil {
		t.Fatal(err)
	}
	// Priority raised to 24 elapsed hours: 6h used before the hold.
	if err := c.Reprioritise(24*time.Hour, false); err != nil {
		t.Fatal(err)
	}
	due := utc(8, 0, 30)
	wantTime(t, "Due", c.Due(nil, utc(7, 7, 0)), due)
	wantState(t, c, nil, due.Add(-ns), sla.Warning)
	wantState(t, c, nil, due, sla.Breached)
	if got := c.Remaining(nil, utc(8, 2, 30)); got != -2*time.Hour {
		t.Errorf("Remaining = %v, want -2h", got)
	}
}
