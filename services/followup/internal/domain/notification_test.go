package domain

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
)

func TestAudienceOfSteps(t *testing.T) {
	f := FollowUp{ID: "f1", OwnerID: "rep-ana", Team: "north"}
	owner, managers := Audience{UserID: "rep-ana"}, Audience{ManagersOf: "north"}
	for _, c := range []struct {
		action, actor string
		want          []Audience
	}{
		{"remind", WorkflowActor, []Audience{owner}},
		{"escalate_manager", WorkflowActor, []Audience{owner, managers}},
		{"reassign", WorkflowActor, []Audience{owner, managers}},
		{"return_to_pool", WorkflowActor, []Audience{owner, managers}},
		{"offer", WorkflowActor, []Audience{owner}},
		{ActionReassigned, "mgr-mia", []Audience{owner}},
		{ActionReassigned, "rep-ana", nil}, // took it over herself
		{"opened", "rep-ana", nil},
		{"closed", "rep-ana", nil},
		{"deadline_changed", WorkflowActor, nil},
	} {
		got := AudienceOf(f, Event{Action: c.action, Actor: c.actor})
		if len(got) != len(c.want) {
			t.Errorf("%s by %s: %v, want %v", c.action, c.actor, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s by %s: %v, want %v", c.action, c.actor, got, c.want)
			}
		}
	}
	if got := AudienceOf(FollowUp{ID: "f2"}, Event{Action: "escalate_manager"}); len(got) != 0 {
		t.Errorf("a follow-up without owner and team tells %v", got)
	}
}

func TestNotificationIDs(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e := Event{Action: "escalate_manager", Level: 2, At: at}
	a, b := NotificationID("f1", e, Audience{UserID: "rep-ana"}), NotificationID("f1", e, Audience{ManagersOf: "north"})
	if a == b || a != NotificationID("f1", Event{Action: "escalate_manager", Level: 2, At: at.Add(time.Hour)}, Audience{UserID: "rep-ana"}) {
		t.Fatal("a step's id must depend on its recipient, not on when it was recorded")
	}
	if a == NotificationID("f2", e, Audience{UserID: "rep-ana"}) || a == NotificationID("f1", Event{Action: "escalate_manager", Level: 3}, Audience{UserID: "rep-ana"}) {
		t.Fatal("two steps share an id")
	}
	r1 := NotificationID("f1", Event{Action: ActionReassigned, Level: 2, At: at}, Audience{UserID: "rep-cy"})
	r2 := NotificationID("f1", Event{Action: ActionReassigned, Level: 2, At: at.Add(time.Minute)}, Audience{UserID: "rep-cy"})
	if r1 == r2 {
		t.Fatal("two reassignments at one level share an id")
	}
}

// RecordStep sends the step's messages once: a retried step at the same
// level adds none; a closed follow-up's step sends nothing.
func TestRecordStepOutbox(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := FollowUp{ID: "f1", Kind: "callback", OwnerID: "rep-ana", Team: "north", State: StateOpen, DueAt: at}
	f.RecordStep(Step{Level: 1, Action: "escalate_manager"}, at)
	f.RecordStep(Step{Level: 1, Action: "escalate_manager"}, at.Add(time.Minute))
	if len(f.Outbox) != 2 || f.Outbox[1].ManagersOf != "north" || !f.Outbox[1].Urgent || f.Outbox[0].Urgent || f.Outbox[0].DueAt != at {
		t.Fatalf("outbox: %+v", f.Outbox)
	}
	closed := at
	g := FollowUp{ID: "f2", OwnerID: "rep-ana", Team: "north", ClosedAt: &closed}
	g.RecordStep(Step{Level: 1, Action: "remind"}, at)
	if len(g.Outbox) != 0 {
		t.Fatalf("a closed follow-up's step sent %+v", g.Outbox)
	}
}

