package adapters

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var backends = testenv.Backends

// customerSchema is the engine's part of the customer service's schema as
// its migrations 4 and 8 left it (services/customer/internal/adapters; the
// upgrade test in services/followup runs the real ones). Versions upTo and
// below are applied.
func customerSchema(upTo int) []migrate.Migration {
	noop := func(*gorm.DB) error { return nil }
	var out []migrate.Migration
	for v := 1; v <= upTo; v++ {
		m := migrate.Migration{Version: v, Name: fmt.Sprintf("customer migration %d", v), Up: noop}
		switch v {
		case 4:
			m.Name, m.Up = "timer policies, business calendars, follow-ups", migrate.SQL(
				`CREATE TABLE policy_versions (policy VARCHAR(100) NOT NULL, version BIGINT NOT NULL, value TEXT NOT NULL,
					effective_from TIMESTAMPTZ NOT NULL, created_by VARCHAR(200) NOT NULL, created_at TIMESTAMPTZ NOT NULL,
					reason VARCHAR(2000) NOT NULL, copied_from BIGINT, withdrawn_at TIMESTAMPTZ, withdrawn_by VARCHAR(200),
					PRIMARY KEY (policy, version))`,
				`CREATE TABLE calendar_versions (name VARCHAR(100) NOT NULL, version BIGINT NOT NULL, spec TEXT NOT NULL,
					created_by VARCHAR(200) NOT NULL, created_at TIMESTAMPTZ NOT NULL, reason VARCHAR(2000) NOT NULL, PRIMARY KEY (name, version))`,
				`CREATE TABLE calendar_assignments (scope VARCHAR(10) NOT NULL, value VARCHAR(100) NOT NULL, calendar VARCHAR(100) NOT NULL,
					PRIMARY KEY (scope, value))`,
				`CREATE TABLE policy_audit (id VARCHAR(36) PRIMARY KEY, subject_kind VARCHAR(10) NOT NULL, subject VARCHAR(100) NOT NULL,
					version BIGINT NOT NULL, action VARCHAR(20) NOT NULL, actor VARCHAR(200) NOT NULL, reason VARCHAR(2000) NOT NULL,
					changes TEXT NOT NULL, trace_id VARCHAR(32) NOT NULL DEFAULT '', at TIMESTAMPTZ NOT NULL)`,
				`CREATE TABLE follow_ups (id VARCHAR(36) PRIMARY KEY, kind VARCHAR(40) NOT NULL, customer_id VARCHAR(36) NOT NULL,
					owner_id VARCHAR(200) NOT NULL, team VARCHAR(100) NOT NULL, territory VARCHAR(100) NOT NULL, title VARCHAR(300) NOT NULL DEFAULT '',
					state VARCHAR(20) NOT NULL, anchor_at TIMESTAMPTZ NOT NULL, due_at TIMESTAMPTZ NOT NULL, next_step_at TIMESTAMPTZ,
					escalation_level INTEGER NOT NULL DEFAULT 0, last_action VARCHAR(40) NOT NULL DEFAULT '', escalated_at TIMESTAMPTZ,
					policy VARCHAR(100) NOT NULL DEFAULT '', policy_key VARCHAR(40) NOT NULL DEFAULT '', policy_version BIGINT NOT NULL DEFAULT 0,
					escalation_policy VARCHAR(100) NOT NULL DEFAULT '', escalation_policy_version BIGINT NOT NULL DEFAULT 0,
					calendar VARCHAR(100) NOT NULL DEFAULT '', calendar_version BIGINT NOT NULL DEFAULT 0, workflow_id VARCHAR(200) NOT NULL,
					run_id VARCHAR(100) NOT NULL DEFAULT '', opened_by VARCHAR(200) NOT NULL, created_at TIMESTAMPTZ NOT NULL,
					updated_at TIMESTAMPTZ NOT NULL, closed_at TIMESTAMPTZ, closed_by VARCHAR(200), close_note VARCHAR(2000) NOT NULL DEFAULT '')`,
				`CREATE TABLE follow_up_events (id VARCHAR(36) PRIMARY KEY, follow_up_id VARCHAR(36) NOT NULL REFERENCES follow_ups(id),
					action VARCHAR(40) NOT NULL, level INTEGER NOT NULL DEFAULT 0, actor VARCHAR(200) NOT NULL,
					detail VARCHAR(2000) NOT NULL DEFAULT '', at TIMESTAMPTZ NOT NULL)`)
		case customerMinVersion:
			m.Name, m.Up = customerMinName, migrate.SQL(`ALTER TABLE follow_up_events ADD COLUMN scheduled_at TIMESTAMPTZ`)
		}
		out = append(out, m)
	}
	return out
}

