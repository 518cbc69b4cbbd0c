package customer_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// TestActionsHistoryAndClosingFollowUps runs action plans and logs on a real
// Temporal server and each database, with the follow-up service beside the
// customer service: a plan completed as a logged call closes the rep's open
// first-contact follow-up through the follow-up service's API, as the rep,
// and its workflow; a manager's call from another department is on the same
// history but closes nothing of the rep's; bad input is refused and changes
// nothing; others' customers and actions answer 404.
func TestActionsHistoryAndClosingFollowUps(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			startWorker(t, hostPort, namespace, nil)
			s := newStack(t, b.DSN(t), stackOpts{temporal: hostPort, namespace: namespace})
			c1 := s.create(repAna, company(map[string]any{"contacts": []map[string]any{{"name": "Zhang Min"}}}))
			contact := s.call("GET", "/v1/customers/"+c1+"/contacts", repAna, nil).json(t)["items"].([]any)[0].(map[string]any)["id"].(string)
			other := s.create(repBo, company(map[string]any{"region": "south", "contacts": []map[string]any{{"name": "Other"}}}))
			otherContact := s.call("GET", "/v1/customers/"+other+"/contacts", repBo, nil).json(t)["items"].([]any)[0].(map[string]any)["id"].(string)
			history := func(q string) []any {
				r := s.call("GET", "/v1/customers/"+c1+"/history"+q, repAna, nil)
				if r.status != 200 {
					t.Fatalf("history: %d %s", r.status, r.body)
				}
				return r.json(t)["items"].([]any)
			}

			// Rep Ana plans a call.
			plan := s.call("POST", "/v1/actions", repAna, map[string]any{"kind": "plan", "category": "phone_call", "department": "sales",
				"title": "Call about the tender", "customer_ids": []string{c1}, "contact_ids": []string{contact},
				"planned_for": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
			if plan.status != http.StatusCreated {
				t.Fatalf("plan: %d %s", plan.status, plan.body)
			}
			planID := plan.json(t)["action"].(map[string]any)["id"].(string)

			// Her first-contact follow-up on the customer.
			fu := s.call("POST", "/v1/follow-ups", repAna, map[string]any{"kind": "first_contact", "customer_id": c1, "title": "call the new lead"})
			if fu.status != http.StatusCreated && fu.status != http.StatusAccepted {
				t.Fatalf("follow-up: %d %s", fu.status, fu.body)
			}
			fuID := fu.json(t)["id"].(string)
			stacktest.Eventually(t, "the follow-up is open", 20*time.Second, func() bool {
				r := s.call("GET", "/v1/follow-ups/"+fuID, repAna, nil)
				return r.status == 200 && r.json(t)["state"] != "opening"
			})

			// Bad input: refused, field named, nothing stored.
			before := len(history(""))
			good := map[string]any{"kind": "log", "category": "phone_call", "department": "service", "title": "x", "summary": "y", "customer_ids": []string{c1}}
			with := func(k string, v any) map[string]any {
				m := map[string]any{}
				for kk, vv := range good {
					m[kk] = vv
				}
				if v == nil {
					delete(m, k)
				} else {
					m[k] = v
				}
				return m
			}
			for _, c := range []struct {
				name  string
				user  string
				body  any
				code  int
				field string
			}{
				{"bad kind", mgrMia, with("kind", "wish"), 422, "kind"},
				{"bad category", mgrMia, with("category", "lunch"), 422, "category"},
				{"bad department", mgrMia, with("department", "legal"), 422, "department"},
				{"no customers", mgrMia, with("customer_ids", []string{}), 422, "customer_ids"},
				{"a log without summary", mgrMia, with("summary", nil), 422, "summary"},
				{"done in the future", mgrMia, with("done_at", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), 422, "done_at"},
				{"a plan without a time", mgrMia, with("kind", "plan"), 422, "planned_for"},
				{"a contact of another customer", mgrMia, with("contact_ids", []string{otherContact}), 422, "contact_ids[0]"},
				{"a customer not yours", repBo, good, 422, "customer_ids[0]"},
				{"not an id", mgrMia, with("lead_ids", []string{"lead-7"}), 422, "lead_ids[0]"},
				{"analysts change nothing", analyst, good, 403, ""},
				{"unknown field", mgrMia, with("mood", "happy"), 400, ""},
			} {
				r := s.call("POST", "/v1/actions", c.user, c.body)
				if r.status != c.code || (c.field != "" && !strings.Contains(string(r.body), `"field":"`+c.field+`"`)) {
					t.Errorf("%s: %d %s (want %d, field %q)", c.name, r.status, r.body, c.code, c.field)
				}
			}
			if n := len(history("")); n != before {
				t.Fatalf("bad input stored actions: %d before, %d after", before, n)
			}

			// The manager logs a service call: on the history, but Ana's
			// first-contact follow-up is hers to answer.
			m := s.call("POST", "/v1/actions", mgrMia, good)
			if m.status != http.StatusCreated || len(m.json(t)["closed_follow_ups"].([]any)) != 0 {
				t.Fatalf("manager's log: %d %s", m.status, m.body)
			}
			// Ana completes her planned call: the follow-up closes.
			done := s.call("POST", "/v1/actions/"+planID+"/complete", repAna, map[string]any{"summary": "they want three cranes", "next_step": "send an offer"})
			if done.status != 200 {
				t.Fatalf("complete: %d %s", done.status, done.body)
			}
			closed := done.json(t)["closed_follow_ups"].([]any)
			if len(closed) != 1 || closed[0].(map[string]any)["id"] != fuID {
				t.Fatalf("closed %v", closed)
			}
			// Closed in the follow-up service, as Ana: the customer service
			// called it with her token.
			if f := s.call("GET", "/v1/follow-ups/"+fuID, repAna, nil).json(t); f["state"] != "done" || f["closed_by"] != repAna {
				t.Fatalf("follow-up state %v, closed by %v", f["state"], f["closed_by"])
			}
			if r := s.call("POST", "/v1/actions/"+planID+"/cancel", repAna, nil); r.status != 422 {
				t.Fatalf("cancel a done action: %d %s", r.status, r.body)
			}

			// One history across departments, newest first, filterable.
			h := history("")
			if len(h) != 2 || h[0].(map[string]any)["id"] != planID || h[0].(map[string]any)["status"] != "done" {
				t.Fatalf("history %v", h)
			}
			if svc := history("?department=service"); len(svc) != 1 || svc[0].(map[string]any)["actor_id"] != mgrMia {
				t.Fatalf("service history %v", svc)
			}
			if r := s.call("GET", "/v1/customers/"+c1+"/history?department=legal", repAna, nil); r.status != 400 {
				t.Fatalf("bad filter: %d", r.status)
			}
			// Others see nothing.
			for _, path := range []string{"/v1/customers/" + c1 + "/history", "/v1/actions/" + planID} {
				if r := s.call("GET", path, repBo, nil); r.status != 404 {
					t.Errorf("%s as rep-bo: %d", path, r.status)
				}
			}
			if r := s.call("GET", "/v1/actions/"+planID, mgrMia, nil); r.status != 200 || r.json(t)["contact_ids"].([]any)[0] != contact {
				t.Errorf("manager reads the action: %d %s", r.status, r.body)
			}
		})
	}
}

