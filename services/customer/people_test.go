package customer_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
)

const repCy = "rep-cy" // rep, team north

// TestPeopleDirectory: any signed-in colleague — a rep of another team, an
// analyst, whatever the role — looks up a person (name, teams, roles, enabled and
// nothing else) and lists the people of a team, optionally of one role;
// an unknown person is 404 person_not_found, no token (or one that grants
// no Closeloop role, which verifies as no one) is 401. A disabled
// person is still found by id (enabled=false) but listed only with
// include_disabled=true. The team is matched by its exact name: LIKE's
// wildcards and another case match nobody. The list pages by id.
func TestPeopleDirectory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			// The stack signed every dev user in once: they are all known.
			for _, u := range []string{repAna, repCy, mgrMia, repBo, analyst, admin} {
				if r := s.call("GET", "/v1/people/"+u, u, nil); r.status != http.StatusOK || r.json(t)["id"] != u {
					t.Fatalf("%s looks itself up: %d %s", u, r.status, r.body)
				}
			}
			noRole, err := s.issuer.Mint(auth.Principal{Subject: "guest-gus", Name: "Gus"}, "closeloop", time.Hour)
			if err != nil {
				t.Fatal(err)
			}

			// A rep looks up a colleague of another team; so does an
			// analyst. Exactly the org chart's fields.
			for _, user := range []string{repBo, analyst} {
				r := s.call("GET", "/v1/people/"+mgrMia, user, nil)
				if r.status != http.StatusOK {
					t.Fatalf("looking up a colleague: %d %s", r.status, r.body)
				}
				p := r.json(t)
				keys := make([]string, 0, len(p))
				for k := range p {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if !slices.Equal(keys, []string{"enabled", "id", "name", "roles", "teams"}) || p["name"] != "Mia (manager, north)" ||
					!sameList(p["teams"], "north") || !sameList(p["roles"], "manager") || p["enabled"] != true {
					t.Fatalf("the colleague as %s sees it: %v", user, p)
				}
			}
			for _, id := range []string{"nobody-at-all", url.PathEscape("mgr-mia "), "MGR-MIA"} {
				if r := s.call("GET", "/v1/people/"+id, repAna, nil); r.status != http.StatusNotFound || r.code(t) != "person_not_found" {
					t.Errorf("unknown person %q: %d %s", id, r.status, r.body)
				}
			}
			for _, path := range []string{"/v1/people/" + mgrMia, "/v1/people?team=north"} {
				for _, tok := range []string{"", noRole} {
					if r := s.call("GET", path, tok, nil); r.status != http.StatusUnauthorized {
						t.Errorf("%s without a token granting a role: %d", path, r.status)
					}
				}
			}

			people := func(user, query string) (ids []string, next string) {
				t.Helper()
				r := s.call("GET", "/v1/people?"+query, user, nil)
				if r.status != http.StatusOK {
					t.Fatalf("people?%s: %d %s", query, r.status, r.body)
				}
				body := r.json(t)
				for _, it := range body["items"].([]any) {
					ids = append(ids, it.(map[string]any)["id"].(string))
				}
				next, _ = body["next_cursor"].(string)
				return ids, next
			}
			// A team, and its manager: the person a slip to a department goes to.
			if ids, _ := people(repBo, "team=north"); !slices.Equal(ids, []string{mgrMia, repAna, repCy}) {
				t.Errorf("north: %v", ids)
			}
			if ids, _ := people(repBo, "team=north&role=manager"); !slices.Equal(ids, []string{mgrMia}) {
				t.Errorf("north's manager: %v", ids)
			}
			if ids, _ := people(analyst, "team=south&role=rep"); !slices.Equal(ids, []string{repBo, "rep-di"}) {
				t.Errorf("south's reps: %v", ids)
			}
			for _, team := range []string{"%25", "n_rth", "North", "nort"} {
				if ids, _ := people(repAna, "team="+team); len(ids) != 0 {
					t.Errorf("team %s lists %v", team, ids)
				}
			}
			// Paged by id, like /v1/users.
			first, next := people(repAna, "team=north&limit=2")
			second, last := people(repAna, "team=north&limit=2&cursor="+url.QueryEscape(next))
			if !slices.Equal(first, []string{mgrMia, repAna}) || next == "" || !slices.Equal(second, []string{repCy}) || last != "" {
				t.Errorf("pages %v (%q) then %v (%q)", first, next, second, last)
			}

			// A person who left: found by id, listed only when asked for.
			if r := s.call("POST", "/v1/users/"+repCy+"/disable", admin, nil); r.status != http.StatusOK {
				t.Fatalf("disable: %d %s", r.status, r.body)
			}
			if r := s.call("GET", "/v1/people/"+repCy, repAna, nil); r.status != http.StatusOK || r.json(t)["enabled"] != false {
				t.Errorf("a disabled person: %d %s", r.status, r.body)
			}
			if ids, _ := people(repAna, "team=north"); !slices.Equal(ids, []string{mgrMia, repAna}) {
				t.Errorf("north without the disabled: %v", ids)
			}
			if ids, _ := people(repAna, "team=north&role=rep&include_disabled=true"); !slices.Equal(ids, []string{repAna, repCy}) {
				t.Errorf("north's reps with the disabled: %v", ids)
			}

			for _, tc := range []struct{ query, code string }{
				{"", "validation_failed"},
				{"role=manager", "validation_failed"},
				{"team=north&role=king", "invalid_query"},
				{"team=a,b", "validation_failed"},
				{"team=north&include_disabled=maybe", "invalid_query"},
			} {
				r := s.call("GET", "/v1/people?"+tc.query, repAna, nil)
				if r.status/100 != 4 || r.code(t) != tc.code {
					t.Errorf("people?%s: %d %s", tc.query, r.status, r.body)
				}
			}
		})
	}
}

// sameList reports whether a JSON array holds exactly want, in order.
func sameList(v any, want ...string) bool {
	xs, ok := v.([]any)
	if !ok || len(xs) != len(want) {
		return false
	}
	for i, x := range xs {
		if x != want[i] {
			return false
		}
	}
	return true
}
