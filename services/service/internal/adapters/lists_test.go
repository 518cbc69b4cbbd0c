package adapters_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// fixture files eight cases, case i at t0+i minutes (7 and 8 at the same
// instant: the keyset breaks the tie by id), and returns them by number.
func fixture(t *testing.T, r *adapters.Cases) map[int]domain.Case {
	rows := []struct {
		n                                     int
		team, assignee, customer, owner, cust string
		state, typ                            string
	}{
		{1, "service-north", "svc-sun", "c1", "rep-ana", "north", domain.StateOpen, domain.TypeRepair},
		{2, "service-north", "", "c2", "rep-bo", "north", domain.StateNew, domain.TypeComplaint},
		{3, "service-south", "svc-wu", "c1", "rep-ana", "north", domain.StatePendingCustomer, domain.TypeRequest},
		{4, "service-south", "", "c3", "rep-cy", "south", domain.StateResolved, domain.TypeReturns},
		{5, "service-north", "svc-li", "c3", "rep-cy", "south", domain.StateClosed, domain.TypeConsultation},
		{6, "service-east", "svc-sun", "c4", "", "", domain.StateOpen, domain.TypeRepair},
		{7, "service-east", "", "c4", "", "", domain.StateNew, domain.TypeRequest},
		{8, "service-east", "svc-ed", "c2", "rep-bo", "north", domain.StatePendingInternal, domain.TypeComplaint},
	}
	out := map[int]domain.Case{}
	for _, row := range rows {
		d := draft(fmt.Sprintf("0190a000-0000-7000-8000-%012d", row.n))
		d.Team, d.AssigneeID, d.CustomerID, d.CustomerOwnerID, d.CustomerTeam, d.Type = row.team, row.assignee, row.customer, row.owner, row.cust, row.typ
		at := t0.Add(time.Duration(min(row.n, 7)) * time.Minute)
		c, e, err := domain.New(d, at)
		if err != nil {
			t.Fatal(err)
		}
		c.State = row.state
		if out[row.n], err = r.Create(context.Background(), c, e); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// all pages through a list with pages of two and returns the case numbers
// in the order listed.
func all(t *testing.T, fx map[int]domain.Case, list func(after *adapters.Cursor) (adapters.Page[domain.Case], error)) []int {
	t.Helper()
	num := map[string]int{}
	for n, c := range fx {
		num[c.ID] = n
	}
	var out []int
	var after *adapters.Cursor
	for range 10 {
		p, err := list(after)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) > 2 || (p.Next != nil && len(p.Items) != 2) {
			t.Fatalf("a page of %d with next %v", len(p.Items), p.Next)
		}
		for _, c := range p.Items {
			out = append(out, num[c.ID])
		}
		if p.Next == nil {
			return out
		}
		after = p.Next
	}
	t.Fatal("the pages never end")
	return nil
}

func TestListInScope(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, _ *gorm.DB) {
		ctx := context.Background()
		fx := fixture(t, r)
		cases := []struct {
			name string
			p    auth.Principal
			want []int // newest first
		}{
			{"a service rep: assigned to it, its team's", principal("svc-sun", []string{"service-north"}, auth.RoleRep), []int{6, 5, 2, 1}},
			{"a service rep of another team", principal("svc-wu", []string{"service-south"}, auth.RoleRep), []int{4, 3}},
			{"a sales rep: its customers' cases", principal("rep-ana", []string{"north"}, auth.RoleRep), []int{3, 1}},
			{"a sales rep without teams", principal("rep-cy", nil, auth.RoleRep), []int{5, 4}},
			{"a sales manager: its teams' customers", principal("mgr-mia", []string{"north"}, auth.RoleManager), []int{8, 3, 2, 1}},
			{"a service manager of two teams", principal("mgr-sun", []string{"service-north", "service-east"}, auth.RoleManager), []int{8, 7, 6, 5, 2, 1}},
			{"an analyst", principal("ann", nil, auth.RoleAnalyst), []int{8, 7, 6, 5, 4, 3, 2, 1}},
			{"an admin", principal("adm", nil, auth.RoleAdmin), []int{8, 7, 6, 5, 4, 3, 2, 1}},
			{"no role", principal("svc-sun", []string{"service-north"}), nil},
		}
		// 7 and 8 were filed at the same instant: the larger id lists first.
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s := domain.ScopeOf(c.p)
				got := all(t, fx, func(after *adapters.Cursor) (adapters.Page[domain.Case], error) {
					return r.List(ctx, s, domain.Filter{}, after, 2)
				})
				if !slices.Equal(got, c.want) {
					t.Errorf("listed %v, want %v", got, c.want)
				}
				// The query and domain.Scope.Sees (the 404 rule of a read by id) agree.
				for n, k := range fx {
					if s.Sees(k) != slices.Contains(c.want, n) {
						t.Errorf("Sees(case %d) = %v, the list says otherwise", n, s.Sees(k))
					}
				}
			})
		}
	})
}

