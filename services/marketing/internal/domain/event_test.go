package domain_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// TestEventOfMove: who is told of each state change — the owner, unless the
// owner made it; a launch tells no one (its end does).
func TestEventOfMove(t *testing.T) {
	admin := domain.Actor{ID: "ad-min", Roles: []string{domain.RoleAdmin}}
	owner := marketer // the campaign's creator and owner
	cases := []struct {
		name     string
		from, to domain.State
		by       domain.Actor
		want     string // event kind; "" none
	}{
		{"approved by the manager", domain.StateDraft, domain.StateApproved, mManager, domain.EventApproved},
		{"approved by an admin", domain.StateDraft, domain.StateApproved, admin, domain.EventApproved},
		{"launched by the owner", domain.StateApproved, domain.StateRunning, owner, ""},
		{"launched by the manager", domain.StateApproved, domain.StateRunning, mManager, ""},
		{"cancelled by the manager", domain.StateRunning, domain.StateCancelled, mManager, domain.EventCancelled},
		{"cancelled by the owner", domain.StateRunning, domain.StateCancelled, owner, ""},
		{"draft cancelled by an admin", domain.StateDraft, domain.StateCancelled, admin, domain.EventCancelled},
		{"completed by the manager", domain.StateRunning, domain.StateCompleted, mManager, domain.EventCompleted},
		{"completed by the owner", domain.StateRunning, domain.StateCompleted, owner, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := campaignIn(t, tc.from)
			next, err := c.Move(tc.to, tc.by, t0.Add(1))
			if err != nil {
				t.Fatal(err)
			}
			e, ok := domain.EventOfMove(next, tc.by, "Some One", "budget cut")
			if ok != (tc.want != "") || e.Kind != tc.want {
				t.Fatalf("event %q (%t), want %q", e.Kind, ok, tc.want)
			}
			if !ok {
				return
			}
			if want := []domain.Audience{{UserID: owner.ID}}; !reflect.DeepEqual(e.To, want) {
				t.Errorf("told %v, want the owner %v", e.To, want)
			}
			if e.ID != domain.EventID(c.ID, tc.want, next.Version) || e.Version != next.Version || e.Actor != tc.by.ID || e.ActorName != "Some One" {
				t.Errorf("event %+v", e)
			}
			if (e.Note != "") != (tc.want == domain.EventCancelled) {
				t.Errorf("note %q: only a cancellation carries its reason", e.Note)
			}
		})
	}
}

// TestEventOfLaunch: the finished launch is told to the owner with its totals.
func TestEventOfLaunch(t *testing.T) {
	c := campaignIn(t, domain.StateRunning)
	e := domain.EventOfLaunch(c, 90, 10, 3, t0)
	if e.Kind != domain.EventLaunchFinished || !reflect.DeepEqual(e.To, []domain.Audience{{UserID: c.OwnerID}}) || e.Actor != domain.ActorWorkflow {
		t.Fatalf("event %+v", e)
	}
	if want := map[string]int64{"enrolled": 90, "held_out": 10, "skipped": 3}; !reflect.DeepEqual(e.Counts, want) {
		t.Errorf("counts %v, want %v", e.Counts, want)
	}
	if e.ID != domain.EventID(c.ID, domain.EventLaunchFinished, c.Version) {
		t.Errorf("id %q", e.ID)
	}
}

// TestRequestApproval: a draft's request is told to its team's managers;
// asking again for the same version is the same request (nobody told
// twice); after an edit it asks again; a campaign past draft is refused.
func TestRequestApproval(t *testing.T) {
	c := campaignIn(t, domain.StateDraft)
	r, e, isNew, err := domain.RequestApproval(c, nil, marketer, "Lin", t0)
	if err != nil || !isNew {
		t.Fatalf("first request: %v %t", err, isNew)
	}
	if e.Kind != domain.EventApprovalRequested || !reflect.DeepEqual(e.To, []domain.Audience{{ManagersOf: "marketing"}}) ||
		e.ID != domain.EventID(c.ID, domain.EventApprovalRequested, c.Version) {
		t.Fatalf("event %+v", e)
	}
	if r.By != marketer.ID || r.ByName != "Lin" || r.Version != c.Version || !r.Current(c) {
		t.Fatalf("request %+v", r)
	}
	again, _, isNew, err := domain.RequestApproval(c, &r, mManager, "Zhou", t0.Add(1e9))
	if err != nil || isNew || again != r {
		t.Fatalf("asking again for the same version: %+v %t %v", again, isNew, err)
	}
	edited, err := c.Edit(draft(), t0.Add(2e9))
	if err != nil {
		t.Fatal(err)
	}
	if r.Current(edited) {
		t.Fatal("a request survives an edit")
	}
	r2, e2, isNew, err := domain.RequestApproval(edited, &r, marketer, "Lin", t0.Add(3e9))
	if err != nil || !isNew || e2.ID == e.ID || r2.Version != edited.Version {
		t.Fatalf("asking after an edit: %+v %+v %t %v", r2, e2, isNew, err)
	}
	for _, s := range []domain.State{domain.StateApproved, domain.StateRunning, domain.StateCompleted, domain.StateCancelled} {
		if _, _, _, err := domain.RequestApproval(campaignIn(t, s), nil, marketer, "", t0); !errors.Is(err, domain.ErrNotDraftForApproval) {
			t.Errorf("%s: %v, want approval_request_not_draft", s, err)
		}
	}
	approved := campaignIn(t, domain.StateApproved)
	if (&r).Current(approved) {
		t.Error("a request is current on an approved campaign")
	}
}

// TestCheckRequestApproval: the owner and the team's marketers and managers
// ask; another team's marketer sees the campaign but may not (403); who
// sees no campaigns gets 404.
func TestCheckRequestApproval(t *testing.T) {
	m := domain.Marketing{Teams: []string{"marketing", "events"}}
	c := campaignIn(t, domain.StateDraft)
	cases := []struct {
		name string
		a    domain.Actor
		want error
	}{
		{"owner", marketer, nil},
		{"team marketer", domain.Actor{ID: "mk-2", Roles: []string{domain.RoleRep}, Teams: []string{"marketing"}}, nil},
		{"team manager", mManager, nil},
		{"admin", domain.Actor{ID: "ad", Roles: []string{domain.RoleAdmin}}, nil},
		{"other team's marketer", domain.Actor{ID: "mk-3", Roles: []string{domain.RoleRep}, Teams: []string{"events"}}, domain.ErrReadOnly},
		{"analyst", domain.Actor{ID: "an", Roles: []string{domain.RoleAnalyst}}, domain.ErrReadOnly},
		{"sales rep", domain.Actor{ID: "rep", Roles: []string{domain.RoleRep}, Teams: []string{"north"}}, domain.ErrNotFound},
	}
	for _, tc := range cases {
		if err := m.Check(tc.a, c, domain.OpRequestApproval); !errors.Is(err, tc.want) && err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
