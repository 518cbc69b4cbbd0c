package sales_test

import (
	"testing"

	"github.com/closeloop/closeloop/platform/testenv"
)

// TestIdempotencyKeyReusedWithAnotherBody: a create retried with its
// Idempotency-Key reaches what the first request made (one lead, one
// opportunity); the same key with another body is 409
// idempotency_key_reused and creates nothing — as in every service.
func TestIdempotencyKeyReusedWithAnotherBody(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, stackOpts{temporal: hostPort, namespace: namespace})
			s.northSteel(5)
			lead := map[string]any{"source": "web", "company_name": companyName("Keyed Co"), "region": "north", "industry": "steel"}
			first := s.api("POST", "/v1/leads", mgrMia, lead, "Idempotency-Key", "lead-key-1")
			if first.status != 201 && first.status != 202 {
				t.Fatalf("first: %d %s", first.status, first.body)
			}
			id := first.json(t)["id"]
			again := s.api("POST", "/v1/leads", mgrMia, lead, "Idempotency-Key", "lead-key-1")
			if again.status != 201 && again.status != 202 || again.json(t)["id"] != id {
				t.Fatalf("retry: %d %s, want the lead %v", again.status, again.body, id)
			}
			other := map[string]any{"source": "web", "company_name": companyName("Other Co"), "region": "north", "industry": "steel"}
			if r := s.api("POST", "/v1/leads", mgrMia, other, "Idempotency-Key", "lead-key-1"); r.status != 409 || r.code(t) != "idempotency_key_reused" {
				t.Fatalf("another lead under the key: %d %s", r.status, r.body)
			}
			leads := s.must(200, "GET", "/v1/leads?limit=200", admin, nil)["items"].([]any)
			if len(leads) != 1 {
				t.Fatalf("%d leads, want the one", len(leads))
			}

			l := s.must(200, "GET", "/v1/leads/"+id.(string), admin, nil)
			cust, owner := l["customer_id"].(string), l["owner_id"].(string) // the customer's owner opens its opportunity
			opp := map[string]any{"customer_id": cust, "name": "Beams", "stage": 2, "amount_minor": 1000, "currency": "EUR"}
			o1 := s.api("POST", "/v1/opportunities", owner, opp, "Idempotency-Key", "opp-key-1")
			if o1.status != 201 && o1.status != 202 {
				t.Fatalf("opportunity: %d %s", o1.status, o1.body)
			}
			if r := s.api("POST", "/v1/opportunities", owner, opp, "Idempotency-Key", "opp-key-1"); r.status != o1.status || r.json(t)["id"] != o1.json(t)["id"] {
				t.Fatalf("opportunity retry: %d %s", r.status, r.body)
			}
			opp["amount_minor"] = 2000
			if r := s.api("POST", "/v1/opportunities", owner, opp, "Idempotency-Key", "opp-key-1"); r.status != 409 || r.code(t) != "idempotency_key_reused" {
				t.Fatalf("another opportunity under the key: %d %s", r.status, r.body)
			}
			if n := len(s.must(200, "GET", "/v1/opportunities?limit=200", admin, nil)["items"].([]any)); n != 1 {
				t.Fatalf("%d opportunities, want the one", n)
			}
		})
	}
}
