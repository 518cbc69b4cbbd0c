package customer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/visit"
)

// TestVisitWorkflowStartsWithTheRequestsResolution: a run started with the
// resolution the API made (Input.resolved: a 3-hour reminder here, where
// the engine's default is 24 hours) runs no ResolvePolicies activity and
// reminds by it; one it cannot use (no calendar in it), or none, is
// resolved by the run as before (the engine's 24 hours).
func TestVisitWorkflowStartsWithTheRequestsResolution(t *testing.T) {
	spec, err := json.Marshal(calendar.China2026(followuptest.Shanghai))
	if err != nil {
		t.Fatal(err)
	}
	threeHours := &followupv1.ResolvedPolicy{Name: policy.VisitReminder, Version: 2,
		ValueJson: policy.Value{Timer: &policy.Timer{Duration: policy.Duration(3 * time.Hour), Clock: policy.ClockCalendar}}.MustJSON()}
	for _, c := range []struct {
		name     string
		resolved *followupv1.ResolvePoliciesResult
		resolves int
		before   time.Duration
	}{
		{"usable", &followupv1.ResolvePoliciesResult{AssignedCalendar: followuptest.Calendar, Policies: []*followupv1.ResolvedPolicy{threeHours},
			Calendars: []*followupv1.ResolvedCalendar{{Name: followuptest.Calendar, Version: 1, SpecJson: spec}}}, 0, 3 * time.Hour},
		{"without its calendar", &followupv1.ResolvePoliciesResult{AssignedCalendar: followuptest.Calendar, Policies: []*followupv1.ResolvedPolicy{threeHours}}, 1, 24 * time.Hour},
		{"absent", nil, 1, 24 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := vcst(time.September, 28, 9, 0) // Monday
			h := newVisitHarness(t, start)
			const day = "2026-09-29"
			visitStart := vcst(time.September, 29, 16, 0)
			remind := visitStart.Add(-c.before)
			resolves := 0
			h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				if info.ActivityType.Name == followupc.ActivityResolvePolicies {
					resolves++
				}
			})
			var booked, cancelled *vOutcome
			h.at(start, func() {
				booked = h.send(wfc.UpdateVisitRequest, h.request(day, "rep-ana", visit.DeptSales, visitStart, false))
			})
			visitID := func() string { return h.rows()[0].ID }
			h.at(remind.Add(-time.Minute), func() {
				if n := h.count(visitID(), "reminder"); n != 0 {
					t.Errorf("a minute before %s: %d reminders", remind.In(visitShanghai), n)
				}
			})
			h.at(remind.Add(time.Second), func() {
				if n := h.count(visitID(), "reminder"); n != 1 {
					t.Errorf("just after %s: %d reminders, want 1", remind.In(visitShanghai), n)
				}
				cancelled = h.send(wfc.UpdateVisitCancel, &visit.Cancel{VisitId: visitID(), Actor: "rep-ana", Reason: "done testing"})
			})
			in := h.input(day)
			in.Resolved = c.resolved
			h.env.ExecuteWorkflow(wfc.WorkflowVisit, in)
			if err := h.env.GetWorkflowError(); err != nil {
				t.Fatalf("workflow: %v", err)
			}
			if d := h.decision(booked); d.Outcome != visit.OutcomeBooked {
				t.Fatalf("request: %+v", d)
			}
			if cancelled == nil || !cancelled.done || cancelled.err != nil {
				t.Fatalf("cancel: %+v", cancelled)
			}
			if resolves != c.resolves {
				t.Errorf("ResolvePolicies ran %d times, want %d", resolves, c.resolves)
			}
		})
	}
}
