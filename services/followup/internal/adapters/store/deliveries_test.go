package store_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// The delivery queue: a message is planned once (a second planner, as a
// second replica, gets nothing); its recipients are found by who they are
// and what they chose; a claim that runs out is taken over once; sent
// deliveries are recorded in a batch and never move again.
func TestDeliveryQueue(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		fus, ds := store.NewFollowUps(gdb), store.NewDeliveries(gdb)
		people := store.NewRecipients(gdb, "UTC")
		prefs := store.NewPreferences(gdb)
		f, err := domain.Open(domain.Opening{ID: "0190a000-0000-7000-8000-000000000201", Kind: "callback", CustomerID: "c1", OwnerID: "rep-ana",
			Team: "north", Title: "call back", OpenedBy: "rep-ana", WorkflowID: "wf", AnchorAt: t0, DueAt: t0.Add(time.Hour)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := fus.Create(ctx, f); err != nil {
			t.Fatal(err)
		}
		if err := fus.Update(ctx, f.ID, func(f *domain.FollowUp) error {
			f.RecordStep(domain.Step{Level: 1, Action: "escalate_manager"}, t0.Add(2*time.Hour))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// Who is who: mgr-mia manages north, mgr-max south; rep-ana and mgr-mia chose an address.
		for _, p := range []struct {
			id      string
			manager bool
			teams   []string
		}{{"rep-ana", false, []string{"north"}}, {"mgr-mia", true, []string{"north"}}, {"mgr-max", true, []string{"south"}}} {
			if err := people.Seen(ctx, p.id, p.id+" name", p.manager, p.teams, t0); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"rep-ana", "mgr-mia"} {
			p := domain.DefaultPreferences(id, id == "mgr-mia", "UTC")
			p.Email, p.UpdatedAt = id+"@example.com", t0
			if err := prefs.Put(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		batch, err := ds.Undispatched(ctx, 10)
		if err != nil || len(batch) != 2 || batch[0].Closed {
			t.Fatalf("undispatched: %+v %v", batch, err)
		}
		ns := []domain.Notification{batch[0].Notification, batch[1].Notification}
		who, err := people.OfAll(ctx, ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			rs := who[n.ID]
			want := "rep-ana"
			if n.ManagersOf != "" {
				want = "mgr-mia"
			}
			if len(rs) != 1 || rs[0].UserID != want || rs[0].Prefs.Email != want+"@example.com" || rs[0].Name != want+" name" {
				t.Fatalf("recipients of %+v: %+v", n, rs)
			}
			if n.ManagersOf != "" && (rs[0].Prefs.DigestHour == nil || *rs[0].Prefs.DigestHour != 8) {
				t.Fatalf("a manager's stored preferences lost the digest: %+v", rs[0].Prefs)
			}
		}
		now := t0.Add(3 * time.Hour)
		n := ns[0]
		plan := []domain.Delivery{domain.PlanEmail(n, who[n.ID][0], now)}
		mine, err := ds.Plan(ctx, n.ID, plan, now.Add(time.Minute), now)
		if err != nil || len(mine) != 1 {
			t.Fatalf("plan: %v %v", mine, err)
		}
		if again, err := ds.Plan(ctx, n.ID, plan, now.Add(time.Minute), now); err != nil || again != nil {
			t.Fatalf("planned twice: %v %v", again, err)
		}
		if left, _ := ds.Undispatched(ctx, 10); len(left) != 1 || left[0].ID != ns[1].ID {
			t.Fatalf("still undispatched: %+v", left)
		}
		// Its holder renews the claim; a stale holder cannot.
		if ok, err := ds.Reclaim(ctx, plan[0].ID, now.Add(time.Minute), now.Add(80*time.Second)); err != nil || !ok {
			t.Fatalf("renewing the claim: %v %v", ok, err)
		}
		if ok, err := ds.Reclaim(ctx, plan[0].ID, now.Add(time.Minute), now.Add(2*time.Minute)); err != nil || ok {
			t.Fatalf("a stale claim renewed: %v %v", ok, err)
		}
		// Nobody takes a claimed delivery over until the claim runs out; then once.
		if got, err := ds.ClaimStale(ctx, domain.DeliveryPending, now.Add(30*time.Second), now.Add(2*time.Minute), 10); err != nil || len(got) != 0 {
			t.Fatalf("taken over while claimed: %v %v", got, err)
		}
		later := now.Add(90 * time.Second)
		if got, err := ds.ClaimStale(ctx, domain.DeliveryPending, later, later.Add(time.Minute), 10); err != nil || len(got) != 1 {
			t.Fatalf("not taken over after the claim: %v %v", got, err)
		}
		if got, _ := ds.ClaimStale(ctx, domain.DeliveryPending, later, later.Add(time.Minute), 10); len(got) != 0 {
			t.Fatalf("taken over twice: %v", got)
		}
		id := plan[0].ID
		if err := ds.MarkSent(ctx, []string{id}, later); err != nil {
			t.Fatal(err)
		}
		if ok, err := ds.Attempted(ctx, id, domain.DeliveryFailed, "", "late failure", later); err != nil || ok {
			t.Fatalf("a sent delivery moved: %v %v", ok, err)
		}
		got, err := ds.Get(ctx, id)
		if err != nil || got.Status != domain.DeliverySent || got.Attempts != 1 || got.SentAt == nil || !got.SentAt.Equal(later) {
			t.Fatalf("after sending: %+v %v", got, err)
		}
		// A closed follow-up's messages are read as closed.
		if err := fus.Update(ctx, f.ID, func(f *domain.FollowUp) error {
			return f.Close(domain.Closing{State: domain.StateDone, By: "rep-ana"}, later)
		}); err != nil {
			t.Fatal(err)
		}
		if left, _ := ds.Undispatched(ctx, 10); len(left) != 1 || !left[0].Closed {
			t.Fatalf("the closed follow-up's message: %+v", left)
		}
	})
}
