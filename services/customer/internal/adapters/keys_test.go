package adapters_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestUpgradeRecomputesDuplicateKeys upgrades a database holding customers
// whose keys were computed by the old rules (issue 13, item 4): keys are
// recomputed, duplicates that the new rules reveal are kept apart and
// recorded instead of failing the migration, keys may swap between
// customers, deleted customers are recomputed too, and today's owners become
// known users.
func TestUpgradeRecomputesDuplicateKeys(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			gdb, err := db.Open(ctx, db.Config{URL: b.DSN(t), MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
			if err != nil {
				t.Fatal(err)
			}
			var before []migrate.Migration
			for _, m := range schema.Migrations {
				if m.Version <= 8 {
					before = append(before, m)
				}
			}
			if _, err := migrate.Run(ctx, gdb, "customer", before, log); err != nil {
				t.Fatal(err)
			}
			type row struct {
				name, key string
				tax       *string
				deleted   bool
				owner     string
			}
			str := func(s string) *string { return &s }
			rows := []row{
				{"Acme Steel", "acme steel", nil, false, "rep-ana"},          // 0: keeps its key
				{"\u0410cme Steel", "\u0430cme steel", nil, false, "rep-bo"}, // 1: Cyrillic А: a revealed duplicate of 0
				{"Gam\u200Bma", "gam ma", nil, false, "rep-ana"},             // 2: zero-width space: key changes
				{"Tax One", "tax one", str("９１１"), false, "rep-ana"},         // 3: full-width digits: 911
				{"Tax Two", "tax two", str("911"), false, "rep-bo"},          // 4: a revealed tax id duplicate of 3
				{"\u0410cme Steel", "\u0430cme steel", nil, true, "rep-ana"}, // 5: deleted: recomputed, no conflict
				{"Delta", "epsilon", nil, false, "rep-ana"},                  // 6 and 7 swap keys
				{"Epsilon", "delta", nil, false, "rep-ana"},                  // 7
			}
			ids := make([]string, len(rows))
			t0 := time.Now().UTC().Add(-time.Hour)
			for i, r := range rows {
				ids[i] = uuid.NewString()
				var deleted *time.Time
				if r.deleted {
					deleted = &t0
				}
				at := t0.Add(time.Duration(i) * time.Second)
				if err := gdb.Exec(`INSERT INTO customers (id, name, normalized_name, tax_id, region, industry, owner_id, team, lifecycle_stage,
					created_by, created_at, updated_at, deleted_at, care_from) VALUES (?, ?, ?, ?, 'north', 'steel', ?, 'north', 'lead', 'test', ?, ?, ?, ?)`,
					ids[i], r.name, r.key, r.tax, r.owner, at, at, deleted, at).Error; err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
			}
			if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, log); err != nil {
				t.Fatalf("the upgrade must not fail on existing duplicates: %v", err)
			}
			var got []struct {
				ID, NormalizedName string
				TaxID              *string
			}
			if err := gdb.Raw(`SELECT id, normalized_name, tax_id FROM customers`).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			key, tax := map[string]string{}, map[string]string{}
			for _, g := range got {
				key[g.ID] = g.NormalizedName
				if g.TaxID != nil {
					tax[g.ID] = *g.TaxID
				}
			}
			want := map[int]string{0: "acme steel", 1: "acme steel ~" + ids[1], 2: "gamma", 3: "tax one", 5: "acme steel", 6: "delta", 7: "epsilon"}
			for i, k := range want {
				if key[ids[i]] != k {
					t.Errorf("row %d (%q): key %q, want %q", i, rows[i].name, key[ids[i]], k)
				}
			}
			if tax[ids[3]] != "911" || tax[ids[4]] != "" {
				t.Errorf("tax ids: the older keeps 911 (%q), the later none (%q)", tax[ids[3]], tax[ids[4]])
			}
			var suspects []struct{ CustomerID, DuplicateOf, MatchedOn, OriginalValue string }
			if err := gdb.Raw(`SELECT customer_id, duplicate_of, matched_on, original_value FROM duplicate_suspects ORDER BY matched_on`).Scan(&suspects).Error; err != nil {
				t.Fatal(err)
			}
			if len(suspects) != 2 || suspects[0].CustomerID != ids[1] || suspects[0].DuplicateOf != ids[0] || suspects[0].MatchedOn != "name" ||
				suspects[1].CustomerID != ids[4] || suspects[1].DuplicateOf != ids[3] || suspects[1].OriginalValue != "911" {
				t.Errorf("suspects: %+v", suspects)
			}
			var audits int64
			gdb.Raw(`SELECT COUNT(*) FROM audit_events WHERE action = 'duplicate_suspected' AND customer_id IN (?, ?)`, ids[1], ids[4]).Scan(&audits)
			if audits != 2 {
				t.Errorf("each revealed duplicate is in its customer's audit trail: %d entries", audits)
			}
			var owners []string
			gdb.Raw(`SELECT id FROM users WHERE source = 'seed' ORDER BY id`).Scan(&owners)
			if len(owners) != 2 || owners[0] != "rep-ana" || owners[1] != "rep-bo" {
				t.Errorf("today's owners become known users: %v", owners)
			}
		})
	}
}
