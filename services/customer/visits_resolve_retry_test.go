package customer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/visit"
)

// TestVisitBookedWhileTheResolutionFails: a new customer-day books its
// first request while the reminder policy and calendar are resolved. When
// that resolution is refused (here: the engine answers not_found once), the
// booked visit is not dropped with a failed run: the workflow tries again a
// minute later, then reminds the visitor as usual; nothing is booked twice.
func TestVisitBookedWhileTheResolutionFails(t *testing.T) {
	start := vcst(time.September, 29, 9, 0) // Tuesday
	h := newVisitHarness(t, start)
	const day = "2026-09-30"
	visitStart := vcst(time.September, 30, 16, 0)
	calRaw, err := json.Marshal(calendar.China2026(followuptest.Shanghai))
	if err != nil {
		t.Fatal(err)
	}
	var reminder []byte
	for _, d := range policy.Catalogue() {
		if d.Name == policy.VisitReminder {
			reminder = d.Default.MustJSON()
		}
	}
	var calls []time.Time
	h.env.OnActivity(followupc.ActivityResolvePolicies, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in *followupv1.ResolvePoliciesInput) (*followupv1.ResolvePoliciesResult, error) {
			calls = append(calls, h.env.Now())
			if len(calls) == 1 {
				return nil, temporal.NewNonRetryableApplicationError("no version of "+policy.VisitReminder, "not_found", nil)
			}
			return &followupv1.ResolvePoliciesResult{AssignedCalendar: followuptest.Calendar,
				Calendars: []*followupv1.ResolvedCalendar{{Name: followuptest.Calendar, Version: 1, SpecJson: calRaw}},
				Policies:  []*followupv1.ResolvedPolicy{{Name: policy.VisitReminder, Version: 1, ValueJson: reminder}}}, nil
		})
	var booked *vOutcome
	h.at(start, func() {
		booked = h.send(wfc.UpdateVisitRequest, h.request(day, "rep-ana", visit.DeptSales, visitStart, false))
	})
	h.at(visitStart.Add(-23*time.Hour), func() { // past the reminder (24 h before): told once
		if n := h.count(h.rows()[0].ID, "reminder"); n != 1 {
			t.Errorf("after the reminder time: %d reminders, want 1", n)
		}
		h.send(wfc.UpdateVisitCancel, &visit.Cancel{Actor: "rep-ana", Reason: "end of test"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("the run failed with the resolution: %v", err)
	}
	if d := h.decision(booked); d.Outcome != visit.OutcomeBooked {
		t.Fatalf("first request: %+v", d)
	}
	if len(calls) != 2 || calls[1].Sub(calls[0]) != time.Minute {
		t.Errorf("resolutions at %v, want two a minute apart", calls)
	}
	if rows := h.rows(); len(rows) != 1 {
		t.Errorf("%d visits stored, want 1", len(rows))
	}
}
