package customer_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/workflows/visit"
)

// TestVisitHostedByTheCustomerServiceRunsItsActivitiesLocally runs one
// customer-day — a booking, a join, a decline offered the next free day, a
// cancellation refused after the start and the log — on each of the two task
// queues a Visit run can be on: the customer service's own (where the API
// starts new days: the visit activities are local activities of the same
// worker) and the workflow worker's (runs started by an older release: the
// same activities as activity tasks). Both answer and store the same; only
// how the customer service's activities are called differs, and the
// follow-up engine's are remote on both.
func TestVisitHostedByTheCustomerServiceRunsItsActivitiesLocally(t *testing.T) {
	// A hosted run decides its requests against the stored day
	// (DecideVisitRequest); a run on the workflow worker books and joins.
	common := []string{customerc.ActivityVisitBookedDays, customerc.ActivityLogVisit, customerc.ActivityRecordVisitEvent}
	for _, tc := range []struct {
		queue     string
		local     bool
		visitActs []string
	}{
		{customerc.TaskQueue, true, append([]string{customerc.ActivityDecideVisitRequest}, common...)},
		{wfc.TaskQueue, false, append([]string{customerc.ActivityBookVisit, customerc.ActivityJoinVisit}, common...)},
	} {
		t.Run(tc.queue, func(t *testing.T) {
			start := vcst(time.March, 2, 9, 0) // Monday
			h := newVisitHarness(t, start)
			h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: tc.queue})
			starts := testenv.RecordActivityStarts(h.env)
			const day = "2026-03-03"
			visitStart := vcst(time.March, 3, 10, 0)
			var booked, joined, offered, late, logged *vOutcome
			h.at(start, func() {
				booked = h.send(wfc.UpdateVisitRequest, h.request(day, "rep-ana", visit.DeptSales, visitStart, false))
			})
			h.at(start.Add(time.Minute), func() {
				joined = h.send(wfc.UpdateVisitRequest, h.request(day, "svc-sam", visit.DeptService, visitStart, true))
			})
			h.at(start.Add(2*time.Minute), func() {
				offered = h.send(wfc.UpdateVisitRequest, h.request(day, "mkt-mo", visit.DeptMarketing, visitStart, false))
			})
			h.at(visitStart.Add(time.Minute), func() {
				late = h.send(wfc.UpdateVisitCancel, &visit.Cancel{Actor: "rep-ana", Reason: "too late"})
			})
			h.at(visitStart.Add(2*time.Hour), func() {
				logged = h.send(wfc.UpdateVisitLog, &visit.Log{Actor: "rep-ana", Summary: "met the buyer", Outcome: "order expected"})
			})
			h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
			if err := h.env.GetWorkflowError(); err != nil {
				t.Fatalf("workflow: %v", err)
			}
			if d := h.decision(booked); d.Outcome != visit.OutcomeBooked {
				t.Errorf("booking: %+v", d)
			}
			if d := h.decision(joined); d.Outcome != visit.OutcomeJoined {
				t.Errorf("join: %+v", d)
			}
			if d := h.decision(offered); d.Outcome != visit.OutcomeOffered || d.OfferedDay != "2026-03-04" {
				t.Errorf("decline: %+v, want offered 2026-03-04", d)
			}
			if !late.done || late.err == nil {
				t.Errorf("a cancellation after the start was not refused: %+v", late)
			}
			if !logged.done || logged.err != nil {
				t.Errorf("log: %v", logged.err)
			}
			rows := h.rows()
			if len(rows) != 1 || rows[0].Status != visit.StatusDone || rows[0].LogOutcome != "order expected" {
				t.Fatalf("visits %+v", rows)
			}
			if got, want := strings.Join(h.kinds(rows[0].ID), ","), "booked,joined/rep-ana,offered,reminder/rep-ana,reminder/svc-sam,logged"; got != want {
				t.Errorf("timeline %s, want %s", got, want)
			}
			starts.Check(t, tc.local, "customer.", tc.visitActs...)
		})
	}
}