func open(t *testing.T, dsn, service string, ms []migrate.Migration) *gorm.DB {
	t.Helper()
	g, err := db.Open(context.Background(), db.Config{URL: dsn, MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(g) })
	if _, err := migrate.Run(context.Background(), g, service, ms, quiet); err != nil {
		t.Fatal(err)
	}
	return g
}

func exec(t *testing.T, g *gorm.DB, q string, args ...any) {
	t.Helper()
	if err := g.Exec(q, args...).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

var t0 = time.Date(2025, 3, 1, 8, 30, 0, 123456000, time.UTC)

// fill writes what the engine wrote in the customer database: every
// catalogue policy's seeded version 1, more versions of one (a scheduled and
// a withdrawn one), the seeded and a custom calendar with assignments, the
// audit, and n follow-ups (every third closed) with three events each.
func fill(t *testing.T, g *gorm.DB, n int) {
	for i, d := range policy.Catalogue() {
		exec(t, g, `INSERT INTO policy_versions VALUES (?, 1, ?, ?, 'system', ?, 'shipped default', NULL, NULL, NULL)`,
			d.Name, string(d.Default.MustJSON()), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), t0)
		exec(t, g, `INSERT INTO policy_audit VALUES (?, 'policy', ?, 1, 'seeded', 'system', 'shipped default', '[]', '', ?)`, fmt.Sprintf("pa-%03d", i), d.Name, t0)
	}
	p := policy.Catalogue()[0]
	for v, at := range map[int]time.Time{2: t0.AddDate(0, 1, 0), 3: time.Now().AddDate(1, 0, 0).UTC().Truncate(time.Second), 4: t0.AddDate(0, 2, 0)} {
		exec(t, g, `INSERT INTO policy_versions VALUES (?, ?, ?, ?, 'analyst-ali', ?, ?, ?, NULL, NULL)`, p.Name, v, string(p.Default.MustJSON()), at, t0.AddDate(0, v, 0),
			fmt.Sprintf("change %d", v), map[bool]any{true: int64(1), false: nil}[v == 4])
		exec(t, g, `INSERT INTO policy_audit VALUES (?, 'policy', ?, ?, 'created', 'analyst-ali', 'why', '[{"path":"timer"}]', 'abc123', ?)`, fmt.Sprintf("pv-%d", v), p.Name, v, t0.AddDate(0, v, 0))
	}
	exec(t, g, `UPDATE policy_versions SET withdrawn_at = ?, withdrawn_by = 'analyst-ali' WHERE policy = ? AND version = 4`, t0.AddDate(0, 3, 0), p.Name)
	exec(t, g, `INSERT INTO calendar_versions VALUES ('standard', 1, '{"time_zone":"UTC"}', 'system', ?, 'shipped default (DEFAULT_CALENDAR_COUNTRY=plain)'),
		('north-office', 1, '{"time_zone":"Europe/Berlin"}', 'admin-ada', ?, 'office'), ('north-office', 2, '{"time_zone":"Europe/Berlin","holidays":[]}', 'admin-ada', ?, 'holidays')`, t0, t0.Add(time.Hour), t0.Add(2*time.Hour))
	exec(t, g, `INSERT INTO calendar_assignments VALUES ('default', '', 'standard'), ('region', 'north', 'north-office'), ('team', 'north', 'north-office')`)
	for i := range n {
		id, due := fmt.Sprintf("fu-%05d", i), t0.Add(time.Duration(i)*time.Hour)
		var closedAt, closedBy any
		if i%3 == 0 {
			closedAt, closedBy = due.Add(time.Minute), "rep-ana"
		}
		exec(t, g, `INSERT INTO follow_ups VALUES (?, 'lead_first_response', ?, 'rep-ana', 'north', 'north', 'call back', ?, ?, ?, ?, ?, '', NULL,
			?, 'standard', 2, '', 0, 'north-office', 2, ?, 'run-1', 'mgr-mia', ?, ?, ?, ?, '')`,
			id, fmt.Sprintf("c-%d", i), map[bool]string{true: "done", false: "open"}[closedAt != nil], t0, due, due.Add(time.Hour), i%2,
			p.Name, "followup:"+id, t0, due, closedAt, closedBy)
		for j, act := range []string{"opened", "reminded", "escalated"} {
			var sched any
			if j > 0 {
				sched = due.Add(time.Duration(j) * time.Minute)
			}
			exec(t, g, `INSERT INTO follow_up_events VALUES (?, ?, ?, ?, 'workflow', '', ?, ?)`, fmt.Sprintf("ev-%05d-%d", i, j), id, act, j, due.Add(time.Duration(j)*time.Second), sched)
		}
	}
}

