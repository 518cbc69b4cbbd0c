package customer_test

import (
	"net/http"
	"testing"
)

// TestACustomerCreatedInCareCountsItsCadenceFromItsCreation: a customer an
// admin creates straight into a care stage has its creation as its care
// anchor (care_from), not the zero instant that made it due at once.
func TestACustomerCreatedInCareCountsItsCadenceFromItsCreation(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			id := s.create(admin, company(map[string]any{"lifecycle_stage": "transacting", "owner_id": repAna, "team": "north"}))
			r := s.call("GET", "/v1/customers/"+id, admin, nil)
			if r.status != http.StatusOK {
				t.Fatalf("get: %d %s", r.status, r.body)
			}
			c := r.json(t)
			if c["care_from"] == nil || c["care_from"] != c["created_at"] {
				t.Fatalf("care_from %v, want the creation %v: %s", c["care_from"], c["created_at"], r.body)
			}
		})
	}
}
