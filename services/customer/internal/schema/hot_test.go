package schema_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/testenv"
)

// TestAClassChangeIsAHOTUpdate: an ABC run writes value_class on many rows
// (adapters.ClassifyPage), so no index of customers may hold the column — as
// a key, an INCLUDE column or in a predicate — or PostgreSQL writes a new
// entry in every index of the table for each class change (migration 20).
// A class change of a stored customer is a HOT update; a change of its care
// anchor, which the care index holds, is not (the check sees the difference).
func TestAClassChangeIsAHOTUpdate(t *testing.T) {
	gdb := migrated(t, testenv.Postgres(t), 0)
	now := time.Now()
	if err := gdb.Exec(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage,
		created_by, created_at, updated_at, care_from) VALUES ('c1', 'Acme Steel', 'acme steel', 'north', 'steel', 'rep-ana', 'north', 'transacting', 'test', ?, ?, ?)`,
		now, now, now).Error; err != nil {
		t.Fatal(err)
	}
	// hotUpdates runs update in a transaction and returns how many of its
	// updates of customers were HOT.
	// The counter also holds the backend's updates not yet reported, so the
	// difference across the update is taken.
	hotUpdates := func(update string, args ...any) int64 {
		t.Helper()
		var before, after int64
		const count = `SELECT pg_stat_get_xact_tuples_hot_updated('customers'::regclass)`
		if err := gdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Raw(count).Scan(&before).Error; err != nil {
				return err
			}
			if err := tx.Exec(update, args...).Error; err != nil {
				return err
			}
			return tx.Raw(count).Scan(&after).Error
		}); err != nil {
			t.Fatal(err)
		}
		return after - before
	}
	if hot := hotUpdates(`UPDATE customers SET value_class = 'A', classified_at = ?, version = version + 1 WHERE id = 'c1'`, now); hot != 1 {
		t.Errorf("a class change made %d HOT updates, want 1: an index of customers holds value_class", hot)
	}
	if hot := hotUpdates(`UPDATE customers SET care_from = ? WHERE id = 'c1'`, now.Add(time.Hour)); hot != 0 {
		t.Errorf("a care anchor change made %d HOT updates, want 0 (the care index holds care_from): the check does not see index writes", hot)
	}
}
