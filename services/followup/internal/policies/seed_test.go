package policies_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/policies"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestSeedIsIdempotentAcrossReplicas starts the seeding from several replicas
// at once, twice: every policy gets exactly its default version 1, the two
// shipped calendars exist once, there is one default, and each seed is
// audited once.
func TestSeedIsIdempotentAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: testenv.Postgres(t), MaxOpenConns: 10, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "followup", adapters.Migrations, log); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = policies.New(gdb, nil, log).Seed(ctx)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d replica %d: %v", round, i, err)
			}
		}
	}
	count := func(q string) int64 {
		var n int64
		if err := gdb.Raw(q).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	want := map[string]int64{
		"SELECT COUNT(*) FROM policy_versions":                                           int64(len(policy.Catalogue())),
		"SELECT COUNT(*) FROM policy_versions WHERE version <> 1":                        0,
		"SELECT COUNT(*) FROM calendar_versions":                                         2,
		"SELECT COUNT(*) FROM calendar_assignments WHERE scope = 'default'":              1,
		"SELECT COUNT(*) FROM policy_audit WHERE action = 'seeded'":                      int64(len(policy.Catalogue())) + 2,
		"SELECT COUNT(*) FROM policy_audit WHERE subject_kind = 'calendar'":              2,
		"SELECT COUNT(DISTINCT subject) FROM policy_audit WHERE subject_kind = 'policy'": int64(len(policy.Catalogue())),
	}
	for q, n := range want {
		if got := count(q); got != n {
			t.Errorf("%s = %d, want %d", q, got, n)
		}
	}
}
