// `followup import-customer-db`: the one-off, re-runnable import of an
// existing install's follow-up engine rows from the customer service's
// database (IMPORT_FROM_DATABASE_URL) into the follow-up service's. Its rules,
// for operators in docs/deploy.md ("Upgrading to the release with the
// follow-up service"):
//
//   - The source must hold the engine's six tables and customer migration 8
//     (follow_up_events.scheduled_at); otherwise nothing is written.
//   - The tables are copied in foreign-key order (tables), in keyset batches,
//     a transaction each, with INSERT … ON CONFLICT (primary key) DO NOTHING:
//     a row the follow-up database holds is never overwritten (rows written
//     after the switch win), and a second run copies only what is missing.
//   - Policy and calendar versions the follow-up database holds under a key
//     of the source's but with another origin (created_at, created_by) stop
//     the import — unless IMPORT_REPLACE_SEED=true and those tables hold only
//     what a first start seeds (policies.Seed: versions 1 by "system" as the
//     shipped default, the default assignment, "seeded" audit entries); then
//     the clashing seed rows, their audit entries and the seeded assignments
//     the source has otherwise are deleted, and the source's are copied.
//   - Afterwards every source row's key must be in the follow-up database:
//     the counts are printed, and a missing row fails the command.

package adapters

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/logging"
)

// Environment of `followup import-customer-db`, besides DATABASE_URL (the
// follow-up service's own database): the customer service's DATABASE_URL,
// and whether a first start's seed may be replaced (see the file comment).
const (
	ImportSourceEnv      = "IMPORT_FROM_DATABASE_URL"
	ImportReplaceSeedEnv = "IMPORT_REPLACE_SEED"
)

// The customer service's migrations that created the engine's tables (4) and
// completed them (8: follow_up_events.scheduled_at); shipped names never change.
const (
	customerEngineName = "timer policies, business calendars, follow-ups"
	customerMinVersion = 8
	customerMinName    = "follow-up history: when an escalation step was due beside when it ran"
)

// Errors of a source the import refuses.
var (
	ErrNotCustomerDB = errors.New("not the customer service's database")
	ErrSourceTooOld  = errors.New("the customer database is older than customer migration 8")
	ErrSeedClash     = errors.New("the follow-up database holds other policy or calendar versions")
)

// table is one copied table: its primary key and the columns copied, the
// key's first (all of the customer service's; follow_up_events.scheduled_at
// is migration 8's).
type table struct {
	name string
	pk   []string
	cols []string
}

func tbl(name, pk, cols string) table {
	return table{name, strings.Split(pk, ", "), strings.Split(cols, ", ")}
}

// tables are copied in this order (foreign keys: follow_up_events → follow_ups).
var tables = []table{
	tbl("policy_versions", "policy, version", "policy, version, value, effective_from, created_by, created_at, reason, copied_from, withdrawn_at, withdrawn_by"),
	tbl("calendar_versions", "name, version", "name, version, spec, created_by, created_at, reason"),
	tbl("calendar_assignments", "scope, value", "scope, value, calendar"),
	tbl("policy_audit", "id", "id, subject_kind, subject, version, action, actor, reason, changes, trace_id, at"),
	tbl("follow_ups", "id", "id, kind, customer_id, owner_id, team, territory, title, state, anchor_at, due_at, next_step_at, "+
		"escalation_level, last_action, escalated_at, policy, policy_key, policy_version, escalation_policy, escalation_policy_version, "+
		"calendar, calendar_version, workflow_id, run_id, opened_by, created_at, updated_at, closed_at, closed_by, close_note"),
	tbl("follow_up_events", "id", "id, follow_up_id, action, level, actor, detail, at, scheduled_at"),
}

// ImportTables names the tables the import copies, in the order it copies them.
func ImportTables() []string {
	var out []string
	for _, t := range tables {
		out = append(out, t.name)
	}
	return out
}

