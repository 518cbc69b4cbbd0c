package app_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newPolicies(gdb *gorm.DB, log *slog.Logger) *app.Policies {
	return app.NewPolicies(store.NewPolicies(gdb), store.NewCalendars(gdb), nil, log)
}

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
				errs[i] = newPolicies(gdb, log).Seed(ctx)
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

func freshDB(t *testing.T) *gorm.DB {
	t.Helper()
	return migrated(t, db.Config{URL: testenv.SQLite(t), MaxOpenConns: 1, MaxIdleConns: 1, ConnMaxLifetime: time.Minute, SlowQuery: time.Second})
}

// migrated opens the database of cfg with the follow-up service's schema,
// closed when t ends.
func migrated(t *testing.T, cfg db.Config) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "followup", adapters.Migrations, log); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			s.Close()
		}
	})
	return gdb
}

type installed struct {
	names []string
	def   string
}

func calendarsIn(t *testing.T, gdb *gorm.DB) installed {
	t.Helper()
	var in installed
	if err := gdb.Raw("SELECT DISTINCT name FROM calendar_versions ORDER BY name").Scan(&in.names).Error; err != nil {
		t.Fatal(err)
	}
	if err := gdb.Raw("SELECT calendar FROM calendar_assignments WHERE scope = 'default'").Scan(&in.def).Error; err != nil {
		t.Fatal(err)
	}
	return in
}

func stored(t *testing.T, gdb *gorm.DB, name string) *calendar.Calendar {
	t.Helper()
	cal, err := policy.CalendarFromJSON([]byte(storedSpec(t, gdb, name)))
	if err != nil {
		t.Fatalf("%s does not build: %v", name, err)
	}
	return cal
}

func storedSpec(t *testing.T, gdb *gorm.DB, name string) string {
	t.Helper()
	var raw string
	if err := gdb.Raw("SELECT spec FROM calendar_versions WHERE name = ? ORDER BY version DESC LIMIT 1", name).Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestChinaPresetOnAFreshDatabase: DEFAULT_CALENDAR_COUNTRY=CN (any case)
// installs cn-mainland as the default beside the two calendars every preset
// installs (its dates: domain.TestChinaMainland).
func TestChinaPresetOnAFreshDatabase(t *testing.T) {
	gdb := freshDB(t)
	s := newPolicies(gdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.SetDefaultCountry("cn"); err != nil {
		t.Fatal(err)
	}
	if err := s.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := calendarsIn(t, gdb)
	if strings.Join(got.names, ",") != "cn-mainland,cn-mainland-2026,standard" || got.def != domain.ChinaCalendar {
		t.Fatalf("installed %v, default %q", got.names, got.def)
	}
	if _, err := policy.CalendarFromJSON([]byte(storedSpec(t, gdb, domain.ChinaCalendar))); err != nil {
		t.Fatalf("%s does not build: %v", domain.ChinaCalendar, err)
	}
}

// TestPlainPresetAndExistingDatabases: empty or "plain" keeps the Monday–Friday
// default; a country set later does not touch a database that has calendars.
func TestPlainPresetAndExistingDatabases(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, country := range []string{"", "plain", "PLAIN"} {
		gdb := freshDB(t)
		s := newPolicies(gdb, log)
		if err := s.SetDefaultCountry(country); err != nil {
			t.Fatalf("%q: %v", country, err)
		}
		if err := s.Seed(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := calendarsIn(t, gdb); strings.Join(got.names, ",") != "cn-mainland-2026,standard" || got.def != domain.DefaultCalendar {
			t.Fatalf("%q: installed %v, default %q", country, got.names, got.def)
		}
		if stored(t, gdb, domain.DefaultCalendar).IsWorkingTime(time.Date(2026, time.December, 5, 10, 0, 0, 0, time.UTC)) {
			t.Error("standard works on Saturdays")
		}
		later := newPolicies(gdb, log)
		if err := later.SetDefaultCountry("CN"); err != nil {
			t.Fatal(err)
		}
		if err := later.Seed(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := calendarsIn(t, gdb); len(got.names) != 2 || got.def != domain.DefaultCalendar {
			t.Fatalf("a later CN changed an existing database: %v, default %q", got.names, got.def)
		}
	}
}

// TestUnknownCountryIsRefused: the error names the value and the accepted ones,
// and the preset in force is unchanged.
func TestUnknownCountryIsRefused(t *testing.T) {
	gdb := freshDB(t)
	s := newPolicies(gdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.SetDefaultCountry("CN"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"FR", "china", "CN,US", "C N"} {
		err := s.SetDefaultCountry(bad)
		if err == nil || !strings.Contains(err.Error(), `DEFAULT_CALENDAR_COUNTRY="`+bad+`"`) || !strings.Contains(err.Error(), "known: CN (China mainland") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if err := s.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := calendarsIn(t, gdb); got.def != domain.ChinaCalendar {
		t.Errorf("a refused value changed the preset: default %q", got.def)
	}
}
