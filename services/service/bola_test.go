package service_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Every route that takes an id answers 404 — never 403 — to whoever may not
// see the case, exactly as for an id that does not exist; who reads the case
// only through its customer reads it without the internal entries.
func TestCaseScope(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN)
			cust := s.customerOf(repAna)
			id := s.file(repAna, complaint(cust, map[string]any{"team": "service"}))["id"].(string)
			// What the case workflow will do: sam notes (which opens the
			// case) and replies to the customer.
			now := time.Now()
			s.change(id, func(c domain.Case) (domain.Case, []domain.Entry, error) {
				return domain.Note(c, "Checked the load log: overload alarm at 14:02.", svcSam, now)
			})
			s.change(id, func(c domain.Case) (domain.Case, []domain.Entry, error) {
				c, es, _, err := domain.Reply(c, domain.Message{Direction: domain.Outbound, Body: "A technician comes on Thursday.", Actor: svcSam}, now.Add(time.Second))
				return c, es, err
			})
			allKinds := []string{"created", "note", "state_changed", "reply"}
			publicKinds := []string{"created", "reply"}

			for _, tc := range []struct {
				who   string
				sees  bool
				kinds []string
			}{
				{svcSam, true, allKinds},    // a rep of the case's team
				{svcSue, true, allKinds},    // the manager of the case's team
				{admin, true, allKinds},     // works every case
				{analyst, true, allKinds},   // reads every case
				{repAna, true, publicKinds}, // the customer's owner, a sales rep
				{mgrMia, true, publicKinds}, // the manager of the customer's team
				{svcOz, false, nil},         // a rep of another service team
				{mgrWes, false, nil},        // the manager of another service team
				{repBo, false, nil},         // another sales rep
				{mgrMax, false, nil},        // the manager of another sales team
				{"rep-cy", false, nil},      // a colleague of the owner, not the owner
			} {
				t.Run(tc.who, func(t *testing.T) {
					paths := []string{"/v1/cases/" + id, "/v1/cases/" + id + "/timeline", "/v1/cases/" + id + "/survey"}
					for _, p := range paths {
						r := s.api("GET", p, tc.who, nil)
						switch {
						case !tc.sees && (r.status != http.StatusNotFound || r.code(t) != "case_not_found"):
							t.Errorf("GET %s: %d %s, want 404 case_not_found", p, r.status, r.body)
						case tc.sees && r.status != http.StatusOK:
							t.Errorf("GET %s: %d %s, want 200", p, r.status, r.body)
						}
					}
					listed := slices.Contains(ids(s.must(http.StatusOK, "GET", "/v1/cases", tc.who, nil)), id)
					ofCustomer := slices.Contains(ids(s.must(http.StatusOK, "GET", "/v1/customers/"+cust+"/cases", tc.who, nil)), id)
					if listed != tc.sees || ofCustomer != tc.sees {
						t.Errorf("in the list: %v, in the customer's cases: %v; want %v", listed, ofCustomer, tc.sees)
					}
					// Every change route: out of sight 404 (before anything is
					// tried, so no workflow is needed), read-only 403.
					for _, ch := range []struct {
						path string
						body map[string]any
					}{
						{"/state", map[string]any{"state": "resolved", "reason": "x"}}, {"/reopen", map[string]any{"reason": "x"}},
						{"/replies", map[string]any{"direction": "outbound", "body": "x"}}, {"/notes", map[string]any{"body": "x"}},
						{"/assignment", map[string]any{"assignee_id": tc.who}}, {"/priority", map[string]any{"priority": "P1", "reason": "x"}},
					} {
						r := s.api("POST", "/v1/cases/"+id+ch.path, tc.who, ch.body)
						switch {
						case !tc.sees && (r.status != http.StatusNotFound || r.code(t) != "case_not_found"):
							t.Errorf("POST %s: %d %s, want 404 case_not_found", ch.path, r.status, r.body)
						case tc.sees && len(tc.kinds) == len(publicKinds) && (r.status != http.StatusForbidden || r.code(t) != "case_read_only"):
							t.Errorf("POST %s by a read-only viewer: %d %s, want 403 case_read_only", ch.path, r.status, r.body)
						}
					}
					if !tc.sees {
						return
					}
					tl := s.must(http.StatusOK, "GET", "/v1/cases/"+id+"/timeline", tc.who, nil)
					var kinds []string
					for _, it := range tl["items"].([]any) {
						e := it.(map[string]any)
						kinds = append(kinds, e["kind"].(string))
						if len(tc.kinds) == len(publicKinds) && e["visibility"] != "public" {
							t.Errorf("a read-only viewer saw %v", e)
						}
					}
					if !slices.Equal(kinds, tc.kinds) || tl["includes_internal"] != (len(tc.kinds) == len(allKinds)) {
						t.Errorf("timeline %v (includes_internal %v), want %v", kinds, tl["includes_internal"], tc.kinds)
					}
				})
			}
			// An id that does not exist, or is no id, looks the same.
			for _, p := range []string{"/v1/cases/0190a000-0000-7000-8000-00000000dead", "/v1/cases/0190a000-0000-7000-8000-00000000dead/timeline",
				"/v1/cases/%20x", "/v1/cases/" + id + "x"} {
				if r := s.api("GET", p, admin, nil); r.status != http.StatusNotFound || r.code(t) != "case_not_found" {
					t.Errorf("GET %s: %d %s", p, r.status, r.body)
				}
			}
			// And without a token, nothing is answered at all.
			if r := s.api("GET", "/v1/cases/"+id, "", nil); r.status != http.StatusUnauthorized {
				t.Errorf("no token: %d", r.status)
			}
		})
	}
}
