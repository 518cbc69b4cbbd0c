package winback_test

import (
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/winback"
)

func TestTouchAtCountsTouchesNotOffsets(t *testing.T) {
	cal := china(t)
	cadence := *ladder(policy.ClockBusiness, time.Duration(0), policy.ActionCall, 8*time.Hour, policy.ActionVisit).Ladder
	start := cst(time.September, 30, 15, 0)
	for _, c := range []struct {
		made int
		want time.Time
		ok   bool
	}{
		{0, start, true},
		{1, cst(time.October, 8, 15, 30), true}, // 3 h before the holiday, 5 after it
		{2, time.Time{}, false},                 // run out
		{-1, time.Time{}, false},
	} {
		at, ok, err := winback.TouchAt(cadence, start, c.made, cal)
		if err != nil || ok != c.ok || !at.Equal(c.want) {
			t.Errorf("touch %d: %s %v %v, want %s %v", c.made, hm(at), ok, err, hm(c.want), c.ok)
		}
	}
	// Business time on a holiday starts at the next working instant.
	at, _, _ := winback.TouchAt(cadence, cst(time.October, 3, 10, 0), 0, cal)
	if !at.Equal(cst(time.October, 8, 9, 0)) {
		t.Errorf("a touch due on a holiday is made at %s, want the next working morning", hm(at))
	}
	if _, _, err := winback.TouchAt(cadence, start, 0, nil); err == nil {
		t.Error("business time without a calendar must fail")
	}
	// Calendar days count nights and holidays.
	days := *ladder(policy.ClockCalendar, time.Duration(0), policy.ActionCall, 3*day, policy.ActionOffer).Ladder
	if at, ok, _ := winback.TouchAt(days, start, 1, nil); !ok || !at.Equal(start.Add(3*day)) {
		t.Errorf("calendar step at %s", hm(at))
	}
}

func TestTouchDue(t *testing.T) {
	cal := china(t)
	made := cst(time.September, 30, 17, 0)
	due, err := winback.TouchDue(made, policy.Timer{Duration: policy.Duration(4 * time.Hour), Clock: policy.ClockBusiness}, cal)
	if err != nil || !due.Equal(cst(time.October, 8, 12, 0)) {
		t.Errorf("due %s %v, want Oct 8 12:00 (1 h before National Day, 3 after)", hm(due), err)
	}
	due, _ = winback.TouchDue(made, policy.Timer{Duration: policy.Duration(2 * day), Clock: policy.ClockCalendar}, nil)
	if !due.Equal(made.Add(2 * day)) {
		t.Errorf("calendar due %s", hm(due))
	}
}

func TestWakeAndDeferral(t *testing.T) {
	now := cst(time.March, 2, 10, 0)
	if w := winback.Wake(now.Add(14*day), now); !w.Equal(now.Add(winback.ReResolveEvery)) {
		t.Errorf("a touch in 14 days: wake %s, want a day later", hm(w))
	}
	if w := winback.Wake(now.Add(time.Hour), now); !w.Equal(now.Add(time.Hour)) {
		t.Errorf("a touch in an hour: wake %s", hm(w))
	}
	if d := winback.DeferUntil(now.Add(3*day), now); !d.Equal(now.Add(3 * day)) {
		t.Errorf("defer until %s", hm(d))
	}
	for _, nb := range []time.Time{{}, now, now.Add(-time.Hour)} {
		if d := winback.DeferUntil(nb, now); !d.Equal(now.Add(winback.PressureRetry)) {
			t.Errorf("not_before %s: defer until %s, want a retry later", hm(nb), hm(d))
		}
	}
}

func TestWhichResponsesStartALead(t *testing.T) {
	for kind, want := range map[string]bool{
		"call": true, "visit": true, "reply": true, "stage": true, "something new": true,
		winback.ResponseOptOut: false, winback.ResponseLead: false, winback.ResponseWon: false,
	} {
		if got := winback.StartsLead(kind); got != want {
			t.Errorf("%s starts a lead: %v, want %v", kind, got, want)
		}
	}
	if winback.EndOutcome("") != winback.OutcomeCancelled || winback.EndOutcome("superseded") != "superseded" {
		t.Error("cancellation outcome")
	}
}

func TestIDsAreDerivedAndDistinct(t *testing.T) {
	a, b := winback.TouchID("camp-1", "cust-1", 0), winback.TouchID("camp-1", "cust-1", 1)
	if a != winback.TouchID("camp-1", "cust-1", 0) || a == b || winback.TouchID("camp-2", "cust-1", 0) == a {
		t.Error("touch ids must be deterministic and distinct per campaign, customer and step")
	}
	if winback.FollowUpID(a) == a || winback.FollowUpID(a) == winback.FollowUpID(b) {
		t.Error("follow-up ids")
	}
	// No ambiguity from concatenation: ("ab","c") differs from ("a","bc").
	if winback.LeadID("ab", "c") == winback.LeadID("a", "bc") || winback.LeadID("camp-1", "cust-1") != winback.LeadID("camp-1", "cust-1") {
		t.Error("lead ids")
	}
}

func TestLeadNotes(t *testing.T) {
	n := winback.LeadNotes("Spring win-back", "call", "act-7", "rep-ana", time.Date(2026, 3, 16, 2, 0, 0, 0, time.UTC))
	want := "The customer responded to the win-back campaign “Spring win-back”: a logged call (act-7) at 2026-03-16 02:00 UTC, recorded by rep-ana."
	if n != want {
		t.Errorf("notes %q, want %q", n, want)
	}
	if n := winback.LeadNotes("X", "fax", "", "", time.Time{}); !strings.Contains(n, "a response (fax).") {
		t.Errorf("unknown kind: %q", n)
	}
}
