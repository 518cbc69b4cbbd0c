package service_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"
)

// Bad requests to file a case get a clear 4xx naming what is wrong, and
// store nothing: no case, no timeline entry, no idempotency key.
func TestFileBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN)
			ana, bo := s.customerOf(repAna), s.customerOf(repBo)
			bad := func(extra map[string]any) map[string]any { return complaint(ana, extra) }
			cases := []struct {
				name    string
				user    string
				body    any
				headers []string
				status  int
				code    string
				fields  map[string]string
			}{
				{"unknown customer", repAna, complaint("0190a000-0000-7000-8000-00000000dead", nil), nil, 422, "validation_failed",
					map[string]string{"customer_id": "unknown_customer"}},
				{"another rep's customer", repAna, complaint(bo, nil), nil, 422, "validation_failed", map[string]string{"customer_id": "unknown_customer"}},
				{"another team's customer, to a manager", mgrMax, complaint(ana, nil), nil, 422, "validation_failed",
					map[string]string{"customer_id": "unknown_customer"}},
				{"unknown customer and bad fields, all at once", repAna, complaint("0190a000-0000-7000-8000-00000000dead", map[string]any{"type": "praise", "channel": "fax"}),
					nil, 422, "validation_failed", map[string]string{"customer_id": "unknown_customer", "type": "invalid", "channel": "invalid"}},
				{"no customer", repAna, bad(map[string]any{"customer_id": ""}), nil, 422, "validation_failed", map[string]string{"customer_id": "required"}},
				{"a customer id that is no id", repAna, bad(map[string]any{"customer_id": "a b"}), nil, 422, "validation_failed", map[string]string{"customer_id": "invalid"}},
				{"bad type", repAna, bad(map[string]any{"type": "praise"}), nil, 422, "validation_failed", map[string]string{"type": "invalid"}},
				{"bad priority", repAna, bad(map[string]any{"priority": "P0"}), nil, 422, "validation_failed", map[string]string{"priority": "invalid"}},
				{"bad channel", repAna, bad(map[string]any{"channel": "fax"}), nil, 422, "validation_failed", map[string]string{"channel": "invalid"}},
				{"subject too long", repAna, bad(map[string]any{"subject": strings.Repeat("x", 201)}), nil, 422, "validation_failed",
					map[string]string{"subject": "too_long"}},
				{"no subject", repAna, bad(map[string]any{"subject": "  "}), nil, 422, "validation_failed", map[string]string{"subject": "required"}},
				{"a subject of two lines", repAna, bad(map[string]any{"subject": "one\ntwo"}), nil, 422, "validation_failed", map[string]string{"subject": "invalid"}},
				{"description too long", repAna, bad(map[string]any{"description": strings.Repeat("é", 10001)}), nil, 422, "validation_failed",
					map[string]string{"description": "too_long"}},
				{"several at once", repAna, bad(map[string]any{"type": "", "channel": "", "asset": strings.Repeat("a", 201), "contact_id": strings.Repeat("c", 37)}),
					nil, 422, "validation_failed", map[string]string{"type": "invalid", "channel": "invalid", "asset": "too_long", "contact_id": "invalid"}},
				{"unknown field", repAna, bad(map[string]any{"state": "resolved"}), nil, 400, "unknown_field", map[string]string{"state": "unknown_field"}},
				{"wrong type", repAna, bad(map[string]any{"priority": 1}), nil, 400, "invalid_type", map[string]string{"priority": "invalid_type"}},
				{"malformed JSON", repAna, `{"customer_id": `, nil, 400, "malformed_json", nil},
				{"empty body", repAna, "", nil, 400, "empty_body", nil},
				{"not JSON", repAna, `{}`, []string{"Content-Type", "text/plain"}, 400, "unsupported_media_type", nil},
				{"oversized body", repAna, bad(map[string]any{"description": strings.Repeat("x", 1<<20)}), nil, 413, "body_too_large", nil},
				{"bad Idempotency-Key", repAna, bad(nil), []string{"Idempotency-Key", "clé"}, 400, "invalid_idempotency_key", nil},
				{"an analyst", analyst, bad(nil), nil, 403, "case_file_not_allowed", nil},
				{"no token", "", bad(nil), nil, 401, "unauthenticated", nil},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before := s.rows()
					r := s.api("POST", "/v1/cases", tc.user, tc.body, tc.headers...)
					if r.status != tc.status || r.code(t) != tc.code {
						t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
					}
					if msg, _ := r.json(t)["message"].(string); msg == "" {
						t.Error("no message")
					}
					if tc.fields != nil && !maps.Equal(r.fields(t), tc.fields) {
						t.Errorf("fields %v, want %v", r.fields(t), tc.fields)
					}
					if after := s.rows(); after != before {
						t.Errorf("stored something: %v → %v", before, after)
					}
				})
			}
			// The unknown customer's message says what it means.
			r := s.api("POST", "/v1/cases", repAna, complaint(bo, nil))
			if !strings.Contains(string(r.body), "no such customer, or not yours to see") {
				t.Errorf("unknown customer message: %s", r.body)
			}
			// A refused request keeps no Idempotency-Key: the same key then files.
			key := []string{"Idempotency-Key", "after-a-refusal"}
			if r := s.api("POST", "/v1/cases", repAna, bad(map[string]any{"type": "praise"}), key...); r.status != 422 {
				t.Fatalf("bad body with a key: %d %s", r.status, r.body)
			}
			if r := s.api("POST", "/v1/cases", repAna, bad(nil), key...); r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("good body with the refused request's key: %d %s", r.status, r.body)
			}
			// Without the customer service nobody can say whose the customer
			// is: 503, nothing stored, and the case may be filed again later.
			s.customer.Stop()
			before := s.rows()
			if r := s.api("POST", "/v1/cases", repAna, bad(nil)); r.status != http.StatusServiceUnavailable || r.code(t) != "customer_service_unavailable" {
				t.Errorf("customer service down: %d %s", r.status, r.body)
			}
			if after := s.rows(); after != before {
				t.Errorf("stored something without the customer service: %v → %v", before, after)
			}
		})
	}
}
