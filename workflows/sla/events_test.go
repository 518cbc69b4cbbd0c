package sla_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/sla"
)

// TestEventsRefused: events that do not fit the clock leave it unchanged.
func TestEventsRefused(t *testing.T) {
	cal := officeHours(t)
	fresh := newClock(t, sla.Resolution, utc(9, 9, 0), 8*time.Hour, true)
	paused := fresh
	if err := paused.Pause(utc(9, 12, 0)); err != nil {
		t.Fatal(err)
	}
	held := fresh
	hold(t, &held, utc(9, 12, 0), utc(9, 14, 0))
	met := fresh
	if err := met.Meet(cal, utc(9, 10, 0)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		clock sla.Clock
		event func(*sla.Clock) error
		want  error
	}{
		{"pause twice", paused, func(c *sla.Clock) error { return c.Pause(utc(9, 13, 0)) }, sla.ErrPaused},
		{"pause a met target", met, func(c *sla.Clock) error { return c.Pause(utc(9, 13, 0)) }, sla.ErrMet},
		{"pause before the anchor", fresh, func(c *sla.Clock) error { return c.Pause(utc(9, 8, 0)) }, sla.ErrOutOfOrder},
		{"pause inside the last hold", held, func(c *sla.Clock) error { return c.Pause(utc(9, 13, 0)) }, sla.ErrOutOfOrder},
		{"resume a running clock", fresh, func(c *sla.Clock) error { return c.Resume(utc(9, 13, 0)) }, sla.ErrNotPaused},
		{"resume before the pause", paused, func(c *sla.Clock) error { return c.Resume(utc(9, 11, 0)) }, sla.ErrOutOfOrder},
		{"meet twice", met, func(c *sla.Clock) error { return c.Meet(cal, utc(9, 13, 0)) }, sla.ErrMet},
		{"meet before the pause", paused, func(c *sla.Clock) error { return c.Meet(cal, utc(9, 11, 0)) }, sla.ErrOutOfOrder},
		{"reopen a running clock", fresh, func(c *sla.Clock) error { return c.Reopen(utc(9, 13, 0)) }, sla.ErrNotMet},
		{"reopen before it was met", met, func(c *sla.Clock) error { return c.Reopen(utc(9, 9, 30)) }, sla.ErrOutOfOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.clock
			before, _ := json.Marshal(c)
			if err := tt.event(&c); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if after, _ := json.Marshal(c); string(after) != string(before) {
				t.Errorf("a refused event changed the clock:\n%s\n%s", before, after)
			}
		})
	}
	if err := fresh.Reprioritise(-time.Hour, true); err == nil {
		t.Error("Reprioritise accepted a negative budget")
	}
}

