package service_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// The lists filter within the caller's sight and page newest first without
// losing or repeating a case; bad filter values are 400 naming the parameter.
func TestListCases(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN)
			ana, ana2, bo := s.customerOf(repAna), s.customerOf(repAna), s.customerOf(repBo)
			file := func(user, cust string, extra map[string]any) string {
				return s.file(user, complaint(cust, extra))["id"].(string)
			}
			// Oldest first: every case is filed a little after the one before.
			var all []string
			add := func(id string) string { all = append(all, id); return id }
			repair := add(file(repAna, ana, map[string]any{"team": "service", "type": "repair"}))
			p1 := add(file(repAna, ana2, map[string]any{"team": "service", "priority": "P1"}))
			sams := add(file(admin, ana, map[string]any{"team": "service", "assignee_id": svcSam, "type": "request"}))
			west := add(file(repAna, ana, map[string]any{"team": "service-west", "type": "returns"}))
			north := add(file(repAna, ana2, nil)) // the customer's team: north
			south := add(file(repBo, bo, map[string]any{"team": "service"}))
			// Sam takes the repair: assigning a new case opens it.
			s.change(repair, func(c domain.Case) (domain.Case, []domain.Entry, error) {
				return domain.Assign(c, domain.Assignment{AssigneeID: svcSam}, svcSue, time.Now())
			})

			list := func(user, query string) []string {
				t.Helper()
				return ids(s.must(http.StatusOK, "GET", "/v1/cases?"+query, user, nil))
			}
			newest := func(ids ...string) []string { // the ids in list order
				out := slices.Clone(ids)
				slices.SortFunc(out, func(a, b string) int { return slices.Index(all, b) - slices.Index(all, a) })
				return out
			}
			for _, tc := range []struct {
				user, query string
				want        []string
			}{
				{svcSue, "", newest(repair, p1, sams, south)},
				{svcSam, "", newest(repair, p1, sams, south)},
				{svcOz, "", newest(west)},
				{repAna, "", newest(repair, p1, sams, west, north)},
				{mgrMia, "", newest(repair, p1, sams, west, north)},
				{repBo, "", newest(south)},
				{analyst, "", newest(all...)},
				{svcSue, "state=open", newest(repair)},
				{svcSue, "state=new&state=open", newest(repair, p1, sams, south)},
				{svcSue, "state=new,open", newest(repair, p1, sams, south)},
				{svcSue, "state=resolved", nil},
				{svcSue, "unassigned=true", newest(p1, south)},
				{svcSue, "assignee_id=" + svcSam, newest(repair, sams)},
				{svcSue, "priority=P1", newest(p1)},
				{svcSue, "type=repair", newest(repair)},
				{svcSue, "customer_id=" + ana, newest(repair, sams)},
				{analyst, "team=service-west", newest(west)},
				{analyst, "team=north&type=complaint", newest(north)},
				{svcOz, "team=service", nil}, // a filter never widens the scope
				{admin, "customer_id=" + ana + "&state=new", newest(sams, west)},
			} {
				if got := list(tc.user, tc.query); !slices.Equal(got, tc.want) {
					t.Errorf("%s ?%s: %v, want %v", tc.user, tc.query, got, tc.want)
				}
			}
			// A customer's cases, as its owner and as the service team.
			if got := ids(s.must(http.StatusOK, "GET", "/v1/customers/"+ana+"/cases", repAna, nil)); !slices.Equal(got, newest(repair, sams, west)) {
				t.Errorf("ana's customer's cases: %v", got)
			}
			if got := ids(s.must(http.StatusOK, "GET", "/v1/customers/"+ana+"/cases?state=open", svcSue, nil)); !slices.Equal(got, newest(repair)) {
				t.Errorf("the customer's open cases, as the service manager: %v", got)
			}

			// Pages of two follow next_cursor to the end, in order.
			var paged []string
			cursor := ""
			for range 10 {
				q := "/v1/cases?limit=2"
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				p := s.must(http.StatusOK, "GET", q, analyst, nil)
				paged = append(paged, ids(p)...)
				next, _ := p["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			if !slices.Equal(paged, newest(all...)) {
				t.Errorf("paged %v, want %v", paged, newest(all...))
			}

			// A timeline pages too, oldest first; public only for the owner.
			var kinds []string
			cursor = ""
			for range 10 {
				q := "/v1/cases/" + repair + "/timeline?limit=1"
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				p := s.must(http.StatusOK, "GET", q, svcSam, nil)
				for _, it := range p["items"].([]any) {
					kinds = append(kinds, it.(map[string]any)["kind"].(string))
				}
				if cursor, _ = p["next_cursor"].(string); cursor == "" {
					break
				}
			}
			if want := []string{"created", "assigned", "state_changed"}; !slices.Equal(kinds, want) {
				t.Errorf("timeline pages %v, want %v", kinds, want)
			}
			if p := s.must(http.StatusOK, "GET", "/v1/cases/"+repair+"/timeline?limit=1", repAna, nil); len(p["items"].([]any)) != 1 || p["next_cursor"] != nil {
				t.Errorf("the owner's timeline: %s", mustJSON(p))
			}

			for _, q := range []struct{ path, field string }{
				{"/v1/cases?state=lost", "state"},
				{"/v1/cases?state=new,lost", "state"},
				{"/v1/cases?priority=P9", "priority"},
				{"/v1/cases?type=praise", "type"},
				{"/v1/cases?unassigned=maybe", "unassigned"},
				{"/v1/cases?unassigned=true&assignee_id=" + svcSam, "assignee_id"},
				{"/v1/cases?customer_id=a%20b", "customer_id"},
				{"/v1/cases?limit=0", "limit"},
				{"/v1/cases?limit=201", "limit"},
				{"/v1/cases?cursor=bogus", "cursor"},
				{"/v1/cases/" + repair + "/timeline?cursor=bogus", "cursor"},
				{"/v1/customers/" + ana + "/cases?state=lost", "state"},
				{"/v1/customers/a%20b/cases", "customer_id"},
			} {
				r := s.api("GET", q.path, svcSue, nil)
				if _, ok := r.fields(t)[q.field]; r.status != http.StatusBadRequest || !ok {
					t.Errorf("GET %s: %d %s, want 400 on %s", q.path, r.status, r.body, q.field)
				}
			}
		})
	}
}
