package domain

import (
	"testing"
	"time"
)

func TestPlanEmail(t *testing.T) {
	// 2026-12-03 15:00 UTC is 23:00 in Shanghai.
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	eight := 8
	base := Preferences{UserID: "rep-ana", Language: "zh-Hans", TimeZone: "Asia/Shanghai", Email: "ana@example.com", EmailKinds: EventKinds()}
	quiet := base
	quiet.Quiet = &QuietHours{From: "21:00", To: "08:00"}
	noKinds := base
	noKinds.EmailKinds = []string{EventEscalation}
	digest := base
	digest.DigestHour = &eight
	noAddress := base
	noAddress.Email = ""
	morning := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC) // 08:00 in Shanghai
	for _, c := range []struct {
		name           string
		prefs          Preferences
		action         string
		urgent         bool
		status, reason string
		notBefore      *time.Time
	}{
		{"plain reminder", base, "remind", false, DeliveryPending, "", nil},
		{"no address", noAddress, "remind", false, DeliverySuppressed, ReasonNoAddress, nil},
		{"kind not chosen", noKinds, "remind", false, DeliverySuppressed, ReasonPreference, nil},
		{"kind chosen", noKinds, "escalate_manager", false, DeliveryPending, "", nil},
		{"quiet hours hold a reminder until they end", quiet, "remind", false, DeliveryHeld, ReasonQuietHours, &morning},
		{"an urgent escalation goes through quiet hours", quiet, "escalate_manager", true, DeliveryPending, "", nil},
		{"a digest lists reminders instead", digest, "remind", false, DeliverySuppressed, ReasonDigest, nil},
		{"a digest lists win-back touches instead", digest, "call", false, DeliverySuppressed, ReasonDigest, nil},
		{"escalations are not waited for the digest", digest, "escalate_manager", false, DeliveryPending, "", nil},
		{"hand-overs are not waited for the digest", digest, "reassigned", false, DeliveryPending, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := Notification{ID: "n1", FollowUpID: "f1", Action: c.action, Urgent: c.urgent, UserID: "rep-ana"}
			d := PlanEmail(n, Recipient{UserID: "rep-ana", Prefs: c.prefs}, now)
			if d.Status != c.status || d.Reason != c.reason {
				t.Fatalf("status %s (%s), want %s (%s)", d.Status, d.Reason, c.status, c.reason)
			}
			if (d.NotBefore == nil) != (c.notBefore == nil) || d.NotBefore != nil && !d.NotBefore.Equal(*c.notBefore) {
				t.Fatalf("not before %v, want %v", d.NotBefore, c.notBefore)
			}
			if d.ID != DeliveryID("n1", ChannelEmail, "rep-ana") || d.Language != "zh-Hans" || d.TimeZone != "Asia/Shanghai" ||
				d.Address != c.prefs.Email || d.Kind != EventKindOf(c.action) {
				t.Fatalf("delivery %+v", d)
			}
		})
	}
}

func TestDeliveryIDs(t *testing.T) {
	a := DeliveryID("n1", ChannelEmail, "rep-ana")
	if a != DeliveryID("n1", ChannelEmail, "rep-ana") {
		t.Fatal("the same delivery got two ids")
	}
	for _, other := range []string{DeliveryID("n2", ChannelEmail, "rep-ana"), DeliveryID("n1", ChannelWebhook, "rep-ana"),
		DeliveryID("n1", ChannelEmail, "rep-bo"), DigestID("rep-ana", "2026-12-03")} {
		if other == a {
			t.Fatalf("two deliveries share id %s", a)
		}
	}
	if DigestID("rep-ana", "2026-12-03") == DigestID("rep-ana", "2026-12-04") {
		t.Fatal("two days' digests share an id")
	}
}

func TestRecipientsOf(t *testing.T) {
	people := []Recipient{
		{UserID: "rep-ana", Teams: []string{"north"}},
		{UserID: "mgr-mia", Manager: true, Teams: []string{"north"}},
		{UserID: "mgr-max", Manager: true, Teams: []string{"south"}},
	}
	ids := func(rs []Recipient) (out []string) {
		for _, r := range rs {
			out = append(out, r.UserID)
		}
		return out
	}
	if got := ids(RecipientsOf(Notification{ManagersOf: "north"}, people)); len(got) != 1 || got[0] != "mgr-mia" {
		t.Errorf("managers of north: %v", got)
	}
	if got := ids(RecipientsOf(Notification{UserID: "rep-ana"}, people)); len(got) != 1 || got[0] != "rep-ana" {
		t.Errorf("rep-ana: %v", got)
	}
	if got := RecipientsOf(Notification{ManagersOf: "east"}, people); len(got) != 0 {
		t.Errorf("managers of a team nobody manages: %v", got)
	}
}

func TestDigestDue(t *testing.T) {
	eight := 8
	r := Recipient{UserID: "mgr-mia", Prefs: Preferences{TimeZone: "Asia/Shanghai", Email: "mia@example.com", DigestHour: &eight}}
	for _, c := range []struct {
		at   time.Time
		date string
		due  bool
	}{
		{time.Date(2026, 12, 3, 23, 59, 0, 0, time.UTC), "2026-12-04", false}, // 07:59 local
		{time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC), "2026-12-04", true},    // 08:00 local
		{time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC), "2026-12-04", true},   // 23:00 local: a late start still sends today's
	} {
		date, due := DigestDue(r, c.at)
		if date != c.date || due != c.due {
			t.Errorf("at %s: %s %v, want %s %v", c.at, date, due, c.date, c.due)
		}
	}
	r.Prefs.Email = ""
	if _, due := DigestDue(r, time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)); due {
		t.Error("a digest without an address is due")
	}
	if SuppressedWhenClosed(EventHandover) || !SuppressedWhenClosed(EventReminder) || !SuppressedWhenClosed(EventEscalation) {
		t.Error("closed follow-ups: hand-overs still go, what asks to act does not")
	}
}

func TestWhenClosed(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	r := Recipient{UserID: "rep-ana", Prefs: Preferences{Language: "en", TimeZone: "UTC", Email: "ana@example.com", EmailKinds: EventKinds()}}
	remind := PlanEmail(Notification{ID: "n1", Action: "remind", UserID: "rep-ana"}, r, now)
	if d := remind.WhenClosed(true); d.Status != DeliverySuppressed || d.Reason != ReasonClosed {
		t.Errorf("a reminder of a closed follow-up: %s %s", d.Status, d.Reason)
	}
	if d := remind.WhenClosed(false); d.Status != DeliveryPending {
		t.Errorf("a reminder of an open follow-up: %s", d.Status)
	}
	handover := PlanEmail(Notification{ID: "n2", Action: "reassign", UserID: "rep-ana"}, r, now)
	if d := handover.WhenClosed(true); d.Status != DeliveryPending {
		t.Errorf("a hand-over of a closed follow-up: %s %s", d.Status, d.Reason)
	}
	r.Prefs.Email = ""
	if d := PlanEmail(Notification{ID: "n3", Action: "remind", UserID: "rep-ana"}, r, now).WhenClosed(true); d.Reason != ReasonNoAddress {
		t.Errorf("a decided suppression was overwritten: %s", d.Reason)
	}
}
