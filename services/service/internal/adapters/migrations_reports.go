package adapters

import (
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db/migrate"
)

// reportMigrations are what the service managers' reports read from
// (versions 10–).
var reportMigrations = []migrate.Migration{
	{Version: 10, Name: "service reports: weekly figures per team, priority and type; the facts counted of each case; open cases by age", Up: migrate.SQL(
		// One row per ISO week (its Monday, UTC, YYYY-MM-DD), team, priority
		// and type: cases opened and closed; per SLA target (fr_: first
		// response, res_: resolution) the targets met by their due time and
		// those breached, and the business time used of those met, counted
		// in 66 log-spaced buckets (domain.Histogram: t00 below one minute,
		// t01–t64 each 2^¼ wider, t65 from 2^16 minutes); survey answers by
		// CSAT score (1–5) and by NPS score (0–10). Kept in the transaction
		// of every change it summarises (RecordCaseFacts).
		`CREATE TABLE report_weeks (
			week     VARCHAR(10) NOT NULL,
			team     VARCHAR(100) NOT NULL,
			priority VARCHAR(2) NOT NULL,
			type     VARCHAR(20) NOT NULL,
			`+reportCounterColumns+`,
			PRIMARY KEY (week, team, priority, type)
		)`,
		// Managers read their teams' weeks.
		`CREATE INDEX ix_report_weeks_team ON report_weeks (team, week)`,
		// The same per week and team only — report_weeks summed over
		// priorities and types, kept with it — which the reports that neither
		// filter nor group by priority or type read: 20 times fewer rows.
		`CREATE TABLE report_team_weeks (
			week VARCHAR(10) NOT NULL,
			team VARCHAR(100) NOT NULL,
			`+reportCounterColumns+`,
			PRIMARY KEY (week, team)
		)`,
		// What report_weeks counts of each case (domain.CaseFacts), so that a
		// change counts the difference: the case's team, priority, type,
		// creation and closing, its two SLA targets (fr_, res_: state, when
		// met or breached, business time used) and its survey answers
		// (answers: a JSON array of {answered_at, csat, nps}, '' for none).
		`CREATE TABLE report_case_facts (
			case_id          VARCHAR(36) PRIMARY KEY,
			team             VARCHAR(100) NOT NULL,
			priority         VARCHAR(2) NOT NULL,
			type             VARCHAR(20) NOT NULL,
			created_at       TIMESTAMPTZ NOT NULL,
			closed_at        TIMESTAMPTZ,
			fr_state         VARCHAR(20) NOT NULL DEFAULT '',
			fr_met_at        TIMESTAMPTZ,
			fr_breached_at   TIMESTAMPTZ,
			fr_used_ms       BIGINT,
			res_state        VARCHAR(20) NOT NULL DEFAULT '',
			res_met_at       TIMESTAMPTZ,
			res_breached_at  TIMESTAMPTZ,
			res_used_ms      BIGINT,
			answers          TEXT NOT NULL DEFAULT '',
			updated_at       TIMESTAMPTZ NOT NULL
		)`,
		// The backlog: cases not resolved or closed, by team and age.
		`CREATE INDEX ix_cases_backlog ON cases (team, created_at) WHERE state NOT IN ('resolved', 'closed')`,
	)},
	{Version: 11, Name: "service reports: count the cases stored before them", Up: func(tx *gorm.DB) error {
		_, err := rebuild(tx, rebuildPage)
		return err
	}},
}

// reportCounterColumns are the counters of report_weeks and report_team_weeks.
var reportCounterColumns = counterColumns(
	[]string{"opened", "closed", "fr_met", "fr_breached", "res_met", "res_breached"},
	numbered("csat_", 1, 5, 1), numbered("nps_", 0, 10, 1), numbered("fr_t", 0, 65, 2), numbered("res_t", 0, 65, 2),
)

// numbered is prefix00…prefixNN (digits wide): csat_1…csat_5, fr_t00…fr_t65.
func numbered(prefix string, from, to, digits int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%0*d", prefix, digits, i))
	}
	return out
}

// counterColumns declares counters: INTEGER NOT NULL DEFAULT 0.
func counterColumns(groups ...[]string) string {
	var out []string
	for _, g := range groups {
		for _, c := range g {
			out = append(out, c+" INTEGER NOT NULL DEFAULT 0")
		}
	}
	return strings.Join(out, ",\n\t\t\t")
}
