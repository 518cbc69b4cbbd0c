package service_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

// repCy is a sales rep of team north with nothing to do with the slips.
const repCy = "rep-cy"

// register makes users known to the user directory (it learns people from
// their verified requests), as they would be once they have signed in.
func (s *stack) register(users ...string) {
	s.t.Helper()
	for _, u := range users {
		if r := s.call(s.customer.Base, "GET", "/v1/customers?limit=1", u, nil); r.status != http.StatusOK {
			s.t.Fatalf("%s signing in: %d %s", u, r.status, r.body)
		}
	}
}

// slip sends a slip as user about customer to the recipients and returns
// it, failing the test unless 201.
func (s *stack) slip(user, customer string, recipients ...map[string]any) map[string]any {
	s.t.Helper()
	return s.must(http.StatusCreated, "POST", "/v1/slips", user, map[string]any{
		"customer_id": customer, "subject": "Competitor offered 10% off", "body": "Heard on the visit today.",
		"category": "competitor", "urgency": "high", "recipients": recipients})
}

func dept(name, team string) map[string]any {
	return map[string]any{"kind": "department", "department": name, "team": team}
}

func person(user string) map[string]any { return map[string]any{"kind": "person", "user_id": user} }

// part is recipient n of a slip as the API shows it.
func part(slip map[string]any, n int) map[string]any {
	for _, r := range slip["recipients"].([]any) {
		if m := r.(map[string]any); int(m["n"].(float64)) == n {
			return m
		}
	}
	return nil
}

// slipKinds lists a slip's timeline entry kinds, oldest first.
func (s *stack) slipKinds(id string) []string {
	s.t.Helper()
	var out []string
	for _, e := range s.must(http.StatusOK, "GET", "/v1/slips/"+id+"/timeline?limit=200", admin, nil)["items"].([]any) {
		out = append(out, e.(map[string]any)["kind"].(string))
	}
	return out
}

// eventually polls fn until it is true or 20 seconds passed.
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !fn(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 20 s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A slip to three departments on the real Temporal server and both
// databases: each department's manager routes its part to a person, each
// acknowledges and reports what it did, the originator's confirmation is
// refused until all three are done and closes the slip then. Each refused
// change answers its code and changes nothing; people out of scope get 404
// on every route of the slip.
func TestSlipToThreeDepartmentsClosesWhenAllAreDone(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStackWithWorkflows(t, b.DSN)
			s.register(repAna, repBo, svcSam, svcSue, svcOz, mktMo, mgrMona, mgrMax, mgrMia, repCy)
			cust := s.customerOf(repAna)
			sl := s.slip(repAna, cust, dept("service", ""), dept("marketing", ""), dept("sales", "south"))
			id := sl["id"].(string)
			if sl["state"] != "open" || part(sl, 1)["team"] != "service" || part(sl, 3)["team"] != "south" {
				t.Fatalf("sent: %v", sl)
			}
			// Each department's part is chased from the start (the workflow
			// opened its acknowledgement's follow-up).
			eventually(t, "every part chased", func() bool {
				g := s.must(http.StatusOK, "GET", "/v1/slips/"+id, repAna, nil)
				for n := 1; n <= 3; n++ {
					if part(g, n)["follow_up_id"] == nil {
						return false
					}
				}
				return true
			})

			// Refusals: nothing changes.
			before := s.must(http.StatusOK, "GET", "/v1/slips/"+id, admin, nil)["version"]
			for _, c := range []struct {
				user, path string
				body       map[string]any
				status     int
				code       string
			}{
				{svcSam, "/recipients/1/acknowledge", map[string]any{}, http.StatusNotFound, "slip_not_found"},    // not routed to him yet: not his slip
				{svcSue, "/recipients/1/acknowledge", map[string]any{}, http.StatusForbidden, "slip_not_allowed"}, // his manager routes, does not act
				{svcSue, "/recipients/1/route", map[string]any{"user_id": "svc-oz"}, http.StatusUnprocessableEntity, "not_in_team"},
				{repAna, "/confirm", map[string]any{}, http.StatusConflict, "slip_not_done"},
				{repAna, "/recipients/9/dismiss", map[string]any{"reason": "x"}, http.StatusUnprocessableEntity, "recipient_not_found"},
				{mgrMona, "/recipients/1/route", map[string]any{"user_id": mktMo}, http.StatusForbidden, "slip_not_allowed"},
			} {
				r := s.api("POST", "/v1/slips/"+id+c.path, c.user, c.body)
				if r.status != c.status || (r.code(t) != c.code && r.fields(t)["user_id"] != c.code && r.fields(t)["recipient"] != c.code) {
					t.Errorf("%s %s: %d %s, want %d %s", c.user, c.path, r.status, r.body, c.status, c.code)
				}
			}
			if after := s.must(http.StatusOK, "GET", "/v1/slips/"+id, admin, nil)["version"]; after != before {
				t.Errorf("refused changes moved the slip from version %v to %v", before, after)
			}

			s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/recipients/1/route", svcSue, map[string]any{"user_id": svcSam})
			s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/recipients/2/route", mgrMona, map[string]any{"user_id": mgrMona})
			s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/recipients/3/route", mgrMax, map[string]any{"user_id": repBo})
			s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/recipients/1/acknowledge", svcSam, map[string]any{})
			if r := s.api("POST", "/v1/slips/"+id+"/recipients/1/acknowledge", svcSam, map[string]any{}); r.status != http.StatusConflict || r.code(t) != "already_acknowledged" {
				t.Errorf("acknowledging twice: %d %s", r.status, r.body)
			}
			if r := s.api("POST", "/v1/slips/"+id+"/recipients/1/reject", svcSam, map[string]any{}); r.status != http.StatusUnprocessableEntity {
				t.Errorf("rejecting without a reason: %d %s", r.status, r.body)
			}
			s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/recipients/1/done", svcSam, map[string]any{"note": "called the customer back"})
			s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/recipients/2/done", mgrMona, map[string]any{"note": "matched offer in the mailing"})
			if r := s.api("POST", "/v1/slips/"+id+"/confirm", repAna, map[string]any{}); r.status != http.StatusConflict || r.code(t) != "slip_not_done" {
				t.Errorf("confirming with sales not done: %d %s", r.status, r.body)
			}
			done := s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/recipients/3/done", repBo, map[string]any{"note": "visited; price held"})
			if done["all_done_at"] == nil {
				t.Errorf("every part done, yet all_done_at is %v", done["all_done_at"])
			}
			closed := s.must(http.StatusOK, "POST", "/v1/slips/"+id+"/confirm", repAna, map[string]any{})
			if closed["state"] != "closed" || closed["closed_by"] != repAna {
				t.Errorf("confirmed: %s by %v", closed["state"], closed["closed_by"])
			}
			want := []string{"created", "routed", "routed", "routed", "acknowledged", "done", "done", "done", "closed"}
			if got := s.slipKinds(id); !slices.Equal(got, want) {
				t.Errorf("timeline %v, want %v", got, want)
			}
			// Every chase ends with the slip (the workflow ends).
			eventually(t, "the workflow closes every chase", func() bool {
				g := s.must(http.StatusOK, "GET", "/v1/slips/"+id, repAna, nil)
				for n := 1; n <= 3; n++ {
					if part(g, n)["follow_up_id"] != nil {
						return false
					}
				}
				return true
			})

			if b.Name == "postgres" {
				// Recorded for the workflows' replay test (UPDATE_HISTORIES=1).
				eventually(t, "the closed slip's workflow ends", func() bool {
					d, err := s.service.App.Deps().Temporal.DescribeWorkflowExecution(context.Background(), wfc.InfoSlipWorkflowID(id), "")
					return err == nil && d.GetWorkflowExecutionInfo().GetCloseTime() != nil
				})
				testenv.SaveHistory(t, s.service.App.Deps().Temporal, wfc.InfoSlipWorkflowID(id), "../../workflows/infoslip/testdata/slip-three-departments.json")
			}

			// BOLA: people with nothing to do with it see nothing of it.
			for _, u := range []string{repCy, mgrWes, analyst} {
				for _, path := range []string{"", "/timeline"} {
					if r := s.api("GET", "/v1/slips/"+id+path, u, nil); r.status != http.StatusNotFound {
						t.Errorf("%s GET %s: %d", u, path, r.status)
					}
				}
				for _, path := range []string{"/recipients/1/acknowledge", "/recipients/1/done", "/recipients/1/reject", "/recipients/1/forward",
					"/recipients/1/route", "/recipients/1/reroute", "/recipients/1/dismiss", "/recipients/1/object", "/recipients",
					"/confirm", "/withdraw"} {
					if r := s.api("POST", "/v1/slips/"+id+path, u, map[string]any{}); r.status != http.StatusNotFound {
						t.Errorf("%s POST %s: %d %s", u, path, r.status, r.body)
					}
				}
			}
			if r := s.api("POST", "/v1/slips/"+id+"/withdraw", repAna, map[string]any{}); r.status != http.StatusConflict || r.code(t) != "slip_closed" {
				t.Errorf("withdrawing a closed slip: %d %s", r.status, r.body)
			}
		})
	}
}

