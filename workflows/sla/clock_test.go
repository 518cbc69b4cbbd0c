package sla_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/sla"
)

const ns = time.Nanosecond

// officeHours is Monday to Friday 09:00–18:00, UTC, no holidays.
func officeHours(t *testing.T) *calendar.Calendar {
	t.Helper()
	cal, err := calendar.New(calendar.Spec{
		Name: "office hours", TimeZone: "UTC", Location: time.UTC,
		Week: calendar.Weekdays(calendar.Range{Start: calendar.At(9, 0), End: calendar.At(18, 0)}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// china is the China mainland 2026 calendar: Mon–Fri 09:00–12:00 and
// 13:30–18:00, National Day 1–7 October, make-up Saturday 10 October.
func china(t *testing.T) *calendar.Calendar {
	t.Helper()
	cal, err := calendar.New(calendar.China2026(shanghai(t)))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// utc is an instant of March 2026 (Friday the 6th, Monday the 9th) in UTC.
func utc(day, hour, minute int) time.Time {
	return time.Date(2026, time.March, day, hour, minute, 0, 0, time.UTC)
}

func newClock(t *testing.T, target sla.Target, anchor time.Time, budget time.Duration, business bool) sla.Clock {
	t.Helper()
	c, err := sla.New(target, anchor, budget, business, 0.75)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hold puts c on hold from start to end.
func hold(t *testing.T, c *sla.Clock, start, end time.Time) {
	t.Helper()
	if err := c.Pause(start); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(end); err != nil {
		t.Fatal(err)
	}
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
	}
}

func wantState(t *testing.T, c sla.Clock, cal *calendar.Calendar, now time.Time, want sla.State) {
	t.Helper()
	if got := c.State(cal, now); got != want {
		t.Errorf("State at %s = %s, want %s", now.Format(time.RFC3339Nano), got, want)
	}
}

// TestInstants checks the warning point and the deadline exactly, and the
// clock on both sides of each.
func TestInstants(t *testing.T) {
	cn := shanghai(t)
	oct := func(day, hour, minute int) time.Time {
		return time.Date(2026, time.October, day, hour, minute, 0, 0, cn)
	}
	sep30 := time.Date(2026, time.September, 30, 15, 0, 0, 0, cn) // Wednesday afternoon, the eve of National Day
	tests := []struct {
		name      string
		cal       *calendar.Calendar
		clock     func() sla.Clock
		warn, due time.Time
	}{{
		name: "8 business hours from Friday 14:00 end Monday 13:00",
		cal:  officeHours(t),
		clock: func() sla.Clock {
			return newClock(t, sla.FirstResponse, utc(6, 14, 0), 8*time.Hour, true)
		},
		warn: utc(9, 11, 0), due: utc(9, 13, 0),
	}, {
		name: "hold Friday 16:00 to Monday 10:00 adds 3 hours",
		cal:  officeHours(t),
		clock: func() sla.Clock {
			c := newClock(t, sla.Resolution, utc(6, 9, 0), 16*time.Hour, true)
			hold(t, &c, utc(6, 16, 0), utc(9, 10, 0))
			return c
		},
		warn: utc(9, 15, 0), due: utc(10, 10, 0),
	}, {
		name: "4 business hours on 30 September skip National Day",
		cal:  china(t),
		clock: func() sla.Clock {
			return newClock(t, sla.FirstResponse, sep30, 4*time.Hour, true)
		},
		warn: time.Date(2026, time.September, 30, 18, 0, 0, 0, cn), due: oct(8, 10, 0),
	}, {
		name: "24 business hours on 30 September end on the make-up Saturday",
		cal:  china(t),
		clock: func() sla.Clock {
			return newClock(t, sla.Resolution, sep30, 24*time.Hour, true)
		},
		warn: oct(9, 18, 0), due: oct(10, 16, 30),
	}, {
		name: "4 business hours with a hold over National Day end on the make-up Saturday",
		cal:  china(t),
		clock: func() sla.Clock {
			c := newClock(t, sla.FirstResponse, sep30, 4*time.Hour, true)
			// Held 2h on 30 Sep, 7.5h on 8 Oct, 6.5h on 9 Oct: 16h.
			hold(t, &c, time.Date(2026, time.September, 30, 16, 0, 0, 0, cn), oct(9, 17, 0))
			return c
		},
		warn: oct(10, 10, 0), due: oct(10, 11, 0),
	}, {
		name: "elapsed 24 hours with a 24-hour hold from the warning point",
		cal:  nil,
		clock: func() sla.Clock {
			c := newClock(t, sla.Resolution, utc(6, 16, 0), 24*time.Hour, false)
			hold(t, &c, utc(7, 10, 0), utc(8, 10, 0))
			return c
		},
		warn: utc(7, 10, 0), due: utc(8, 16, 0),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.clock()
			wantTime(t, "Due", c.Due(tt.cal, tt.due), tt.due)
			w, ok := c.WarnAt(tt.cal, tt.due)
			if !ok {
				t.Fatal("no warning point")
			}
			wantTime(t, "WarnAt", w, tt.warn)
			wantState(t, c, tt.cal, tt.warn.Add(-ns), sla.Running)
			wantState(t, c, tt.cal, tt.warn, sla.Warning)
			wantState(t, c, tt.cal, tt.due.Add(-ns), sla.Warning)
			wantState(t, c, tt.cal, tt.due, sla.Breached)
			if got := c.Remaining(tt.cal, tt.due.Add(-ns)); got != ns {
				t.Errorf("Remaining one nanosecond before the deadline = %v", got)
			}
			if got := c.Remaining(tt.cal, tt.due); got != 0 {
				t.Errorf("Remaining at the deadline = %v", got)
			}

			next, ok := c.NextInstant(tt.cal)
			if !ok {
				t.Fatal("NextInstant: none")
			}
			wantTime(t, "NextInstant", next, tt.warn)
			if warned, breached := c.Check(tt.cal, tt.warn.Add(-ns)); warned || breached {
				t.Errorf("Check before the warning point recorded warned=%v breached=%v", warned, breached)
			}
			if warned, breached := c.Check(tt.cal, tt.warn); !warned || breached {
				t.Errorf("Check at the warning point: warned=%v breached=%v", warned, breached)
			}
			wantTime(t, "WarnedAt", c.WarnedAt, tt.warn)
			next, _ = c.NextInstant(tt.cal)
			wantTime(t, "NextInstant after the warning", next, tt.due)
			if warned, breached := c.Check(tt.cal, tt.due.Add(-ns)); warned || breached {
				t.Errorf("Check before the deadline recorded warned=%v breached=%v", warned, breached)
			}
			later := tt.due.Add(50 * time.Hour) // recorded with the deadline's instant, not when checked
			if warned, breached := c.Check(tt.cal, later); warned || !breached {
				t.Errorf("Check after the deadline: warned=%v breached=%v", warned, breached)
			}
			wantTime(t, "BreachedAt", c.BreachedAt, tt.due)
			if _, ok := c.NextInstant(tt.cal); ok {
				t.Error("NextInstant after the breach: want none")
			}
			if warned, breached := c.Check(tt.cal, later); warned || breached {
				t.Error("a second Check recorded again")
			}
		})
	}
}

// TestHoldMovesDeadlineByHeldBusinessTime: a hold moves the deadline by the
// working time inside it, and by nothing when it lies outside working hours.
func TestHoldMovesDeadlineByHeldBusinessTime(t *testing.T) {
	cal := officeHours(t)
	base := newClock(t, sla.Resolution, utc(6, 9, 0), 16*time.Hour, true)
	unheld := base.Due(cal, utc(6, 9, 0))
	wantTime(t, "Due without hold", unheld, utc(9, 16, 0))
	tests := []struct {
		name       string
		start, end time.Time
		shift      time.Duration
	}{
		{"Friday 16:00 to Monday 10:00", utc(6, 16, 0), utc(9, 10, 0), 3 * time.Hour},
		{"Friday 18:00 to Monday 09:00", utc(6, 18, 0), utc(9, 9, 0), 0},
		{"Saturday to Sunday", utc(7, 8, 0), utc(8, 20, 0), 0},
		{"Friday 17:59 to Monday 09:01", utc(6, 17, 59), utc(9, 9, 1), 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			hold(t, &c, tt.start, tt.end)
			due := c.Due(cal, tt.end)
			if got := cal.Between(unheld, due); got != tt.shift {
				t.Errorf("the deadline moved by %v of business time, want %v", got, tt.shift)
			}
			wantTime(t, "Due", due, cal.Add(unheld, tt.shift))
			if got := c.OnHold(cal, due); got != tt.shift {
				t.Errorf("OnHold = %v, want %v", got, tt.shift)
			}
		})
	}
	if base.Paused != nil {
		t.Error("holding a copy changed the original")
	}
}

// TestDeadlineWhileOnHold: on hold, the deadline is "if the hold ended now"
// and there is no timer to set.
func TestDeadlineWhileOnHold(t *testing.T) {
	cal := officeHours(t)
	c := newClock(t, sla.Resolution, utc(6, 9, 0), 16*time.Hour, true)
	if err := c.Pause(utc(6, 16, 0)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ now, due time.Time }{
		{utc(6, 16, 0), utc(9, 16, 0)},
		{utc(7, 12, 0), utc(9, 18, 0)}, // held 2h so far: Friday 16:00–18:00
		{utc(9, 9, 30), utc(10, 9, 30)},
		{utc(9, 10, 0), utc(10, 10, 0)},
	} {
		wantTime(t, "Due at "+tt.now.Format(time.DateTime), c.Due(cal, tt.now), tt.due)
		wantState(t, c, cal, tt.now, sla.Paused)
	}
	if _, ok := c.NextInstant(cal); ok {
		t.Error("NextInstant on hold: want none")
	}
	if warned, breached := c.Check(cal, utc(9, 10, 0)); warned || breached {
		t.Error("Check on hold recorded something")
	}
	if err := c.Resume(utc(9, 10, 0)); err != nil {
		t.Fatal(err)
	}
	next, _ := c.NextInstant(cal)
	wantTime(t, "NextInstant after the hold", next, utc(9, 15, 0)) // 12h used: 7h Friday, 5h Monday
	wantTime(t, "Due after the hold", c.Due(cal, utc(9, 10, 0)), utc(10, 10, 0))
}

func budget(t *testing.T, name string, p sla.Priority) (time.Duration, bool) {
	t.Helper()
	def, ok := policy.Lookup(name)
	if !ok {
		t.Fatalf("no policy %s", name)
	}
	d, business, err := sla.BudgetFor(def.Default, p)
	if err != nil {
		t.Fatal(err)
	}
	return d, business
}

// TestPriorityRaisedOnHold: the new budget counts from the anchor and the
// hold still counts as hold.
func TestPriorityRaisedOnHold(t *testing.T) {
	cal := officeHours(t)
	t.Run("the new deadline is still ahead", func(t *testing.T) {
		d, business := budget(t, policy.ServiceResolutionSLA, sla.P3) // 40 business hours
		c := newClock(t, sla.Resolution, utc(9, 9, 0), d, business)
		if err := c.Pause(utc(9, 16, 0)); err != nil { // 7h used
			t.Fatal(err)
		}
		d, business = budget(t, policy.ServiceResolutionSLA, sla.P1) // 8 business hours
		if err := c.Reprioritise(d, business); err != nil {
			t.Fatal(err)
		}
		wantTime(t, "Due on hold", c.Due(cal, utc(10, 9, 30)), utc(10, 10, 30))
		wantState(t, c, cal, utc(10, 9, 30), sla.Paused)
		if err := c.Resume(utc(10, 10, 0)); err != nil {
			t.Fatal(err)
		}
		due := c.Due(cal, utc(10, 10, 0))
		wantTime(t, "Due", due, utc(10, 11, 0)) // 8h + 3h held (Monday 16–18, Tuesday 9–10)
		if got := cal.Between(c.Anchor, due); got != 11*time.Hour {
			t.Errorf("business time from the anchor to the deadline = %v, want 11h", got)
		}
		wantState(t, c, cal, due.Add(-ns), sla.Warning)
		c.Check(cal, due.Add(-ns))
		if !c.BreachedAt.IsZero() {
			t.Fatal("breached before the deadline")
		}
		c.Check(cal, due)
		wantTime(t, "BreachedAt", c.BreachedAt, due)
	})
	t.Run("the new deadline has already passed", func(t *testing.T) {
		d, business := budget(t, policy.ServiceResponseSLA, sla.P3) // 8 business hours
		c := newClock(t, sla.FirstResponse, utc(9, 9, 0), d, business)
		if err := c.Pause(utc(9, 15, 0)); err != nil {
			t.Fatal(err)
		}
		wantState(t, c, cal, utc(10, 10, 0), sla.Paused)
		d, business = budget(t, policy.ServiceResponseSLA, sla.P1) // 1 business hour
		if err := c.Reprioritise(d, business); err != nil {
			t.Fatal(err)
		}
		wantTime(t, "Due", c.Due(cal, utc(10, 10, 0)), utc(9, 10, 0))
		wantState(t, c, cal, utc(10, 10, 0), sla.Breached)
		warned, breached := c.Check(cal, utc(10, 10, 0))
		if !warned || !breached {
			t.Fatalf("Check: warned=%v breached=%v", warned, breached)
		}
		wantTime(t, "BreachedAt", c.BreachedAt, utc(9, 10, 0))
		wantTime(t, "WarnedAt", c.WarnedAt, utc(9, 9, 45))
		if err := c.Resume(utc(10, 11, 0)); err != nil {
			t.Fatal(err)
		}
		// Lowering the priority again does not undo the breach.
		d, business = budget(t, policy.ServiceResponseSLA, sla.P4)
		if err := c.Reprioritise(d, business); err != nil {
			t.Fatal(err)
		}
		wantState(t, c, cal, utc(10, 11, 0), sla.Breached)
		wantTime(t, "BreachedAt after lowering", c.BreachedAt, utc(9, 10, 0))
		if _, ok := c.NextInstant(cal); ok {
			t.Error("NextInstant after the breach: want none")
		}
	})
}

// TestEffectiveAnchor: the budget counted from the effective anchor, without
// holds, ends at the deadline — on a business calendar across holds over
// working time, a weekend, a hold after the deadline, and on an elapsed clock.
func TestEffectiveAnchor(t *testing.T) {
	cal := officeHours(t)
	tests := []struct {
		name     string
		business bool
		holds    [][2]time.Time
	}{
		{"no hold", true, nil},
		{"Friday 16:00 to Monday 10:00", true, [][2]time.Time{{utc(6, 16, 0), utc(9, 10, 0)}}},
		{"two holds, one over the weekend", true, [][2]time.Time{{utc(6, 10, 0), utc(6, 11, 30)}, {utc(6, 17, 0), utc(9, 9, 30)}}},
		{"a hold after the deadline moves nothing", true, [][2]time.Time{{utc(10, 9, 0), utc(10, 12, 0)}}},
		{"elapsed clock", false, [][2]time.Time{{utc(6, 16, 0), utc(7, 10, 0)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t, sla.Resolution, utc(6, 9, 0), 16*time.Hour, tt.business)
			var k *calendar.Calendar
			if tt.business {
				k = cal
			}
			for _, h := range tt.holds {
				hold(t, &c, h[0], h[1])
			}
			now := utc(12, 0, 0)
			eff := c.EffectiveAnchor(k, now)
			var end time.Time
			if tt.business {
				end = cal.Add(eff, c.Budget)
			} else {
				end = eff.Add(c.Budget)
			}
			wantTime(t, "budget from the effective anchor", end, c.Due(k, now))
			if len(tt.holds) == 0 && !eff.Equal(c.Anchor) {
				t.Errorf("without holds the effective anchor is the anchor, got %v", eff)
			}
		})
	}
}
