package servicecase_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

// sides checks a target both sides of its deadline due: one second before it
// is running (and at risk: the warning point has passed), one second after it
// is breached as of due.
func (h *harness) sides(target string, due time.Time) {
	h.at(due.Add(-time.Second), func() {
		v := h.sla(target)
		if v.GetState() != "running" || !v.GetAtRisk() {
			h.t.Errorf("%s one second before its deadline: %s at_risk=%v, want running and at risk", target, v.GetState(), v.GetAtRisk())
		}
		if !v.GetDueAt().AsTime().Equal(due) {
			h.t.Errorf("%s due %v, want %v", target, v.GetDueAt().AsTime().In(time.UTC), due.UTC())
		}
	})
	h.at(due.Add(time.Second), func() {
		v := h.sla(target)
		if v.GetState() != "breached" || !v.GetBreachedAt().AsTime().Equal(due) {
			h.t.Errorf("%s one second after its deadline: %s breached at %v, want breached at %v", target, v.GetState(), v.GetBreachedAt().AsTime(), due)
		}
		if r := h.cases.last(target); r.GetState() != "breached" || !r.GetBreachedAt().AsTime().Equal(due) {
			h.t.Errorf("%s row: %s breached at %v, want breached at %v", target, r.GetState(), r.GetBreachedAt().AsTime(), due)
		}
	})
}

// TestBreachAcrossNationalDay: a P2 case filed the afternoon before the
// National Day holiday is due in business time after it; the breach is
// recorded at the deadline, not one second earlier, and the ladder's first
// step (warn the assignee) runs then.
func TestBreachAcrossNationalDay(t *testing.T) {
	filed := cst(time.September, 30, 16, 0)
	h := newHarness(t, filed, "P2")
	due := h.cal.Add(filed, 4*time.Hour)
	if due.Before(cst(time.October, 8, 0, 0)) {
		t.Fatalf("the deadline %v should fall after the holiday", due)
	}
	h.sides("first_response", due)
	h.run(due.Add(time.Hour))
	if got := h.engine.Steps(); len(got) == 0 || !strings.HasPrefix(got[0], "remind@"+due.In(followupTZ()).Format("Jan 2 15:04")) {
		t.Errorf("steps %v, want remind at the deadline %v first", got, due)
	}
	if got := h.cases.entries(); !slices.Contains(got, "sla_breached first_response") {
		t.Errorf("timeline results %v, want the breach", got)
	}
}

// TestMakeUpSaturdayCounts: a P1 case filed late on the Friday before the
// National Day make-up Saturday is due on that Saturday, a working day.
func TestMakeUpSaturdayCounts(t *testing.T) {
	filed := cst(time.October, 9, 17, 30)
	h := newHarness(t, filed, "P1")
	due := h.cal.Add(filed, time.Hour)
	if d := due.In(followupTZ()); d.Weekday() != time.Saturday || d.Day() != 10 {
		t.Fatalf("the deadline %v should fall on the make-up Saturday", d)
	}
	h.sides("first_response", due)
	h.run(due.Add(time.Hour))
}

// TestPauseOverWeekendWithPriorityRaised: a case waits for the customer from
// Friday afternoon to Monday morning and is raised to P2 on the Saturday;
// the resolution deadline is the anchor plus the P2 budget plus exactly the
// business time on hold, and the follow-up opened when the clock runs again
// is due then.
func TestPauseOverWeekendWithPriorityRaised(t *testing.T) {
	filed := cst(time.November, 6, 10, 0) // a Friday
	h := newHarness(t, filed, "P3")
	pause, resume := cst(time.November, 6, 16, 0), cst(time.November, 9, 10, 0)
	h.send(cst(time.November, 6, 10, 30), &servicev1.CaseCommand{Op: "reply", Direction: "outbound", Body: "We are on it", Actor: "svc-sam"}, "")
	h.send(pause, &servicev1.CaseCommand{Op: "state", ToState: "pending_customer", Actor: "svc-sam"}, "")
	h.send(cst(time.November, 7, 10, 0), &servicev1.CaseCommand{Op: "priority", Priority: "P2", Reason: "line stopped", Actor: "svc-sam"}, "")
	h.send(resume, &servicev1.CaseCommand{Op: "reply", Direction: "inbound", Body: "Photos attached", Actor: "contact"}, "")
	held := h.cal.Between(pause, resume)
	if held != 3*time.Hour && held <= 0 {
		t.Fatalf("held %v", held)
	}
	due := h.cal.Add(filed, 24*time.Hour+held)
	h.at(cst(time.November, 8, 12, 0), func() {
		if v := h.sla("resolution"); v.GetState() != "paused" {
			t.Errorf("resolution on Sunday: %s, want paused", v.GetState())
		}
	})
	h.sides("resolution", due)
	h.run(due.Add(time.Hour))
	if r := h.cases.last("first_response"); r.GetState() != "met" {
		t.Errorf("first response %s, want met by the reply", r.GetState())
	}
	var last *struct{ due, anchor time.Time }
	for _, f := range h.opened() {
		if f.GetSpec().GetKind() == policy.KindServiceResolution {
			last = &struct{ due, anchor time.Time }{f.GetDueAt().AsTime(), f.GetSpec().GetAnchorAt().AsTime()}
		}
	}
	if last == nil || !last.due.Equal(due) {
		t.Errorf("the resolution follow-up opened after the hold is due %v, want %v", last, due)
	}
}