// Twenty recipients acknowledging one slip at once leave one consistent
// slip: every part acknowledged once, one timeline entry each, the version
// moved by twenty.
func TestTwentyRecipientsAcknowledgeAtOnce(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStackWithWorkflows(t, b.DSN)
			s.register(append([]string{repAna}, slipCrowd...)...)
			var rs []map[string]any
			for _, u := range slipCrowd {
				rs = append(rs, person(u))
			}
			sl := s.slip(repAna, s.customerOf(repAna), rs...)
			id := sl["id"].(string)
			var wg sync.WaitGroup
			errs := make(chan string, len(slipCrowd))
			for i, u := range slipCrowd {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := s.api("POST", fmt.Sprintf("/v1/slips/%s/recipients/%d/acknowledge", id, i+1), u, map[string]any{})
					if r.status != http.StatusOK {
						errs <- fmt.Sprintf("%s: %d %s", u, r.status, r.body)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
			g := s.must(http.StatusOK, "GET", "/v1/slips/"+id, repAna, nil)
			for n := 1; n <= len(slipCrowd); n++ {
				if p := part(g, n); p["state"] != "acknowledged" || p["user_id"] != slipCrowd[n-1] {
					t.Errorf("part %d: %v", n, p)
				}
			}
			if v := g["version"].(float64); v != float64(1+len(slipCrowd)) {
				t.Errorf("version %v, want %d", v, 1+len(slipCrowd))
			}
			if b.Name == "postgres" {
				testenv.SaveHistory(t, s.service.App.Deps().Temporal, wfc.InfoSlipWorkflowID(id), "../../workflows/infoslip/testdata/slip-twenty-acknowledge.json")
			}
			kinds := s.slipKinds(id)
			if n := count(kinds, "acknowledged"); n != len(slipCrowd) {
				t.Errorf("%d acknowledged entries, want %d: %v", n, len(slipCrowd), kinds)
			}
		})
	}
}
