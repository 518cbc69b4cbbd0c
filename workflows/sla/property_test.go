package sla

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
)

// refUsed is the time counted from anchor to end, written from the rule
// ("time since the anchor less time on hold") without the walk of reach.
func refUsed(cal *calendar.Calendar, anchor, end time.Time, holds []Interval) time.Duration {
	between := func(a, b time.Time) time.Duration {
		if cal == nil {
			return b.Sub(a)
		}
		return cal.Between(a, b)
	}
	used := between(anchor, end)
	for _, h := range holds {
		s, e := h.Start, h.End
		if e.After(end) {
			e = end
		}
		if s.Before(e) {
			used -= between(s, e)
		}
	}
	return used
}

// TestDuePropertyRandomHolds: for random holds, the deadline is the first
// instant at which the counted time reaches the budget; when every hold ends
// before it, the business time from the anchor to the deadline is exactly the
// budget plus the held business time.
func TestDuePropertyRandomHolds(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	china, err := calendar.New(calendar.China2026(loc))
	if err != nil {
		t.Fatal(err)
	}
	office, err := calendar.New(calendar.Spec{
		Name: "office", TimeZone: "UTC", Location: time.UTC,
		Week: calendar.Weekdays(calendar.Range{Start: calendar.At(9, 0), End: calendar.At(18, 0)}),
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 10))
	year := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	// instantAfter returns t plus up to max, at minute, second or nanosecond grain.
	instantAfter := func(t time.Time, max time.Duration) time.Time {
		d := rng.Int64N(int64(max))
		switch rng.IntN(3) {
		case 0:
			d = d / int64(time.Minute) * int64(time.Minute)
		case 1:
			d = d / int64(time.Second) * int64(time.Second)
		}
		return t.Add(time.Duration(d))
	}
	allBefore := 0
	for i := range 3000 {
		var cal *calendar.Calendar
		switch i % 3 {
		case 0:
			cal = china
		case 1:
			cal = office
		}
		anchor := instantAfter(year, 330*24*time.Hour)
		budget := time.Duration(15+rng.IntN(80*60)) * time.Minute
		c, err := New(Resolution, anchor, budget, cal != nil, 0.75)
		if err != nil {
			t.Fatal(err)
		}
		at := anchor
		for range rng.IntN(6) {
			start := instantAfter(at, 4*24*time.Hour)
			end := instantAfter(start, 5*24*time.Hour)
			if c.Pause(start) != nil || c.Resume(end) != nil {
				t.Fatal("hold refused")
			}
			at = end
		}
		now := at
		if rng.IntN(4) == 0 { // an open hold, ending at now
			start := instantAfter(at, 24*time.Hour)
			now = instantAfter(start, 3*24*time.Hour)
			if err := c.Pause(start); err != nil {
				t.Fatal(err)
			}
		}
		holds := c.holds(now)
		due := c.Due(cal, now)
		if got := refUsed(cal, anchor, due, holds); got != budget {
			t.Fatalf("case %d %+v: time counted by the deadline %s = %v, want the budget %v", i, c, due, got, budget)
		}
		if got := refUsed(cal, anchor, due.Add(-time.Nanosecond), holds); got >= budget {
			t.Fatalf("case %d %+v: the budget is used up before the deadline %s", i, c, due)
		}
		if c.IsPaused() {
			continue
		}
		if got := c.Remaining(cal, due); got != 0 {
			t.Fatalf("case %d %+v: Remaining at the deadline %s = %v", i, c, due, got)
		}
		if n := len(holds); n > 0 && holds[n-1].End.After(due) {
			continue
		}
		allBefore++
		var held time.Duration
		for _, h := range holds {
			held += refUsed(cal, h.Start, h.End, nil)
		}
		if got := refUsed(cal, anchor, due, nil); got != budget+held {
			t.Fatalf("case %d %+v: %v from the anchor to the deadline %s, want budget %v + held %v", i, c, got, due, budget, held)
		}
	}
	if allBefore < 1000 {
		t.Errorf("only %d cases with every hold before the deadline", allBefore)
	}
}

// TestDueOnHoldNeverMovesEarlier: as a hold goes on, the deadline moves later
// or stays; it never moves earlier.
func TestDueOnHoldNeverMovesEarlier(t *testing.T) {
	cal, err := calendar.New(calendar.Spec{
		Name: "office", TimeZone: "UTC", Location: time.UTC,
		Week: calendar.Weekdays(calendar.Range{Start: calendar.At(9, 0), End: calendar.At(12, 0)}, calendar.Range{Start: calendar.At(13, 0), End: calendar.At(18, 0)}),
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 300 {
		anchor := time.Date(2026, 3, 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC)
		c, _ := New(FirstResponse, anchor, time.Duration(1+rng.IntN(40))*time.Hour, true, 0.5)
		start := anchor.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
		if err := c.Pause(start); err != nil {
			t.Fatal(err)
		}
		prev := c.Due(cal, start)
		for now := start; now.Before(start.Add(7 * 24 * time.Hour)); now = now.Add(17 * time.Minute) {
			due := c.Due(cal, now)
			if due.Before(prev) {
				t.Fatalf("%+v: Due at %s = %s, before %s", c, now, due, prev)
			}
			prev = due
		}
	}
}
