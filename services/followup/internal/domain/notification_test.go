package domain

import (
	"testing"
	"time"
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
