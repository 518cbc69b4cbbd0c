package store_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// A reminder and an escalation recorded (each twice, as a retried activity
// would) reach the owner's inbox once each, and the escalation the team's
// managers' once; each reader reads on their own; others see nothing; a
// reassignment by a manager reaches the new owner. Pages, counts and
// mark-all-read follow.
func TestInboxOfRecordedSteps(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		fus, inbox := store.NewFollowUps(gdb), store.NewInbox(gdb)
		f, err := domain.Open(domain.Opening{ID: "0190a000-0000-7000-8000-000000000101", Kind: "callback", CustomerID: "c1", OwnerID: "rep-ana",
			Team: "north", Title: "call back", OpenedBy: "rep-ana", WorkflowID: "wf", AnchorAt: t0, DueAt: t0.Add(time.Hour)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := fus.Create(ctx, f); err != nil {
			t.Fatal(err)
		}
		for _, st := range []domain.Step{{Level: 1, Action: "remind"}, {Level: 2, Action: "escalate_manager"}} {
			for range 2 {
				if err := fus.Update(ctx, f.ID, func(f *domain.FollowUp) error {
					f.RecordStep(st, t0.Add(time.Duration(st.Level)*time.Hour))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM notifications WHERE follow_up_id = ?", f.ID); n != 3 {
			t.Fatalf("%d messages, want 3 (remind to the owner; the escalation to the owner and to north's managers)", n)
		}
		ana, mia := store.Reader{UserID: "rep-ana"}, store.Reader{UserID: "mgr-mia", Managing: []string{"north"}}
		bo, max := store.Reader{UserID: "rep-bo"}, store.Reader{UserID: "mgr-max", Managing: []string{"south"}}

		list := func(r store.Reader, unread bool) []store.InboxItem {
			t.Helper()
			items, err := inbox.List(ctx, r, unread, nil, 50)
			if err != nil {
				t.Fatal(err)
			}
			return items
		}
		unread := func(r store.Reader) int {
			t.Helper()
			n, err := inbox.Unread(ctx, r, 100)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		got := list(ana, false)
		if len(got) != 2 || got[0].Action != "escalate_manager" || got[1].Action != "remind" || got[0].State != domain.StateEscalated || got[0].ReadAt != nil ||
			got[0].Actor != domain.WorkflowActor {
			t.Fatalf("rep-ana's inbox: %+v", got)
		}
		got = list(mia, false)
		if len(got) != 1 || got[0].ManagersOf != "north" || !got[0].Urgent || got[0].Action != "escalate_manager" {
			t.Fatalf("mgr-mia's inbox: %+v", got)
		}
		if len(list(bo, false)) != 0 || len(list(max, false)) != 0 {
			t.Fatal("someone outside the team got a message")
		}
		if unread(ana) != 2 || unread(mia) != 1 {
			t.Fatalf("unread: ana %d, mia %d", unread(ana), unread(mia))
		}

		// Reading: per reader; another reader's message is not found.
		if ok, err := inbox.MarkRead(ctx, bo, got[0].ID, t0); err != nil || ok {
			t.Fatalf("rep-bo marked mgr-mia's message: %v %v", ok, err)
		}
		for range 2 {
			if ok, err := inbox.MarkRead(ctx, mia, got[0].ID, t0.Add(3*time.Hour)); err != nil || !ok {
				t.Fatalf("mark read: %v %v", ok, err)
			}
		}
		if unread(mia) != 0 || len(list(mia, true)) != 0 || list(mia, false)[0].ReadAt == nil {
			t.Fatal("mgr-mia's message is still unread")
		}
		if unread(ana) != 2 {
			t.Fatal("mgr-mia's reading marked rep-ana's messages")
		}

		// Pages, newest first.
		first, err := inbox.List(ctx, ana, false, nil, 1)
		if err != nil || len(first) != 1 {
			t.Fatal(first, err)
		}
		second, err := inbox.List(ctx, ana, false, &store.InboxKeyset{At: first[0].At, ID: first[0].ID}, 1)
		if err != nil || len(second) != 1 || second[0].ID == first[0].ID || second[0].Action != "remind" {
			t.Fatalf("second page: %+v %v", second, err)
		}

		// A manager gives it to rep-cy: rep-cy is told, once.
		if err := fus.Update(ctx, f.ID, func(f *domain.FollowUp) error {
			return f.Reassign(domain.Reassignment{OwnerID: "rep-cy", Reason: "Ana is on leave", By: "mgr-mia", ByName: "Mia"}, t0.Add(4*time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		cy := list(store.Reader{UserID: "rep-cy"}, true)
		if len(cy) != 1 || cy[0].Action != domain.ActionReassigned || cy[0].OwnerID != "rep-cy" || cy[0].Actor != "mgr-mia" || cy[0].ActorName != "Mia" {
			t.Fatalf("rep-cy's inbox: %+v", cy)
		}

		if n, err := inbox.MarkAllRead(ctx, ana, t0.Add(5*time.Hour)); err != nil || n != 2 || unread(ana) != 0 {
			t.Fatalf("mark all read: %d %v, unread %d", n, err, unread(ana))
		}
		if n, err := inbox.MarkAllRead(ctx, ana, t0.Add(6*time.Hour)); err != nil || n != 0 {
			t.Fatalf("mark all read again: %d %v", n, err)
		}
	})
}
