package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestCheckTransition(t *testing.T) {
	// Every pair of states: the allowed moves, and why every other is refused.
	allowed := map[[2]domain.State]bool{
		{domain.StateDraft, domain.StateApproved}:     true,
		{domain.StateDraft, domain.StateCancelled}:    true,
		{domain.StateApproved, domain.StateRunning}:   true,
		{domain.StateApproved, domain.StateCancelled}: true,
		{domain.StateRunning, domain.StateCompleted}:  true,
		{domain.StateRunning, domain.StateCancelled}:  true,
	}
	for _, from := range domain.States {
		for _, to := range domain.States {
			err := domain.CheckTransition(from, to)
			var want error
			switch {
			case allowed[[2]domain.State{from, to}]:
			case from == to:
				want = domain.ErrStateUnchanged
			case from == domain.StateDraft && to == domain.StateRunning:
				want = domain.ErrApprovalRequired
			default:
				want = domain.ErrTransition
			}
			if (want == nil && err != nil) || (want != nil && !errors.Is(err, want)) {
				t.Errorf("%s → %s: %v, want %v", from, to, err, want)
			}
			if got := domain.CanMove(from, to); got != allowed[[2]domain.State{from, to}] {
				t.Errorf("CanMove(%s, %s) = %v", from, to, got)
			}
		}
	}
	if got := fields(t, domain.CheckTransition(domain.StateDraft, "paused")); got["state"] != "invalid" {
		t.Errorf("unknown state: %v", got)
	}
	if !domain.StateCompleted.Final() || !domain.StateCancelled.Final() || domain.StateRunning.Final() {
		t.Error("final states")
	}
}

func TestMove(t *testing.T) {
	admin := domain.Actor{ID: "adm", Roles: []string{domain.RoleAdmin}}
	owner := marketer // the campaign's owner, a rep of its team
	otherRep := domain.Actor{ID: "mk-wu", Roles: []string{domain.RoleRep}, Teams: []string{"marketing"}}
	otherManager := domain.Actor{ID: "mm-x", Roles: []string{domain.RoleManager}, Teams: []string{"events"}}
	analyst := domain.Actor{ID: "ann", Roles: []string{domain.RoleAnalyst}}
	cases := []struct {
		name     string
		from, to domain.State
		actor    domain.Actor
		want     error
	}{
		{"the team's manager approves", domain.StateDraft, domain.StateApproved, mManager, nil},
		{"an admin approves", domain.StateDraft, domain.StateApproved, admin, nil},
		{"the owner does not approve", domain.StateDraft, domain.StateApproved, owner, domain.ErrNotMarketingManager},
		{"a manager of another team does not approve", domain.StateDraft, domain.StateApproved, otherManager, domain.ErrNotMarketingManager},
		{"an analyst does not approve", domain.StateDraft, domain.StateApproved, analyst, domain.ErrNotMarketingManager},
		{"a draft is approved before launch", domain.StateDraft, domain.StateRunning, mManager, domain.ErrApprovalRequired},
		{"the owner launches", domain.StateApproved, domain.StateRunning, owner, nil},
		{"the team's manager launches", domain.StateApproved, domain.StateRunning, mManager, nil},
		{"another rep of the team does not launch", domain.StateApproved, domain.StateRunning, otherRep, domain.ErrNotRunner},
		{"the owner completes", domain.StateRunning, domain.StateCompleted, owner, nil},
		{"an admin completes", domain.StateRunning, domain.StateCompleted, admin, nil},
		{"the owner cancels a draft", domain.StateDraft, domain.StateCancelled, owner, nil},
		{"the manager cancels an approved campaign", domain.StateApproved, domain.StateCancelled, mManager, nil},
		{"the owner cancels a running campaign", domain.StateRunning, domain.StateCancelled, owner, nil},
		{"another rep does not cancel", domain.StateRunning, domain.StateCancelled, otherRep, domain.ErrNotRunner},
		{"a completed campaign is not cancelled", domain.StateCompleted, domain.StateCancelled, admin, domain.ErrTransition},
		{"a cancelled campaign does not run", domain.StateCancelled, domain.StateRunning, admin, domain.ErrTransition},
		{"a running campaign is not approved again", domain.StateRunning, domain.StateApproved, admin, domain.ErrTransition},
		{"an approved campaign is not approved again", domain.StateApproved, domain.StateApproved, admin, domain.ErrStateUnchanged},
		{"the state machine answers before the actor's part", domain.StateDraft, domain.StateRunning, otherRep, domain.ErrApprovalRequired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := campaignIn(t, tc.from)
			at := t0.Add(time.Hour)
			got, err := c.Move(tc.to, tc.actor, at)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err %v, want %v", err, tc.want)
				}
				if got.State != tc.from || got.Version != c.Version {
					t.Errorf("a refused move changed the campaign: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tc.to || got.Version != c.Version+1 || !got.UpdatedAt.Equal(at) {
				t.Errorf("moved: state %s, version %d, updated %v", got.State, got.Version, got.UpdatedAt)
			}
			stamp := map[domain.State]*time.Time{domain.StateApproved: got.ApprovedAt, domain.StateRunning: got.LaunchedAt,
				domain.StateCompleted: got.CompletedAt, domain.StateCancelled: got.CancelledAt}[tc.to]
			if stamp == nil || !stamp.Equal(at) {
				t.Errorf("instant of the move: %v", stamp)
			}
			if tc.to == domain.StateApproved && got.ApprovedBy != tc.actor.ID {
				t.Errorf("approved by %q", got.ApprovedBy)
			}
		})
	}
}

