package customer_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// TestBadInputIsRefusedAndChangesNothing sends every kind of bad request and
// checks the status, the error body's code, and that the customer and its audit
// trail are exactly as before.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	s := newStack(t, testenv_postgres(t), stackOpts{})
	other := s.create(repAna, company(map[string]any{"name": "Existing Steel", "tax_id": "TAX-1",
		"contacts": []map[string]any{{"name": "Known Person", "email": "known@existing.example"}}}))
	id := s.create(repAna, company(nil))
	child := s.create(repAna, company(map[string]any{"parent_id": id}))

	// A token from a different key that claims the same issuer.
	forger, err := devissuer.New("http://forged.example")
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := forger.Mint(auth.Principal{Subject: repAna, Roles: []auth.Role{auth.RoleAdmin}}, "closeloop", time.Hour)
	expired, _ := s.issuer.Mint(devissuer.DevUsers()[0], "closeloop", -time.Minute)

	long := strings.Repeat("x", 201)
	cases := []struct {
		name, method, path, user string
		body                     any
		status                   int
		code                     string
	}{
		{"malformed JSON", "POST", "/v1/customers", repAna, `{"name": "A",`, 400, "malformed_json"},
		{"not an object", "POST", "/v1/customers", repAna, `[1,2]`, 400, "invalid_type"},
		{"trailing data", "POST", "/v1/customers", repAna, `{"name":"A","region":"r","industry":"i"} {}`, 400, "malformed_json"},
		{"unknown field", "POST", "/v1/customers", repAna, `{"name":"A","region":"r","industry":"i","colour":"red"}`, 400, "unknown_field"},
		{"wrong type", "POST", "/v1/customers", repAna, `{"name":"A","region":"r","industry":"i","annual_revenue":"lots"}`, 400, "invalid_type"},
		{"empty body", "POST", "/v1/customers", repAna, ``, 400, "empty_body"},
		{"too large", "POST", "/v1/customers", repAna, `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "body_too_large"},
		{"missing required", "POST", "/v1/customers", repAna, map[string]any{"name": "No Region"}, 422, "validation_failed"},
		{"over-long name", "POST", "/v1/customers", repAna, company(map[string]any{"name": long}), 422, "validation_failed"},
		{"negative revenue", "POST", "/v1/customers", repAna, company(map[string]any{"annual_revenue": -5}), 422, "validation_failed"},
		{"negative years", "POST", "/v1/customers", repAna, company(map[string]any{"years_of_business": -1}), 422, "validation_failed"},
		{"bad stage", "POST", "/v1/customers", repAna, company(map[string]any{"lifecycle_stage": "vip"}), 422, "validation_failed"},
		{"bad contact email", "POST", "/v1/customers", repAna, company(map[string]any{"contacts": []map[string]any{{"name": "X", "email": "not-mail"}}}), 422, "validation_failed"},
		{"duplicate name", "POST", "/v1/customers", repAna, company(map[string]any{"name": "EXISTING STEEL LIMITED"}), 409, "duplicate_customer"},
		{"duplicate tax id", "POST", "/v1/customers", repAna, company(map[string]any{"tax_id": "tax 1"}), 409, "duplicate_customer"},
		{"duplicate contact email", "POST", "/v1/customers", repAna, company(map[string]any{"contacts": []map[string]any{{"name": "Y", "email": "KNOWN@existing.example"}}}), 409, "duplicate_customer"},
		{"rep assigns another owner", "POST", "/v1/customers", repAna, company(map[string]any{"owner_id": repBo}), 403, "owner_out_of_scope"},
		{"analyst cannot write", "POST", "/v1/customers", analyst, company(nil), 403, "forbidden"},
		{"unknown parent", "POST", "/v1/customers", repAna, company(map[string]any{"parent_id": "0190a000-0000-7000-8000-000000000000"}), 422, "parent_not_found"},
		{"invalid transition", "POST", "/v1/customers/" + id + "/lifecycle", repAna, map[string]any{"to": "service", "reason": "x"}, 422, "invalid_stage_transition"},
		{"transition without reason", "POST", "/v1/customers/" + id + "/lifecycle", repAna, map[string]any{"to": "prospect"}, 422, "validation_failed"},
		{"cycle", "POST", "/v1/customers/" + id + "/move", repAna, map[string]any{"parent_id": child}, 422, "hierarchy_cycle"},
		{"rename to a duplicate", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"name": "Existing Steel"}, 409, "duplicate_customer"},
		{"blank name", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"name": "  "}, 422, "validation_failed"},
		{"negative cost", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"annual_marketing_cost": -1}, 422, "validation_failed"},
		{"bad relationship", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"relationship_stage": "married"}, 422, "validation_failed"},
		{"rep reassigns", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"owner_id": repBo}, 403, "owner_out_of_scope"},
		{"unknown id", "GET", "/v1/customers/0190a000-0000-7000-8000-000000000000", repAna, nil, 404, "customer_not_found"},
		{"malformed id", "GET", "/v1/customers/not-a-uuid", repAna, nil, 404, "customer_not_found"},
		{"unknown contact", "PATCH", "/v1/customers/" + id + "/contacts/0190a000-0000-7000-8000-000000000000", repAna, map[string]any{"title": "x"}, 404, "contact_not_found"},
		{"bad sort", "GET", "/v1/customers?sort=password", repAna, nil, 400, "invalid_query"},
		{"bad class filter", "GET", "/v1/customers?value_class=D", repAna, nil, 400, "invalid_query"},
		{"bad thresholds", "POST", "/v1/abc/reclassifications", analyst, map[string]any{"a_share": 0.9, "b_share": 0.5}, 422, "validation_failed"},
		{"rep cannot reclassify", "POST", "/v1/abc/reclassifications", repAna, nil, 403, "forbidden"},
		// Issue 13 item 4: Unicode disguises of an existing customer are duplicates.
		{"zero-width space in name", "POST", "/v1/customers", repAna, company(map[string]any{"name": "Exis​ting Steel"}), 409, "duplicate_customer"},
		{"soft hyphen in name", "POST", "/v1/customers", repAna, company(map[string]any{"name": "Exist­ing Steel"}), 409, "duplicate_customer"},
		{"Cyrillic look-alikes in name", "POST", "/v1/customers", repAna, company(map[string]any{"name": "Еxisting Stееl"}), 409, "duplicate_customer"},
		{"full-width name", "POST", "/v1/customers", repAna, company(map[string]any{"name": "Ｅｘｉｓｔｉｎｇ Ｓｔｅｅｌ"}), 409, "duplicate_customer"},
		{"full-width tax id", "POST", "/v1/customers", repAna, company(map[string]any{"tax_id": "ＴＡＸ－１"}), 409, "duplicate_customer"},
		{"Arabic-Indic digits in tax id", "POST", "/v1/customers", repAna, company(map[string]any{"tax_id": "TAX-١"}), 409, "duplicate_customer"},
		{"Devanagari digit and zero-width joiner in tax id", "POST", "/v1/customers", repAna, company(map[string]any{"tax_id": "T‍AX १"}), 409, "duplicate_customer"},
		{"rename to a disguised duplicate", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"name": "Existing⁠ Steеl"}, 409, "duplicate_customer"},
		{"bidi override in name", "POST", "/v1/customers", repAna, company(map[string]any{"name": "Acme ‮leets"}), 422, "validation_failed"},
		{"bidi isolate in contact name", "POST", "/v1/customers", repAna, company(map[string]any{"contacts": []map[string]any{{"name": "Li⁧ Wei"}}}), 422, "validation_failed"},
		{"control character in name", "POST", "/v1/customers", repAna, company(map[string]any{"name": "Acme"}), 422, "validation_failed"},
		{"line break in name", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"name": "Acme\nSteel"}, 422, "validation_failed"},
		{"javascript: website", "POST", "/v1/customers", repAna, company(map[string]any{"website": "javascript:alert(document.cookie)"}), 422, "validation_failed"},
		{"data: website", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"website": "data:text/html,<script>alert(1)</script>"}, 422, "validation_failed"},
		{"ftp website", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"website": "ftp://files.example"}, 422, "validation_failed"},
		// Issue 13 item 3: bounds and permissions.
		{"revenue beyond any customer", "POST", "/v1/customers", admin, company(map[string]any{"team": "north", "annual_revenue": 1e13}), 422, "validation_failed"},
		{"rep revenue above the rep bound", "PATCH", "/v1/customers/" + id, repAna, map[string]any{"annual_revenue": 1e10}, 422, "validation_failed"},
		{"rep creates a transacting customer", "POST", "/v1/customers", repAna, company(map[string]any{"lifecycle_stage": "transacting"}), 422, "validation_failed"},
		{"rep creates a lost customer", "POST", "/v1/customers", repAna, company(map[string]any{"lifecycle_stage": "lost"}), 422, "validation_failed"},
		{"manager creates a lost customer", "POST", "/v1/customers", mgrMia, company(map[string]any{"lifecycle_stage": "lost"}), 422, "validation_failed"},
		{"manager gives a customer to another team's rep", "POST", "/v1/customers", mgrMia, company(map[string]any{"owner_id": repBo}), 403, "owner_out_of_scope"},
		{"manager gives a customer to nobody", "POST", "/v1/customers", mgrMia, company(map[string]any{"owner_id": "nobody-at-all"}), 403, "owner_out_of_scope"},
		{"manager reassigns to another team's rep", "PATCH", "/v1/customers/" + id, mgrMia, map[string]any{"owner_id": repBo}, 403, "owner_out_of_scope"},
		{"manager reassigns to nobody", "PATCH", "/v1/customers/" + id, mgrMia, map[string]any{"owner_id": "ghost"}, 403, "owner_out_of_scope"},
		{"admin reassigns to nobody", "PATCH", "/v1/customers/" + id, admin, map[string]any{"owner_id": "ghost"}, 422, "unknown_owner"},
		{"manager starts a company-wide run", "POST", "/v1/abc/reclassifications", mgrMia, map[string]any{"reason": "mine"}, 403, "forbidden"},
		{"manager tries thresholds", "POST", "/v1/abc/trials", mgrMia, map[string]any{"a_share": 0.5}, 403, "forbidden"},
		{"manager reads a run's company-wide totals", "GET", "/v1/abc/reclassifications/ReclassifyABC:x", mgrMia, nil, 403, "forbidden"},
		{"custom thresholds on a real run", "POST", "/v1/abc/reclassifications", analyst, map[string]any{"a_share": 0.5, "b_share": 0.9}, 422, "abc_thresholds_trial_only"},
		{"bad trial thresholds", "POST", "/v1/abc/trials", analyst, map[string]any{"a_share": 0.9, "b_share": 0.5}, 422, "validation_failed"},
		{"rep registers a user", "PUT", "/v1/users/rep-x", repAna, map[string]any{"roles": []string{"rep"}}, 403, "forbidden"},
		{"manager disables a user", "POST", "/v1/users/" + repAna + "/disable", mgrMia, nil, 403, "forbidden"},
		{"register with an unknown role", "PUT", "/v1/users/rep-x", admin, map[string]any{"roles": []string{"king"}}, 422, "validation_failed"},
		{"register with a comma in a team", "PUT", "/v1/users/rep-x", admin, map[string]any{"roles": []string{"rep"}, "teams": []string{"a,b"}}, 422, "validation_failed"},
		{"disable an unknown user", "POST", "/v1/users/nobody-at-all/disable", admin, nil, 404, "user_not_found"},
		{"missing token", "GET", "/v1/customers", "", nil, 401, "unauthenticated"},
		{"garbage token", "GET", "/v1/customers", "not.a.jwt", nil, 401, "unauthenticated"},
		{"forged token", "PATCH", "/v1/customers/" + id, forged, map[string]any{"name": "Hijacked"}, 401, "unauthenticated"},
		{"expired token", "PATCH", "/v1/customers/" + id, expired, map[string]any{"name": "Late"}, 401, "unauthenticated"},
		{"unknown route", "GET", "/v1/nothing", repAna, nil, 404, "route_not_found"},
	}
	snapshot := func() (string, string, int) {
		c := s.call("GET", "/v1/customers/"+id, admin, nil)
		a := s.call("GET", "/v1/customers/"+id+"/audit?limit=200", admin, nil)
		l := s.call("GET", "/v1/customers?limit=200", admin, nil)
		u := s.call("GET", "/v1/users?limit=200", admin, nil)
		return string(c.body), string(a.body) + string(u.body), len(l.json(t)["items"].([]any))
	}
	beforeC, beforeA, beforeN := snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.call(tc.method, tc.path, tc.user, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			body := r.json(t)
			if body["code"] != tc.code || body["message"] == "" {
				t.Fatalf("code %v, want %s: %s", body["code"], tc.code, r.body)
			}
			if tc.status == 422 && tc.code == "validation_failed" {
				if f, _ := body["details"].(map[string]any)["fields"].([]any); len(f) == 0 {
					t.Fatalf("validation errors must name fields: %s", r.body)
				}
			}
			if tc.code == "duplicate_customer" {
				if body["details"].(map[string]any)["existing_id"] != other {
					t.Fatalf("409 must carry the existing id %s: %s", other, r.body)
				}
			}
			if r.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
	afterC, afterA, afterN := snapshot()
	if beforeC != afterC || beforeA != afterA || beforeN != afterN {
		t.Fatalf("bad input changed data:\ncustomer %v\naudit %v\ncount %d → %d", beforeC != afterC, beforeA != afterA, beforeN, afterN)
	}
	if r := s.call("GET", "/healthz", "", nil); r.status != http.StatusOK {
		t.Fatalf("healthz: %d", r.status)
	}
}

func testenv_postgres(t *testing.T) string { return backends[0].DSN(t) }
