// The service managers' reports.

package app

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Reports serves the service managers' reports.
type Reports struct {
	repo *adapters.Reports
	// Now is the clock the backlog's ages count from (tests may set it).
	Now func() time.Time
}

// NewReports returns the reports over a migrated database.
func NewReports(gdb *gorm.DB) *Reports {
	return &Reports{repo: adapters.NewReports(gdb), Now: time.Now}
}

// ServiceReport is the body of GET /v1/reports/service. Figures are kept per
// ISO week (Monday 00:00 to Sunday 24:00 UTC), so the report covers the
// whole weeks holding from and to: covers_from to covers_to.
type ServiceReport struct {
	From       string `json:"from"`
	To         string `json:"to"`
	CoversFrom string `json:"covers_from"`
	CoversTo   string `json:"covers_to"`
	// Group: team, priority, type or week.
	Group   string        `json:"group"`
	Filters ReportFilters `json:"filters"`
	// Scope is whose figures these are: every team, or the teams you work.
	Scope ReportScope `json:"scope"`
	// AsOf is the instant the backlog's ages count from.
	AsOf time.Time `json:"as_of"`
	// PercentileError bounds how far a median or p90 may be from the exact
	// one, relative to it (0.0905: 9.05 %).
	PercentileError float64 `json:"percentile_error"`
	// Rows are the groups in order: every week of the range, every
	// priority, every type (those the filters leave), or the teams — every
	// team of yours, or, for who reports on all teams, those with figures.
	Rows  []ReportRow `json:"rows"`
	Total ReportRow   `json:"total"`
}

// ReportFilters are the filters asked for ("" does not filter).
type ReportFilters struct {
	Team     string `json:"team"`
	Priority string `json:"priority"`
	Type     string `json:"type"`
}

// ReportScope says whose figures a report holds.
type ReportScope struct {
	AllTeams bool     `json:"all_teams"`
	Teams    []string `json:"teams"`
}

// ReportRow is one group's figures, or the total's.
type ReportRow struct {
	// Key is the team, priority, type or week (its Monday, YYYY-MM-DD);
	// empty in the total.
	Key string `json:"key"`
	// Label is the key as shown: a week's ISO label (2026-W19); the key
	// otherwise; "total".
	Label string `json:"label"`
	// Opened and Closed count the cases created and closed in the weeks.
	Opened        int64         `json:"opened"`
	Closed        int64         `json:"closed"`
	FirstResponse TargetFigures `json:"first_response"`
	Resolution    TargetFigures `json:"resolution"`
	CSAT          CSATFigures   `json:"csat"`
	NPS           NPSFigures    `json:"nps"`
	// Backlog is today's open cases by age; null in a week's row.
	Backlog *BacklogFigures `json:"backlog"`
}

// TargetFigures are an SLA target's figures over the weeks.
type TargetFigures struct {
	// Met (by the due time) and Breached count the targets decided in the
	// weeks; a target breached and met later is breached.
	Met      int64 `json:"met"`
	Breached int64 `json:"breached"`
	// MetShare is met / (met + breached), 0 to 1; null when none was decided.
	MetShare *float64 `json:"met_share"`
	// Timed counts the targets met in the weeks (late ones too), whose
	// business time MedianMS and P90MS describe (null when none).
	Timed    int64  `json:"timed"`
	MedianMS *int64 `json:"median_ms"`
	P90MS    *int64 `json:"p90_ms"`
}

// CSATFigures are the satisfaction scores (1–5) answered in the weeks.
type CSATFigures struct {
	Answers int64 `json:"answers"`
	// Satisfied scored 4 or 5; Share is satisfied / answers (null: none).
	Satisfied int64    `json:"satisfied"`
	Share     *float64 `json:"share"`
}

// NPSFigures are the recommendation scores (0–10) answered in the weeks.
type NPSFigures struct {
	Answers    int64 `json:"answers"`
	Promoters  int64 `json:"promoters"`  // 9–10
	Passives   int64 `json:"passives"`   // 7–8
	Detractors int64 `json:"detractors"` // 0–6
	// Score is % promoters − % detractors, −100 to 100 (null: no answers).
	Score *float64 `json:"score"`
}

// BacklogFigures count the cases not resolved or closed, by age since they
// were filed.
type BacklogFigures struct {
	Total   int64 `json:"total"`
	Under1d int64 `json:"under_1d"`
	D1To3   int64 `json:"1d_3d"`
	D3To7   int64 `json:"3d_7d"`
	D7To30  int64 `json:"7d_30d"`
	Over30d int64 `json:"over_30d"`
}