func tableNamed(name string) table {
	return tables[slices.IndexFunc(tables, func(t table) bool { return t.name == name })]
}

// ImportOptions tune Import.
type ImportOptions struct {
	ReplaceSeed bool      // replace a first start's seed (IMPORT_REPLACE_SEED)
	BatchSize   int       // rows read and written per transaction (default 2000)
	Out         io.Writer // progress and the summary; nil discards them
}

// TableReport is what the import did to one table.
type TableReport struct {
	Table   string
	Copied  int64 // rows inserted
	Present int64 // rows whose key the follow-up database already held (left as they were)
	Source  int64 // rows in the customer database at verification
	Target  int64 // rows in the follow-up database at verification
	Missing int64 // source rows whose key the follow-up database lacks (0 when the import succeeded)
}

// ImportReport is the outcome of Import.
type ImportReport struct {
	Tables       []TableReport
	ReplacedSeed int64 // seed rows deleted under ReplaceSeed
}

// ImportCommand is `followup import-customer-db`: it opens the customer
// database named by IMPORT_FROM_DATABASE_URL and the follow-up database
// (target; migrated first), imports, and prints progress and a summary on
// stdout.
func ImportCommand(ctx context.Context, target db.Config, logLevel string) error {
	src := strings.TrimSpace(os.Getenv(ImportSourceEnv))
	if src == "" {
		return fmt.Errorf("%s is empty: set it to the customer service's DATABASE_URL (postgres://… or sqlite://…)", ImportSourceEnv)
	}
	var o ImportOptions
	if v := strings.TrimSpace(os.Getenv(ImportReplaceSeedEnv)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q: want true or false", ImportReplaceSeedEnv, v)
		}
		o.ReplaceSeed = b
	}
	if src == target.URL {
		return fmt.Errorf("%s and DATABASE_URL are the same database: DATABASE_URL is the follow-up service's own database, %s the customer service's", ImportSourceEnv, ImportSourceEnv)
	}
	if path, ok := strings.CutPrefix(src, "sqlite://"); ok {
		path, _, _ = strings.Cut(path, "?")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s: %w (the customer service's SQLite file)", ImportSourceEnv, err)
		}
	}
	log := logging.New(logLevel, os.Stderr)
	// Batches are slow statements by design: never log them (they carry data).
	target.SlowQuery = 0
	srcDB, err := db.Open(ctx, db.Config{URL: src, MaxOpenConns: 2, MaxIdleConns: 2, ConnMaxLifetime: 30 * time.Minute}, log)
	if err != nil {
		return fmt.Errorf("%s: %w", ImportSourceEnv, err)
	}
	defer closeDB(srcDB)
	// Refuse a wrong or too old source before touching the follow-up database.
	if err := CheckSource(ctx, srcDB); err != nil {
		return err
	}
	dstDB, err := db.Open(ctx, target, log)
	if err != nil {
		return err
	}
	defer closeDB(dstDB)
	if _, err := migrate.Run(ctx, dstDB, "followup", Migrations, log); err != nil {
		return err
	}
	o.Out = os.Stdout
	_, err = Import(ctx, srcDB, dstDB, o)
	return err
}

func closeDB(g *gorm.DB) {
	if s, err := g.DB(); err == nil {
		_ = s.Close()
	}
}