// dump is every row of the six tables, in key order, as text.
func dump(t *testing.T, g *gorm.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range tables {
		rows, err := query(g, "SELECT "+colNames(tb)+" FROM "+tb.name+" ORDER BY "+strings.Join(tb.pk, ", "))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			for i, v := range r {
				if ts, ok := v.(time.Time); ok {
					r[i] = ts.Format(time.RFC3339Nano)
				}
			}
			out[tb.name] = append(out[tb.name], fmt.Sprint(r))
		}
	}
	return out
}

func equal(t *testing.T, what string, want, got map[string][]string) {
	t.Helper()
	for _, name := range ImportTables() {
		if strings.Join(want[name], "\n") != strings.Join(got[name], "\n") {
			t.Errorf("%s: %s differs:\nwant %d rows %q\ngot  %d rows %q", what, name, len(want[name]), want[name], len(got[name]), got[name])
		}
	}
}

func TestImportCopiesEveryRowInBatchesAndOnlyOnce(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			src := open(t, b.DSN(t), "customer", customerSchema(10))
			fill(t, src, 23)
			dst := open(t, b.DSN(t), "followup", Migrations)
			var out bytes.Buffer
			rep, err := Import(ctx, src, dst, ImportOptions{BatchSize: 4, Out: &out})
			if err != nil {
				t.Fatalf("%v\n%s", err, &out)
			}
			want := dump(t, src)
			equal(t, "first run", want, dump(t, dst))
			for _, r := range rep.Tables {
				if n := int64(len(want[r.Table])); r.Copied != n || r.Present != 0 || r.Source != n || r.Target != n || r.Missing != 0 {
					t.Errorf("first run: %+v, want %d copied", r, n)
				}
			}
			if !strings.Contains(out.String(), "follow_up_events: 69 rows read: 69 copied, 0 already present") || !strings.Contains(out.String(), "import complete") {
				t.Errorf("progress:\n%s", &out)
			}
			// A second run changes nothing; a row changed in the follow-up
			// database since (a withdrawal, a close) keeps its new values.
			exec(t, dst, `UPDATE follow_ups SET state = 'cancelled', closed_at = ?, closed_by = 'mgr-mia' WHERE id = 'fu-00001'`, t0.AddDate(1, 0, 0))
			exec(t, dst, `UPDATE policy_versions SET withdrawn_at = ?, withdrawn_by = 'analyst-ali' WHERE version = 2`, t0.AddDate(1, 0, 0))
			before := dump(t, dst)
			rep, err = Import(ctx, src, dst, ImportOptions{BatchSize: 5})
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "second run", before, dump(t, dst))
			for _, r := range rep.Tables {
				if n := int64(len(want[r.Table])); r.Copied != 0 || r.Present != n || r.Missing != 0 {
					t.Errorf("second run: %+v, want %d already present", r, n)
				}
			}
			// Rows the customer database gained since are added.
			exec(t, src, `INSERT INTO follow_ups SELECT 'fu-late', kind, customer_id, owner_id, team, territory, title, state, anchor_at, due_at, next_step_at,
				escalation_level, last_action, escalated_at, policy, policy_key, policy_version, escalation_policy, escalation_policy_version, calendar,
				calendar_version, workflow_id, run_id, opened_by, created_at, updated_at, closed_at, closed_by, close_note FROM follow_ups WHERE id = 'fu-00002'`)
			if rep, err = Import(ctx, src, dst, ImportOptions{}); err != nil || rep.Tables[4].Copied != 1 {
				t.Fatalf("third run: %v %+v", err, rep.Tables[4])
			}
		})
	}
}

// An event whose follow-up the customer database gained after the
// follow-ups were copied brings its follow-up along.
func TestImportBringsTheFollowUpOfALateEvent(t *testing.T) {
	src := open(t, testenv.SQLite(t), "customer", customerSchema(8))
	fill(t, src, 3)
	dst := open(t, testenv.Postgres(t), "followup", Migrations)
	var fu, ev TableReport
	if err := copyTable(context.Background(), src, dst, tableNamed("follow_up_events"), ImportOptions{BatchSize: 2, Out: io.Discard}, &ev, &fu); err != nil {
		t.Fatal(err)
	}
	if fu.Copied != 3 || ev.Copied != 9 {
		t.Fatalf("follow-ups %+v, events %+v", fu, ev)
	}
	want, got := dump(t, src), dump(t, dst)
	for _, name := range []string{"follow_ups", "follow_up_events"} {
		if strings.Join(want[name], "\n") != strings.Join(got[name], "\n") {
			t.Errorf("%s: want %q, got %q", name, want[name], got[name])
		}
	}
}

