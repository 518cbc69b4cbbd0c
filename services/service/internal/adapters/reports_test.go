package adapters_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db/migrate"

	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// surveysTable creates case_surveys with the columns answer writes, unless
// the surveys' migrations did.
func surveysTable(t *testing.T, gdb *gorm.DB) {
	t.Helper()
	if gdb.Migrator().HasTable("case_surveys") {
		return
	}
	if err := migrate.SQL(`CREATE TABLE case_surveys (id VARCHAR(36) PRIMARY KEY, case_id VARCHAR(36) NOT NULL, customer_id VARCHAR(36) NOT NULL,
			team VARCHAR(100) NOT NULL, priority VARCHAR(2) NOT NULL, type VARCHAR(20) NOT NULL, token_hash VARCHAR(64) NOT NULL,
			delivery VARCHAR(10) NOT NULL, delivery_state VARCHAR(10) NOT NULL, closed_at TIMESTAMPTZ NOT NULL, sent_at TIMESTAMPTZ NOT NULL,
			expires_at TIMESTAMPTZ NOT NULL, answered_at TIMESTAMPTZ, csat INTEGER, nps INTEGER)`,
		`CREATE UNIQUE INDEX ux_case_surveys_case ON case_surveys (case_id)`)(gdb); err != nil {
		t.Fatal(err)
	}
}

