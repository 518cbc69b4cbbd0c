package customer_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
)

// TestEveryIDRouteHidesOthersCustomers walks every route with an {id} parameter
// as a rep who does not own the customer and as a manager of another team. Each
// answer must be exactly the answer for an id that does not exist (no existence
// leak): 404 wherever the role has the permission, and the same role-based 403
// as for any id where it has not. Nothing may change.
func TestEveryIDRouteHidesOthersCustomers(t *testing.T) {
	s := newStack(t, testenv_postgres(t), stackOpts{})
	id := s.create(repAna, company(map[string]any{"contacts": []map[string]any{{"name": "Contact"}}}))
	contact := s.call("GET", "/v1/customers/"+id+"/contacts", repAna, nil).json(t)["items"].([]any)[0].(map[string]any)["id"].(string)
	before := string(s.call("GET", "/v1/customers/"+id, admin, nil).body)
	// A manager of another team.
	tok, err := s.issuer.Mint(auth.Principal{Subject: "mgr-sam", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"south"}}, "closeloop", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s.tokens["mgr-sam"] = tok

	bodies := map[string]any{
		"PATCH /v1/customers/:id":                     map[string]any{"name": "Stolen"},
		"POST /v1/customers/:id/lifecycle":            map[string]any{"to": "prospect", "reason": "x"},
		"POST /v1/customers/:id/move":                 map[string]any{"parent_id": nil},
		"POST /v1/customers/:id/contacts":             map[string]any{"name": "Spy"},
		"PATCH /v1/customers/:id/contacts/:contactId": map[string]any{"title": "Spy"},
		// Visit routes: :id is the customer id above, so the visit routes see
		// an id that is no visit at all; the request bodies are valid.
		"POST /v1/customers/:id/visits":  map[string]any{"day": bolaWeekday(7), "department": "sales", "purpose": "spy"},
		"POST /v1/visits/:id/cancel":     map[string]any{"reason": "spy"},
		"POST /v1/visits/:id/reschedule": map[string]any{"day": bolaWeekday(8), "reason": "spy"},
		"POST /v1/visits/:id/log":        map[string]any{"summary": "spy", "outcome": "x"},
		"POST /v1/actions/:id/complete":  map[string]any{"summary": "spy"},
	}
	const ghost = "0190a000-0000-7000-8000-000000000000"
	tested := 0
	for _, rt := range s.app.Engine().Routes() {
		if !strings.Contains(rt.Path, "/:id") {
			continue
		}
		path := strings.ReplaceAll(strings.ReplaceAll(rt.Path, ":contactId", contact), ":id", id)
		key := rt.Method + " " + rt.Path
		ghostPath := strings.ReplaceAll(strings.ReplaceAll(rt.Path, ":contactId", contact), ":id", ghost)
		for _, intruder := range []string{repBo, "mgr-sam"} {
			r := s.call(rt.Method, path, intruder, bodies[key])
			g := s.call(rt.Method, ghostPath, intruder, bodies[key])
			if r.status != g.status || string(r.body) != string(g.body) {
				t.Errorf("%s as %s: %d %s, but for a missing id %d %s — existence leaks", key, intruder, r.status, r.body, g.status, g.body)
			}
			if r.status != http.StatusNotFound && r.status != http.StatusForbidden {
				t.Errorf("%s as %s: status %d, want 404 (or 403 when the role never may): %s", key, intruder, r.status, r.body)
			}
			if intruder == "mgr-sam" && r.status != http.StatusNotFound {
				t.Errorf("%s as a manager of another team: status %d, want 404", key, r.status)
			}
		}
		tested++
	}
	if tested < 12 {
		t.Fatalf("only %d {id} routes found; the route table changed?", tested)
	}
	if after := string(s.call("GET", "/v1/customers/"+id, admin, nil).body); after != before {
		t.Fatalf("an intruder changed the customer:\n%s\n%s", before, after)
	}
	// The owner and her manager do see it.
	for _, u := range []string{repAna, mgrMia, admin, analyst} {
		if r := s.call("GET", "/v1/customers/"+id, u, nil); r.status != 200 {
			t.Errorf("%s cannot read: %d", u, r.status)
		}
	}
}

// bolaWeekday is the first Monday-to-Friday date at least days from now (the
// shipped default calendar works those days), so a valid request does not
// depend on the day the test runs.
func bolaWeekday(days int) string {
	d := time.Now().UTC().AddDate(0, 0, days)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(time.DateOnly)
}