func TestListFilters(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, _ *gorm.DB) {
		ctx := context.Background()
		fx := fixture(t, r)
		admin := domain.ScopeOf(principal("adm", nil, auth.RoleAdmin))
		cases := []struct {
			name  string
			scope domain.Scope
			f     domain.Filter
			want  []int
		}{
			{"active states", admin, domain.Filter{States: []string{domain.StateNew, domain.StateOpen, domain.StatePendingCustomer, domain.StatePendingInternal}}, []int{8, 7, 6, 3, 2, 1}},
			{"one state", admin, domain.Filter{States: []string{domain.StateOpen}}, []int{6, 1}},
			{"a team", admin, domain.Filter{Team: "service-north"}, []int{5, 2, 1}},
			{"a team's queue", admin, domain.Filter{Team: "service-east", Unassigned: true}, []int{7}},
			{"an assignee", admin, domain.Filter{AssigneeID: "svc-sun"}, []int{6, 1}},
			{"a customer", admin, domain.Filter{CustomerID: "c2"}, []int{8, 2}},
			{"a priority", admin, domain.Filter{Priority: domain.P2}, []int{8, 6, 2, 1}},
			{"a type", admin, domain.Filter{Type: domain.TypeRequest}, []int{7, 3}},
			{"all together", admin, domain.Filter{States: []string{domain.StateOpen}, Team: "service-east", AssigneeID: "svc-sun", CustomerID: "c4", Priority: domain.P2, Type: domain.TypeRepair}, []int{6}},
			{"a filter within a scope", domain.ScopeOf(principal("rep-ana", nil, auth.RoleRep)), domain.Filter{Team: "service-south"}, []int{3}},
			{"nothing matches", admin, domain.Filter{CustomerID: "c9"}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if err := c.f.Check(); err != nil {
					t.Fatal(err)
				}
				got := all(t, fx, func(after *adapters.Cursor) (adapters.Page[domain.Case], error) {
					return r.List(ctx, c.scope, c.f, after, 2)
				})
				if !slices.Equal(got, c.want) {
					t.Errorf("listed %v, want %v", got, c.want)
				}
			})
		}
		// The customer's history: its cases the caller sees.
		got := all(t, fx, func(after *adapters.Cursor) (adapters.Page[domain.Case], error) {
			return r.ForCustomer(ctx, domain.ScopeOf(principal("svc-wu", []string{"service-south"}, auth.RoleRep)), "c1", after, 2)
		})
		if !slices.Equal(got, []int{3}) {
			t.Errorf("c1 for svc-wu: %v", got)
		}
		got = all(t, fx, func(after *adapters.Cursor) (adapters.Page[domain.Case], error) {
			return r.ForCustomer(ctx, admin, "c1", after, 2)
		})
		if !slices.Equal(got, []int{3, 1}) {
			t.Errorf("c1 for an admin: %v", got)
		}
	})
}

