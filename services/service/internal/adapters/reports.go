package adapters

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// The service managers' reports read a rollup, report_weeks: per ISO week,
// team, priority and type, the counters of domain.Counts. It holds exactly
// what domain.CaseFacts.Cells says of today's cases, their SLA rows and
// their survey answers, because every change of those is counted in its own
// transaction: RecordCaseFacts recomputes the changed case's facts, compares
// them with those it counted last (report_case_facts) and adds the
// difference. Rebuild counts everything again from scratch. A report then
// sums at most (weeks × teams × 4 priorities × 5 types) rows, however many
// cases there are; report_team_weeks, the same summed per week and team,
// serves the reports that neither filter nor group by priority or type with
// 20 times fewer.

// reportCounters are report_weeks' counter columns, in the order of
// countersOf.
var reportCounters = slices.Concat(
	[]string{"opened", "closed", "fr_met", "fr_breached", "res_met", "res_breached"},
	numbered("csat_", 1, 5, 1), numbered("nps_", 0, 10, 1),
	numbered("fr_t", 0, domain.Buckets-1, 2), numbered("res_t", 0, domain.Buckets-1, 2),
)

// countersOf is c's counters in the order of reportCounters.
func countersOf(c domain.Counts) []int64 {
	out := []int64{c.Opened, c.Closed, c.FirstResponse.Met, c.FirstResponse.Breached, c.Resolution.Met, c.Resolution.Breached}
	out = append(out, c.CSAT[:]...)
	out = append(out, c.NPS[:]...)
	out = append(out, c.FirstResponse.Times[:]...)
	return append(out, c.Resolution.Times[:]...)
}

// countsOf is the inverse of countersOf.
func countsOf(v []int64) domain.Counts {
	var c domain.Counts
	c.Opened, c.Closed, c.FirstResponse.Met, c.FirstResponse.Breached, c.Resolution.Met, c.Resolution.Breached = v[0], v[1], v[2], v[3], v[4], v[5]
	v = v[6:]
	v = v[copy(c.CSAT[:], v):]
	v = v[copy(c.NPS[:], v):]
	v = v[copy(c.FirstResponse.Times[:], v):]
	copy(c.Resolution.Times[:], v)
	return c
}

// Reports reads the service managers' reports.
type Reports struct{ db *gorm.DB }

// NewReports returns the reports over a migrated database.
func NewReports(gdb *gorm.DB) *Reports { return &Reports{db: gdb} }

// groupColumn is the column a report groups by.
var groupColumn = map[string]string{domain.GroupTeam: "team", domain.GroupPriority: "priority", domain.GroupType: "type", domain.GroupWeek: "week"}

// Weeks sums the rollup over q's weeks by q's group (a week is its Monday),
// within the teams scope reports on (domain.Scope.ReportTeams) and q's
// filters. Groups with nothing counted may be missing or zero.
func (r *Reports) Weeks(ctx context.Context, scope domain.Scope, q domain.ReportQuery) (map[string]domain.Counts, error) {
	g, ok := groupColumn[q.Group]
	if !ok {
		return nil, fmt.Errorf("report group %q", q.Group)
	}
	sums := make([]string, len(reportCounters))
	for i, c := range reportCounters {
		sums[i] = "SUM(" + c + ")"
	}
	table := "report_weeks"
	if q.Priority == "" && q.Type == "" && (q.Group == domain.GroupTeam || q.Group == domain.GroupWeek) {
		table = "report_team_weeks"
	}
	tx := r.db.WithContext(ctx).Table(table).Select(g+" AS grp, "+strings.Join(sums, ", ")).
		Where("week >= ? AND week <= ?", q.FirstWeek, q.LastWeek)
	tx, ok = reportScoped(filtered(tx, q), scope)
	if !ok {
		return map[string]domain.Counts{}, nil
	}
	rows, err := tx.Group(g).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]domain.Counts{}
	v := make([]int64, len(reportCounters))
	dst := make([]any, 1+len(v))
	var grp string
	dst[0] = &grp
	for i := range v {
		dst[i+1] = &v[i]
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		out[grp] = countsOf(v)
	}
	return out, rows.Err()
}