// TestReopenWindow: a resolved case reopens within the window (its
// resolution clock runs again) and not after it.
func TestReopenWindow(t *testing.T) {
	filed := cst(time.November, 2, 9, 0)
	h := newHarness(t, filed, "P3")
	h.engine.PutPolicy(policy.ServiceReopenWindow, 2, time.Time{}, policy.Value{Timer: &policy.Timer{Duration: policy.Duration(24 * time.Hour), Clock: policy.ClockCalendar}})
	h.send(cst(time.November, 2, 10, 0), &servicev1.CaseCommand{Op: "state", ToState: "resolved", Reason: "replaced the seal", Actor: "svc-sam"}, "")
	h.send(cst(time.November, 2, 15, 0), &servicev1.CaseCommand{Op: "reopen", Reason: "still leaks", Actor: "svc-sam"}, "")
	h.at(cst(time.November, 2, 15, 1), func() {
		if v := h.sla("resolution"); v.GetState() != "running" {
			t.Errorf("resolution after reopening: %s, want running", v.GetState())
		}
	})
	h.send(cst(time.November, 2, 16, 0), &servicev1.CaseCommand{Op: "state", ToState: "resolved", Reason: "new pump", Actor: "svc-sam"}, "")
	h.send(cst(time.November, 3, 16, 1), &servicev1.CaseCommand{Op: "reopen", Reason: "leaks again", Actor: "svc-sam"}, "reopen_window_passed")
	h.send(cst(time.November, 3, 16, 2), &servicev1.CaseCommand{Op: "state", ToState: "open", Actor: "svc-sam"}, "use_reopen")
	h.run(cst(time.November, 20, 0, 0))
	if got := h.cases.c.GetState(); got != "closed" {
		t.Errorf("state %s, want closed by itself after the automatic-close period", got)
	}
	// The customer's history tells the case's life, each change once.
	if got := strings.Join(h.cases.order, " "); got != "filed resolved reopened resolved closed" {
		t.Errorf("customer history %q", got)
	}
	// The survey goes out once, the policy's delay (2 hours) after the close.
	closed := h.cases.c.GetClosedAt().AsTime()
	if s := h.cases.surveys; len(s) != 1 || !s[0].Equal(closed.Add(2*time.Hour)) {
		t.Errorf("surveys issued at %v, want once at %v", s, closed.Add(2*time.Hour))
	}
}

// TestLadderRaisesPriority: a missed first response is reminded, escalated
// and then raised one level; the raised case is chased under its new
// priority.
func TestLadderRaisesPriority(t *testing.T) {
	filed := cst(time.November, 2, 9, 0)
	h := newHarness(t, filed, "P3")
	h.run(cst(time.November, 5, 18, 0))
	if got := h.cases.c.GetPriority(); got != "P2" && got != "P1" {
		t.Errorf("priority %s, want raised by the ladder", got)
	}
	steps := h.stepsOf(policy.KindServiceResponse)
	for _, want := range []string{"remind@", "escalate_manager@", "raise_priority@"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps %s, want %s", steps, want)
		}
	}
	// The breached target is chased by one follow-up through the raise:
	// no burst of steps for a deadline long past.
	n := 0
	for _, f := range h.opened() {
		if f.GetSpec().GetKind() == policy.KindServiceResponse {
			n++
		}
	}
	if n != 1 || strings.Count(steps, "remind@") != 1 {
		t.Errorf("%d first-response follow-ups opened, steps %s: want one follow-up, reminded once", n, steps)
	}
}
