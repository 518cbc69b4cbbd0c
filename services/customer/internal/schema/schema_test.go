package schema_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

// migrated opens the database at dsn and runs the customer service's
// migrations below version below (all of them when below is 0).
func migrated(t *testing.T, dsn string, below int) *gorm.DB {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(context.Background(), db.Config{URL: dsn, MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Minute}, log)
	if err != nil {
		t.Fatal(err)
	}
	upTo := schema.Migrations
	if below > 0 {
		upTo = nil
		for _, m := range schema.Migrations {
			if m.Version < below {
				upTo = append(upTo, m)
			}
		}
	}
	if _, err := migrate.Run(context.Background(), gdb, "customer", upTo, log); err != nil {
		t.Fatal(err)
	}
	return gdb
}

// TestHistoryIsOneContiguousList: the contexts' files together are versions
// 1..n, each once, in order — a version left out or taken twice by two
// contexts fails here, not on a customer's database.
func TestHistoryIsOneContiguousList(t *testing.T) {
	seen := map[int]string{}
	for i, m := range schema.Migrations {
		if m.Version != i+1 {
			t.Fatalf("position %d holds version %d (%q): want %d", i, m.Version, m.Name, i+1)
		}
		if prev, ok := seen[m.Version]; ok {
			t.Fatalf("version %d is declared twice: %q and %q", m.Version, prev, m.Name)
		}
		seen[m.Version] = m.Name
	}
	if got := len(schema.Customers) + len(schema.Engine) + len(schema.Visits) + len(schema.Actions) + len(schema.Care) + len(schema.Timeline) + len(schema.Winback) +
		len(schema.Standings); got != len(schema.Migrations) {
		t.Fatalf("the history holds %d migrations, the contexts %d", len(schema.Migrations), got)
	}
}