// Backlog counts the cases not resolved or closed at now by age
// (domain.BacklogBuckets) and q's group — all of them under "" when q groups
// by week, since the backlog is today's — within scope's teams and q's
// filters.
func (r *Reports) Backlog(ctx context.Context, scope domain.Scope, q domain.ReportQuery, now time.Time) (map[string]domain.Backlog, error) {
	g := groupColumn[q.Group]
	if q.Group == domain.GroupWeek || g == "" {
		g = "''"
	}
	// created_at > now − bound: younger than bound (domain.BacklogBucket).
	cols := []string{g + " AS grp"}
	var args []any
	for i := range domain.BacklogBuckets {
		var cond []string
		if i < len(domain.BacklogBounds) {
			cond, args = append(cond, "created_at > ?"), append(args, now.Add(-domain.BacklogBounds[i]).UTC())
		}
		if i > 0 {
			cond, args = append(cond, "created_at <= ?"), append(args, now.Add(-domain.BacklogBounds[i-1]).UTC())
		}
		cols = append(cols, "COALESCE(SUM(CASE WHEN "+strings.Join(cond, " AND ")+" THEN 1 ELSE 0 END), 0)")
	}
	// The literal states match ix_cases_backlog's predicate.
	tx := r.db.WithContext(ctx).Table("cases").Select(strings.Join(cols, ", "), args...).Where("state NOT IN ('resolved', 'closed')")
	tx, ok := reportScoped(filtered(tx, q), scope)
	if !ok {
		return map[string]domain.Backlog{}, nil
	}
	if g != "''" {
		tx = tx.Group(g)
	}
	rows, err := tx.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]domain.Backlog{}
	for rows.Next() {
		var grp string
		var b domain.Backlog
		if err := rows.Scan(&grp, &b[0], &b[1], &b[2], &b[3], &b[4]); err != nil {
			return nil, err
		}
		out[grp] = b
	}
	return out, rows.Err()
}

func filtered(tx *gorm.DB, q domain.ReportQuery) *gorm.DB {
	for col, v := range map[string]string{"team": q.Team, "priority": q.Priority, "type": q.Type} {
		if v != "" {
			tx = tx.Where(col+" = ?", v)
		}
	}
	return tx
}

// reportScoped restricts a query to the teams scope reports on; ok is false
// when it reports on none.
func reportScoped(tx *gorm.DB, scope domain.Scope) (_ *gorm.DB, ok bool) {
	teams, all := scope.ReportTeams()
	switch {
	case all:
		return tx, true
	case len(teams) == 0:
		return tx, false
	}
	return tx.Where("team IN ?", teams), true
}

// RecordCaseFacts counts, in the rollup (report_weeks, report_team_weeks),
// what changed in the reports' facts of case caseID: its team, priority,
// type, creation and closing (cases), its SLA targets (case_sla) and its
// survey answers (case_surveys). Call it inside the transaction of every
// change of those rows, after the change — cases.Update and Create, the
// case workflow's writes of case_sla, the surveys' answers — so the reports
// never disagree with the cases. It locks the case's row (FOR UPDATE),
// reads the case's rows by case id (case_surveys needs an index on
// case_id), and writes nothing when no fact changed.
func RecordCaseFacts(tx *gorm.DB, caseID string) error {
	delta, err := recountFacts(tx, []string{caseID})
	if err != nil {
		return err
	}
	return addToWeeks(tx, delta)
}

// factCase is what the reports read of a case.
type factCase struct {
	ID, Team, Priority, Type string
	CreatedAt                time.Time
	ClosedAt                 *time.Time
}

type factSLA struct {
	CaseID, Target, State string
	MetAt, BreachedAt     *time.Time
	UsedMs                *int64
}

type factAnswer struct {
	CaseID     string
	AnsweredAt time.Time
	Csat, Nps  *int
}