func TestImportRefusesWrongOrOldSource(t *testing.T) {
	ctx := context.Background()
	dst := open(t, testenv.SQLite(t), "followup", Migrations)
	for name, tc := range map[string]struct {
		src  *gorm.DB
		want error
		msg  string
	}{
		"other service": {open(t, testenv.SQLite(t), "sales", []migrate.Migration{{Version: 1, Name: "leads", Up: migrate.SQL(`CREATE TABLE leads (id TEXT)`)}}),
			ErrNotCustomerDB, "has no table policy_versions, calendar_versions"},
		"follow-up database": {open(t, testenv.SQLite(t), "followup", Migrations), ErrNotCustomerDB, ""},
		"before migration 8": {open(t, testenv.SQLite(t), "customer", customerSchema(7)), ErrSourceTooOld, "it is at migration 7): upgrade the customer service to the previous Closeloop release first"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Import(ctx, tc.src, dst, ImportOptions{})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v (%q)", err, tc.want, tc.msg)
			}
			if d := dump(t, dst); len(d) != 0 {
				t.Fatalf("wrote %v", d)
			}
		})
	}
}

func TestImportCommandRefusesBadSettings(t *testing.T) {
	ctx := context.Background()
	target := db.Config{URL: testenv.SQLite(t)}
	for env, want := range map[string]string{
		"":                              "IMPORT_FROM_DATABASE_URL is empty",
		"sqlite:///nowhere/customer.db": "no such file",
		target.URL:                      "are the same database",
		"mysql://customer":              "unsupported scheme",
	} {
		t.Setenv(ImportSourceEnv, env)
		if err := ImportCommand(ctx, target, "error"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%q: got %v, want %q", ImportSourceEnv, env, err, want)
		}
	}
	t.Setenv(ImportSourceEnv, "sqlite://x.db")
	t.Setenv(ImportReplaceSeedEnv, "maybe")
	if err := ImportCommand(ctx, target, "error"); err == nil || !strings.Contains(err.Error(), "IMPORT_REPLACE_SEED=\"maybe\"") {
		t.Errorf("got %v", err)
	}
}

// A follow-up service started before the import seeded its defaults: the
// import refuses, replaces them under ReplaceSeed, and refuses for good
// once the follow-up database has a history of its own.
func TestImportAndTheFirstStartSeed(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			src := open(t, b.DSN(t), "customer", customerSchema(8))
			fill(t, src, 4)
			lacking := policy.Catalogue()[1].Name // a policy this install never had
			exec(t, src, `DELETE FROM policy_versions WHERE policy = ?`, lacking)
			dst := open(t, b.DSN(t), "followup", Migrations)
			seeder := app.NewPolicies(store.NewPolicies(dst), store.NewCalendars(dst), nil, quiet)
			if err := seeder.SetDefaultCountry("CN"); err != nil {
				t.Fatal(err)
			}
			if err := seeder.Seed(ctx); err != nil {
				t.Fatal(err)
			}
			seeded := dump(t, dst)
			_, err := Import(ctx, src, dst, ImportOptions{})
			if !errors.Is(err, ErrSeedClash) || !strings.Contains(err.Error(), "set IMPORT_REPLACE_SEED=true") {
				t.Fatalf("got %v", err)
			}
			equal(t, "refused", seeded, dump(t, dst))

			rep, err := Import(ctx, src, dst, ImportOptions{ReplaceSeed: true})
			if err != nil || rep.ReplacedSeed == 0 {
				t.Fatalf("%v, %d rows replaced", err, rep.ReplacedSeed)
			}
			// The install's history, and the seed of what it never had: the
			// policy it lacked and the cn-mainland calendars, with their audit.
			want := dump(t, src)
			for table, keep := range map[string]func(f []string) bool{
				"policy_versions":   func(f []string) bool { return f[0] == "["+lacking },
				"calendar_versions": func(f []string) bool { return strings.HasPrefix(f[0], "[cn-mainland") },
				"policy_audit":      func(f []string) bool { return f[2] == lacking || strings.HasPrefix(f[2], "cn-mainland") },
			} {
				for _, r := range seeded[table] {
					if keep(strings.Fields(r)) {
						want[table] = append(want[table], r)
					}
				}
			}
			got := dump(t, dst)
			for _, table := range ImportTables() {
				if !sameSet(want[table], got[table]) {
					t.Errorf("%s: want %q\ngot  %q", table, want[table], got[table])
				}
			}
			if n := len(got["policy_audit"]) - len(dump(t, src)["policy_audit"]); n != 3 {
				t.Errorf("%d seeded audit entries kept, want 3", n)
			}

			// Once the follow-up database has versions of its own, a clash is
			// refused even under ReplaceSeed.
			exec(t, dst, `UPDATE policy_versions SET created_at = ? WHERE version = 2`, time.Now().UTC())
			if _, err := Import(ctx, src, dst, ImportOptions{ReplaceSeed: true}); !errors.Is(err, ErrSeedClash) || !strings.Contains(err.Error(), "cannot merge two policy histories") {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}
