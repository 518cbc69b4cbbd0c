package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/webhook"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

func subscription(id string, created time.Time, kinds ...string) domain.Subscription {
	return domain.Subscription{ID: id, URL: "https://hooks.example.com/" + id, Description: "hook " + id, EventKinds: kinds,
		Secret: webhook.NewSecret(), Enabled: true, CreatedBy: "admin-ada", CreatedAt: created, UpdatedAt: created}
}

// A subscription is stored and read back field for field, secrets
// included; listed oldest first; saved, updated under its lock, deleted;
// For finds the enabled ones of a kind; a missing one is 404 everywhere.
func TestWebhooksStore(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewWebhooks(gdb)
		a := subscription("0190a000-0000-7000-8000-0000000000a1", t0.Add(time.Minute), domain.EventEscalation, domain.EventHandover)
		b := subscription("0190a000-0000-7000-8000-0000000000b2", t0, domain.EventReminder)
		c := subscription("0190a000-0000-7000-8000-0000000000c3", t0.Add(time.Minute), domain.EventEscalation)
		c.Disable("admin-ada", t0.Add(2*time.Minute))
		for _, s := range []domain.Subscription{a, b, c} {
			if err := r.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		same := func(got, want domain.Subscription) bool {
			return got.ID == want.ID && got.URL == want.URL && got.Description == want.Description && slices.Equal(got.EventKinds, want.EventKinds) &&
				got.Secret.Equal(want.Secret) && got.PreviousSecret.Equal(want.PreviousSecret) && eqTime(got.PreviousUntil, want.PreviousUntil) &&
				got.Enabled == want.Enabled && got.DisabledReason == want.DisabledReason && eqTime(got.DisabledAt, want.DisabledAt) &&
				got.Failures == want.Failures && eqTime(got.FailingSince, want.FailingSince) && got.CreatedBy == want.CreatedBy &&
				got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt) && got.CreatedAt.Location() == time.UTC
		}
		if !same(got, a) || got.Secret.IsZero() || !got.PreviousSecret.IsZero() {
			t.Fatalf("read back %+v\nwant %+v", got, a)
		}
		if n := count(t, gdb, "SELECT COUNT(*) FROM webhook_subscriptions WHERE id = ? AND secret = ?", a.ID, a.Secret.Reveal()); n != 1 {
			t.Fatal("the secret is not stored in its whsec_ form")
		}

		ids := func(ss []domain.Subscription) []string {
			var out []string
			for _, s := range ss {
				out = append(out, s.ID)
			}
			return out
		}
		all, err := r.List(ctx)
		if err != nil || !slices.Equal(ids(all), []string{b.ID, a.ID, c.ID}) || !same(all[2], c) {
			t.Fatalf("list: %v, %v", ids(all), err)
		}
		for kind, want := range map[string][]string{
			domain.EventEscalation: {a.ID}, // c is disabled
			domain.EventReminder:   {b.ID},
			domain.EventWinback:    nil,
		} {
			if got, err := r.For(ctx, kind); err != nil || !slices.Equal(ids(got), want) {
				t.Errorf("for %s: %v, %v; want %v", kind, ids(got), err, want)
			}
		}

		// Save stores every field; a rotation's previous secret comes back.
		now := t0.Add(time.Hour)
		a.Rotate(webhook.NewSecret(), now, domain.SecretOverlap)
		a.URL, a.Description, a.EventKinds = "https://other.example.com/x", "", []string{domain.EventWinback}
		a.RecordAttempt(false, "HTTP 500", now, 10)
		if err := r.Save(ctx, a); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Get(ctx, a.ID); err != nil || !same(got, a) || got.PreviousSecret.IsZero() || len(got.Signing(now)) != 2 {
			t.Fatalf("saved: %+v, %v", got, err)
		}

		// Update: a refused change stores nothing.
		boom := errors.New("boom")
		if _, err := r.Update(ctx, a.ID, func(s *domain.Subscription) error {
			s.URL = "https://changed.example.com/"
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if got, _ := r.Get(ctx, a.ID); got.URL != a.URL {
			t.Fatalf("a refused update was stored: %s", got.URL)
		}
		upd, err := r.Update(ctx, c.ID, func(s *domain.Subscription) error { s.Enable(now); return nil })
		if err != nil || !upd.Enabled || upd.DisabledAt != nil {
			t.Fatalf("update: %+v, %v", upd, err)
		}
		if got, _ := r.Get(ctx, c.ID); !got.Enabled || got.DisabledReason != "" || got.DisabledAt != nil || !got.UpdatedAt.Equal(now) {
			t.Fatalf("re-enabled: %+v", got)
		}

		if err := r.Delete(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		missing := b.ID
		if _, err := r.Get(ctx, missing); !errors.Is(err, domain.ErrWebhookNotFound) {
			t.Errorf("get missing: %v", err)
		}
		if err := r.Delete(ctx, missing); !errors.Is(err, domain.ErrWebhookNotFound) {
			t.Errorf("delete missing: %v", err)
		}
		if err := r.Save(ctx, b); !errors.Is(err, domain.ErrWebhookNotFound) {
			t.Errorf("save missing: %v", err)
		}
		if _, err := r.Attempt(ctx, missing, false, "x", now, 3); !errors.Is(err, domain.ErrWebhookNotFound) {
			t.Errorf("attempt on missing: %v", err)
		}
		if all, _ := r.List(ctx); len(all) != 2 {
			t.Errorf("%d left after a delete, want 2", len(all))
		}
	})
}

// Deliveries failing at once, concurrently: every failure is counted
// (the row is held between load and save), and exactly one attempt is told
// it disabled the subscription.
func TestWebhooksAttempt(t *testing.T) {
	each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		r := store.NewWebhooks(gdb)
		s := subscription("0190a000-0000-7000-8000-0000000000d4", t0, domain.EventEscalation)
		if err := r.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Hour)
		if off, err := r.Attempt(ctx, s.ID, false, "HTTP 503", now, 10); err != nil || off {
			t.Fatalf("first failure: %v, %v", off, err)
		}
		if off, err := r.Attempt(ctx, s.ID, true, "", now.Add(time.Minute), 10); err != nil || off {
			t.Fatalf("success: %v, %v", off, err)
		}
		if got, _ := r.Get(ctx, s.ID); got.Failures != 0 || got.FailingSince != nil {
			t.Fatalf("a success did not reset the count: %+v", got)
		}

		const n = 12
		var wg sync.WaitGroup
		offs, errs := make([]bool, n), make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				offs[i], errs[i] = r.Attempt(ctx, s.ID, false, "connection refused", now.Add(time.Duration(i+2)*time.Minute), 10)
			}()
		}
		wg.Wait()
		disabled := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("attempt %d: %v", i, errs[i])
			}
			if offs[i] {
				disabled++
			}
		}
		got, err := r.Get(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Failures != n || disabled != 1 || got.Enabled || got.DisabledAt == nil || got.FailingSince == nil {
			t.Fatalf("%d failures counted of %d, %d attempts said they disabled it; %+v", got.Failures, n, disabled, got)
		}
		want := "disabled after 10 consecutive failed deliveries since " + got.FailingSince.Format(time.RFC3339) + "; last: connection refused"
		if got.DisabledReason != want {
			t.Fatalf("reason %q, want %q", got.DisabledReason, want)
		}
	})
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