// An escalation to the originator tells the owner and, urgently, the
// managers of the team that asked for the work — of the follow-up's own
// team when no one's did — and from then on those managers see it (and only
// see it: acting on it stays with its own team).
func TestEscalateOriginatorTellsTheRequestersManagers(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := FollowUp{ID: "f1", Kind: "slip_ack", OwnerID: "rep-bo", Team: "south", RequesterTeam: "north", State: StateOpen, DueAt: at}
	if got := AudienceOf(f, Event{Action: ActionEscalateOriginator}); len(got) != 2 || got[0] != (Audience{UserID: "rep-bo"}) || got[1] != (Audience{ManagersOf: "north"}) {
		t.Fatalf("audience %v", got)
	}
	nobody := FollowUp{ID: "f2", OwnerID: "rep-bo", Team: "south"}
	if got := AudienceOf(nobody, Event{Action: ActionEscalateOriginator}); len(got) != 2 || got[1] != (Audience{ManagersOf: "south"}) {
		t.Fatalf("without a requester's team: %v", got)
	}
	nobody.RecordStep(Step{Level: 1, Action: ActionEscalateOriginator}, at)
	if len(nobody.Outbox) != 2 || nobody.Outbox[1].ManagersOf != "south" || nobody.VisibleTo(auth.Scope{Teams: []string{""}}) {
		t.Fatalf("without a requester's team, told %+v", nobody.Outbox)
	}

	north := auth.Scope{Teams: []string{"north"}}
	f.RecordStep(Step{Level: 1, Action: "escalate_manager"}, at)
	if f.VisibleTo(north) || f.RequesterEscalatedAt != nil || f.EscalatedTo() != "managers of team south" {
		t.Fatalf("after escalate_manager: visible to north %v, %+v", f.VisibleTo(north), f)
	}
	f.Outbox = nil
	later := at.Add(time.Hour)
	f.RecordStep(Step{Level: 2, Action: ActionEscalateOriginator}, later)
	if len(f.Outbox) != 2 || f.Outbox[0].UserID != "rep-bo" || f.Outbox[0].Urgent || f.Outbox[1].ManagersOf != "north" || !f.Outbox[1].Urgent ||
		f.Outbox[1].Team != "south" || f.Outbox[1].Action != ActionEscalateOriginator {
		t.Fatalf("outbox %+v", f.Outbox)
	}
	if f.State != StateEscalated || f.RequesterEscalatedAt == nil || !f.RequesterEscalatedAt.Equal(later) || f.EscalatedTo() != "managers of team north" {
		t.Fatalf("after escalate_originator: %+v", f)
	}
	if d := f.Pending[len(f.Pending)-1].Detail; d != "escalated to the managers of team north, who asked for it" {
		t.Fatalf("history detail %q", d)
	}
	f.RecordStep(Step{Level: 3, Action: "remind"}, later.Add(time.Hour))
	if !f.RequesterEscalatedAt.Equal(later) {
		t.Fatalf("a later step moved the instant the requester was told: %v", f.RequesterEscalatedAt)
	}
	for _, c := range []struct {
		name  string
		scope auth.Scope
		sees  bool
	}{
		{"the requester's managers", north, true},
		{"the owner's managers", auth.Scope{Teams: []string{"south"}}, true},
		{"another team's managers", auth.Scope{Teams: []string{"east"}}, false},
		{"a rep of the requester's team", auth.Scope{OwnerID: "rep-ana"}, false},
		{"the owner", auth.Scope{OwnerID: "rep-bo"}, true},
		{"an admin", auth.Scope{All: true}, true},
	} {
		if got := f.VisibleTo(c.scope); got != c.sees {
			t.Errorf("%s: sees %v, want %v", c.name, got, c.sees)
		}
	}
	if InScope(north, f.OwnerID, f.Team) {
		t.Error("the requester's managers may act on the follow-up")
	}
	if EventKindOf(ActionEscalateOriginator) != EventEscalation || !Escalating(ActionEscalateOriginator) {
		t.Error("escalate_originator is not an escalation")
	}
}