// Service is the service report of the cases in the caller's reporting
// scope (domain.Scope.ReportTeams): the weeks' figures by group, and
// today's backlog. A team filter outside the scope gives an empty report,
// as a list does. Bad parameters are 400 invalid_query naming them.
func (a *Reports) Service(ctx context.Context, in domain.ReportInput) (ServiceReport, error) {
	_, scope, err := caller(ctx)
	if err != nil {
		return ServiceReport{}, err
	}
	q, err := domain.ParseReportQuery(in)
	if err != nil {
		return ServiceReport{}, badQuery(err)
	}
	now := a.Now().UTC().Truncate(time.Microsecond)
	weeks, err := a.repo.Weeks(ctx, scope, q)
	if err != nil {
		return ServiceReport{}, err
	}
	backlog, err := a.repo.Backlog(ctx, scope, q, now)
	if err != nil {
		return ServiceReport{}, err
	}
	teams, allTeams := scope.ReportTeams()
	if teams == nil {
		teams = []string{}
	}
	lastDay, _ := time.Parse(time.DateOnly, q.LastWeek)
	out := ServiceReport{
		From: q.From.Format(time.DateOnly), To: q.To.Format(time.DateOnly), CoversFrom: q.FirstWeek, CoversTo: lastDay.AddDate(0, 0, 6).Format(time.DateOnly),
		Group: q.Group, Filters: ReportFilters{Team: q.Team, Priority: q.Priority, Type: q.Type}, Scope: ReportScope{AllTeams: allTeams, Teams: teams},
		AsOf: now, PercentileError: domain.PercentileError, Rows: []ReportRow{},
	}
	var total domain.Counts
	var totalBacklog domain.Backlog
	for _, c := range weeks {
		total.Add(c, 1)
	}
	for _, b := range backlog {
		totalBacklog.Add(b)
	}
	for _, key := range groups(q, weeks, backlog, teams, allTeams) {
		row := rowOf(key, key, weeks[key])
		if q.Group == domain.GroupWeek {
			row.Label = domain.WeekLabel(key)
		} else {
			row.Backlog = backlogOf(backlog[key])
		}
		out.Rows = append(out.Rows, row)
	}
	out.Total = rowOf("", "total", total)
	out.Total.Backlog = backlogOf(totalBacklog)
	return out, nil
}

// groups are the report's rows' keys, in order.
func groups(q domain.ReportQuery, weeks map[string]domain.Counts, backlog map[string]domain.Backlog, teams []string, allTeams bool) []string {
	only := func(values []string, filter string) []string {
		if filter != "" {
			return []string{filter}
		}
		return values
	}
	switch q.Group {
	case domain.GroupWeek:
		return domain.Weeks(q.FirstWeek, q.LastWeek)
	case domain.GroupPriority:
		return only(domain.Priorities, q.Priority)
	case domain.GroupType:
		return only(domain.Types, q.Type)
	}
	var out []string
	if !allTeams {
		for _, t := range teams {
			if q.Team == "" || q.Team == t {
				out = append(out, t)
			}
		}
	}
	for k, c := range weeks {
		if !c.Zero() {
			out = append(out, k)
		}
	}
	for k, b := range backlog {
		if b.Total() > 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func rowOf(key, label string, c domain.Counts) ReportRow {
	return ReportRow{Key: key, Label: label, Opened: c.Opened, Closed: c.Closed,
		FirstResponse: targetOf(c.FirstResponse), Resolution: targetOf(c.Resolution),
		CSAT: CSATFigures{Answers: c.CSATAnswers(), Satisfied: c.CSAT[3] + c.CSAT[4], Share: c.CSATShare()},
		NPS: NPSFigures{Answers: c.NPSAnswers(), Promoters: c.Promoters(), Passives: c.NPS[7] + c.NPS[8], Detractors: c.Detractors(),
			Score: c.NPSScore()},
	}
}

func targetOf(t domain.TargetCounts) TargetFigures {
	out := TargetFigures{Met: t.Met, Breached: t.Breached, MetShare: t.MetShare(), Timed: t.Times.N()}
	if m, ok := t.Times.Percentile(0.5); ok {
		out.MedianMS = &m
	}
	if p, ok := t.Times.Percentile(0.9); ok {
		out.P90MS = &p
	}
	return out
}

func backlogOf(b domain.Backlog) *BacklogFigures {
	return &BacklogFigures{Total: b.Total(), Under1d: b[0], D1To3: b[1], D3To7: b[2], D7To30: b[3], Over30d: b[4]}
}
