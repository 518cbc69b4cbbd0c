package schema_test

import (
	"context"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestLostCustomersOnUpgrade runs migration 16 on each database over
// customers stored before it: a lost customer gets the instant and reason of
// its latest change to lost, one created lost its creation's instant and no
// reason ("created" is not why it was lost), one without any stage change
// its last update; a customer in another stage gets nothing.
func TestLostCustomersOnUpgrade(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := migrated(t, b.DSN(t), 16)
			t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
			customer := func(id, stage string, updated time.Time) {
				if err := gdb.Exec(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage,
					created_by, created_at, updated_at) VALUES (?, ?, ?, 'north', 'steel', 'rep-ana', 'north', ?, 'test', ?, ?)`,
					id, "Customer "+id, "customer "+id, stage, t0, updated).Error; err != nil {
					t.Fatal(err)
				}
			}
			change := func(id, customer, from, to, reason string, at time.Time) {
				if err := gdb.Exec(`INSERT INTO stage_changes (id, customer_id, kind, from_stage, to_stage, reason, actor, at)
					VALUES (?, ?, 'lifecycle', ?, ?, ?, 'rep-ana', ?)`, id, customer, from, to, reason, at).Error; err != nil {
					t.Fatal(err)
				}
			}
			const lostTwice, createdLost, noHistory, prospect = "c1", "c2", "c3", "c4"
			customer(lostTwice, "lost", t0.Add(9*time.Hour))
			change("s1", lostTwice, "", "transacting", "created", t0)
			change("s2", lostTwice, "transacting", "lost", "moved away", t0.Add(time.Hour))
			change("s3", lostTwice, "lost", "prospect", "back", t0.Add(2*time.Hour))
			change("s4", lostTwice, "prospect", "lost", "price", t0.Add(3*time.Hour))
			customer(createdLost, "lost", t0)
			change("s5", createdLost, "", "lost", "created", t0)
			customer(noHistory, "lost", t0.Add(5*time.Hour))
			customer(prospect, "prospect", t0)
			change("s6", prospect, "", "lost", "created", t0)
			change("s7", prospect, "lost", "prospect", "back", t0.Add(time.Hour))
			if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, nil); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string]struct {
				at     *time.Time
				reason string
			}{
				lostTwice:   {ptr(t0.Add(3 * time.Hour)), "price"},
				createdLost: {ptr(t0), ""},
				noHistory:   {ptr(t0.Add(5 * time.Hour)), ""},
				prospect:    {nil, ""},
			} {
				var got struct {
					LostAt         *time.Time
					LostReason     string
					LostCompetitor string
				}
				if err := gdb.Raw("SELECT lost_at, lost_reason, lost_competitor FROM customers WHERE id = ?", id).Scan(&got).Error; err != nil {
					t.Fatal(err)
				}
				if (got.LostAt == nil) != (want.at == nil) || (got.LostAt != nil && !got.LostAt.Equal(*want.at)) || got.LostReason != want.reason || got.LostCompetitor != "" {
					t.Errorf("%s: lost at %v for %q (%q), want %v for %q", id, got.LostAt, got.LostReason, got.LostCompetitor, want.at, want.reason)
				}
			}
		})
	}
}

func ptr(t time.Time) *time.Time { return &t }

// TestZeroCareAnchorsRepairedOnUpgrade runs migration 21 on each database:
// a customer stored with the zero care anchor gets its creation (or its
// later last contact); a customer with an anchor keeps it.
func TestZeroCareAnchorsRepairedOnUpgrade(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			gdb := migrated(t, b.DSN(t), 21)
			created := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			contact, anchor := created.Add(48*time.Hour), created.Add(24*time.Hour)
			for _, c := range []struct {
				id                string
				careFrom, contact *time.Time
			}{{"zero", &time.Time{}, nil}, {"zero-contacted", &time.Time{}, &contact}, {"anchored", &anchor, nil}} {
				if err := gdb.Exec(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage,
					created_by, created_at, updated_at, care_from, last_contact_at) VALUES (?, ?, ?, 'north', 'steel', 'rep-ana', 'north', 'transacting', 'test', ?, ?, ?, ?)`,
					c.id, "Customer "+c.id, "customer "+c.id, created, created, *c.careFrom, c.contact).Error; err != nil {
					t.Fatal(err)
				}
			}
			if _, err := migrate.Run(context.Background(), gdb, "customer", schema.Migrations, nil); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string]time.Time{"zero": created, "zero-contacted": contact, "anchored": anchor} {
				var got time.Time
				if err := gdb.Raw(`SELECT care_from FROM customers WHERE id = ?`, id).Row().Scan(&got); err != nil {
					t.Fatal(err)
				}
				if !got.Equal(want) {
					t.Errorf("%s: care_from %s, want %s", id, got, want)
				}
			}
		})
	}
}
