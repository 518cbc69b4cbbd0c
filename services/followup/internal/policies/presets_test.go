package policies_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/policies"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

func freshDB(t *testing.T) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: testenv.SQLite(t), MaxOpenConns: 1, MaxIdleConns: 1, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
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
	var raw string
	if err := gdb.Raw("SELECT spec FROM calendar_versions WHERE name = ? ORDER BY version DESC LIMIT 1", name).Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	cal, err := policy.CalendarFromJSON([]byte(raw))
	if err != nil {
		t.Fatalf("%s does not build: %v", name, err)
	}
	return cal
}

// TestChinaPresetOnAFreshDatabase: DEFAULT_CALENDAR_COUNTRY=CN (any case)
// installs cn-mainland as the default, with the 2026 notice's holidays and
// make-up days and the 2027 statutory days; deadlines count across them.
func TestChinaPresetOnAFreshDatabase(t *testing.T) {
	gdb := freshDB(t)
	s := policies.New(gdb, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.SetDefaultCountry("cn"); err != nil {
		t.Fatal(err)
	}
	if err := s.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := calendarsIn(t, gdb)
	if strings.Join(got.names, ",") != "cn-mainland,cn-mainland-2026,standard" || got.def != policies.ChinaCalendar {
		t.Fatalf("installed %v, default %q", got.names, got.def)
	}
	cal := stored(t, gdb, policies.ChinaCalendar)
	sh := cal.Location()
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, sh) }
	cases := []struct {
		name string
		from time.Time
		add  time.Duration
		want time.Time
	}{
		// docs/business-calendars.md: 40 business hours across the 2026 golden week.
		{"2026 National Day and its make-up Saturday", at(2026, time.September, 29, 10), 40 * time.Hour, at(2026, time.October, 12, 14)},
		{"2026 Spring Festival make-up Saturday", at(2026, time.February, 13, 17), 2 * time.Hour, at(2026, time.February, 14, 10)},
		// Thu 4 Feb 2027 17:00: one hour that day, then 除夕 (Fri 5) to 初三 (Mon 8) and the weekend between.
		{"2027 Spring Festival", at(2027, time.February, 4, 17), 2 * time.Hour, at(2027, time.February, 9, 10)},
		{"2027 National Day (Fri 1 – Sun 3)", at(2027, time.September, 30, 17), 2 * time.Hour, at(2027, time.October, 4, 10)},
		{"2027 Mid-Autumn (Wed 15 Sep)", at(2027, time.September, 14, 17), 2 * time.Hour, at(2027, time.September, 16, 10)},
	}
	for _, c := range cases {
		if due := cal.Add(c.from, c.add); !due.Equal(c.want) {
			t.Errorf("%s: %s + %s = %s, want %s", c.name, c.from, c.add, due, c.want)
		}
	}
	if cal.IsWorkingTime(at(2027, time.January, 1, 10)) || !cal.IsWorkingTime(at(2027, time.January, 4, 10)) {
		t.Error("2027 New Year's Day")
	}
}

// TestPlainPresetAndExistingDatabases: empty or "plain" keeps the Monday–Friday
// default; a country set later does not touch a database that has calendars.
func TestPlainPresetAndExistingDatabases(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, country := range []string{"", "plain", "PLAIN"} {
		gdb := freshDB(t)
		s := policies.New(gdb, nil, log)
		if err := s.SetDefaultCountry(country); err != nil {
			t.Fatalf("%q: %v", country, err)
		}
		if err := s.Seed(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := calendarsIn(t, gdb); strings.Join(got.names, ",") != "cn-mainland-2026,standard" || got.def != policies.DefaultCalendar {
			t.Fatalf("%q: installed %v, default %q", country, got.names, got.def)
		}
		if stored(t, gdb, policies.DefaultCalendar).IsWorkingTime(time.Date(2026, time.December, 5, 10, 0, 0, 0, time.UTC)) {
			t.Error("standard works on Saturdays")
		}
		later := policies.New(gdb, nil, log)
		if err := later.SetDefaultCountry("CN"); err != nil {
			t.Fatal(err)
		}
		if err := later.Seed(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := calendarsIn(t, gdb); len(got.names) != 2 || got.def != policies.DefaultCalendar {
			t.Fatalf("a later CN changed an existing database: %v, default %q", got.names, got.def)
		}
	}
}

// TestUnknownCountryIsRefused: the error names the value and the accepted ones,
// and the preset in force is unchanged.
func TestUnknownCountryIsRefused(t *testing.T) {
	gdb := freshDB(t)
	s := policies.New(gdb, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
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
	if got := calendarsIn(t, gdb); got.def != policies.ChinaCalendar {
		t.Errorf("a refused value changed the preset: default %q", got.def)
	}
}
