package followup_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/customer"
	"github.com/closeloop/closeloop/services/followup"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/sales"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// previousRelease is the customer service's schema as the release before
// the follow-up service left it: its migrations up to 10 (11 onwards belong
// to the release that moves the engine out).
func previousRelease(upTo int) []migrate.Migration {
	var out []migrate.Migration
	for _, m := range customer.Spec().Migrations {
		if m.Version <= upTo {
			out = append(out, m)
		}
	}
	return out
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// previousInstall is a customer database the previous release migrated and wrote.
func previousInstall(t *testing.T, g *gorm.DB) written {
	t.Helper()
	if _, err := migrate.Run(context.Background(), g, "customer", previousRelease(10), quiet); err != nil {
		t.Fatal(err)
	}
	return writePreviousRelease(t, g)
}

func openDB(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	g, err := db.Open(context.Background(), db.Config{URL: dsn, MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := g.DB(); err == nil {
			s.Close()
		}
	})
	return g
}

// written is what the previous release wrote, for the assertions.
type written struct {
	policy           string   // the policy with several versions
	overdue, notDue  []string // open follow-ups, due before and after now
	closed           []string
	stepped          string // a follow-up whose history has escalation steps
	calendar, region string
}

// writePreviousRelease fills the customer database the way the previous
// release did: the engine's policy and calendar code (the same code that
// ran in the customer service then) seeds and changes policies and
// calendars; follow-ups and their history are the rows its store wrote.
func writePreviousRelease(t *testing.T, g *gorm.DB) written {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: analyst, Roles: []auth.Role{auth.RoleAnalyst}})
	pol := app.NewPolicies(store.NewPolicies(g), store.NewCalendars(g), nil, nil)
	if err := pol.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	var d policy.Definition
	for _, c := range policy.Catalogue() {
		if c.Default.Timer != nil {
			d = c
			break
		}
	}
	w := written{policy: d.Name, calendar: "north-office", region: "north"}
	changed := d.Default
	timer := *changed.Timer
	timer.Duration = max(d.Min, timer.Duration/2)
	changed.Timer = &timer
	later, latest := time.Now().AddDate(0, 6, 0), time.Now().AddDate(1, 0, 0)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(pol.Propose(ctx, d.Name, app.Proposal{Value: changed.MustJSON(), Reason: "faster first response"}))                    // v2, active
	must(pol.Propose(ctx, d.Name, app.Proposal{Value: d.Default.MustJSON(), EffectiveFrom: &later, Reason: "back to default"})) // v3, scheduled
	must(pol.Rollback(ctx, d.Name, 1, app.Proposal{EffectiveFrom: &latest, Reason: "roll back to the shipped default"}))        // v4
	must(pol.Withdraw(ctx, d.Name, 4, "not needed after all"))                                                                  // v4, withdrawn
	week := calendar.Weekdays(calendar.Range{Start: calendar.At(8, 0), End: calendar.At(16, 0)})
	must(pol.PutCalendar(ctx, w.calendar, domain.CalendarInput{TimeZone: "Europe/Berlin", Week: week, Regions: []string{w.region}, Reason: "north office hours"}))
	must(pol.PutCalendar(ctx, w.calendar, domain.CalendarInput{TimeZone: "Europe/Berlin", Week: week, Regions: []string{w.region}, Teams: []string{"north"},
		Holidays: []calendar.Holiday{{Name: "office party", Start: calendar.DateOf(2026, time.December, 18), End: calendar.DateOf(2026, time.December, 18)}}, Reason: "team north too"}))

	// Follow-ups as the previous release's store recorded them: opened,
	// deadline re-computed, escalation steps (with when they were due),
	// closed.
	now := time.Now().UTC().Truncate(time.Microsecond)
	fu := func(state string, due time.Time, level int, closed bool) string {
		id := uuid.Must(uuid.NewV7()).String()
		var closedAt, closedBy, escalatedAt any
		if closed {
			closedAt, closedBy = now.Add(-time.Hour), repAna
		}
		if level > 0 {
			escalatedAt = due.Add(time.Hour)
		}
		exec(t, g, `INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, title, state, anchor_at, due_at, next_step_at,
			escalation_level, last_action, escalated_at, policy, policy_key, policy_version, escalation_policy, escalation_policy_version,
			calendar, calendar_version, workflow_id, run_id, opened_by, created_at, updated_at, closed_at, closed_by, close_note)
			VALUES (?, 'lead_first_response', ?, ?, 'north', 'north', 'call back', ?, ?, ?, ?, ?, ?, ?, ?, '', 2, '', 0, ?, 2, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, uuid.NewString(), repAna, state, due.Add(-48*time.Hour), due, map[bool]any{true: nil, false: due.Add(24 * time.Hour)}[closed], level,
			map[bool]string{true: "escalated", false: ""}[level > 0], escalatedAt, d.Name, w.calendar, "followup:"+id, uuid.NewString(), mgrMia,
			due.Add(-48*time.Hour), now.Add(-time.Hour), closedAt, closedBy, map[bool]string{true: "called", false: ""}[closed])
		ev := func(action string, level int, at time.Time, scheduled any) {
			exec(t, g, `INSERT INTO follow_up_events (id, follow_up_id, action, level, actor, detail, at, scheduled_at) VALUES (?, ?, ?, ?, 'workflow', ?, ?, ?)`,
				uuid.Must(uuid.NewV7()).String(), id, action, level, action+" by the ladder", at, scheduled)
		}
		ev("opened", 0, due.Add(-48*time.Hour), nil)
		ev("deadline_changed", 0, due.Add(-24*time.Hour), nil)
		if level > 0 {
			ev("remind", 1, due.Add(90*time.Second), due)
			ev("escalate_manager", 2, due.Add(time.Hour+time.Second), due.Add(time.Hour))
		}
		if closed {
			ev(state, level, now.Add(-time.Hour), nil)
		}
		return id
	}
	w.overdue = []string{fu("open", now.Add(-72*time.Hour), 0, false), fu("escalated", now.Add(-30*time.Hour), 2, false)}
	w.stepped = w.overdue[1]
	w.notDue = []string{fu("open", now.Add(72*time.Hour), 0, false)}
	w.closed = []string{fu("done", now.Add(-100*time.Hour), 2, true), fu("cancelled", now.Add(-10*time.Hour), 0, true)}
	return w
}

func exec(t *testing.T, g *gorm.DB, q string, args ...any) {
	t.Helper()
	if err := g.Exec(q, args...).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// dumpTables reads every column the customer database has in the six
// tables, from src and from dst, in key order, as text.
func dumpTables(t *testing.T, src, dst *gorm.DB) (want, got map[string][]string) {
	t.Helper()
	want, got = map[string][]string{}, map[string][]string{}
	for _, table := range adapters.ImportTables() {
		rs, err := src.Raw("SELECT * FROM " + table + " LIMIT 0").Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		rs.Close()
		q := "SELECT " + strings.Join(cols, ", ") + " FROM " + table + " ORDER BY " + strings.Join(cols[:2], ", ")
		want[table], got[table] = rowsOf(t, src, q), rowsOf(t, dst, q)
	}
	return want, got
}

func rowsOf(t *testing.T, g *gorm.DB, q string) []string {
	t.Helper()
	rs, err := g.Raw(q).Rows()
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if ts, ok := v.(time.Time); ok {
				v = ts.UTC().Format(time.RFC3339Nano)
			} else if raw, ok := v.([]byte); ok {
				v = string(raw)
			}
			fmt.Fprintf(&b, "%s=%v; ", cols[i], v)
		}
		out = append(out, b.String())
	}
	return out
}

func sameRows(t *testing.T, what string, want, got map[string][]string) {
	t.Helper()
	for _, table := range adapters.ImportTables() {
		if len(want[table]) == 0 {
			t.Errorf("%s: the customer database has no %s rows: the test wrote too little", what, table)
		}
		if !slices.Equal(want[table], got[table]) {
			t.Errorf("%s: %s differs\nwant %q\ngot  %q", what, table, want[table], got[table])
		}
	}
}

// importCustomerDB runs `followup import-customer-db` as the binary does.
func importCustomerDB(t *testing.T, from, to string) error {
	t.Helper()
	t.Setenv("DATABASE_URL", to)
	t.Setenv(adapters.ImportSourceEnv, from)
	t.Setenv("LOG_LEVEL", "warn")
	spec := followup.Spec()
	cfg, err := service.LoadConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	return spec.Commands["import-customer-db"](context.Background(), cfg)
}

// TestUpgradeImportsTheCustomerDatabase is the upgrade of an existing
// install: its customer database as the previous release left it is
// imported into a fresh follow-up database, twice, and the follow-up
// service started on it shows the install's follow-ups and policies.
func TestUpgradeImportsTheCustomerDatabase(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			srcDSN, dstDSN := b.DSN(t), b.DSN(t)
			src := openDB(t, srcDSN)
			w := previousInstall(t, src)
			if err := importCustomerDB(t, srcDSN, dstDSN); err != nil {
				t.Fatal(err)
			}
			dst := openDB(t, dstDSN)
			want, got := dumpTables(t, src, dst)
			sameRows(t, "first import", want, got)
			if err := importCustomerDB(t, srcDSN, dstDSN); err != nil {
				t.Fatal(err)
			}
			_, again := dumpTables(t, src, dst)
			sameRows(t, "second import", want, again)

			// The follow-up service starts on the imported database: its seed
			// adds nothing, and its API shows the install's data.
			st := stacktest.New(t, b.DSN(t), stacktest.Opts{FollowUpDSN: dstDSN})
			_, afterStart := dumpTables(t, src, dst)
			sameRows(t, "after the follow-up service started", want, afterStart)

			r := st.Call("GET", "/v1/follow-ups/overdue", mgrMia, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("overdue: %d %s", r.Status, r.Body)
			}
			var page struct {
				Items []struct {
					ID    string `json:"id"`
					State string `json:"state"`
				} `json:"items"`
			}
			if err := json.Unmarshal(r.Body, &page); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range page.Items {
				ids = append(ids, it.ID)
			}
			if !slices.Equal(ids, w.overdue) { // oldest due first
				t.Errorf("overdue view: %v, want %v", ids, w.overdue)
			}

			r = st.Call("GET", "/v1/policies/"+w.policy+"/versions", analyst, nil)
			var versions struct {
				Items []struct {
					Version    int64  `json:"version"`
					Status     string `json:"status"`
					CreatedBy  string `json:"created_by"`
					CopiedFrom *int64 `json:"copied_from"`
				} `json:"items"`
			}
			if err := json.Unmarshal(r.Body, &versions); err != nil || r.Status != http.StatusOK {
				t.Fatalf("versions: %d %s", r.Status, r.Body)
			}
			var statuses []string
			for _, v := range versions.Items {
				statuses = append(statuses, fmt.Sprintf("v%d %s by %s", v.Version, v.Status, v.CreatedBy))
			}
			if wantS := []string{"v1 superseded by system", "v2 active by " + analyst, "v3 scheduled by " + analyst, "v4 withdrawn by " + analyst}; !slices.Equal(statuses, wantS) ||
				versions.Items[3].CopiedFrom == nil || *versions.Items[3].CopiedFrom != 1 {
				t.Errorf("versions: %v, want %v (v4 copied from v1)", statuses, wantS)
			}

			r = st.Call("GET", "/v1/follow-ups/"+w.stepped, mgrMia, nil)
			body := string(r.Body)
			if r.Status != http.StatusOK || strings.Count(body, `"scheduled_at"`) != 2 || !strings.Contains(body, `"late_by":"1m30s"`) {
				t.Errorf("history: %d %s", r.Status, body)
			}
			r = st.Call("GET", "/v1/calendars/"+w.calendar, analyst, nil)
			if c := r.JSON(t); r.Status != http.StatusOK || c["version"] != float64(2) || fmt.Sprint(c["regions"]) != "[north]" || fmt.Sprint(c["teams"]) != "[north]" {
				t.Errorf("calendar: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestUpgradeImportRefusesWrongOrOldSource: the import writes nothing and
// says what to do when its source is not the customer database, or is
// older than the previous release.
func TestUpgradeImportRefusesWrongOrOldSource(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			salesDSN, oldDSN, emptyDSN := b.DSN(t), b.DSN(t), b.DSN(t)
			openDB(t, emptyDSN) // an SQLite file exists once opened
			if _, err := migrate.Run(ctx, openDB(t, salesDSN), "sales", sales.Spec().Migrations, quiet); err != nil {
				t.Fatal(err)
			}
			if _, err := migrate.Run(ctx, openDB(t, oldDSN), "customer", previousRelease(7), quiet); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name, from string
				want       error
				says       string
			}{
				{"sales database", salesDSN, adapters.ErrNotCustomerDB, "set it to the customer service's DATABASE_URL"},
				{"empty database", emptyDSN, adapters.ErrNotCustomerDB, "has no table policy_versions"},
				{"customer database before migration 8", oldDSN, adapters.ErrSourceTooOld, "upgrade the customer service to the previous Closeloop release first"},
			} {
				dstDSN := b.DSN(t)
				err := importCustomerDB(t, tc.from, dstDSN)
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("%s: got %v, want %v saying %q", tc.name, err, tc.want, tc.says)
				}
				if openDB(t, dstDSN).Migrator().HasTable("schema_migrations") {
					t.Errorf("%s: the follow-up database was written to", tc.name)
				}
			}
		})
	}
}

// TestUpgradeAfterTheFollowUpServiceStarted: the follow-up service started
// before the import and seeded its defaults. The import refuses to mix them
// with the install's history until told to replace them; then the running
// service shows the install's versions.
func TestUpgradeAfterTheFollowUpServiceStarted(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			srcDSN, dstDSN := b.DSN(t), b.DSN(t)
			src := openDB(t, srcDSN)
			w := previousInstall(t, src)
			st := stacktest.New(t, b.DSN(t), stacktest.Opts{FollowUpDSN: dstDSN})
			err := importCustomerDB(t, srcDSN, dstDSN)
			if !errors.Is(err, adapters.ErrSeedClash) || !strings.Contains(err.Error(), "set IMPORT_REPLACE_SEED=true") {
				t.Fatalf("got %v", err)
			}
			t.Setenv(adapters.ImportReplaceSeedEnv, "true")
			if err := importCustomerDB(t, srcDSN, dstDSN); err != nil {
				t.Fatal(err)
			}
			want, got := dumpTables(t, src, openDB(t, dstDSN))
			// The customer database had every seeded row the follow-up
			// service wrote, under the same keys: none of its own is left.
			sameRows(t, "replaced seed", want, got)
			r := st.Call("GET", "/v1/policies/"+w.policy+"/versions", analyst, nil)
			if r.Status != http.StatusOK || strings.Count(string(r.Body), `"version":`) != 4 {
				t.Errorf("versions: %d %s", r.Status, r.Body)
			}
		})
	}
}