func TestRefreshCustomerOwner(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, _ *gorm.DB) {
		ctx := context.Background()
		fx := fixture(t, r)
		before, _ := r.Get(ctx, fx[1].ID)
		// c1 moves from rep-ana to rep-dan of team south.
		n, err := r.RefreshCustomerOwner(ctx, "c1", "rep-dan", "south")
		if err != nil || n != 2 {
			t.Fatalf("refreshed %d cases: %v", n, err)
		}
		if n, _ := r.RefreshCustomerOwner(ctx, "c1", "rep-dan", "south"); n != 0 {
			t.Errorf("refreshed again: %d cases changed", n)
		}
		list := func(p auth.Principal) []int {
			return all(t, fx, func(after *adapters.Cursor) (adapters.Page[domain.Case], error) {
				return r.List(ctx, domain.ScopeOf(p), domain.Filter{}, after, 2)
			})
		}
		if got := list(principal("rep-ana", nil, auth.RoleRep)); got != nil {
			t.Errorf("the former owner still reads %v", got)
		}
		if got := list(principal("rep-dan", nil, auth.RoleRep)); !slices.Equal(got, []int{3, 1}) {
			t.Errorf("the new owner reads %v", got)
		}
		after, _ := r.Get(ctx, fx[1].ID)
		if after.Version != before.Version || after.CustomerOwnerID != "rep-dan" || after.CustomerTeam != "south" {
			t.Errorf("after the refresh: %+v", after)
		}
		// A later change of the case keeps the refreshed owner.
		got, err := r.Update(ctx, fx[1].ID, func(c *domain.Case) ([]domain.Entry, error) {
			n, es, err := domain.Note(*c, "x", "svc-sun", t0.Add(time.Hour))
			n.CustomerOwnerID = "someone-else" // not the case's to change
			*c = n
			return es, err
		})
		if err != nil || got.CustomerOwnerID != "rep-dan" {
			t.Fatalf("%+v %v", got, err)
		}
		if stored, _ := r.Get(ctx, fx[1].ID); stored.CustomerOwnerID != "rep-dan" {
			t.Errorf("an update wrote the customer's owner: %q", stored.CustomerOwnerID)
		}
	})
}

func TestTimelinePages(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, _ *gorm.DB) {
		ctx := context.Background()
		c := create(t, r, draft(adapters.NewID()), t0)
		var want, wantPublic []string
		want, wantPublic = append(want, "created"), append(wantPublic, "created")
		for i := range 6 {
			at := t0.Add(time.Duration(i+1) * time.Minute)
			if _, err := r.Update(ctx, c.ID, func(c *domain.Case) ([]domain.Entry, error) {
				if i%2 == 0 {
					n, es, err := domain.Note(*c, fmt.Sprint("note ", i), "svc-sun", at)
					*c = n
					return es, err
				}
				n, es, _, err := domain.Reply(*c, domain.Message{Direction: domain.Outbound, Body: fmt.Sprint("reply ", i), Actor: "svc-sun"}, at)
				*c = n
				return es, err
			}); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				want = append(want, "note 0", "state_changed") // the first note opened the case
				continue
			}
			label := fmt.Sprint([]string{"note", "reply"}[i%2], " ", i)
			want = append(want, label)
			if i%2 == 1 {
				wantPublic = append(wantPublic, label)
			}
		}
		for _, internal := range []bool{true, false} {
			var got []string
			var after *adapters.Cursor
			for {
				p, err := r.Timeline(ctx, c.ID, internal, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range p.Items {
					label := e.Kind
					if e.Body != "" && e.Kind != domain.KindCreated {
						label = e.Body
					}
					got = append(got, label)
				}
				if p.Next == nil {
					break
				}
				after = p.Next
			}
			w := want
			if !internal {
				w = wantPublic
			}
			if !slices.Equal(got, w) {
				t.Errorf("internal %v: %v\nwant %v", internal, got, w)
			}
		}
	})
}