// TestDuplicateOutsideScopeRevealsOnlyTheTeam: a duplicate 409 must not tell
// a caller who cannot see the existing customer its id or owner (issue 13,
// item 2) — only that it exists, which key matched and which team to ask.
// Callers who can see it still get existing_id.
func TestDuplicateOutsideScopeRevealsOnlyTheTeam(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			id := s.create(repAna, company(map[string]any{"name": "Hidden Harbour Steel", "tax_id": "HID-77",
				"contacts": []map[string]any{{"name": "Known Person", "email": "known@hidden.example"}}}))
			mine := s.create(repBo, company(map[string]any{"region": "south"}))
			tok, err := s.issuer.Mint(auth.Principal{Subject: "mgr-sam", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"south"}}, "closeloop", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			s.tokens["mgr-sam"] = tok
			attempts := []struct {
				name, method, path string
				body               map[string]any
				matched            string
			}{
				{"same name", "POST", "/v1/customers", company(map[string]any{"name": "HIDDEN HARBOUR STEEL LTD"}), "name"},
				{"disguised name", "POST", "/v1/customers", company(map[string]any{"name": "Hidd\u0435n\u200B Harbour Steel"}), "name"},
				{"same tax id", "POST", "/v1/customers", company(map[string]any{"tax_id": "hid 77"}), "tax_id"},
				{"same contact email", "POST", "/v1/customers", company(map[string]any{"contacts": []map[string]any{{"name": "X", "email": "KNOWN@hidden.example"}}}), "contact_email"},
				{"rename onto it", "PATCH", "/v1/customers/" + mine, map[string]any{"name": "Hidden Harbour Steel"}, "name"},
			}
			for _, a := range attempts {
				for _, intruder := range []string{repBo, "mgr-sam"} {
					if a.method == "PATCH" && intruder == "mgr-sam" {
						continue // mine belongs to south; mgr-sam manages south, so it is the same case
					}
					r := s.call(a.method, a.path, intruder, a.body)
					if r.status != 409 || r.code(t) != "duplicate_customer" {
						t.Fatalf("%s as %s: %d %s", a.name, intruder, r.status, r.body)
					}
					d, _ := r.json(t)["details"].(map[string]any)
					if strings.Contains(string(r.body), id) || strings.Contains(string(r.body), repAna) || d["existing_id"] != nil {
						t.Errorf("%s as %s reveals the customer or its owner: %s", a.name, intruder, r.body)
					}
					if d["owning_team"] != "north" || d["matched_on"] != a.matched {
						t.Errorf("%s as %s: want owning_team north and matched_on %s: %s", a.name, intruder, a.matched, r.body)
					}
				}
			}
			// Restoring a deleted customer whose name was taken meanwhile by
			// another team's customer: the same refusal, nothing restored.
			gone := s.create("mgr-sam", company(map[string]any{"name": "Phoenix Works", "region": "south", "team": "south"}))
			if r := s.call("DELETE", "/v1/customers/"+gone, "mgr-sam", nil); r.status != 204 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			taken := s.create(repAna, company(map[string]any{"name": "PHOENIX WORKS"}))
			r := s.call("POST", "/v1/customers/"+gone+"/restore", "mgr-sam", nil)
			if d, _ := r.json(t)["details"].(map[string]any); r.status != 409 || strings.Contains(string(r.body), taken) || d["owning_team"] != "north" {
				t.Fatalf("restore onto another team's customer: %d %s", r.status, r.body)
			}
			if r := s.call("DELETE", "/v1/customers/"+taken, mgrMia, nil); r.status != 204 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			for _, insider := range []string{repAna, mgrMia, admin} {
				r := s.call("POST", "/v1/customers", insider, company(map[string]any{"name": "Hidden Harbour Steel", "team": "north"}))
				if r.status != 409 || r.json(t)["details"].(map[string]any)["existing_id"] != id {
					t.Errorf("%s may see the customer and must get existing_id: %d %s", insider, r.status, r.body)
				}
			}
			if n := len(s.call("GET", "/v1/customers?limit=200", admin, nil).json(t)["items"].([]any)); n != 2 {
				t.Fatalf("refused duplicates created customers: %d exist", n)
			}
		})
	}
}
