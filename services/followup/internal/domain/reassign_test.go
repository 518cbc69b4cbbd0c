package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

func TestReassignmentCheck(t *testing.T) {
	long := strings.Repeat("x", 201)
	for _, c := range []struct {
		name string
		r    domain.Reassignment
		want string
	}{
		{"owner and reason", domain.Reassignment{OwnerID: "rep-cy", Reason: "Ana is on leave"}, ""},
		{"with a team", domain.Reassignment{OwnerID: "rep-cy", Team: "south", Reason: "x"}, ""},
		{"nothing", domain.Reassignment{}, "owner_id:required,reason:required"},
		{"blank reason", domain.Reassignment{OwnerID: "rep-cy", Reason: "  "}, "reason:required"},
		{"too long", domain.Reassignment{OwnerID: long, Team: long, Reason: strings.Repeat("é", 2001)}, "owner_id:too_long,team:invalid,reason:too_long"},
		{"reason of 2000 characters", domain.Reassignment{OwnerID: "rep-cy", Reason: strings.Repeat("é", 2000)}, ""},
		{"a list of teams", domain.Reassignment{OwnerID: "rep-cy", Team: "north,south", Reason: "x"}, "team:invalid"},
	} {
		if got := fields(c.r.Check()); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestReassign(t *testing.T) {
	t1 := t0.Add(72 * time.Hour)
	t.Run("same team: owner changes, due time, level and state stay, history says who and why", func(t *testing.T) {
		f := opened(t)
		f.OwnerID = "rep-ana"
		f.RecordStep(domain.Step{Level: 1, Action: "escalate_manager", ScheduledAt: due}, due)
		f.Pending = nil
		if err := f.Reassign(domain.Reassignment{OwnerID: "rep-cy", Reason: "Ana is on leave", By: "mgr-mia"}, t1); err != nil {
			t.Fatal(err)
		}
		if f.OwnerID != "rep-cy" || f.Team != "north" || !f.DueAt.Equal(due) || f.EscalationLevel != 1 || f.State != domain.StateEscalated || !f.UpdatedAt.Equal(t1) {
			t.Fatalf("after reassign %+v", f)
		}
		if len(f.Pending) != 1 {
			t.Fatalf("history %+v", f.Pending)
		}
		e := f.Pending[0]
		if e.Action != "reassigned" || e.Actor != "mgr-mia" || e.Level != 1 || !e.At.Equal(t1) || e.ScheduledAt != nil ||
			e.Detail != "reassigned from rep-ana to rep-cy: Ana is on leave" {
			t.Fatalf("history entry %+v", e)
		}
	})
	t.Run("another team", func(t *testing.T) {
		f := opened(t)
		f.OwnerID = "rep-ana"
		if err := f.Reassign(domain.Reassignment{OwnerID: "rep-bo", Team: "south", Reason: "moved", By: "admin-ada"}, t1); err != nil {
			t.Fatal(err)
		}
		if f.OwnerID != "rep-bo" || f.Team != "south" || f.Pending[0].Detail != "reassigned from rep-ana (team north) to rep-bo (team south): moved" {
			t.Fatalf("after reassign %+v", f)
		}
	})
	t.Run("same owner, other team", func(t *testing.T) {
		f := opened(t)
		f.OwnerID = "mgr-both"
		if err := f.Reassign(domain.Reassignment{OwnerID: "mgr-both", Team: "south", Reason: "x", By: "admin-ada"}, t1); err != nil || f.Team != "south" {
			t.Fatalf("%v %+v", err, f)
		}
	})
	for _, c := range []struct {
		name string
		prep func(*domain.FollowUp)
		r    domain.Reassignment
		want string
	}{
		{"to its owner", nil, domain.Reassignment{OwnerID: "rep-ana", Reason: "x"}, "same_owner"},
		{"to its owner and team named", nil, domain.Reassignment{OwnerID: "rep-ana", Team: "north", Reason: "x"}, "same_owner"},
		{"done", func(f *domain.FollowUp) { _ = f.Close(domain.Closing{State: "done"}, t0) }, domain.Reassignment{OwnerID: "rep-cy", Reason: "x"}, "already_closed"},
		{"cancelled", func(f *domain.FollowUp) { _ = f.Close(domain.Closing{State: "cancelled"}, t0) }, domain.Reassignment{OwnerID: "rep-cy", Reason: "x"}, "already_closed"},
	} {
		f := opened(t)
		f.OwnerID = "rep-ana"
		if c.prep != nil {
			c.prep(&f)
		}
		f.Pending = nil
		before := f
		if got := code(f.Reassign(c.r, t1)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if f.OwnerID != before.OwnerID || f.Team != before.Team || len(f.Pending) != 0 {
			t.Errorf("%s: refused but changed %+v", c.name, f)
		}
	}
}

func TestOwnerHeldBy(t *testing.T) {
	for _, c := range []struct {
		name      string
		f         domain.FollowUp
		code      string
		endpoint  string
		mentioned string
	}{
		{"opened through the API", domain.FollowUp{Kind: "callback", WorkflowID: wfc.FollowUpWorkflowID("f1"), OpenedBy: "mgr-mia"}, "", "", ""},
		{"care contact a person opened", domain.FollowUp{Kind: "care_contact", WorkflowID: wfc.FollowUpWorkflowID("f1"), OpenedBy: "mgr-mia"}, "", "", ""},
		{"started by another workflow", domain.FollowUp{Kind: "first_contact", WorkflowID: wfc.FollowUpWorkflowID("f1"), OpenedBy: "workflow"}, "", "", ""},
		{"a lead's first contact", domain.FollowUp{Kind: "first_contact", WorkflowID: wfc.LeadWorkflowID("l-7"), OpenedBy: "workflow"},
			"owner_held_by_lead", "POST /v1/leads/{id}/reassign", "POST /v1/leads/l-7/reassign"},
		{"an opportunity's stage review", domain.FollowUp{Kind: "stale_stage", WorkflowID: wfc.OpportunityWorkflowID("o-3"), OpenedBy: "workflow"},
			"owner_held_by_opportunity", "POST /v1/opportunities/{id}/stage", "POST /v1/opportunities/o-3/stage"},
		{"a visit's log", domain.FollowUp{Kind: "visit_log", WorkflowID: wfc.VisitWorkflowID("c-1", "2026-04-02"), OpenedBy: "workflow"},
			"owner_held_by_visit", "POST /v1/visits/{id}/log", "GET /v1/customers/c-1/visits"},
		{"a care sweep's care contact", domain.FollowUp{Kind: "care_contact", CustomerID: "c-9", WorkflowID: wfc.FollowUpWorkflowID("f2"), OpenedBy: "system:care"},
			"owner_held_by_customer", "PATCH /v1/customers/{id}", "PATCH /v1/customers/c-9"},
	} {
		err := domain.OwnerHeldBy(&c.f)
		if got := code(err); got != c.code {
			t.Errorf("%s: %q, want %q", c.name, got, c.code)
			continue
		}
		if err == nil {
			continue
		}
		var e *apperr.Error
		errors.As(err, &e)
		if e.Kind != apperr.KindConflict || e.Meta["endpoint"] != c.endpoint || !strings.Contains(e.Message, c.mentioned) {
			t.Errorf("%s: %v %v %q", c.name, e.Kind, e.Meta, e.Message)
		}
	}
}

func TestCheckReassigner(t *testing.T) {
	mgr := auth.Principal{Subject: "mgr-mia", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north", "east"}}
	for _, c := range []struct {
		name string
		p    auth.Principal
		team string
		want string
	}{
		{"admin, any team", auth.Principal{Roles: []auth.Role{auth.RoleAdmin}}, "south", ""},
		{"manager, its team", mgr, "north", ""},
		{"manager, its other team", mgr, "east", ""},
		{"manager, another team", mgr, "south", "owner_out_of_scope"},
		{"rep", auth.Principal{Subject: "rep-ana", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}}, "north", "forbidden"},
		{"analyst", auth.Principal{Roles: []auth.Role{auth.RoleAnalyst}}, "north", "forbidden"},
	} {
		if got := code(domain.CheckReassigner(c.p, c.team)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCheckNewOwner(t *testing.T) {
	rep := func(id string, teams ...string) *domain.User {
		return &domain.User{ID: id, Roles: []string{"rep"}, Teams: teams}
	}
	for _, c := range []struct {
		name string
		u    *domain.User
		want string
	}{
		{"a rep of the team", rep("rep-cy", "north"), ""},
		{"a rep of two teams", rep("rep-cy", "south", "north"), ""},
		{"a manager of the team", &domain.User{ID: "rep-cy", Roles: []string{"manager"}, Teams: []string{"north"}}, ""},
		{"nobody", nil, "owner_id:unknown_owner"},
		{"another id", rep("rep-cyd", "north"), "owner_id:unknown_owner"},
		{"disabled", &domain.User{ID: "rep-cy", Roles: []string{"rep"}, Teams: []string{"north"}, Disabled: true}, "owner_id:unknown_owner"},
		{"of another team", rep("rep-cy", "south"), "owner_id:unknown_owner"},
		{"an analyst", &domain.User{ID: "rep-cy", Roles: []string{"analyst"}, Teams: []string{"north"}}, "owner_id:unknown_owner"},
		{"seeded, without roles yet", &domain.User{ID: "rep-cy", Teams: []string{"north"}}, "owner_id:unknown_owner"},
	} {
		if got := fields(domain.CheckNewOwner("rep-cy", "north", c.u)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