func TestNew(t *testing.T) {
	at := utc(9, 9, 0)
	for _, tt := range []struct {
		name   string
		target sla.Target
		anchor time.Time
		budget time.Duration
		share  float64
		ok     bool
	}{
		{"valid", sla.FirstResponse, at, time.Hour, 0.75, true},
		{"no warning point", sla.Resolution, at, time.Hour, 0, true},
		{"unknown target", "answer", at, time.Hour, 0.75, false},
		{"no anchor", sla.Resolution, time.Time{}, time.Hour, 0.75, false},
		{"negative budget", sla.Resolution, at, -time.Minute, 0.75, false},
		{"share of one", sla.Resolution, at, time.Hour, 1, false},
		{"negative share", sla.Resolution, at, time.Hour, -0.5, false},
	} {
		if _, err := sla.New(tt.target, tt.anchor, tt.budget, true, tt.share); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	c, _ := sla.New(sla.Resolution, at, time.Hour, true, 0)
	if _, ok := c.WarnAt(officeHours(t), at); ok {
		t.Error("a clock without a warning share has a warning point")
	}
	next, ok := c.NextInstant(officeHours(t))
	if !ok {
		t.Fatal("NextInstant: none")
	}
	wantTime(t, "NextInstant without a warning point", next, utc(9, 10, 0))
}

// TestCopiesAreIndependent: a Clock is a value; events on one copy never show
// in another, even when their hold lists share an array.
func TestCopiesAreIndependent(t *testing.T) {
	c := newClock(t, sla.Resolution, utc(9, 9, 0), 40*time.Hour, true)
	for i := range 3 {
		hold(t, &c, utc(9, 10+2*i, 0), utc(9, 11+2*i, 0))
	}
	a, b := c, c
	hold(t, &a, utc(10, 9, 0), utc(10, 10, 0))
	hold(t, &b, utc(11, 9, 0), utc(11, 12, 0))
	if len(c.Paused) != 3 {
		t.Errorf("the original has %d holds", len(c.Paused))
	}
	wantTime(t, "a's last hold", a.Paused[3].Start, utc(10, 9, 0))
	wantTime(t, "b's last hold", b.Paused[3].Start, utc(11, 9, 0))
}

// TestJSONRoundTrip: a clock read back from workflow state answers the same.
func TestJSONRoundTrip(t *testing.T) {
	cal := china(t)
	cn := shanghai(t)
	c := newClock(t, sla.FirstResponse, time.Date(2026, 9, 30, 15, 0, 0, 0, cn), 4*time.Hour, true)
	hold(t, &c, time.Date(2026, 9, 30, 16, 0, 0, 0, cn), time.Date(2026, 10, 9, 17, 0, 0, 0, cn))
	now := time.Date(2026, 10, 10, 9, 30, 0, 0, cn)
	if err := c.Pause(now); err != nil {
		t.Fatal(err)
	}
	c.Check(cal, now.Add(time.Hour))
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back sla.Clock
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	later := now.Add(3 * time.Hour)
	wantTime(t, "Due", back.Due(cal, later), c.Due(cal, later))
	wantTime(t, "WarnedAt", back.WarnedAt, c.WarnedAt)
	if back.State(cal, later) != sla.Paused || c.State(cal, later) != sla.Paused {
		t.Errorf("State = %s and %s, want paused", back.State(cal, later), c.State(cal, later))
	}
	if back.Remaining(cal, later) != c.Remaining(cal, later) {
		t.Errorf("Remaining = %v, want %v", back.Remaining(cal, later), c.Remaining(cal, later))
	}
}

// TestBudgetFor reads the shipped policies: P1 is urgent … P4 is low.
func TestBudgetFor(t *testing.T) {
	for _, tt := range []struct {
		target sla.Target
		p      sla.Priority
		want   time.Duration
	}{
		{sla.FirstResponse, sla.P1, time.Hour},
		{sla.FirstResponse, sla.P2, 4 * time.Hour},
		{sla.FirstResponse, sla.P3, 8 * time.Hour},
		{sla.FirstResponse, sla.P4, 24 * time.Hour},
		{sla.Resolution, sla.P1, 8 * time.Hour},
		{sla.Resolution, sla.P4, 80 * time.Hour},
	} {
		name, ok := tt.target.Policy()
		if !ok {
			t.Fatalf("%s: no policy", tt.target)
		}
		d, business := budget(t, name, tt.p)
		if d != tt.want || !business {
			t.Errorf("%s %s: %v business=%v, want %v business", tt.target, tt.p, d, business, tt.want)
		}
	}
	v := policy.Value{Table: map[string]policy.Timer{"urgent": {Duration: policy.Duration(2 * time.Hour), Clock: policy.ClockCalendar}}}
	if d, business, err := sla.BudgetFor(v, sla.P1); err != nil || d != 2*time.Hour || business {
		t.Errorf("elapsed entry: %v %v %v", d, business, err)
	}
	if _, _, err := sla.BudgetFor(v, sla.P2); err == nil {
		t.Error("a missing entry gave no error")
	}
	if _, _, err := sla.BudgetFor(v, "P0"); err == nil {
		t.Error("an unknown priority gave no error")
	}
}
