package sales_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
)

// TestLeadContinuesAsNewThroughAPI, on the Temporal dev server: a lead whose
// workflow continues as new after every decided update (continue_as_new_after
// 1, set by this test's start; the API's own start leaves it at the server's
// suggestion). The API's reassignment, first contact and disqualification —
// updates sent by workflow id — reach whichever run is current; the new
// owner's first-contact follow-up, opened in run 1, is resumed by run 2 (the
// API's live escalation view answers from it) and closed by the contact,
// once; the lead's timeline holds every step once.
func TestLeadContinuesAsNewThroughAPI(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	s := newStack(t, testenv.Postgres, stackOpts{temporal: hostPort, namespace: namespace})
	s.northSteel(10)
	c := s.sales.App.Deps().Temporal
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	id := uuid.NewString()
	wid := wfc.LeadWorkflowID(id)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: wfc.TaskQueue}, wfc.WorkflowLead, &salesv1.LeadInput{
		ContinueAsNewAfter: 1, Lead: &salesv1.LeadData{Id: id, Source: "web", CompanyName: companyName("Long Haul"), Region: "north",
			Industry: "steel", ReceivedAt: timestamppb.Now(), CreatedBy: mgrMia}})
	if err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	eventually(t, "the lead is assigned", 30*time.Second, func() bool {
		r := s.api("GET", "/v1/leads/"+id, mgrMia, nil)
		if r.status != 200 {
			return false
		}
		l = r.json(t)
		return l["owner_id"] == repAna
	})
	escalation := func(user string) map[string]any {
		var esc map[string]any
		eventually(t, "the follow-up is open", 30*time.Second, func() bool {
			esc = s.must(200, "GET", "/v1/leads/"+id+"/escalation", user, nil)
			return esc["follow_up_id"] != nil && esc["due_at"] != nil
		})
		return esc
	}
	anaFU := escalation(repAna)["follow_up_id"].(string)

	// Run 1's one decided update: the run continues as new once rep-cy's
	// follow-up is open.
	if r := s.must(200, "POST", "/v1/leads/"+id+"/reassign", mgrMia, map[string]any{"to_owner_id": repCy, "reason": "ana is on leave"}); r["owner_id"] != repCy {
		t.Fatalf("reassigned %v", r)
	}
	next := func(run string) string {
		t.Helper()
		var newRun string
		eventually(t, "run "+run+" continues as new", 30*time.Second, func() bool {
			it := c.GetWorkflowHistory(ctx, wid, run, false, enums.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
			ev, err := it.Next()
			if err != nil {
				return false
			}
			can := ev.GetWorkflowExecutionContinuedAsNewEventAttributes()
			if can == nil {
				t.Fatalf("run %s ended with %v, want continued as new", run, ev.GetEventType())
			}
			newRun = can.GetNewExecutionRunId()
			return true
		})
		return newRun
	}
	run2 := next(run.GetRunID())
	esc := escalation(repCy) // answered by run 2, from the follow-up run 1 opened
	cyFU := esc["follow_up_id"].(string)
	if cyFU == anaFU || esc["owner_id"] != repCy || esc["next_action"] != "remind" {
		t.Fatalf("escalation in run 2: %v", esc)
	}
	// Run 2's decided update: the first contact closes the resumed follow-up.
	if r := s.must(200, "POST", "/v1/leads/"+id+"/contacts", repCy, map[string]any{"channel": "call", "summary": "needs steel beams"}); r["state"] != "contacted" {
		t.Fatalf("after contact %v", r)
	}
	eventually(t, "rep-cy's follow-up closes", 30*time.Second, func() bool {
		return s.call(s.customer.Base, "GET", "/v1/follow-ups/"+cyFU, mgrMia, nil).json(t)["state"] == "done"
	})
	if st := s.call(s.customer.Base, "GET", "/v1/follow-ups/"+anaFU, mgrMia, nil).json(t)["state"]; st != "cancelled" {
		t.Errorf("rep-ana's follow-up is %v, want cancelled", st)
	}
	run3 := next(run2)
	// Run 3: the disqualification ends the lead.
	s.must(200, "POST", "/v1/leads/"+id+"/disqualify", repCy, map[string]any{"reason": "no budget"})
	var out salesv1.LeadSnapshot
	if err := c.GetWorkflow(ctx, wid, run3).Get(ctx, &out); err != nil || out.GetState() != "disqualified" {
		t.Fatalf("run 3 ended with %v, %v", &out, err)
	}
	tl := s.must(200, "GET", "/v1/leads/"+id+"/timeline", mgrMia, nil)["items"].([]any)
	var kinds []string
	for _, e := range tl {
		kinds = append(kinds, e.(map[string]any)["kind"].(string))
	}
	if got := strings.Join(kinds, ","); got != "created,assigned,reassigned,first_contact,disqualified" {
		t.Fatalf("timeline %s", got)
	}
	// For the replay test: run 1 (started fresh, continues as new after the
	// reassignment) and run 2 (resumes the follow-up, continues as new after
	// the contact).
	testenv.SaveRunHistory(t, c, wid, run.GetRunID(), filepath.Join(historiesDir, "lead-continues-as-new-run1.json"))
	testenv.SaveRunHistory(t, c, wid, run2, filepath.Join(historiesDir, "lead-continues-as-new-run2.json"))
}
