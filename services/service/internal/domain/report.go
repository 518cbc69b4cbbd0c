package domain

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Reports for service managers: what a team's cases did week by week —
// opened and closed, the SLA targets met by their due time or breached, the
// business time to first response and to resolution, the customers'
// satisfaction — and the backlog of open cases by age.
//
// The rules, in one place (docs/service-reports.md says them for managers):
//
//   - Every figure counts under the case's team, priority and type as they
//     are now (a closed case's are those it closed with): a case moved to
//     another team takes its figures with it. So a report is what a query
//     over today's cases would answer, which the rollup (adapters) keeps
//     and a rebuild reproduces.
//   - Each fact falls in the ISO week (Monday 00:00 UTC) of its instant:
//     opened at created_at, closed at closed_at, an SLA target decided at
//     met_at (met by its due time) or breached_at (breached, even if met
//     later), a time to first response or resolution at met_at, a survey
//     answer at answered_at. A report covers whole weeks.
//   - Met share = met by the due time / (met + breached) of the targets
//     decided in the period; nil when none was decided.
//   - Median and p90 are nearest-rank percentiles of the business time used
//     (used_ms), estimated from a histogram of fixed log-spaced buckets: at
//     most PercentileError off (relative), see Histogram.
//   - CSAT share = answers scoring 4 or 5 / answers; NPS = % promoters
//     (9–10) − % detractors (0–6), from −100 to 100.
//   - Backlog = cases not resolved or closed now, by age since created_at.
//   - Scope: a report covers the teams the caller works (reps and managers:
//     their teams; analysts and admins: every team). Cases read only through
//     their customer (sales) and a rep's own cases in another team are that
//     team's figures, not the caller's: reports are per team.

// Report groupings.
const (
	GroupTeam     = "team"
	GroupPriority = "priority"
	GroupType     = "type"
	GroupWeek     = "week"
)

// Groups lists the groupings of a report.
var Groups = []string{GroupTeam, GroupPriority, GroupType, GroupWeek}

// MaxReportDays is the longest range a report covers, from and to included.
const MaxReportDays = 366

// ReportInput is a report request as the query string carries it.
type ReportInput struct {
	From, To, Group, Team, Priority, Type string
}

// ReportQuery is a validated report request.
type ReportQuery struct {
	// From and To are the dates asked for (midnight UTC), both included.
	From, To time.Time
	// FirstWeek and LastWeek are the Mondays (WeekOf) of the weeks that
	// hold From and To: the report covers these weeks whole.
	FirstWeek, LastWeek string
	Group               string
	// Team, Priority, Type narrow the report ("" does not).
	Team, Priority, Type string
}

// ParseReportQuery validates in, every bad parameter at once (field errors,
// which the app answers as 400 invalid_query): from and to are dates
// (YYYY-MM-DD, UTC), from not after to, at most MaxReportDays days
// together; group one of Groups (default team); priority and type known
// values; team a team name.
func ParseReportQuery(in ReportInput) (ReportQuery, error) {
	var v apperr.Validation
	q := ReportQuery{Group: in.Group, Team: in.Team, Priority: in.Priority, Type: in.Type}
	if q.Group == "" {
		q.Group = GroupTeam
	}
	v.Check(slices.Contains(Groups, q.Group), "group", "invalid", "one of "+strings.Join(Groups, ", "))
	v.Check(in.Priority == "" || slices.Contains(Priorities, in.Priority), "priority", "invalid", "one of P1, P2, P3, P4")
	v.Check(in.Type == "" || slices.Contains(Types, in.Type), "type", "invalid", "one of "+strings.Join(Types, ", "))
	team(&v, "team", in.Team, false)
	date := func(field, raw string) (time.Time, bool) {
		if !v.Check(raw != "", field, "required", "a date, YYYY-MM-DD") {
			return time.Time{}, false
		}
		d, err := time.Parse(time.DateOnly, raw)
		return d, v.Check(err == nil, field, "invalid", "a date, YYYY-MM-DD (such as 2026-05-04)")
	}
	from, okFrom := date("from", in.From)
	to, okTo := date("to", in.To)
	if okFrom && okTo && v.Check(!to.Before(from), "to", "before_from", "to is on or after from") {
		v.Check(to.Sub(from) < MaxReportDays*24*time.Hour, "to", "out_of_range", fmt.Sprintf("at most %d days from from to to, both included", MaxReportDays))
	}
	if err := v.Err(); err != nil {
		return ReportQuery{}, err
	}
	q.From, q.To = from, to
	q.FirstWeek, q.LastWeek = WeekOf(from), WeekOf(to)
	return q, nil
}

