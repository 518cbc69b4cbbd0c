package domain_test

import (
	"errors"
	"maps"
	"testing"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

func TestScope(t *testing.T) {
	// A case of team service-north, assigned to svc-sun, for a customer that
	// rep-ana of sales team north owns.
	c := caseIn(domain.StateOpen)
	c.AssigneeID = "svc-sun"
	p := func(sub string, teams []string, roles ...auth.Role) auth.Principal {
		return auth.Principal{Subject: sub, Roles: roles, Teams: teams}
	}
	const (
		none = iota
		reads
		works
	)
	cases := []struct {
		name string
		p    auth.Principal
		want int
	}{
		{"the assignee", p("svc-sun", nil, auth.RoleRep), works},
		{"a rep of the case's team", p("svc-li", []string{"service-north"}, auth.RoleRep), works},
		{"a rep of another team", p("svc-wu", []string{"service-south"}, auth.RoleRep), none},
		{"the customer's owner (a sales rep)", p("rep-ana", []string{"north"}, auth.RoleRep), reads},
		{"another sales rep of the customer's team", p("rep-cy", []string{"north"}, auth.RoleRep), none},
		{"the manager of the case's team", p("mgr-sun", []string{"service-north"}, auth.RoleManager), works},
		{"the manager of the customer's team (sales)", p("mgr-mia", []string{"north"}, auth.RoleManager), reads},
		{"a manager of other teams", p("mgr-x", []string{"south", "service-south"}, auth.RoleManager), none},
		{"a manager without teams", p("mgr-y", nil, auth.RoleManager), none},
		{"an analyst", p("ann", nil, auth.RoleAnalyst), reads},
		{"an analyst who manages the team", p("ann", []string{"service-north"}, auth.RoleAnalyst, auth.RoleManager), works},
		{"an admin", p("adm", nil, auth.RoleAdmin), works},
		{"no role", p("svc-sun", []string{"service-north"}), none},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := domain.ScopeOf(tc.p)
			if got := s.Sees(c); got != (tc.want != none) {
				t.Errorf("Sees = %v", got)
			}
			if got := s.Works(c); got != (tc.want == works) {
				t.Errorf("Works = %v", got)
			}
			read, change := s.Check(c, false), s.Check(c, true)
			switch tc.want {
			case none:
				if !errors.Is(read, domain.ErrCaseNotFound) || !errors.Is(change, domain.ErrCaseNotFound) {
					t.Errorf("out of scope: %v, %v; want 404 both", read, change)
				}
			case reads:
				if read != nil || !errors.Is(change, domain.ErrCaseReadOnly) {
					t.Errorf("read-only: %v, %v", read, change)
				}
			case works:
				if read != nil || change != nil {
					t.Errorf("worked: %v, %v", read, change)
				}
			}
		})
	}
	// A case in a team's queue is worked by the team, not by a rep whose
	// subject happens to be empty.
	q := c
	q.AssigneeID = ""
	if domain.ScopeOf(p("", nil, auth.RoleRep)).Sees(q) {
		t.Error("an empty subject saw a queued case")
	}
	// A customer without a team is not read by a manager of teams.
	o := c
	o.CustomerOwnerID, o.CustomerTeam = "", ""
	if domain.ScopeOf(p("mgr-mia", []string{"north"}, auth.RoleManager)).Sees(o) || domain.ScopeOf(p("rep-ana", nil, auth.RoleRep)).Sees(o) {
		t.Error("a case of an unowned customer was seen through customer ownership")
	}
}

func TestFilterCheck(t *testing.T) {
	if err := (domain.Filter{States: []string{domain.StateNew, domain.StateOpen}, Team: "service-north", Priority: domain.P1, Type: domain.TypeRepair, Unassigned: true}).Check(); err != nil {
		t.Errorf("a good filter: %v", err)
	}
	err := domain.Filter{States: []string{"lost"}, Priority: "P9", Type: "x", AssigneeID: "svc-sun", Unassigned: true, CustomerID: "a b"}.Check()
	want := map[string]string{"state": "invalid", "priority": "invalid", "type": "invalid", "assignee_id": "conflict", "customer_id": "invalid"}
	if got := fields(t, err); !maps.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

func TestSeesInternal(t *testing.T) {
	// The case of TestScope: team service-north, for rep-ana's customer.
	c := caseIn(domain.StateOpen)
	for _, tc := range []struct {
		name string
		p    auth.Principal
		want bool
	}{
		{"a rep of the case's team", auth.Principal{Subject: "svc-li", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"service-north"}}, true},
		{"the manager of the case's team", auth.Principal{Subject: "mgr-sun", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"service-north"}}, true},
		{"an analyst", auth.Principal{Subject: "ann", Roles: []auth.Role{auth.RoleAnalyst}}, true},
		{"an admin", auth.Principal{Subject: "adm", Roles: []auth.Role{auth.RoleAdmin}}, true},
		{"the customer's owner (a sales rep)", auth.Principal{Subject: "rep-ana", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}}, false},
		{"the manager of the customer's team (sales)", auth.Principal{Subject: "mgr-mia", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north"}}, false},
	} {
		if got := domain.ScopeOf(tc.p).SeesInternal(c); got != tc.want {
			t.Errorf("%s: SeesInternal = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckFile(t *testing.T) {
	// rep-ana (sales, north) owns the customer; the case goes to service-north.
	c := caseIn(domain.StateNew)
	p := func(sub string, teams []string, roles ...auth.Role) domain.Scope {
		return domain.ScopeOf(auth.Principal{Subject: sub, Roles: roles, Teams: teams})
	}
	ana, mia := p("rep-ana", []string{"north"}, auth.RoleRep), p("mgr-mia", []string{"north"}, auth.RoleManager)
	svc, adm := p("svc-li", []string{"service-north"}, auth.RoleRep), p("adm", nil, auth.RoleAdmin)
	ok := []struct {
		name     string
		s        domain.Scope
		assignee string
	}{
		{"the customer's owner, to the service team's queue", ana, ""},
		{"the customer's owner, taking it themselves", ana, "rep-ana"},
		{"the customer's team manager, to the queue", mia, ""},
		{"a rep of the team, to a colleague", svc, "svc-sun"},
		{"an admin, to anyone", adm, "svc-sun"},
	}
	for _, tc := range ok {
		k := c
		k.AssigneeID = tc.assignee
		if err := tc.s.CheckFile(k); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for _, s := range []domain.Scope{p("ann", nil, auth.RoleAnalyst), p("mgr-y", nil, auth.RoleManager)} {
		if err := s.CheckFile(c); !errors.Is(err, domain.ErrFileNotAllowed) {
			t.Errorf("a scope that works nothing filed a case: %v", err)
		}
	}
	k := c
	k.AssigneeID = "svc-sun"
	if got := fields(t, ana.CheckFile(k)); !maps.Equal(got, map[string]string{"assignee_id": "not_allowed"}) {
		t.Errorf("a sales rep assigned the service team's case: %v", got)
	}
	// A rep of another team filing for a customer they do not read would not
	// see the case (the customer service would not have shown it to them).
	if got := fields(t, p("svc-wu", []string{"service-south"}, auth.RoleRep).CheckFile(c)); !maps.Equal(got, map[string]string{"team": "out_of_scope"}) {
		t.Errorf("an unseen case was filed: %v", got)
	}
}
