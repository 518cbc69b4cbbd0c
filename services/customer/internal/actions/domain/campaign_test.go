package domain

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func touch(mod func(*Touch)) Touch {
	t := Touch{ID: "touch-1", CampaignID: "camp-1", CampaignName: " Spring win-back ", CustomerID: cust1, Step: 2, Action: "call",
		AssigneeID: "rep-ana", DueAt: now.Add(48 * time.Hour)}
	if mod != nil {
		mod(&t)
	}
	return t
}

// TestNewTouchPlan: a touch becomes a planned action of department
// marketing for its assignee, in its action's category, planned for when
// it is due, on its customer and naming its campaign; the same touch id is
// the same plan; a malformed touch is refused field by field.
func TestNewTouchPlan(t *testing.T) {
	a, err := NewTouchPlan(touch(nil), "touches[0].", now)
	if err != nil {
		t.Fatal(err)
	}
	due := now.Add(48 * time.Hour)
	want := Action{ID: TouchPlanID("touch-1"), Kind: KindPlan, Status: StatusPlanned, Category: "phone_call", Department: "marketing",
		ActorID: "rep-ana", Title: "Spring win-back: call", Summary: "Campaign touch, step 2: call by 2026-03-12T09:00:00Z.",
		PlannedFor: &due, OccurredAt: due, CreatedAt: now, UpdatedAt: now, CampaignID: "camp-1", Links: []Link{{SubjectCustomer, cust1, cust1}}}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("got  %+v\nwant %+v", a, want)
	}
	// A touch's plan is the assignee's to carry out like any other plan:
	// done, a call is a logged contact.
	if a.Changeable() != nil || !a.MayChange("rep-ana", false) || a.FromCampaign() {
		t.Fatal("a touch's plan is an ordinary plan of its assignee")
	}
	if err := a.Complete(Completion{Summary: "called, interested"}, now.Add(time.Hour)); err != nil || !a.RestartsCare() {
		t.Fatalf("completing a touch's call: %v", err)
	}

	again, _ := NewTouchPlan(touch(func(t *Touch) { t.DueAt = now }), "", now.Add(time.Hour))
	other, _ := NewTouchPlan(touch(func(t *Touch) { t.ID = "touch-2" }), "", now)
	if again.ID != want.ID || other.ID == want.ID {
		t.Fatalf("ids %s %s %s", want.ID, again.ID, other.ID)
	}
	for action, c := range map[string][2]string{"call": {"phone_call", "call"}, "visit": {"visit_reception", "visit"},
		"offer": {"materials_submission", "send the offer"}, "event": {"materials_submission", "invite to the event"}} {
		a, err := NewTouchPlan(touch(func(t *Touch) { t.Action = action }), "", now)
		if err != nil || a.Category != c[0] || a.Title != "Spring win-back: "+c[1] {
			t.Errorf("%s: %v %s %q", action, err, a.Category, a.Title)
		}
	}
	// A touch already due is late, not wrong; a one-touch campaign has no
	// step; a campaign without a name is named by its id.
	late, err := NewTouchPlan(touch(func(t *Touch) { t.DueAt, t.Step, t.CampaignName = now.Add(-72*time.Hour), 0, "" }), "", now)
	if err != nil || !late.OccurredAt.Equal(now.Add(-72*time.Hour)) || late.Title != "Campaign camp-1: call" ||
		late.Summary != "Campaign touch: call by 2026-03-07T09:00:00Z." {
		t.Fatalf("late: %v %+v", err, late)
	}
	long, _ := NewTouchPlan(touch(func(t *Touch) { t.CampaignName = strings.Repeat("x", 300) }), "", now)
	if n := len([]rune(long.Title)); n != maxTitle {
		t.Fatalf("title of %d characters", n)
	}
	_, err = NewTouchPlan(Touch{ID: " ", CustomerID: "c-1", Action: "email", Step: -1}, "touches[3].", now)
	if got := fields(err); !reflect.DeepEqual(got, []string{"touches[3].touch_id:required", "touches[3].customer_id:invalid",
		"touches[3].campaign_id:required", "touches[3].action:invalid", "touches[3].assignee_id:required", "touches[3].step:invalid",
		"touches[3].due_at:required"}) {
		t.Fatalf("refused %v", got)
	}
}

// TestCampaignItems: a campaign's event is a done log of department
// marketing in category campaign, once per key, that nobody records,
// completes or cancels, and that is no contact.
func TestCampaignItems(t *testing.T) {
	e := CampaignEvent{Key: "winback-returned\x00camp-1\x00" + cust1, CustomerID: cust1, CampaignID: "camp-1", Actor: "winback",
		Title: "Won back", Summary: " back on the prospect list ", At: now}
	a, err := NewCampaignEvent(e, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != CampaignEventID(e.Key) || a.Kind != KindLog || a.Status != StatusDone || a.Category != CategoryCampaign || a.Department != "marketing" ||
		a.Summary != "back on the prospect list" || a.CampaignID != "camp-1" || !a.FromCampaign() || a.RestartsCare() || IsContact(a.Category) {
		t.Fatalf("item %+v", a)
	}
	if !errors.Is(a.Changeable(), ErrRecordedByCampaign) {
		t.Fatal("a campaign's item is not changeable")
	}
	for name, do := range map[string]func(a *Action) error{
		"complete": func(a *Action) error { return a.Complete(Completion{Summary: "done"}, now) },
		"cancel":   func(a *Action) error { return a.Cancel(now) },
	} {
		if err := do(&a); !errors.Is(err, ErrRecordedByCampaign) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, _, err = New(Draft{Kind: KindLog, Category: CategoryCampaign, Department: "marketing", Title: "Won back", Summary: "x",
		CustomerIDs: []string{cust1}}, "act-1", "rep-ana", now)
	if got := fields(err); !reflect.DeepEqual(got, []string{"category:invalid"}) {
		t.Fatalf("recording a campaign action: %v", got)
	}
	_, err = NewCampaignEvent(CampaignEvent{}, now)
	if got := fields(err); !reflect.DeepEqual(got, []string{"key:required", "customer_id:invalid", "campaign_id:required", "actor:required",
		"title:required", "at:required"}) {
		t.Fatalf("refused %v", got)
	}
}
