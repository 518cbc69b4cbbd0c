package store_test

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// A campaign's event handed over twice (a retried activity, an outbox that
// told it again) is stored once per audience; it reaches the managers of
// the campaign's team in their inbox with its campaign, link and figures
// and no follow-up; it is dispatched as an open message (nothing to close),
// and no follow-up's "who was told" lists it.
func TestEventMessagesInTheInbox(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		inbox, dels, fus := store.NewInbox(gdb), store.NewDeliveries(gdb), store.NewFollowUps(gdb)
		e := domain.RecordEvent{ID: "c1:launch_finished:v3", Kind: domain.EventCampaign, Action: domain.CampaignLaunchFinished,
			SubjectID: "0190d5c8-0000-7000-8000-000000000001", Title: "Spring", Team: "marketing", OwnerID: "mkt-mo", Actor: "workflow",
			At: t0, To: []domain.Audience{{UserID: "mkt-mo"}, {ManagersOf: "marketing"}}, Counts: map[string]int64{"enrolled": 7, "held_out": 1, "skipped": 0},
			Link: "/campaigns/0190d5c8-0000-7000-8000-000000000001"}
		ns, err := domain.NewEventNotifications(e)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []int{2, 0} {
			n, err := inbox.AddEventNotifications(ctx, ns)
			if err != nil || n != want {
				t.Fatalf("hand-over %d: stored %d (%v), want %d", i+1, n, err, want)
			}
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM notifications WHERE campaign_id = ?", e.SubjectID); n != 2 {
			t.Fatalf("%d messages, want 2", n)
		}
		items, err := inbox.List(ctx, store.Reader{UserID: "mgr-mona", Managing: []string{"marketing"}}, false, nil, 10)
		if err != nil || len(items) != 1 {
			t.Fatalf("manager's inbox: %v %v", items, err)
		}
		it := items[0]
		if it.FollowUpID != "" || it.CampaignID != e.SubjectID || it.Link != e.Link || it.State != "" || it.Action != domain.CampaignLaunchFinished ||
			!reflect.DeepEqual(it.Counts, e.Counts) || !it.At.Equal(t0) {
			t.Fatalf("item %+v", it)
		}
		if items, _ := inbox.List(ctx, store.Reader{UserID: "mkt-nell", Managing: nil}, false, nil, 10); len(items) != 0 {
			t.Fatalf("someone else's inbox has it: %v", items)
		}
		batch, err := dels.Undispatched(ctx, 10)
		if err != nil || len(batch) != 2 {
			t.Fatalf("undispatched: %v %v", batch, err)
		}
		for _, b := range batch {
			if b.Closed || b.CampaignID != e.SubjectID {
				t.Errorf("message %s read as closed (%t) or without its campaign", b.ID, b.Closed)
			}
		}
		got, err := dels.Notification(ctx, ns[0].ID)
		if err != nil || got.Link != e.Link || got.Counts["enrolled"] != 7 {
			t.Fatalf("notification %+v %v", got, err)
		}
		if told, err := fus.Told(ctx, ""); err != nil || len(told) != 0 {
			t.Fatalf("who was told of no follow-up: %v %v", told, err)
		}
	})
}

// An upgrade turns the new campaign kind on by email for those who saved
// their preferences before it existed, unless they took no kind by email.
func TestUpgradeTurnsCampaignEmailOn(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			gdb, err := db.Open(ctx, db.Config{URL: b.dsn(t), MaxOpenConns: b.conn, MaxIdleConns: 1, ConnMaxLifetime: time.Minute}, log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if s, err := gdb.DB(); err == nil {
					s.Close()
				}
			})
			var before []migrate.Migration // up to the campaign messages (version 11)
			for _, m := range adapters.Migrations {
				if m.Version < 11 {
					before = append(before, m)
				}
			}
			if _, err := migrate.Run(ctx, gdb, "followup", before, log); err != nil {
				t.Fatal(err)
			}
			for user, kinds := range map[string]string{"rep-ana": "reminder,escalation", "rep-bo": ""} {
				if err := gdb.Exec(`INSERT INTO notification_preferences (user_id, language, time_zone, email, email_kinds, updated_at)
					VALUES (?, 'en', 'UTC', 'x@example.com', ?, ?)`, user, kinds, t0).Error; err != nil {
					t.Fatal(err)
				}
			}
			if _, err := migrate.Run(ctx, gdb, "followup", adapters.Migrations, log); err != nil {
				t.Fatal(err)
			}
			prefs := store.NewPreferences(gdb)
			for user, want := range map[string][]string{"rep-ana": {"reminder", "escalation", "campaign"}, "rep-bo": {}} {
				p, ok, err := prefs.Get(ctx, user)
				if err != nil || !ok || !reflect.DeepEqual(p.EmailKinds, want) {
					t.Errorf("%s: %v (%t, %v), want %v", user, p.EmailKinds, ok, err, want)
				}
			}
		})
	}
}