// withoutFollowUpService starts the stack with the customer service pointed
// at a follow-up service that does not answer (HTTP only, no Temporal); the
// follow-up service itself still runs, for the test to read.
func withoutFollowUpService(t *testing.T, dsn string) *stack {
	t.Helper()
	st := stacktest.New(t, dsn, stacktest.Opts{CustomerEnv: map[string]string{"FOLLOWUP_API_URL": "http://127.0.0.1:1"}})
	return &stack{Stack: st, t: t, base: st.Base, app: st.App, tokens: st.Tokens, issuer: st.Issuer}
}

// TestActionsWithoutTheFollowUpService: a contact logged while the follow-up
// service does not answer is stored all the same (no accepted write lost);
// its answer says the customer's first-contact follow-ups could not be
// listed, and why.
func TestActionsWithoutTheFollowUpService(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := withoutFollowUpService(t, b.DSN(t))
			c1 := s.create(repAna, company(nil))
			notListed := func(r response) {
				t.Helper()
				m := r.json(t)
				if closed := m["closed_follow_ups"].([]any); len(closed) != 0 {
					t.Errorf("closed %v", closed)
				}
				found := false
				for _, n := range m["not_closed"].([]any) {
					n := n.(map[string]any)
					if n["kind"] == "first_contact" {
						found = true
						if reason := n["reason"].(string); !strings.Contains(reason, "could not list the customer's follow-ups") ||
							!strings.Contains(reason, "the follow-up service did not answer") {
							t.Errorf("reason %q", reason)
						}
					}
				}
				if !found {
					t.Errorf("no first_contact entry in not_closed: %s", r.body)
				}
			}
			logged := s.call("POST", "/v1/actions", repAna, map[string]any{"kind": "log", "category": "phone_call", "department": "sales",
				"title": "Call", "summary": "talked", "customer_ids": []string{c1}})
			if logged.status != http.StatusCreated {
				t.Fatalf("log: %d %s", logged.status, logged.body)
			}
			notListed(logged)
			id := logged.json(t)["action"].(map[string]any)["id"].(string)
			if r := s.call("GET", "/v1/actions/"+id, repAna, nil); r.status != 200 || r.json(t)["status"] != "done" {
				t.Fatalf("the logged action: %d %s", r.status, r.body)
			}

			plan := s.call("POST", "/v1/actions", repAna, map[string]any{"kind": "plan", "category": "visit_reception", "department": "sales",
				"title": "Visit", "customer_ids": []string{c1}, "planned_for": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
			if plan.status != http.StatusCreated {
				t.Fatalf("plan: %d %s", plan.status, plan.body)
			}
			planID := plan.json(t)["action"].(map[string]any)["id"].(string)
			done := s.call("POST", "/v1/actions/"+planID+"/complete", repAna, map[string]any{"summary": "met them"})
			if done.status != 200 {
				t.Fatalf("complete: %d %s", done.status, done.body)
			}
			notListed(done)
			if r := s.call("GET", "/v1/customers/"+c1+"/history", repAna, nil); r.status != 200 || len(r.json(t)["items"].([]any)) != 2 {
				t.Fatalf("history: %d %s", r.status, r.body)
			}
		})
	}
}
