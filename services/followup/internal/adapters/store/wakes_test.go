package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// The wake-ups a rollout owes: stored with the change in one transaction
// (or not at all), read the soonest first with those without a next action
// last, taken over by a later rollout's store, selected for the
// reconciliation when stale, and dropped only as the rollout that read them.
func TestRolloutWakes(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewFollowUps(gdb)
		var ids []string
		for i := range 4 {
			f, err := domain.Open(domain.Opening{ID: fmt.Sprintf("0190a000-0000-7000-8000-00000000000%d", i), Kind: "callback", CustomerID: "c1",
				OwnerID: "rep-ana", Team: "north", OpenedBy: "rep-ana", WorkflowID: fmt.Sprint("wf-", i), AnchorAt: t0, DueAt: t0.Add(time.Hour)}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Create(ctx, f); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, f.ID)
		}
		at := func(h int) *time.Time { x := t0.Add(time.Duration(h) * time.Hour); return &x }
		// Next actions: in 3 h, none, in 1 h, in 2 h.
		wakeAt := map[string]*time.Time{ids[0]: at(3), ids[1]: nil, ids[2]: at(1), ids[3]: at(2)}
		owe := func(policy string, version int64, created time.Time, fail error) error {
			return r.UpdateEachOwing(ctx, ids, func(f *domain.FollowUp) (store.Wake, bool, error) {
				f.ChangeDeadline(domain.DeadlineChange{DueAt: t0.Add(2 * time.Hour), PolicyVersion: version, Reason: "test"}, created)
				return store.Wake{Policy: policy, Version: version, Carried: true, At: wakeAt[f.ID], CreatedAt: created}, f.ID != ids[3] || version > 1, fail
			})
		}
		// A failing store stores neither the changes nor the wake-ups.
		if err := owe("p", 1, t0, errors.New("boom")); err == nil {
			t.Fatal("a failing store succeeded")
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM rollout_wakes"); n != 0 {
			t.Fatalf("%d wake-ups after a failed store", n)
		}
		if err := owe("p", 1, t0, nil); err != nil {
			t.Fatal(err)
		}
		order := func(sel store.WakeSelect, limit int) []string {
			t.Helper()
			ws, err := r.Wakes(ctx, sel, limit)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, w := range ws {
				if !w.Open || w.FollowUp.ID != w.FollowUpID || w.FollowUp.PolicyVersion != w.Version {
					t.Fatalf("wake-up %+v with its follow-up %+v", w.Wake, w.FollowUp)
				}
				out = append(out, w.FollowUpID)
			}
			return out
		}
		v1 := store.WakeSelect{Policy: "p", Version: 1}
		// ids[3] was owed nothing (fn said so): the soonest first, none last.
		if got, want := order(v1, 10), []string{ids[2], ids[0], ids[1]}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("owed %v, want %v", got, want)
		}
		if got := order(v1, 1); len(got) != 1 || got[0] != ids[2] {
			t.Fatalf("the first owed %v, want %s", got, ids[2])
		}
		// Another rollout's are not this one's, unless the reconciliation
		// finds them stale.
		recon := store.WakeSelect{}
		if got := order(recon, 10); len(got) != 0 {
			t.Fatalf("the reconciliation owes %v", got)
		}
		stale := t0.Add(time.Second)
		recon.StaleBefore = &stale
		if got := order(recon, 10); len(got) != 3 {
			t.Fatalf("stale wake-ups %v, want 3", got)
		}
		// A later rollout's store takes every entry over (and owes ids[3] too).
		ws, err := r.Wakes(ctx, v1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := owe("p", 2, t0.Add(time.Minute), nil); err != nil {
			t.Fatal(err)
		}
		if got := order(v1, 10); len(got) != 0 {
			t.Fatalf("v1 still owes %v after v2 took them over", got)
		}
		// v1 dropping what it read leaves v2's owed.
		var read []store.Wake
		for _, w := range ws {
			read = append(read, w.Wake)
		}
		if err := r.DropWakes(ctx, read); err != nil {
			t.Fatal(err)
		}
		v2 := store.WakeSelect{Policy: "p", Version: 2}
		if got, want := order(v2, 10), []string{ids[2], ids[3], ids[0], ids[1]}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("v2 owes %v, want %v", got, want)
		}
		ws, err = r.Wakes(ctx, v2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.DropWakes(ctx, []store.Wake{ws[0].Wake, ws[1].Wake}); err != nil {
			t.Fatal(err)
		}
		if got, want := order(v2, 10), []string{ids[0], ids[1]}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("v2 owes %v after dropping two, want %v", got, want)
		}
	})
}
