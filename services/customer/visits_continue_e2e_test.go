package customer_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/workflows/visit"
)

// TestVisitContinuesAsNewThroughAPI, on the Temporal dev server: a
// customer-day whose workflow continues as new after every second decided
// update (continue_as_new_after 2, set by this test's update-with-start of
// the first request, on the customer service's queue as the API starts
// new days; the API's own start leaves it at the server's suggestion). The API's later requests — update-with-start, conflict policy
// USE_EXISTING — and its cancellation reach whichever run is current: a
// join, a repeat, a decline and another join are each answered against the
// one booked visit across three runs, and the cancellation frees the day.
func TestVisitContinuesAsNewThroughAPI(t *testing.T) {
	s, _, _ := visitStack(t, testenv.Postgres, true)
	cust := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
	day := weekdayAhead(3)
	id := wfc.VisitWorkflowID(cust, day)
	c := s.app.Deps().Temporal
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Run 1 starts with rep-ana's booking.
	d0, _ := time.Parse(visit.DayLayout, day)
	start := d0.Add(10 * time.Hour)
	booked, run1 := startDay(t, c, customerc.TaskQueue, &visit.Input{CustomerId: cust, Day: day, Team: "north", Region: "north", ContinueAsNewAfter: 2},
		&visit.Request{CustomerId: cust, Day: day, RequesterId: repAna, Team: "north", Department: visit.DeptSales,
			Purpose: "renewal", StartAt: visit.Stamp(start), EndAt: visit.Stamp(start.Add(time.Hour))})
	if booked.Outcome != visit.OutcomeBooked {
		t.Fatalf("booking: %v", booked)
	}

	ask := func(user, dept string, join bool, outcome string, repeat bool) {
		t.Helper()
		want := 200
		if outcome == visit.OutcomeBooked && !repeat {
			want = 201
		}
		a := s.vmust(t, want, "POST", "/v1/customers/"+cust+"/visits", user, map[string]any{
			"day": day, "department": dept, "purpose": "asks as " + user, "start_time": "14:00", "join": join})
		if a["outcome"] != outcome || (a["repeat"] == true) != repeat {
			t.Fatalf("%s (join %v): %v, want %s repeat %v", user, join, a, outcome, repeat)
		}
		if v, _ := a["visit"].(map[string]any); v == nil || v["id"] != booked.VisitId {
			t.Fatalf("%s was answered about another visit: %v", user, a)
		}
	}
	ask(mgrMia, visit.DeptService, true, visit.OutcomeJoined, false) // run 1's second update: it continues as new
	ask(repAna, visit.DeptSales, false, visit.OutcomeBooked, true)   // run 2
	ask(admin, visit.DeptMarketing, false, visit.OutcomeOffered, false)
	ask(admin, visit.DeptMarketing, true, visit.OutcomeJoined, false) // run 3

	// Three runs: run 1 and run 2 continued as new, run 3 is running.
	next := func(run string) string {
		t.Helper()
		it := c.GetWorkflowHistory(ctx, id, run, false, enums.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		can := ev.GetWorkflowExecutionContinuedAsNewEventAttributes()
		if can == nil {
			t.Fatalf("run %s ended with %v, want continued as new", run, ev.GetEventType())
		}
		return can.GetNewExecutionRunId()
	}
	run2 := next(run1)
	run3 := next(run2)
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	if info := desc.GetWorkflowExecutionInfo(); info.GetExecution().GetRunId() != run3 || info.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("the current run is %s (%v), want run 3 %s running", info.GetExecution().GetRunId(), info.GetStatus(), run3)
	}
	// For the replay test: run 2, from its carried input to its
	// continue-as-new, and run 3, still waiting for the visit (the files
	// without a suffix: recorded before a hosted run decided its requests
	// against the stored day; -decided: before it settled its requests
	// before waiting for the day's end; kept).
	testenv.SaveRunHistory(t, c, id, run2, "../../workflows/testdata/visit-continues-as-new-settled.json")
	testenv.SaveHistory(t, c, id, "../../workflows/testdata/visit-continued-as-new-settled.json")

	vs := items(s.vmust(t, 200, "GET", "/v1/customers/"+cust+"/visits", admin, nil))
	if len(vs) != 1 || vs[0]["id"] != booked.VisitId {
		t.Fatalf("the customer's visits: %v", vs)
	}
	v := s.vmust(t, 200, "GET", "/v1/visits/"+booked.VisitId, admin, nil)
	var who []string
	for _, p := range v["participants"].([]any) {
		who = append(who, p.(map[string]any)["user_id"].(string))
	}
	if len(who) != 3 || who[0] != repAna || !contains(who, mgrMia) || !contains(who, admin) {
		t.Fatalf("participants %v, want rep-ana (booker), mgr-mia and admin-ada once each", who)
	}

	// The cancellation reaches the current run; the day is free again.
	s.vmust(t, 200, "POST", "/v1/visits/"+booked.VisitId+"/cancel", repAna, map[string]any{"reason": "customer asked"})
	if v := s.vmust(t, 200, "GET", "/v1/visits/"+booked.VisitId, admin, nil); v["status"] != visit.StatusCancelled {
		t.Fatalf("after the cancellation: %v", v["status"])
	}
	again := s.vmust(t, 201, "POST", "/v1/customers/"+cust+"/visits", mgrMia, map[string]any{
		"day": day, "department": visit.DeptService, "purpose": "after the cancellation", "start_time": "14:00"})
	if again["outcome"] != visit.OutcomeBooked || again["visit"].(map[string]any)["id"] == booked.VisitId {
		t.Fatalf("booking the freed day: %v", again)
	}
}