// factsRow is a row of report_case_facts: what report_weeks counts of a
// case (domain.CaseFacts), its two targets in columns of their own.
type factsRow struct {
	CaseID                string
	Team, Priority, Type  string
	CreatedAt             time.Time
	ClosedAt              *time.Time
	FrState               string
	FrMetAt, FrBreachedAt *time.Time
	FrUsedMs              *int64
	ResState              string
	ResMetAt              *time.Time
	ResBreachedAt         *time.Time
	ResUsedMs             *int64
	// Answers is the survey answers as JSON, "" for none.
	Answers   string
	UpdatedAt time.Time
}

func (factsRow) TableName() string { return "report_case_facts" }

// factsRowOf is the row of case id's facts f (UpdatedAt unset).
func factsRowOf(id string, f domain.CaseFacts) (factsRow, error) {
	r := factsRow{CaseID: id, Team: f.Team, Priority: f.Priority, Type: f.Type, CreatedAt: f.CreatedAt.UTC(), ClosedAt: utc(f.ClosedAt)}
	for _, s := range f.SLA {
		switch s.Target {
		case domain.TargetFirstResponse:
			r.FrState, r.FrMetAt, r.FrBreachedAt, r.FrUsedMs = s.State, utc(s.MetAt), utc(s.BreachedAt), s.UsedMS
		case domain.TargetResolution:
			r.ResState, r.ResMetAt, r.ResBreachedAt, r.ResUsedMs = s.State, utc(s.MetAt), utc(s.BreachedAt), s.UsedMS
		}
	}
	if len(f.Answers) > 0 {
		b, err := json.Marshal(f.Answers)
		if err != nil {
			return factsRow{}, err
		}
		r.Answers = string(b)
	}
	return r, nil
}

// facts is the domain's view of r.
func (r factsRow) facts() (domain.CaseFacts, error) {
	f := domain.CaseFacts{Team: r.Team, Priority: r.Priority, Type: r.Type, CreatedAt: r.CreatedAt.UTC(), ClosedAt: utc(r.ClosedAt)}
	if r.FrState != "" {
		f.SLA = append(f.SLA, domain.SLAOutcome{Target: domain.TargetFirstResponse, State: r.FrState, MetAt: utc(r.FrMetAt), BreachedAt: utc(r.FrBreachedAt), UsedMS: r.FrUsedMs})
	}
	if r.ResState != "" {
		f.SLA = append(f.SLA, domain.SLAOutcome{Target: domain.TargetResolution, State: r.ResState, MetAt: utc(r.ResMetAt), BreachedAt: utc(r.ResBreachedAt), UsedMS: r.ResUsedMs})
	}
	if r.Answers != "" {
		if err := json.Unmarshal([]byte(r.Answers), &f.Answers); err != nil {
			return domain.CaseFacts{}, fmt.Errorf("report facts of case %s: %w", r.CaseID, err)
		}
	}
	return f, nil
}

// same reports whether r and o count the same (whatever their UpdatedAt).
func (r factsRow) same(o factsRow) bool {
	r.UpdatedAt, o.UpdatedAt = time.Time{}, time.Time{}
	a, err1 := json.Marshal(r)
	b, err2 := json.Marshal(o)
	return err1 == nil && err2 == nil && string(a) == string(b)
}