// CheckSource refuses a database that is not the customer service's (none
// of the engine's tables) or is older than customer migration 8.
func CheckSource(ctx context.Context, src *gorm.DB) error {
	m := src.WithContext(ctx).Migrator()
	var missing []string
	for _, t := range tables {
		if !m.HasTable(t.name) {
			missing = append(missing, t.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s has no table %s of the follow-up engine's; set it to the customer service's DATABASE_URL",
			ErrNotCustomerDB, ImportSourceEnv, strings.Join(missing, ", "))
	}
	var rows []struct {
		Version int
		Name    string
	}
	if err := src.WithContext(ctx).Raw("SELECT version, name FROM schema_migrations ORDER BY version").Scan(&rows).Error; err != nil {
		return fmt.Errorf("%w: read its schema_migrations: %v", ErrNotCustomerDB, err)
	}
	names, latest := map[int]string{}, 0
	for _, r := range rows {
		names[r.Version], latest = r.Name, max(latest, r.Version)
	}
	switch {
	case names[4] != customerEngineName:
		return fmt.Errorf("%w: its schema_migrations has no customer migration 4 (%q)", ErrNotCustomerDB, customerEngineName)
	case names[customerMinVersion] == "":
		return fmt.Errorf("%w (it is at migration %d): upgrade the customer service to the previous Closeloop release first and let its migrations run, then run the import", ErrSourceTooOld, latest)
	case names[customerMinVersion] != customerMinName:
		return fmt.Errorf("%w: its schema_migrations records version %d as %q", ErrNotCustomerDB, customerMinVersion, names[customerMinVersion])
	}
	return checkColumns(ctx, src, "the customer database")
}

// checkColumns fails when a table lacks a column the import copies.
func checkColumns(ctx context.Context, g *gorm.DB, which string) error {
	m := g.WithContext(ctx).Migrator()
	for _, t := range tables {
		for _, c := range t.cols {
			if !m.HasColumn(t.name, c) {
				return fmt.Errorf("%s: table %s has no column %s: its schema is not the follow-up engine's", which, t.name, c)
			}
		}
	}
	return nil
}

// Import copies the follow-up engine's rows from src (the customer
// service's database) into dst (the follow-up service's, migrated), by the
// rules of the file comment, then verifies that every source row is in dst.
func Import(ctx context.Context, src, dst *gorm.DB, o ImportOptions) (ImportReport, error) {
	var rep ImportReport
	if o.BatchSize <= 0 {
		o.BatchSize = 2000
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	src, dst = src.WithContext(ctx), dst.WithContext(ctx)
	if err := CheckSource(ctx, src); err != nil {
		return rep, err
	}
	if err := checkColumns(ctx, dst, "the follow-up database"); err != nil {
		return rep, err
	}
	var err error
	if rep.ReplacedSeed, err = resolveSeed(src, dst, o); err != nil {
		return rep, err
	} else if rep.ReplacedSeed > 0 {
		fmt.Fprintf(o.Out, "replaced the follow-up service's seed: %d rows deleted (IMPORT_REPLACE_SEED=true)\n", rep.ReplacedSeed)
	}
	rep.Tables = make([]TableReport, len(tables))
	fu := &rep.Tables[slices.Index(ImportTables(), "follow_ups")]
	for i, t := range tables {
		rep.Tables[i].Table = t.name
		if err := copyTable(ctx, src, dst, t, o, &rep.Tables[i], fu); err != nil {
			return rep, fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	var missing []string
	for i, t := range tables {
		if err := verify(ctx, src, dst, t, o.BatchSize, &rep.Tables[i]); err != nil {
			return rep, fmt.Errorf("verify %s: %w", t.name, err)
		} else if n := rep.Tables[i].Missing; n > 0 {
			missing = append(missing, fmt.Sprintf("%s: %d", t.name, n))
		}
	}
	fmt.Fprintf(o.Out, "%-22s %12s %12s %16s %14s %8s\n", "table", "customer db", "copied", "already present", "follow-up db", "missing")
	for _, r := range rep.Tables {
		fmt.Fprintf(o.Out, "%-22s %12d %12d %16d %14d %8d\n", r.Table, r.Source, r.Copied, r.Present, r.Target, r.Missing)
	}
	if len(missing) > 0 {
		return rep, fmt.Errorf("rows of the customer database are missing from the follow-up database (%s): run the import again", strings.Join(missing, ", "))
	}
	fmt.Fprintln(o.Out, "import complete: every follow-up engine row of the customer database is in the follow-up database")
	return rep, nil
}

// copyTable copies t in keyset-ordered batches, one transaction each.
// A follow-up an event refers to that came after its table's copy is copied
// first (counted in fu).
func copyTable(ctx context.Context, src, dst *gorm.DB, t table, o ImportOptions, rep, fu *TableReport) error {
	start, lastPrint := time.Now(), time.Now()
	var after []any
	for {
		rows, err := readPage(src, t, after, o.BatchSize)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		err = dst.Transaction(func(tx *gorm.DB) error {
			if t.name == "follow_up_events" {
				if err := copyMissingFollowUps(src, tx, rows, fu); err != nil {
					return err
				}
			}
			n, err := insertRows(tx, t, rows)
			rep.Copied += n
			rep.Present += int64(len(rows)) - n
			return err
		})
		if err != nil {
			return err
		}
		after = keyOf(t, rows[len(rows)-1])
		if time.Since(lastPrint) > 5*time.Second {
			fmt.Fprintf(o.Out, "%s: %d rows so far (%d copied, %d already present)\n", t.name, rep.Copied+rep.Present, rep.Copied, rep.Present)
			lastPrint = time.Now()
		}
		if len(rows) < o.BatchSize || ctx.Err() != nil {
			break
		}
	}
	fmt.Fprintf(o.Out, "%s: %d rows read: %d copied, %d already present (%s)\n", t.name, rep.Copied+rep.Present, rep.Copied, rep.Present,
		time.Since(start).Round(time.Millisecond))
	return ctx.Err()
}

func colNames(t table) string { return strings.Join(t.cols, ", ") }

// readPage reads up to limit rows of t in primary-key order after key (nil: from the start).
func readPage(g *gorm.DB, t table, after []any, limit int) ([][]any, error) {
	q := "SELECT " + colNames(t) + " FROM " + t.name
	pk := strings.Join(t.pk, ", ")
	if after != nil {
		q += " WHERE (" + pk + ") > (" + strings.TrimSuffix(strings.Repeat("?, ", len(t.pk)), ", ") + ")"
	}
	q += " ORDER BY " + pk + " LIMIT " + strconv.Itoa(limit)
	return query(g, q, after...)
}

// query runs q and returns its rows as driver values: strings, int64s,
// UTC times and nils.
func query(g *gorm.DB, q string, args ...any) ([][]any, error) {
	rs, err := g.Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	n, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rs.Next() {
		row, dest := make([]any, len(n)), make([]any, len(n))
		for i := range row {
			dest[i] = &row[i]
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		for i, v := range row {
			switch x := v.(type) {
			case time.Time:
				row[i] = x.UTC()
			case []byte:
				row[i] = string(x)
			}
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// keyOf returns row's primary-key values (they lead every table's columns).
func keyOf(t table, row []any) []any { return row[:len(t.pk)] }

// insertRows inserts rows into t, skipping keys already present, and returns
// how many it inserted. Statements hold at most 500 rows (SQLite's limit of
// bound parameters).
func insertRows(tx *gorm.DB, t table, rows [][]any) (int64, error) {
	const chunk = 500
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	var inserted int64
	for len(rows) > 0 {
		part := rows[:min(chunk, len(rows))]
		rows = rows[len(part):]
		args := make([]any, 0, len(part)*len(t.cols))
		for _, r := range part {
			args = append(args, r...)
		}
		q := "INSERT INTO " + t.name + " (" + colNames(t) + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+", ", len(part)), ", ") +
			" ON CONFLICT (" + strings.Join(t.pk, ", ") + ") DO NOTHING"
		res := tx.Exec(q, args...)
		if res.Error != nil {
			return inserted, res.Error
		}
		inserted += res.RowsAffected
	}
	return inserted, nil
}

// copyMissingFollowUps inserts the follow-ups that events refer to and dst
// lacks, reading them from src.
func copyMissingFollowUps(src, tx *gorm.DB, events [][]any, rep *TableReport) error {
	ids := column(events, 1) // follow_up_id
	var have []string
	if err := tx.Raw("SELECT id FROM follow_ups WHERE id IN ?", ids).Scan(&have).Error; err != nil {
		return err
	}
	present := map[any]bool{}
	for _, id := range have {
		present[id] = true
	}
	ids = slices.DeleteFunc(ids, func(id any) bool { return present[id] })
	if len(ids) == 0 {
		return nil
	}
	fu := tableNamed("follow_ups")
	rows, err := query(src, "SELECT "+colNames(fu)+" FROM follow_ups WHERE id IN ?", ids)
	if err != nil {
		return err
	}
	n, err := insertRows(tx, fu, rows)
	rep.Copied += n
	return err
}

// verify counts t on both sides and the source rows whose key dst lacks.
func verify(ctx context.Context, src, dst *gorm.DB, t table, batch int, rep *TableReport) error {
	if err := dst.Raw("SELECT COUNT(*) FROM " + t.name).Scan(&rep.Target).Error; err != nil {
		return err
	}
	keys := table{name: t.name, pk: t.pk, cols: t.pk}
	// Composite keys are the small tables': their keys are loaded at once.
	var have map[string]bool
	if len(t.pk) > 1 {
		rows, err := query(dst, "SELECT "+colNames(keys)+" FROM "+t.name)
		if err != nil {
			return err
		}
		have = map[string]bool{}
		for _, r := range rows {
			have[fmt.Sprint(r...)] = true
		}
	}
	rep.Source, rep.Missing = 0, 0
	var after []any
	for {
		page, err := readPage(src, keys, after, batch)
		if err != nil || len(page) == 0 {
			return err
		}
		found := int64(0)
		if have != nil {
			for _, k := range page {
				if have[fmt.Sprint(k...)] {
					found++
				}
			}
		} else if err := dst.Raw("SELECT COUNT(*) FROM "+t.name+" WHERE "+t.pk[0]+" IN ?", column(page, 0)).Scan(&found).Error; err != nil {
			return err
		}
		rep.Source += int64(len(page))
		rep.Missing += int64(len(page)) - found
		after = page[len(page)-1]
		if len(page) < batch || ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

func column(rows [][]any, i int) []any {
	out := make([]any, len(rows))
	for j, r := range rows {
		out[j] = r[i]
	}
	return out
}

// resolveSeed finds the follow-up database's policy and calendar versions
// whose keys the customer database has with another row (not copied from
// it: another creation instant or author). None: nothing to do. Otherwise
// it refuses, unless o.ReplaceSeed and those tables hold only a first
// start's seed: then it deletes the clashing seed rows, their "seeded" audit
// entries and the seeded assignments the customer database has otherwise,
// and returns how many rows it deleted.
func resolveSeed(src, dst *gorm.DB, o ImportOptions) (int64, error) {
	var clashes []clash
	for _, name := range []string{"policy_versions", "calendar_versions"} {
		t := tableNamed(name)
		all := "SELECT " + colNames(t) + " FROM " + t.name
		srcRows, err := query(src, all)
		if err != nil {
			return 0, err
		}
		dstRows, err := query(dst, all)
		if err != nil {
			return 0, err
		}
		bySrc := map[string][]any{}
		for _, r := range srcRows {
			bySrc[fmt.Sprint(keyOf(t, r)...)] = r
		}
		for _, r := range dstRows {
			if s, ok := bySrc[fmt.Sprint(keyOf(t, r)...)]; ok && !sameOrigin(t, r, s) {
				clashes = append(clashes, clash{t, r})
			}
		}
	}
	if len(clashes) == 0 {
		return 0, nil
	}
	var examples []string
	for _, c := range clashes[:min(3, len(clashes))] {
		examples = append(examples, c.String())
	}
	what := fmt.Sprintf("%d of its policy and calendar versions have the keys of the customer database's but are other rows (%s)", len(clashes), strings.Join(examples, "; "))
	seedOnly, err := onlySeed(dst)
	if err != nil {
		return 0, err
	}
	if !seedOnly {
		return 0, fmt.Errorf("%w: %s, and it holds changes of its own beyond the defaults seeded at its first start: an import cannot merge two policy histories; import into an empty follow-up database", ErrSeedClash, what)
	}
	if !o.ReplaceSeed {
		return 0, fmt.Errorf("%w: %s: they are the defaults the follow-up service seeded at its first start; set %s=true to replace them with the install's history (running the import before the follow-up service first starts avoids this)", ErrSeedClash, what, ImportReplaceSeedEnv)
	}
	var deleted int64
	err = dst.Transaction(func(tx *gorm.DB) error {
		if ok, err := onlySeed(tx); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("%w: the follow-up database changed during the import; run it again", ErrSeedClash))
		}
		del := func(q string, args ...any) error {
			res := tx.Exec("DELETE FROM "+q, args...)
			deleted += res.RowsAffected
			return res.Error
		}
		for _, c := range clashes {
			key := keyOf(c.t, c.row)
			if err := errors.Join(del(c.t.name+" WHERE "+c.t.pk[0]+" = ? AND version = ?", key...),
				del("policy_audit WHERE subject_kind = ? AND subject = ? AND version = ? AND action = 'seeded' AND actor = 'system'",
					strings.TrimSuffix(c.t.name, "_versions"), key[0], key[1])); err != nil {
				return err
			}
		}
		assigned, err := query(src, "SELECT "+colNames(tableNamed("calendar_assignments"))+" FROM calendar_assignments")
		for _, a := range assigned {
			err = errors.Join(err, del("calendar_assignments WHERE scope = ? AND value = ? AND calendar <> ?", a...))
		}
		return err
	})
	return deleted, err
}

// clash is a follow-up database's version row that is not the customer
// database's row of the same key.
type clash struct {
	t   table
	row []any
}

func (c clash) String() string {
	return fmt.Sprintf("%s %v v%v created %v by %v", c.t.name, c.row[0], c.row[1], c.row[colIndex(c.t, "created_at")], c.row[colIndex(c.t, "created_by")])
}

func colIndex(t table, name string) int { return slices.Index(t.cols, name) }

// sameOrigin reports whether two rows of a version table are one version:
// created at the same instant by the same author (a later withdrawal may
// differ; the follow-up database's row wins).
func sameOrigin(t table, a, b []any) bool {
	at, by := colIndex(t, "created_at"), colIndex(t, "created_by")
	ta, okA := a[at].(time.Time)
	tb, okB := b[at].(time.Time)
	return a[by] == b[by] && okA && okB && ta.Truncate(time.Microsecond).Equal(tb.Truncate(time.Microsecond))
}

// onlySeed reports whether the policy and calendar tables hold nothing but
// what app.Policies.Seed writes on a fresh database.
func onlySeed(g *gorm.DB) (bool, error) {
	for _, q := range []string{
		`SELECT COUNT(*) FROM policy_versions WHERE NOT (version = 1 AND created_by = 'system' AND reason = 'shipped default' AND withdrawn_at IS NULL AND copied_from IS NULL)`,
		`SELECT COUNT(*) FROM calendar_versions WHERE NOT (version = 1 AND created_by = 'system' AND reason LIKE 'shipped default%')`,
		`SELECT COUNT(*) FROM calendar_assignments WHERE scope <> 'default'`,
		`SELECT COUNT(*) FROM policy_audit WHERE NOT (action = 'seeded' AND actor = 'system')`,
	} {
		var n int64
		if err := g.Raw(q).Scan(&n).Error; err != nil {
			return false, err
		}
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}