// record counts case id's facts in a transaction of its own, as the
// writers of cases, case_sla and case_surveys will in theirs.
func record(t *testing.T, gdb *gorm.DB, id string, change func(tx *gorm.DB) error) {
	t.Helper()
	err := gdb.Transaction(func(tx *gorm.DB) error {
		if change != nil {
			if err := change(tx); err != nil {
				return err
			}
		}
		return adapters.RecordCaseFacts(tx, id)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sla writes a target's row as the case workflow does: state, when met or
// breached, and the business time used (0: none yet).
func sla(id, target, state string, met, breached *time.Time, usedMS int64) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error {
		var used *int64
		if usedMS > 0 {
			used = &usedMS
		}
		if err := tx.Exec("DELETE FROM case_sla WHERE case_id = ? AND target = ?", id, target).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO case_sla (case_id, target, state, due_at, met_at, breached_at, used_ms, priority, budget_ms, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'P2', 3600000, ?)`, id, target, state, t0.Add(time.Hour), met, breached, used, t0).Error
	}
}

// answer stores case id's survey (one a case), answered at at with these
// scores, as the surveys do.
func answer(id string, at time.Time, csat, nps *int) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error {
		return tx.Exec(`INSERT INTO case_surveys (id, case_id, customer_id, team, priority, type, token_hash, delivery, delivery_state,
				closed_at, sent_at, expires_at, answered_at, csat, nps)
			SELECT ?, id, customer_id, team, priority, type, ?, 'email', 'sent', ?, ?, ?, ?, ?, ? FROM cases WHERE id = ?`,
			adapters.NewID(), adapters.NewID(), at, at, at.AddDate(0, 0, 30), at, csat, nps, id).Error
	}
}

func ptr[T any](v T) *T { return &v }

// weeks is report_weeks' and report_team_weeks' non-zero rows, as text, in
// order: what a rebuild must reproduce.
func weeks(t *testing.T, gdb *gorm.DB) []string {
	t.Helper()
	return append(rowsOf(t, gdb, "SELECT * FROM report_weeks ORDER BY week, team, priority, type", 4),
		rowsOf(t, gdb, "SELECT * FROM report_team_weeks ORDER BY week, team", 2)...)
}

func rowsOf(t *testing.T, gdb *gorm.DB, query string, keyCols int) []string {
	t.Helper()
	rows, err := gdb.Raw(query).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		v := make([]any, len(cols))
		p := make([]any, len(cols))
		for i := range v {
			p[i] = &v[i]
		}
		if err := rows.Scan(p...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		nonZero := false
		for i, c := range cols {
			s := fmt.Sprint(v[i])
			if b, ok := v[i].([]byte); ok {
				s = string(b)
			}
			if i >= keyCols && s != "0" {
				nonZero = true
				parts = append(parts, c+"="+s)
			} else if i < keyCols {
				parts = append(parts, s)
			}
		}
		if nonZero {
			out = append(out, strings.Join(parts, " "))
		}
	}
	return out
}

var everyone = domain.Scope{All: true}

func report(t *testing.T, gdb *gorm.DB, scope domain.Scope, in domain.ReportInput) map[string]domain.Counts {
	t.Helper()
	q, err := domain.ParseReportQuery(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := adapters.NewReports(gdb).Weeks(context.Background(), scope, q)
	if err != nil {
		t.Fatal(err)
	}
	for k, c := range got {
		if c.Zero() {
			delete(got, k)
		}
	}
	return got
}

// The rollup follows every change of cases, SLA rows and survey answers in
// their own transactions, and equals what a rebuild counts from the rows.
func TestReportRollup(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		ctx := context.Background()
		surveysTable(t, gdb)
		w1, w2 := "2026-05-04", "2026-05-11" // t0 is Monday 2026-05-04 09:00
		file := func(team, typ string, at time.Time) domain.Case {
			d := draft(adapters.NewID())
			d.Team, d.Type = team, typ
			c := create(t, r, d, at)
			record(t, gdb, c.ID, nil)
			return c
		}
		a := file("service", domain.TypeRepair, t0)                        // P2
		b := file("service", domain.TypeRepair, t0.Add(time.Hour))         // P2
		c := file("service-west", domain.TypeRequest, t0.AddDate(0, 0, 7)) // P3, week 2
		// a: first response met after 30 business minutes; resolution
		// breached on Tuesday, met (late) the next Monday; closed, answered.
		record(t, gdb, a.ID, sla(a.ID, domain.TargetFirstResponse, domain.SLAMet, ptr(t0.Add(40*time.Minute)), nil, 30*60_000))
		record(t, gdb, a.ID, sla(a.ID, domain.TargetResolution, domain.SLABreached, nil, ptr(t0.Add(26*time.Hour)), 0))
		record(t, gdb, a.ID, sla(a.ID, domain.TargetResolution, domain.SLABreached, ptr(t0.AddDate(0, 0, 7)), ptr(t0.Add(26*time.Hour)), 30*3600_000))
		record(t, gdb, a.ID, func(tx *gorm.DB) error {
			return tx.Exec("UPDATE cases SET state = 'closed', resolved_at = ?, closed_at = ? WHERE id = ?", t0.AddDate(0, 0, 7), t0.AddDate(0, 0, 8), a.ID).Error
		})
		record(t, gdb, a.ID, answer(a.ID, t0.AddDate(0, 0, 9), ptr(5), ptr(9)))
		record(t, gdb, b.ID, answer(b.ID, t0.AddDate(0, 0, 9), nil, ptr(3)))
		// b: first response met after 2 hours; then reprioritised to P1
		// (its figures follow it).
		record(t, gdb, b.ID, sla(b.ID, domain.TargetFirstResponse, domain.SLAMet, ptr(t0.Add(3*time.Hour)), nil, 2*3600_000))
		if _, err := r.Update(ctx, b.ID, func(x *domain.Case) ([]domain.Entry, error) {
			out, es, err := domain.Reprioritize(*x, domain.P1, "the crane is the only one on site", "svc-sun", t0.Add(4*time.Hour))
			*x = out
			return es, err
		}); err != nil {
			t.Fatal(err)
		}
		record(t, gdb, b.ID, nil)
		// c: a running target counts nothing yet.
		record(t, gdb, c.ID, sla(c.ID, domain.TargetFirstResponse, domain.SLARunning, nil, nil, 0))

		got := report(t, gdb, everyone, domain.ReportInput{From: "2026-05-04", To: "2026-05-17", Group: domain.GroupWeek})
		g1, g2 := got[w1], got[w2]
		if g1.Opened != 2 || g2.Opened != 1 || g2.Closed != 1 || g1.FirstResponse.Met != 2 || g1.Resolution.Breached != 1 ||
			g2.Resolution.Times.N() != 1 || g1.Resolution.Times.N() != 0 || g2.CSATAnswers() != 1 || g2.NPSAnswers() != 2 {
			t.Errorf("week 1 %+v\nweek 2 %+v", g1, g2)
		}
		if m, _ := g1.FirstResponse.Times.Percentile(0.5); m < 27*60_000 || m > 33*60_000 {
			t.Errorf("median first response of 30 min and 2 h: %d ms", m)
		}
		byPriority := report(t, gdb, everyone, domain.ReportInput{From: "2026-05-04", To: "2026-05-17", Group: domain.GroupPriority})
		if byPriority["P1"].Opened != 1 || byPriority["P1"].FirstResponse.Met != 1 || byPriority["P2"].Opened != 1 || byPriority["P3"].Opened != 1 {
			t.Errorf("by priority after b became P1: %+v", byPriority)
		}
		// Scope and filters.
		byTeam := report(t, gdb, domain.Scope{Teams: []string{"service-west"}, Assignee: "svc-sun"}, domain.ReportInput{From: "2026-05-04", To: "2026-05-17"})
		if !slices.Equal(slices.Sorted(maps.Keys(byTeam)), []string{"service-west"}) || byTeam["service-west"].Opened != 1 {
			t.Errorf("west's report: %+v", byTeam)
		}
		if got := report(t, gdb, domain.Scope{Assignee: "svc-sun"}, domain.ReportInput{From: "2026-05-04", To: "2026-05-17"}); len(got) != 0 {
			t.Errorf("a scope of no team: %+v", got)
		}
		if got := report(t, gdb, domain.Scope{Teams: []string{"service-west"}}, domain.ReportInput{From: "2026-05-04", To: "2026-05-17", Team: "service"}); len(got) != 0 {
			t.Errorf("a team filter outside the scope: %+v", got)
		}
		if got := report(t, gdb, everyone, domain.ReportInput{From: "2026-05-04", To: "2026-05-10", Group: domain.GroupType, Type: domain.TypeRepair}); len(got) != 1 ||
			got[domain.TypeRepair].Opened != 2 {
			t.Errorf("repairs of week 1: %+v", got)
		}
		// A range covers whole weeks: Sunday the 10th is week 1's last day.
		if got := report(t, gdb, everyone, domain.ReportInput{From: "2026-05-10", To: "2026-05-10", Group: domain.GroupWeek}); len(got) != 1 || got[w1].Opened != 2 {
			t.Errorf("Sunday's week: %+v", got)
		}

		// report_team_weeks (read by team and by week) and report_weeks (read
		// by priority and type) agree.
		sumOf := func(m map[string]domain.Counts) (out domain.Counts) {
			for _, c := range m {
				out.Add(c, 1)
			}
			return out
		}
		for _, in := range []domain.ReportInput{{Group: domain.GroupTeam}, {Group: domain.GroupWeek}} {
			in.From, in.To = "2026-05-04", "2026-05-17"
			byTeams, byTypes := sumOf(report(t, gdb, everyone, in)), sumOf(report(t, gdb, everyone, domain.ReportInput{From: in.From, To: in.To, Group: domain.GroupType}))
			if byTeams != byTypes || byTeams.Opened != 3 {
				t.Errorf("group %s: %+v\nby type: %+v", in.Group, byTeams, byTypes)
			}
		}

		before := weeks(t, gdb)
		n, err := adapters.NewReports(gdb).Rebuild(ctx)
		if err != nil || n != 3 {
			t.Fatalf("rebuild: %d %v", n, err)
		}
		if after := weeks(t, gdb); !slices.Equal(after, before) {
			t.Errorf("rebuilt\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
		// A case never counted (stored before the reports) is counted by a
		// rebuild; counting twice changes nothing.
		if err := gdb.Exec("DELETE FROM report_case_facts WHERE case_id = ?", c.ID).Error; err != nil {
			t.Fatal(err)
		}
		record(t, gdb, c.ID, nil) // counted as if new: c's opening twice
		if n := report(t, gdb, everyone, domain.ReportInput{From: "2026-05-11", To: "2026-05-17", Group: domain.GroupWeek})[w2].Opened; n != 2 {
			t.Fatalf("the lost snapshot's double count: %d", n)
		}
		if _, err := adapters.NewReports(gdb).Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		record(t, gdb, c.ID, nil)
		if after := weeks(t, gdb); !slices.Equal(after, before) {
			t.Errorf("after a rebuild and a repeated count\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
	})
}

// Open cases by age, at the bounds of each bucket.
func TestReportBacklog(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		now := t0.AddDate(0, 2, 0)
		ages := []time.Duration{0, 24*time.Hour - time.Second, 24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 30*24*time.Hour - time.Second, 30 * 24 * time.Hour, 400 * 24 * time.Hour}
		var want domain.Backlog
		for i, age := range ages {
			d := draft(adapters.NewID())
			d.Priority = []string{domain.P1, domain.P2}[i%2]
			create(t, r, d, now.Add(-age))
			want[domain.BacklogBucket(age)]++
		}
		// Resolved and closed cases are not in the backlog; another team's
		// are not in ours.
		for _, st := range []string{domain.StateResolved, domain.StateClosed, domain.StateOpen} {
			d := draft(adapters.NewID())
			if st == domain.StateOpen {
				d.Team = "service-west"
			}
			c := create(t, r, d, now.Add(-time.Hour))
			if err := gdb.Exec("UPDATE cases SET state = ? WHERE id = ?", st, c.ID).Error; err != nil {
				t.Fatal(err)
			}
		}
		backlog := func(scope domain.Scope, in domain.ReportInput) map[string]domain.Backlog {
			in.From, in.To = "2026-05-04", "2026-05-04"
			q, err := domain.ParseReportQuery(in)
			if err != nil {
				t.Fatal(err)
			}
			b, err := adapters.NewReports(gdb).Backlog(context.Background(), scope, q, now)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if got := backlog(domain.Scope{Teams: []string{"service-north"}}, domain.ReportInput{}); len(got) != 1 || got["service-north"] != want {
			t.Errorf("backlog %v, want %v", got, want)
		}
		if got := backlog(everyone, domain.ReportInput{Group: domain.GroupWeek}); got[""].Total() != int64(len(ages))+1 {
			t.Errorf("every team's backlog: %v", got)
		}
		p1 := backlog(everyone, domain.ReportInput{Group: domain.GroupPriority, Priority: domain.P1})
		if len(p1) != 1 || p1[domain.P1].Total() != int64(len(ages)+1)/2 {
			t.Errorf("P1 backlog: %v", p1)
		}
		if got := backlog(domain.Scope{}, domain.ReportInput{}); len(got) != 0 {
			t.Errorf("no team's backlog: %v", got)
		}
	})
}

// Writers counting cases of the same cells at once neither deadlock nor
// lose a count.
func TestReportRollupConcurrent(t *testing.T) {
	each(t, func(t *testing.T, r *adapters.Cases, gdb *gorm.DB) {
		surveysTable(t, gdb)
		var ids []string
		for i := range 20 {
			d := draft(adapters.NewID())
			d.Type = domain.Types[i%2]
			c := create(t, r, d, t0.Add(time.Duration(i)*time.Minute))
			ids = append(ids, c.ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(ids)*3)
		for i, id := range ids {
			wg.Go(func() {
				for _, step := range []func(tx *gorm.DB) error{
					nil,
					sla(id, domain.TargetFirstResponse, domain.SLAMet, ptr(t0.Add(time.Hour)), nil, int64(i+1)*60_000),
					sla(id, domain.TargetResolution, domain.SLABreached, nil, ptr(t0.AddDate(0, 0, 7)), 0),
				} {
					errs <- gdb.Transaction(func(tx *gorm.DB) error {
						if step != nil {
							if err := step(tx); err != nil {
								return err
							}
						}
						return adapters.RecordCaseFacts(tx, id)
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got := report(t, gdb, everyone, domain.ReportInput{From: "2026-05-04", To: "2026-05-17", Group: domain.GroupWeek})
		w1, w2 := got["2026-05-04"], got["2026-05-11"]
		if w1.Opened != 20 || w1.FirstResponse.Met != 20 || w1.FirstResponse.Times.N() != 20 || w2.Resolution.Breached != 20 {
			t.Errorf("week 1 %+v, week 2 %+v", w1, w2)
		}
		before := weeks(t, gdb)
		if _, err := adapters.NewReports(gdb).Rebuild(context.Background()); err != nil {
			t.Fatal(err)
		}
		if after := weeks(t, gdb); !slices.Equal(after, before) {
			t.Errorf("rebuilt\n%s\nwant\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
	})
}