func TestMoveKinds(t *testing.T) {
	// Who may not is 403; what the state does not allow is 422.
	for err, kind := range map[error]apperr.Kind{
		domain.ErrNotMarketingManager: apperr.KindForbidden, domain.ErrNotRunner: apperr.KindForbidden,
		domain.ErrApprovalRequired: apperr.KindRule, domain.ErrTransition: apperr.KindRule, domain.ErrNotEditable: apperr.KindRule,
		domain.ErrNotFound: apperr.KindNotFound, domain.ErrVersionConflict: apperr.KindConflict,
	} {
		if got := apperr.From(err).Kind; got != kind {
			t.Errorf("%v: kind %v, want %v", err, got, kind)
		}
	}
}

func TestLifecycleEndToEnd(t *testing.T) {
	c := campaignIn(t, domain.StateDraft)
	steps := []struct {
		to    domain.State
		actor domain.Actor
	}{{domain.StateApproved, mManager}, {domain.StateRunning, marketer}, {domain.StateCompleted, marketer}}
	for i, s := range steps {
		var err error
		if c, err = c.Move(s.to, s.actor, t0.Add(time.Duration(i+1)*time.Hour)); err != nil {
			t.Fatalf("→ %s: %v", s.to, err)
		}
	}
	if c.Version != 4 || c.ApprovedAt == nil || c.LaunchedAt == nil || c.CompletedAt == nil || c.CancelledAt != nil ||
		!c.LaunchedAt.Equal(t0.Add(2*time.Hour)) || c.ApprovedBy != mManager.ID {
		t.Errorf("completed campaign: %+v", c)
	}
}

func TestErrorByCodeAndCheckVersion(t *testing.T) {
	e, ok := domain.ErrorByCode("approval_required", "approve it first")
	if !ok || !errors.Is(e, domain.ErrApprovalRequired) || e.Message != "approve it first" || domain.ErrApprovalRequired.Message == "approve it first" {
		t.Errorf("ErrorByCode: %v, %v", e, ok)
	}
	if _, ok := domain.ErrorByCode("no_such_code", ""); ok {
		t.Error("an unknown code was found")
	}
	c := campaignIn(t, domain.StateDraft)
	if domain.CheckVersion(c, 0) != nil || domain.CheckVersion(c, 1) != nil || !errors.Is(domain.CheckVersion(c, 2), domain.ErrVersionConflict) {
		t.Error("CheckVersion")
	}
}