// recountFacts is the first half of RecordCaseFacts, for several cases at
// once: it locks the cases, compares each one's facts now with those
// counted last, records the new ones in report_case_facts and returns the
// differences summed per cell — for the caller to add to the rollup
// (addToWeeks), in the same transaction or, for Rebuild, later.
func recountFacts(tx *gorm.DB, ids []string) (map[domain.Cell]domain.Counts, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var cases []factCase
	if err := tx.Table("cases").Select("id, team, priority, type, created_at, closed_at").Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("id IN ?", ids).Order("id").Find(&cases).Error; err != nil {
		return nil, err
	}
	var slas []factSLA
	if err := tx.Table("case_sla").Select("case_id, target, state, met_at, breached_at, used_ms").Where("case_id IN ?", ids).
		Order("case_id, target").Find(&slas).Error; err != nil {
		return nil, err
	}
	var answers []factAnswer
	if tx.Migrator().HasTable("case_surveys") { // arrives with the surveys' migrations
		if err := tx.Table("case_surveys").Select("case_id, answered_at, csat, nps").Where("case_id IN ? AND answered_at IS NOT NULL", ids).
			Order("case_id, answered_at").Find(&answers).Error; err != nil {
			return nil, err
		}
	}
	var stored []factsRow
	if err := tx.Where("case_id IN ?", ids).Find(&stored).Error; err != nil {
		return nil, err
	}
	counted := map[string]factsRow{}
	for _, r := range stored {
		r.CreatedAt, r.ClosedAt = r.CreatedAt.UTC(), utc(r.ClosedAt)
		r.FrMetAt, r.FrBreachedAt, r.ResMetAt, r.ResBreachedAt = utc(r.FrMetAt), utc(r.FrBreachedAt), utc(r.ResMetAt), utc(r.ResBreachedAt)
		counted[r.CaseID] = r
	}
	facts := map[string]*domain.CaseFacts{}
	for _, c := range cases {
		facts[c.ID] = &domain.CaseFacts{Team: c.Team, Priority: c.Priority, Type: c.Type, CreatedAt: c.CreatedAt.UTC(), ClosedAt: utc(c.ClosedAt)}
	}
	for _, s := range slas {
		if f := facts[s.CaseID]; f != nil {
			f.SLA = append(f.SLA, domain.SLAOutcome{Target: s.Target, State: s.State, MetAt: utc(s.MetAt), BreachedAt: utc(s.BreachedAt), UsedMS: s.UsedMs})
		}
	}
	for _, a := range answers {
		if f := facts[a.CaseID]; f != nil {
			f.Answers = append(f.Answers, domain.SurveyAnswer{AnsweredAt: a.AnsweredAt.UTC(), CSAT: a.Csat, NPS: a.Nps})
		}
	}

	delta := map[domain.Cell]domain.Counts{}
	var changed []factsRow
	var gone []string
	at := time.Now().UTC()
	for _, id := range ids {
		last, seen := counted[id]
		var before, after *domain.CaseFacts
		var now factsRow
		if f := facts[id]; f != nil {
			var err error
			if now, err = factsRowOf(id, *f); err != nil {
				return nil, err
			}
			if seen && now.same(last) {
				continue
			}
			after = f
		} else if !seen {
			continue
		}
		if seen {
			f, err := last.facts()
			if err != nil {
				return nil, err
			}
			before = &f
		}
		for k, d := range domain.FactsDelta(before, after) {
			c := delta[k]
			c.Add(d, 1)
			delta[k] = c
		}
		if after == nil {
			gone = append(gone, id)
		} else {
			now.UpdatedAt = at
			changed = append(changed, now)
		}
	}
	if len(gone) > 0 {
		if err := tx.Exec("DELETE FROM report_case_facts WHERE case_id IN ?", gone).Error; err != nil {
			return nil, err
		}
	}
	if len(changed) > 0 {
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "case_id"}}, UpdateAll: true}).CreateInBatches(changed, 500).Error; err != nil {
			return nil, err
		}
	}
	return delta, nil
}

// addToWeeks adds delta to report_weeks and its sums per week and team to
// report_team_weeks, in key order, 100 rows a statement.
func addToWeeks(tx *gorm.DB, delta map[domain.Cell]domain.Counts) error {
	delta = maps.Clone(delta)
	maps.DeleteFunc(delta, func(_ domain.Cell, c domain.Counts) bool { return c.Zero() })
	perTeam := map[domain.Cell]domain.Counts{}
	for k, d := range delta {
		t := domain.Cell{Week: k.Week, Team: k.Team}
		c := perTeam[t]
		c.Add(d, 1)
		perTeam[t] = c
	}
	// A case moved between priorities or types of one team.
	maps.DeleteFunc(perTeam, func(_ domain.Cell, c domain.Counts) bool { return c.Zero() })
	if err := upsertCounters(tx, "report_weeks", []string{"week", "team", "priority", "type"}, delta); err != nil {
		return err
	}
	return upsertCounters(tx, "report_team_weeks", []string{"week", "team"}, perTeam)
}

