package adapters_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// slipFixture stores eight slips, slip i filed at st0+i minutes (7 and 8 at
// the same instant: the keyset breaks the tie by id), and changes some:
//
//	1 rep-ana (north)       → service dept (team service), mkt-mo
//	2 rep-bo (south)        → svc-sun (service), acknowledged
//	3 svc-lin (service)     → sales dept, team north
//	4 rep-ana (north)       → marketing dept; withdrawn
//	5 mkt-mo (marketing)    → p-00 (service-west)
//	6 rep-bo (south)        → service dept, team service-west; routed to p-01, who rejects it
//	7 svc-sun (no team)     → mkt-mo, for customer 1
//	8 rep-ana (north)       → p-02, forwarded to svc-sun
func slipFixture(t *testing.T, r *adapters.Slips) map[int]domain.Slip {
	ctx := context.Background()
	rows := []struct {
		n      int
		sender auth.Principal
		to     []domain.RecipientInput
	}{
		{1, slipSender("rep-ana", "north"), []domain.RecipientInput{toDept("service", ""), toPerson("mkt-mo")}},
		{2, slipSender("rep-bo", "south"), []domain.RecipientInput{toPerson("svc-sun")}},
		{3, slipSender("svc-lin", "service"), []domain.RecipientInput{toDept("sales", "north")}},
		{4, slipSender("rep-ana", "north"), []domain.RecipientInput{toDept("marketing", "")}},
		{5, slipSender("mkt-mo", "marketing"), []domain.RecipientInput{toPerson("p-00")}},
		{6, slipSender("rep-bo", "south"), []domain.RecipientInput{toDept("service", "service-west")}},
		{7, slipSender("svc-sun"), []domain.RecipientInput{toPerson("mkt-mo")}},
		{8, slipSender("rep-ana", "north"), []domain.RecipientInput{toPerson("p-02")}},
	}
	out := map[int]domain.Slip{}
	for _, row := range rows {
		out[row.n] = fileSlip(t, r, row.n, row.sender, st0.Add(time.Duration(min(row.n, 7))*time.Minute), row.to...)
	}
	at := st0.Add(time.Hour)
	change := func(n int, cmds ...domain.SlipCommand) {
		for _, c := range cmds {
			s, err := r.Update(ctx, out[n].ID, apply(c, at))
			if err != nil {
				t.Fatal(err)
			}
			out[n] = s
		}
	}
	change(2, domain.SlipCommand{Op: infoslip.OpAcknowledge, Actor: "svc-sun", Recipient: 1})
	change(4, domain.SlipCommand{Op: infoslip.OpWithdraw, Actor: "rep-ana"})
	change(6, domain.SlipCommand{Op: infoslip.OpRoute, Actor: "mgr-west", Recipient: 1, UserID: "p-01"},
		domain.SlipCommand{Op: infoslip.OpReject, Actor: "p-01", Recipient: 1, Text: "not ours"})
	change(8, domain.SlipCommand{Op: infoslip.OpForward, Actor: "p-02", Recipient: 1, To: &domain.RecipientInput{Kind: infoslip.KindPerson, UserID: "svc-sun"}})
	return out
}

// allSlips pages through a list with pages of two and returns the slip
// numbers in the order listed.
func allSlips(t *testing.T, fx map[int]domain.Slip, list func(after *adapters.Cursor) (adapters.Page[domain.Slip], error)) []int {
	t.Helper()
	num := map[string]int{}
	for n, s := range fx {
		num[s.ID] = n
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
		for _, s := range p.Items {
			if !reflect.DeepEqual(s, fx[num[s.ID]]) {
				t.Fatalf("listed %+v\nstored %+v", s, fx[num[s.ID]])
			}
			out = append(out, num[s.ID])
		}
		if p.Next == nil {
			return out
		}
		after = p.Next
	}
	t.Fatal("the pages never end")
	return nil
}

func TestSlipListScopes(t *testing.T) {
	eachSlips(t, func(t *testing.T, r *adapters.Slips, _ *gorm.DB) {
		ctx := context.Background()
		fx := slipFixture(t, r)
		p := func(sub string, teams []string, roles ...auth.Role) auth.Principal {
			return auth.Principal{Subject: sub, Roles: roles, Teams: teams}
		}
		cases := []struct {
			name string
			p    auth.Principal
			want []int // newest first
		}{
			{"an originator", p("rep-ana", []string{"north"}, auth.RoleRep), []int{8, 4, 1}},
			{"a person who received two and sent one", p("svc-sun", []string{"service"}, auth.RoleRep), []int{8, 7, 2}},
			{"a person who forwarded their part", p("p-02", []string{"service-west"}, auth.RoleRep), []int{8}},
			{"a person a department's part was routed to", p("p-01", []string{"service-west"}, auth.RoleRep), []int{6}},
			{"the service team's manager", p("mgr-svc", []string{"service"}, auth.RoleManager), []int{8, 3, 2, 1}},
			{"the north team's manager", p("mgr-north", []string{"north"}, auth.RoleManager), []int{8, 4, 3, 1}},
			{"a manager of two teams", p("mgr-x", []string{"marketing", "service-west"}, auth.RoleManager), []int{8, 7, 6, 5, 4, 1}},
			{"a rep of the service team", p("svc-lin", []string{"service"}, auth.RoleRep), []int{3}},
			{"an analyst", p("ann", nil, auth.RoleAnalyst), []int{}},
			{"a manager without teams", p("mgr-none", nil, auth.RoleManager), []int{}},
			{"no role", p("rep-ana", []string{"north"}), []int{}},
			{"an admin", p("adm", nil, auth.RoleAdmin), []int{8, 7, 6, 5, 4, 3, 2, 1}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sc := domain.SlipScopeOf(c.p)
				got := allSlips(t, fx, func(after *adapters.Cursor) (adapters.Page[domain.Slip], error) {
					return r.List(ctx, sc, domain.SlipFilter{}, after, 2)
				})
				if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
					t.Fatalf("listed %v, want %v", got, c.want)
				}
				// The SQL agrees with the domain's rule.
				var sees []int
				for n := 8; n >= 1; n-- {
					if sc.Sees(fx[n]) {
						sees = append(sees, n)
					}
				}
				if !slices.Equal(got, sees) && !(len(got) == 0 && len(sees) == 0) {
					t.Fatalf("listed %v; the domain sees %v", got, sees)
				}
			})
		}
	})
}

