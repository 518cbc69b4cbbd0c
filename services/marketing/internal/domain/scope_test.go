package domain_test

import (
	"errors"
	"testing"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestScope(t *testing.T) {
	m := domain.Marketing{Teams: []string{"marketing", "events"}}
	// A campaign of team marketing owned by mk-lin.
	c := campaignIn(t, domain.StateDraft)
	a := func(id string, teams []string, roles ...string) domain.Actor {
		return domain.Actor{ID: id, Roles: roles, Teams: teams}
	}
	type can struct{ see, create, edit, approve, run bool }
	cases := []struct {
		name  string
		actor domain.Actor
		want  can
	}{
		{"the owner, a marketer of the team", marketer, can{true, true, true, false, true}},
		{"another marketer of the team", a("mk-wu", []string{"marketing"}, domain.RoleRep), can{true, true, true, false, false}},
		{"a marketer of another marketing team", a("mk-ev", []string{"events"}, domain.RoleRep), can{true, false, false, false, false}},
		{"the team's marketing manager", mManager, can{true, true, true, true, true}},
		{"the manager of another marketing team", a("mm-ev", []string{"events"}, domain.RoleManager), can{true, false, false, false, false}},
		{"an analyst", a("ann", nil, domain.RoleAnalyst), can{true, false, false, false, false}},
		{"an admin", a("adm", nil, domain.RoleAdmin), can{true, true, true, true, true}},
		{"a sales rep", a("rep-ana", []string{"north"}, domain.RoleRep), can{}},
		{"a sales manager", a("mgr-mia", []string{"north"}, domain.RoleManager), can{}},
		{"a service rep", a("svc-sun", []string{"service-north"}, domain.RoleRep), can{}},
		{"a member of the team without a role", a("x", []string{"marketing"}), can{}},
		{"the owner after leaving marketing", a("mk-lin", []string{"north"}, domain.RoleRep), can{}},
		{"an analyst who manages the team", a("ann", []string{"marketing"}, domain.RoleAnalyst, domain.RoleManager), can{true, true, true, true, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := can{m.CanSee(tc.actor, c), m.CanCreate(tc.actor, c.Team), m.CanEdit(tc.actor, c), m.CanApprove(tc.actor, c), m.CanRun(tc.actor, c)}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if m.SeesCampaigns(tc.actor) != tc.want.see || m.CanAddCost(tc.actor, c) != tc.want.edit {
				t.Error("SeesCampaigns or CanAddCost disagree")
			}
			// Check: out of sight is 404 for everything; in sight, each
			// operation's own refusal.
			checks := []struct {
				op      domain.Op
				allowed bool
				refusal error
			}{
				{domain.OpRead, true, nil},
				{domain.OpEdit, tc.want.edit, domain.ErrReadOnly},
				{domain.OpAddCost, tc.want.edit, domain.ErrReadOnly},
				{domain.OpApprove, tc.want.approve, domain.ErrNotMarketingManager},
				{domain.OpRun, tc.want.run, domain.ErrNotRunner},
			}
			for _, ch := range checks {
				err := m.Check(tc.actor, c, ch.op)
				switch {
				case !tc.want.see:
					if !errors.Is(err, domain.ErrNotFound) {
						t.Errorf("op %d: %v, want 404", ch.op, err)
					}
				case ch.allowed:
					if err != nil {
						t.Errorf("op %d: %v", ch.op, err)
					}
				case !errors.Is(err, ch.refusal):
					t.Errorf("op %d: %v, want %v", ch.op, err, ch.refusal)
				}
			}
		})
	}
}

func TestScopeAgreesWithMove(t *testing.T) {
	// Who Marketing lets approve and run, Move lets too.
	m := domain.Marketing{Teams: []string{"marketing"}}
	for _, a := range []domain.Actor{marketer, mManager, {ID: "adm", Roles: []string{domain.RoleAdmin}}, {ID: "mk-wu", Roles: []string{domain.RoleRep}, Teams: []string{"marketing"}}} {
		_, err := campaignIn(t, domain.StateDraft).Move(domain.StateApproved, a, t0)
		if (err == nil) != m.CanApprove(a, campaignIn(t, domain.StateDraft)) {
			t.Errorf("%s: approve %v", a.ID, err)
		}
		_, err = campaignIn(t, domain.StateApproved).Move(domain.StateRunning, a, t0)
		if (err == nil) != m.CanRun(a, campaignIn(t, domain.StateApproved)) {
			t.Errorf("%s: launch %v", a.ID, err)
		}
	}
}

func TestCheckCreate(t *testing.T) {
	m := domain.Marketing{Teams: []string{"marketing", "events"}}
	cases := []struct {
		name  string
		actor domain.Actor
		team  string
		want  error
		field string // the 422's field code on "team"
	}{
		{"a marketer for their team", marketer, "marketing", nil, ""},
		{"a marketing manager for their team", mManager, "marketing", nil, ""},
		{"an admin for any marketing team", domain.Actor{ID: "adm", Roles: []string{domain.RoleAdmin}}, "events", nil, ""},
		{"a marketer for another marketing team", marketer, "events", nil, "out_of_scope"},
		{"an admin for a sales team", domain.Actor{ID: "adm", Roles: []string{domain.RoleAdmin}}, "north", nil, "not_marketing"},
		{"a marketer for a sales team they also belong to", domain.Actor{ID: "mk", Roles: []string{domain.RoleRep}, Teams: []string{"marketing", "north"}}, "north", nil, "not_marketing"},
		{"a sales rep", domain.Actor{ID: "rep", Roles: []string{domain.RoleRep}, Teams: []string{"north"}}, "north", domain.ErrCreateNotAllowed, ""},
		{"an analyst", domain.Actor{ID: "ann", Roles: []string{domain.RoleAnalyst}}, "marketing", domain.ErrCreateNotAllowed, ""},
	}
	for _, tc := range cases {
		err := m.CheckCreate(tc.actor, tc.team)
		switch {
		case tc.want != nil:
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		case tc.field != "":
			if got := fields(t, err); got["team"] != tc.field {
				t.Errorf("%s: %v, want team %s", tc.name, err, tc.field)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestMarketingValidate(t *testing.T) {
	if err := (domain.Marketing{Teams: []string{"marketing"}}).Validate(); err != nil {
		t.Error(err)
	}
	for _, m := range []domain.Marketing{{}, {Teams: []string{" "}}} {
		if fields(t, m.Validate())["teams"] != "required" {
			t.Errorf("%+v accepted", m)
		}
	}
}

func TestActorOf(t *testing.T) {
	p := auth.Principal{Subject: "mk-lin", Roles: []auth.Role{auth.RoleRep, auth.RoleAnalyst}, Teams: []string{"marketing"}}
	a := domain.ActorOf(p)
	if a.ID != "mk-lin" || !a.Has(domain.RoleRep) || !a.Has(domain.RoleAnalyst) || a.Has(domain.RoleAdmin) || !a.InTeam("marketing") || a.InTeam("") {
		t.Errorf("ActorOf: %+v", a)
	}
	p.Teams[0] = "north"
	if !a.InTeam("marketing") {
		t.Error("the actor shares its teams with the principal")
	}
}

func TestOpFor(t *testing.T) {
	for to, want := range map[domain.State]domain.Op{domain.StateApproved: domain.OpApprove, domain.StateRunning: domain.OpRun,
		domain.StateCompleted: domain.OpRun, domain.StateCancelled: domain.OpRun} {
		if got := domain.OpFor(to); got != want {
			t.Errorf("OpFor(%s) = %d", to, got)
		}
	}
}