// upsertCounters adds each cell's counts to its row of table, whose key is
// keyCols (a prefix of week, team, priority, type).
func upsertCounters(tx *gorm.DB, table string, keyCols []string, delta map[domain.Cell]domain.Counts) error {
	cells := slices.SortedFunc(maps.Keys(delta), domain.Cell.Compare)
	set := make([]string, len(reportCounters))
	for i, c := range reportCounters {
		set[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	row := "(?" + strings.Repeat(", ?", len(keyCols)+len(reportCounters)-1) + ")"
	for chunk := range slices.Chunk(cells, 100) {
		ph := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*(len(keyCols)+len(reportCounters)))
		for i, k := range chunk {
			ph[i] = row
			args = append(args, []any{k.Week, k.Team, k.Priority, k.Type}[:len(keyCols)]...)
			for _, v := range countersOf(delta[k]) {
				args = append(args, v)
			}
		}
		err := tx.Exec("INSERT INTO "+table+" ("+strings.Join(keyCols, ", ")+", "+strings.Join(reportCounters, ", ")+") VALUES "+strings.Join(ph, ", ")+
			" ON CONFLICT ("+strings.Join(keyCols, ", ")+") DO UPDATE SET "+strings.Join(set, ", "), args...).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// rebuildPage is how many cases Rebuild counts per transaction.
const rebuildPage = 2000

// Rebuild counts every case again: it empties report_weeks,
// report_team_weeks and report_case_facts, records each case's facts page by
// page (each page its own transaction, the cases locked as a change locks
// them), and adds what it counted to the rollup at the end, in one
// transaction — one write per rollup row rather than one per page. Changes
// made meanwhile count themselves, against the facts Rebuild recorded, so
// the reports then equal what today's rows say; on PostgreSQL the emptying
// waits for the changes under way. Until it ends the reports are short; if
// it stops midway, run it again. It returns how many cases it counted.
func (r *Reports) Rebuild(ctx context.Context) (int, error) {
	return rebuild(r.db.WithContext(ctx), rebuildPage)
}

func rebuild(gdb *gorm.DB, page int) (int, error) {
	err := gdb.Transaction(func(tx *gorm.DB) error {
		if db.Dialect(tx) == db.Postgres {
			if err := tx.Exec("LOCK TABLE report_case_facts, report_weeks, report_team_weeks IN EXCLUSIVE MODE").Error; err != nil {
				return err
			}
		}
		if err := tx.Exec("DELETE FROM report_case_facts").Error; err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM report_weeks").Error; err != nil {
			return err
		}
		return tx.Exec("DELETE FROM report_team_weeks").Error
	})
	if err != nil {
		return 0, err
	}
	// Pages in creation order: a page's cases fall in few weeks, so in few
	// rollup rows.
	n, total := 0, map[domain.Cell]domain.Counts{}
	var after *Cursor
	for {
		q := gdb.Table("cases").Select("id, created_at").Order("created_at, id").Limit(page)
		if after != nil {
			q = q.Where("(created_at, id) > (?, ?)", after.At, after.ID)
		}
		var keys []struct {
			ID        string
			CreatedAt time.Time
		}
		if err := q.Find(&keys).Error; err != nil {
			return n, err
		}
		if len(keys) == 0 {
			return n, gdb.Transaction(func(tx *gorm.DB) error { return addToWeeks(tx, total) })
		}
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		var d map[domain.Cell]domain.Counts
		err := gdb.Transaction(func(tx *gorm.DB) (err error) {
			d, err = recountFacts(tx, ids)
			return err
		})
		if err != nil {
			return n, err
		}
		for k, c := range d {
			t := total[k]
			t.Add(c, 1)
			total[k] = t
		}
		last := keys[len(keys)-1]
		n, after = n+len(ids), &Cursor{At: last.CreatedAt.UTC(), ID: last.ID}
	}
}
