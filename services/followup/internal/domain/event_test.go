package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

func campaignEvent() domain.RecordEvent {
	return domain.RecordEvent{ID: "c1:approval_requested:v2", Kind: domain.EventCampaign, Action: domain.CampaignApprovalRequested,
		SubjectID: "0190d5c8-0000-7000-8000-000000000001", Title: "Spring", Team: "marketing", OwnerID: "mkt-mo", Actor: "mkt-mo",
		At: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC), To: []domain.Audience{{ManagersOf: "marketing"}}, Link: "/campaigns/0190d5c8-0000-7000-8000-000000000001"}
}

// TestEventNotifications: one message per audience, about the campaign and
// no follow-up, its id the same however often the event is handed over
// and different per audience and event.
func TestEventNotifications(t *testing.T) {
	e := campaignEvent()
	e.To = append(e.To, domain.Audience{UserID: "mkt-mo"}, domain.Audience{ManagersOf: "marketing"})
	ns, err := domain.NewEventNotifications(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 {
		t.Fatalf("%d messages, want 2 (an audience named twice is told once)", len(ns))
	}
	again, _ := domain.NewEventNotifications(e)
	if ns[0].ID != again[0].ID || ns[1].ID != again[1].ID || ns[0].ID == ns[1].ID {
		t.Fatalf("ids %s %s / %s %s", ns[0].ID, ns[1].ID, again[0].ID, again[1].ID)
	}
	n := ns[0]
	if n.AboutFollowUp() || n.CampaignID != e.SubjectID || n.Link != e.Link || n.ManagersOf != "marketing" || n.Kind != domain.EventCampaign ||
		domain.EventKindOf(n.Action) != domain.EventCampaign || n.Urgent {
		t.Fatalf("message %+v", n)
	}
	other := campaignEvent()
	other.ID = "c1:approval_requested:v3"
	o, _ := domain.NewEventNotifications(other)
	if o[0].ID == ns[0].ID {
		t.Fatal("another event (a new version) has the same message id")
	}
}

// TestEventNotificationsRefused: a malformed event is refused, field by field.
func TestEventNotificationsRefused(t *testing.T) {
	cases := map[string]func(*domain.RecordEvent){
		"event_id":   func(e *domain.RecordEvent) { e.ID = "" },
		"kind":       func(e *domain.RecordEvent) { e.Kind = "reminder" },
		"action":     func(e *domain.RecordEvent) { e.Action = "remind" },
		"subject_id": func(e *domain.RecordEvent) { e.SubjectID = "" },
		"at":         func(e *domain.RecordEvent) { e.At = time.Time{} },
		"link":       func(e *domain.RecordEvent) { e.Link = "https://evil.example.com/x" },
		"to":         func(e *domain.RecordEvent) { e.To = []domain.Audience{{UserID: "a", ManagersOf: "b"}} },
	}
	for field, mutate := range cases {
		e := campaignEvent()
		mutate(&e)
		_, err := domain.NewEventNotifications(e)
		if got := fields(err); !strings.Contains(got, field+":") {
			t.Errorf("%s: %v, want a field error on it", field, err)
		}
	}
	e := campaignEvent()
	e.To = nil
	if _, err := domain.NewEventNotifications(e); fields(err) != "to:required" {
		got := fields(err)
		t.Errorf("no audience: %v", got)
	}
}

// TestCampaignKindByEmail: campaign is a kind of the preferences, on by
// default, and a person who turns it off gets no campaign email.
func TestCampaignKindByEmail(t *testing.T) {
	p := domain.DefaultPreferences("mgr-mona", true, "UTC")
	p.Email = "mona@example.com"
	ns, _ := domain.NewEventNotifications(campaignEvent())
	r := domain.Recipient{UserID: "mgr-mona", Manager: true, Teams: []string{"marketing"}, Prefs: p}
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	if d := domain.PlanEmail(ns[0], r, now); d.Status != domain.DeliveryPending || d.Kind != domain.EventCampaign || d.FollowUpID != "" {
		t.Fatalf("default: %+v", d)
	}
	r.Prefs.EmailKinds = []string{domain.EventReminder}
	if d := domain.PlanEmail(ns[0], r, now); d.Status != domain.DeliverySuppressed || d.Reason != domain.ReasonPreference {
		t.Fatalf("turned off: %+v", d)
	}
	if err := r.Prefs.Check(); err != nil {
		t.Fatal(err)
	}
	r.Prefs.EmailKinds = []string{domain.EventCampaign}
	if err := r.Prefs.Check(); err != nil {
		t.Fatalf("campaign is a kind one chooses: %v", err)
	}
}
