package customer_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer/internal/visits"
	"github.com/closeloop/closeloop/services/customer/internal/visits/app"
	"github.com/closeloop/closeloop/workflows/visit"
)

// TestVisitRequestDecidedInAFailedWorkflowTaskIsAnsweredAsStored: a hosted
// customer-day writes its decisions as local activities, so a workflow task
// that fails after they ran leaves them stored and unknown to the run, and
// the server has the task's requests sent again in any order. Here the
// failed attempt is played by the activities themselves: mgr-mia's request
// — she declines to join ana's visit — decided and its offer recorded, the
// run told nothing. Then her join comes first (she joins), then her first
// request again (same Idempotency-Key, so the same update id): it is
// answered offered, the day stored for it — not "you already join", which
// the run's own state would say — and the visit keeps one offer, two
// participants. PostgreSQL.
func TestVisitRequestDecidedInAFailedWorkflowTaskIsAnsweredAsStored(t *testing.T) {
	s, _, _ := visitStack(t, testenv.Postgres, true)
	cust := s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
	day := weekdayAhead(3)
	path := "/v1/customers/" + cust + "/visits"
	booked := s.vmust(t, 201, "POST", path, repAna, map[string]any{"day": day, "department": "sales", "purpose": "renewal", "start_time": "10:00"})
	visitID := booked["visit"].(map[string]any)["id"].(string)

	key := "declined-" + visitID
	reqID := app.UpdateID(key, mgrMia, wfc.VisitWorkflowID(cust, day), wfc.UpdateVisitRequest)
	acts := visits.Activities{Store: visits.NewStore(s.app.Deps().DB)}
	now := time.Now().UTC()
	start := visit.Stamp(now.Add(72 * time.Hour))
	req := &visit.Request{CustomerId: cust, Day: day, RequesterId: mgrMia, Department: visit.DeptService, Purpose: "installation",
		StartAt: start, EndAt: start, Team: "north"}
	ctx := context.Background()
	// Bad input is refused, not retried, and stores nothing.
	for i, bad := range []*visit.DecideInput{{}, {Request: req}, {Request: req, Book: &visit.BookInput{RequestId: "r", CustomerId: cust, Day: day,
		StartAt: "soon", EndAt: start, At: start}}} {
		var ae *temporal.ApplicationError
		if _, err := acts.DecideVisitRequest(ctx, bad); !errors.As(err, &ae) || !ae.NonRetryable() {
			t.Fatalf("bad input %d: %v, want a non-retryable refusal", i, err)
		}
	}
	d, err := acts.DecideVisitRequest(ctx, &visit.DecideInput{Request: req, Book: &visit.BookInput{VisitId: "failed-attempt",
		WorkflowId: wfc.VisitWorkflowID(cust, day), RequestId: reqID, CustomerId: cust, Day: day, StartAt: start, EndAt: start,
		BookedBy: mgrMia, Team: "north", Department: visit.DeptService, Purpose: "installation", At: visit.Stamp(now)}})
	if err != nil || d.Outcome != visit.DecidedOffer || d.VisitId != visitID {
		t.Fatalf("the failed attempt's decision: %+v, %v; want offer on %s", d, err, visitID)
	}
	const offeredDay = "2099-01-02" // not what the calendar would give: the answer must be the stored one
	if err := acts.RecordVisitEvent(ctx, &visit.EventInput{Id: visitID + ":offer:" + reqID, VisitId: visitID, Kind: "offered",
		Actor: mgrMia, Summary: mgrMia + " declined to join", Data: map[string]string{"offered_day": offeredDay}, At: visit.Stamp(now)}); err != nil {
		t.Fatal(err)
	}

	joined := s.vmust(t, 200, "POST", path, mgrMia, map[string]any{"day": day, "department": "service", "purpose": "installation", "join": true})
	if joined["outcome"] != visit.OutcomeJoined {
		t.Fatalf("her join: %v", joined)
	}
	again := s.vkeyed(t, path, mgrMia, key, map[string]any{"day": day, "department": "service", "purpose": "installation", "start_time": "10:00"})
	if again["outcome"] != visit.OutcomeOffered || again["offered_day"] != offeredDay || again["repeat"] == true {
		t.Fatalf("her first request again: %v; want offered %s, as stored", again, offeredDay)
	}
	v := s.vmust(t, 200, "GET", "/v1/visits/"+visitID, admin, nil)
	offers := 0
	for _, e := range v["events"].([]any) {
		if e.(map[string]any)["kind"] == "offered" {
			offers++
		}
	}
	if n := len(v["participants"].([]any)); n != 2 || offers != 1 {
		t.Fatalf("%d participants, %d offers; want 2 and 1: %v", n, offers, v)
	}
}

// vkeyed posts body as user with an Idempotency-Key and wants 200.
func (s *stack) vkeyed(t *testing.T, path, user, key string, body any) map[string]any {
	t.Helper()
	r, err := s.vcall("POST", path, user, body, idem.Header, key)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("POST %s as %s with key %s: %d %s (%v)", path, user, key, r.status, r.raw, err)
	}
	return r.body
}
