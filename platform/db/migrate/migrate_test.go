package migrate_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var steps = []migrate.Migration{
	{Version: 1, Name: "things", Up: migrate.SQL(`CREATE TABLE things (id VARCHAR(36) PRIMARY KEY, at TIMESTAMPTZ NOT NULL)`)},
	{Version: 2, Name: "things name", Up: migrate.SQL(`ALTER TABLE things ADD COLUMN name VARCHAR(50) NOT NULL DEFAULT ''`)},
}

func open(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(context.Background(), db.Config{URL: dsn, MaxOpenConns: 10, MaxIdleConns: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			s.Close()
		}
	})
	return gdb
}

func TestMigrationsApplyOnceInOrder(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			gdb := open(t, b.DSN(t))
			ctx := context.Background()
			applied, err := migrate.Run(ctx, gdb, "test", steps[:1], nil)
			if err != nil || len(applied) != 1 {
				t.Fatalf("first run: %v %v", applied, err)
			}
			st, _ := migrate.Inspect(ctx, gdb, steps)
			if len(st.Applied) != 1 || len(st.Pending) != 1 || st.Pending[0] != 2 {
				t.Fatalf("inspect before upgrade: %+v", st)
			}
			applied, err = migrate.Run(ctx, gdb, "test", steps, nil)
			if err != nil || len(applied) != 1 || applied[0] != 2 {
				t.Fatalf("upgrade: %v %v", applied, err)
			}
			if applied, _ := migrate.Run(ctx, gdb, "test", steps, nil); len(applied) != 0 {
				t.Fatalf("re-run applied %v", applied)
			}
			// A rolled-back binary that knows only version 1 sees 2 as unknown, not an error.
			st, err = migrate.Inspect(ctx, gdb, steps[:1])
			if err != nil || len(st.Unknown) != 1 || st.Unknown[0] != 2 {
				t.Fatalf("inspect after rollback: %+v %v", st, err)
			}
			if err := gdb.Exec(`INSERT INTO things (id, at, name) VALUES ('a', CURRENT_TIMESTAMP, 'x')`).Error; err != nil {
				t.Fatalf("schema not usable: %v", err)
			}
		})
	}
}

func TestFailedMigrationRollsBackAndStops(t *testing.T) {
	gdb := open(t, testenv.Postgres(t))
	bad := append(append([]migrate.Migration{}, steps...), migrate.Migration{Version: 3, Name: "broken", Up: func(tx *gorm.DB) error {
		if err := tx.Exec(`CREATE TABLE half_done (id INT)`).Error; err != nil {
			return err
		}
		return errors.New("boom")
	}})
	if _, err := migrate.Run(context.Background(), gdb, "test", bad, nil); err == nil {
		t.Fatal("a failing migration must fail the run")
	}
	if gdb.Migrator().HasTable("half_done") {
		t.Fatal("the failed migration's partial work was not rolled back")
	}
	st, _ := migrate.Inspect(context.Background(), gdb, bad)
	if len(st.Applied) != 2 || len(st.Pending) != 1 {
		t.Fatalf("status %+v", st)
	}
}

func TestConcurrentReplicasMigrateOnce(t *testing.T) {
	dsn := testenv.Postgres(t)
	var wg sync.WaitGroup
	total := make([]int, 6)
	errs := make([]error, 6)
	for i := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gdb := open(t, dsn)
			applied, err := migrate.Run(context.Background(), gdb, "test", steps, nil)
			total[i], errs[i] = len(applied), err
		}()
	}
	wg.Wait()
	sum := 0
	for i := range total {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		sum += total[i]
	}
	if sum != len(steps) {
		t.Fatalf("migrations applied %d times in total, want %d", sum, len(steps))
	}
}

func TestInvalidDeclarations(t *testing.T) {
	gdb := open(t, testenv.SQLite(t))
	dup := []migrate.Migration{steps[0], {Version: 1, Name: "again", Up: steps[1].Up}}
	if _, err := migrate.Run(context.Background(), gdb, "test", dup, nil); err == nil {
		t.Fatal("duplicate versions must be refused")
	}
}

// TestAnotherServicesDatabaseIsRefused: migration versions are per service,
// so a service pointed at a database where another service recorded a
// different migration under the same version must refuse to run rather than
// skip its own migration.
func TestAnotherServicesDatabaseIsRefused(t *testing.T) {
	gdb := open(t, testenv.SQLite(t))
	ctx := context.Background()
	if _, err := migrate.Run(ctx, gdb, "test", steps, nil); err != nil {
		t.Fatal(err)
	}
	other := []migrate.Migration{{Version: 1, Name: "widgets", Up: migrate.SQL(`CREATE TABLE widgets (id VARCHAR(36) PRIMARY KEY)`)}}
	applied, err := migrate.Run(ctx, gdb, "other", other, nil)
	if err == nil || !strings.Contains(err.Error(), "belongs to another service") || len(applied) != 0 {
		t.Fatalf("ran on another service's database: %v %v", applied, err)
	}
	if gdb.Migrator().HasTable("widgets") {
		t.Fatal("the refused migration created its table")
	}
}