func TestSlipListFilters(t *testing.T) {
	eachSlips(t, func(t *testing.T, r *adapters.Slips, _ *gorm.DB) {
		ctx := context.Background()
		fx := slipFixture(t, r)
		admin := domain.SlipScopeOf(auth.Principal{Subject: "adm", Roles: []auth.Role{auth.RoleAdmin, auth.RoleManager}, Teams: []string{"service-west"}})
		ana := domain.SlipScopeOf(auth.Principal{Subject: "rep-ana", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}})
		sun := domain.SlipScopeOf(auth.Principal{Subject: "svc-sun", Roles: []auth.Role{auth.RoleRep}})
		mgr := domain.SlipScopeOf(auth.Principal{Subject: "mgr-svc", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"service", "service-west"}})
		cases := []struct {
			name  string
			scope domain.SlipScope
			f     domain.SlipFilter
			want  []int
		}{
			{"sent", ana, domain.SlipFilter{Role: domain.SlipRoleSent}, []int{8, 4, 1}},
			{"sent and open", ana, domain.SlipFilter{Role: domain.SlipRoleSent, State: infoslip.StateOpen}, []int{8, 1}},
			{"sent, with a part forwarded", ana, domain.SlipFilter{Role: domain.SlipRoleSent, RecipientState: infoslip.RecipientForwarded}, []int{8}},
			{"received", sun, domain.SlipFilter{Role: domain.SlipRoleReceived}, []int{8, 2}},
			{"received, my part pending", sun, domain.SlipFilter{Role: domain.SlipRoleReceived, RecipientState: infoslip.RecipientPending}, []int{8}},
			{"received, my part acknowledged", sun, domain.SlipFilter{Role: domain.SlipRoleReceived, RecipientState: infoslip.RecipientAcknowledged}, []int{2}},
			{"received by an originator", ana, domain.SlipFilter{Role: domain.SlipRoleReceived}, []int{}},
			{"my teams'", mgr, domain.SlipFilter{Role: domain.SlipRoleTeam}, []int{8, 6, 5, 2, 1}},
			{"my teams', rejected", mgr, domain.SlipFilter{Role: domain.SlipRoleTeam, RecipientState: infoslip.RecipientRejected}, []int{6}},
			{"my teams', pending", mgr, domain.SlipFilter{Role: domain.SlipRoleTeam, RecipientState: infoslip.RecipientPending}, []int{8, 5, 1}},
			{"a rep's teams'", sun, domain.SlipFilter{Role: domain.SlipRoleTeam}, []int{}},
			{"the team of an admin who manages one", admin, domain.SlipFilter{Role: domain.SlipRoleTeam}, []int{8, 6, 5}},
			{"withdrawn", admin, domain.SlipFilter{State: infoslip.StateWithdrawn}, []int{4}},
			{"any part rejected", admin, domain.SlipFilter{RecipientState: infoslip.RecipientRejected}, []int{6}},
			{"a customer's", admin, domain.SlipFilter{CustomerID: fx[1].CustomerID}, []int{7, 4, 1}},
			{"a customer's in scope", sun, domain.SlipFilter{CustomerID: fx[1].CustomerID}, []int{7}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if err := c.f.Check(); err != nil {
					t.Fatal(err)
				}
				got := allSlips(t, fx, func(after *adapters.Cursor) (adapters.Page[domain.Slip], error) {
					return r.List(ctx, c.scope, c.f, after, 2)
				})
				if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
					t.Fatalf("listed %v, want %v", got, c.want)
				}
			})
		}
	})
}

func TestSlipTimelinePages(t *testing.T) {
	eachSlips(t, func(t *testing.T, r *adapters.Slips, _ *gorm.DB) {
		ctx := context.Background()
		s := fileSlip(t, r, 1, slipSender("rep-ana", "north"), st0, toPerson("svc-sun"), toPerson("mkt-mo"))
		at := st0.Add(time.Minute)
		for _, c := range []domain.SlipCommand{
			{Op: infoslip.OpAcknowledge, Actor: "svc-sun", Recipient: 1},
			{Op: infoslip.OpDone, Actor: "svc-sun", Recipient: 1, Text: "done"},
			{Op: infoslip.OpReject, Actor: "mkt-mo", Recipient: 2, Text: "no"},
			{Op: infoslip.OpDismiss, Actor: "rep-ana", Recipient: 2},
			{Op: infoslip.OpConfirm, Actor: "rep-ana"},
		} {
			if _, err := r.Update(ctx, s.ID, apply(c, at)); err != nil { // one instant: the ids order them
				t.Fatal(err)
			}
		}
		var kinds []string
		var after *adapters.Cursor
		for range 10 {
			p, err := r.Timeline(ctx, s.ID, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Items {
				kinds = append(kinds, e.Kind)
			}
			if after = p.Next; after == nil {
				break
			}
		}
		want := []string{"created", "acknowledged", "done", "rejected", "dismissed", "closed"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("timeline %v, want %v", kinds, want)
		}
	})
}