// WeekOf is the week holding t: the date (YYYY-MM-DD) of the Monday that
// starts its ISO week in UTC. Dates sort as their weeks do.
func WeekOf(t time.Time) string {
	t = t.UTC()
	y, m, d := t.Date()
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	return time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// WeekLabel is the ISO label of the week starting on monday: 2026-W19.
func WeekLabel(monday string) string {
	d, err := time.Parse(time.DateOnly, monday)
	if err != nil {
		return monday
	}
	y, w := d.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// Weeks lists the weeks from first to last (Mondays, both included).
func Weeks(first, last string) []string {
	f, err1 := time.Parse(time.DateOnly, first)
	l, err2 := time.Parse(time.DateOnly, last)
	if err1 != nil || err2 != nil {
		return nil
	}
	var out []string
	for d := f; !d.After(l); d = d.AddDate(0, 0, 7) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// Buckets is how many buckets a Histogram has: [0, 1 min), 64 buckets
// from 1 minute to 2^16 minutes (about 45½ days of business time), each
// 2^¼ ≈ 1.19 times as wide as the one before, and [2^16 min, ∞).
const Buckets = 66

// PercentileError bounds how far a percentile read from a Histogram is from
// the exact one, relative to it: 2^⅛ − 1, about 9.05 %. Below one minute
// the bound is absolute (30 s); beyond 2^16 minutes the histogram says only
// "at least".
var PercentileError = math.Pow(2, 1.0/8) - 1

// bucketFloor[i] is the lowest time (ms) bucket i holds.
var bucketFloor = func() (out [Buckets]int64) {
	for i := 1; i < Buckets; i++ {
		out[i] = int64(math.Round(60_000 * math.Pow(2, float64(i-1)/4)))
	}
	return out
}()

// BucketOf is the bucket holding a time of ms milliseconds (negative: 0).
func BucketOf(ms int64) int {
	i, found := slices.BinarySearch(bucketFloor[:], ms)
	if found {
		return i
	}
	return max(i-1, 0)
}

// BucketFloor is the lowest time (ms) bucket i holds.
func BucketFloor(i int) int64 { return bucketFloor[i] }

// Histogram counts times (business ms) by bucket (BucketOf).
type Histogram [Buckets]int64

// Add counts one time of ms milliseconds.
func (h *Histogram) Add(ms int64) { h[BucketOf(ms)]++ }

// N is how many times h counts.
func (h Histogram) N() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// Percentile estimates the nearest-rank p-quantile (0 < p ≤ 1) of the
// times counted — the smallest counted time with at least p of them at or
// below it — as the geometric middle of its bucket, so at most
// PercentileError off: 30 s in the first bucket, the bucket's floor ("at
// least") in the last. ok is false when h counts nothing.
func (h Histogram) Percentile(p float64) (ms int64, ok bool) {
	n := h.N()
	if n == 0 {
		return 0, false
	}
	rank := max(int64(math.Ceil(p*float64(n))), 1)
	var seen int64
	for i, c := range h {
		if seen += c; seen >= rank {
			switch i {
			case 0:
				return bucketFloor[1] / 2, true
			case Buckets - 1:
				return bucketFloor[i], true
			}
			return int64(math.Round(math.Sqrt(float64(bucketFloor[i]) * float64(bucketFloor[i+1])))), true
		}
	}
	return bucketFloor[Buckets-1], true // unreachable: seen reaches n
}

// TargetCounts are an SLA target's figures: the targets decided (met by
// their due time, or breached) and the business time of those met.
type TargetCounts struct {
	Met, Breached int64
	Times         Histogram
}

// MetShare is Met / (Met + Breached), nil when nothing was decided.
func (t TargetCounts) MetShare() *float64 { return share(t.Met, t.Met+t.Breached) }

// Counts are a report's additive figures: of one rollup cell (a week, team,
// priority and type), or summed over a report's group.
type Counts struct {
	Opened, Closed            int64
	FirstResponse, Resolution TargetCounts
	// CSAT counts survey answers by score: CSAT[0] scored 1, CSAT[4] 5.
	CSAT [5]int64
	// NPS counts answers to "would you recommend us" by score, 0 to 10.
	NPS [11]int64
}

// Add adds sign × o (sign 1 or −1).
func (c *Counts) Add(o Counts, sign int64) {
	c.Opened += sign * o.Opened
	c.Closed += sign * o.Closed
	for _, t := range []struct{ to, from *TargetCounts }{{&c.FirstResponse, &o.FirstResponse}, {&c.Resolution, &o.Resolution}} {
		t.to.Met += sign * t.from.Met
		t.to.Breached += sign * t.from.Breached
		for i, n := range t.from.Times {
			t.to.Times[i] += sign * n
		}
	}
	for i, n := range o.CSAT {
		c.CSAT[i] += sign * n
	}
	for i, n := range o.NPS {
		c.NPS[i] += sign * n
	}
}

// Zero reports whether c counts nothing.
func (c Counts) Zero() bool { return c == Counts{} }

// CSATAnswers is how many answers gave a satisfaction score.
func (c Counts) CSATAnswers() int64 { return sum(c.CSAT[:]) }

// CSATShare is the share of satisfaction scores of 4 or 5, nil without answers.
func (c Counts) CSATShare() *float64 { return share(c.CSAT[3]+c.CSAT[4], c.CSATAnswers()) }

// NPSAnswers is how many answers gave a recommendation score.
func (c Counts) NPSAnswers() int64 { return sum(c.NPS[:]) }

// Promoters scored 9 or 10; Detractors 0 to 6.
func (c Counts) Promoters() int64  { return c.NPS[9] + c.NPS[10] }
func (c Counts) Detractors() int64 { return sum(c.NPS[:7]) }

// NPSScore is the net promoter score: % promoters − % detractors, from
// −100 to 100; nil without answers.
func (c Counts) NPSScore() *float64 {
	n := c.NPSAnswers()
	if n == 0 {
		return nil
	}
	s := 100 * float64(c.Promoters()-c.Detractors()) / float64(n)
	return &s
}

func share(part, whole int64) *float64 {
	if whole == 0 {
		return nil
	}
	s := float64(part) / float64(whole)
	return &s
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// SLA target states, as the case workflow writes them in case_sla.
const (
	SLARunning  = "running"
	SLAPaused   = "paused"
	SLAMet      = "met"
	SLABreached = "breached"
)

// SLAOutcome is what a report reads of one SLA target of a case.
type SLAOutcome struct {
	Target     string     `json:"target"`
	State      string     `json:"state"`
	MetAt      *time.Time `json:"met_at,omitempty"`
	BreachedAt *time.Time `json:"breached_at,omitempty"`
	// UsedMS is the business time counted when the target was met.
	UsedMS *int64 `json:"used_ms,omitempty"`
}

// SurveyAnswer is an answered satisfaction survey of a case: CSAT 1–5, NPS
// 0–10, each nil when not answered.
type SurveyAnswer struct {
	AnsweredAt time.Time `json:"answered_at"`
	CSAT       *int      `json:"csat,omitempty"`
	NPS        *int      `json:"nps,omitempty"`
}

// CaseFacts is what the reports count of one case.
type CaseFacts struct {
	Team      string         `json:"team"`
	Priority  string         `json:"priority"`
	Type      string         `json:"type"`
	CreatedAt time.Time      `json:"created_at"`
	ClosedAt  *time.Time     `json:"closed_at,omitempty"`
	SLA       []SLAOutcome   `json:"sla,omitempty"`
	Answers   []SurveyAnswer `json:"answers,omitempty"`
}

// Cell is a rollup cell: a week (WeekOf) of a team, priority and type.
type Cell struct {
	Week, Team, Priority, Type string
}

// Compare orders cells by week, team, priority, type.
func (c Cell) Compare(o Cell) int {
	return strings.Compare(c.Week+"\x00"+c.Team+"\x00"+c.Priority+"\x00"+c.Type, o.Week+"\x00"+o.Team+"\x00"+o.Priority+"\x00"+o.Type)
}

// Cells are the case's figures by the cell each falls in (see the rules
// at the top of this file).
func (f CaseFacts) Cells() map[Cell]Counts {
	out := map[Cell]Counts{}
	add := func(at time.Time, fn func(*Counts)) {
		k := Cell{Week: WeekOf(at), Team: f.Team, Priority: f.Priority, Type: f.Type}
		c := out[k]
		fn(&c)
		out[k] = c
	}
	add(f.CreatedAt, func(c *Counts) { c.Opened++ })
	if f.ClosedAt != nil {
		add(*f.ClosedAt, func(c *Counts) { c.Closed++ })
	}
	for _, s := range f.SLA {
		target := func(c *Counts) *TargetCounts {
			if s.Target == TargetFirstResponse {
				return &c.FirstResponse
			}
			return &c.Resolution
		}
		switch {
		case s.Target != TargetFirstResponse && s.Target != TargetResolution:
			continue
		case s.State == SLAMet && s.MetAt != nil:
			add(*s.MetAt, func(c *Counts) { target(c).Met++ })
		case s.State == SLABreached && s.BreachedAt != nil:
			add(*s.BreachedAt, func(c *Counts) { target(c).Breached++ })
		}
		if (s.State == SLAMet || s.State == SLABreached) && s.MetAt != nil && s.UsedMS != nil {
			add(*s.MetAt, func(c *Counts) { target(c).Times.Add(*s.UsedMS) })
		}
	}
	for _, a := range f.Answers {
		if a.CSAT != nil && *a.CSAT >= 1 && *a.CSAT <= 5 {
			add(a.AnsweredAt, func(c *Counts) { c.CSAT[*a.CSAT-1]++ })
		}
		if a.NPS != nil && *a.NPS >= 0 && *a.NPS <= 10 {
			add(a.AnsweredAt, func(c *Counts) { c.NPS[*a.NPS]++ })
		}
	}
	return out
}

// FactsDelta is what changes in the rollup when a case's facts go from
// before (nil: never counted) to after (nil: no longer counted): after's
// cells minus before's, without the cells that do not change.
func FactsDelta(before, after *CaseFacts) map[Cell]Counts {
	out := map[Cell]Counts{}
	if after != nil {
		out = after.Cells()
	}
	if before != nil {
		for k, c := range before.Cells() {
			d := out[k]
			d.Add(c, -1)
			out[k] = d
		}
	}
	for k, c := range out {
		if c.Zero() {
			delete(out, k)
		}
	}
	return out
}

// Backlog age buckets: a case open for less than a day, one to three days,
// three to seven, seven to thirty, thirty or more (the names of the
// follow-up engine's lateness buckets).
var (
	BacklogBuckets = []string{"under_1d", "1d_3d", "3d_7d", "7d_30d", "over_30d"}
	// BacklogBounds are the ages that separate them.
	BacklogBounds = []time.Duration{24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
)

// Backlog counts open cases (not resolved, not closed) by age bucket.
type Backlog [5]int64

// BacklogBucket is the bucket of a case open for age.
func BacklogBucket(age time.Duration) int {
	for i, b := range BacklogBounds {
		if age < b {
			return i
		}
	}
	return len(BacklogBounds)
}

// Add adds o's counts.
func (b *Backlog) Add(o Backlog) {
	for i, n := range o {
		b[i] += n
	}
}

// Total is how many open cases b counts.
func (b Backlog) Total() int64 { return sum(b[:]) }

// OpenStates are the states of a case in the backlog.
var OpenStates = []string{StateNew, StateOpen, StatePendingCustomer, StatePendingInternal}

// ReportTeams is whose figures a report for the scope covers: every team
// (all), or the teams it works (none: an empty report).
func (s Scope) ReportTeams() (teams []string, all bool) {
	if s.All || s.WorkAll {
		return nil, true
	}
	return slices.Clone(s.Teams), false
}
