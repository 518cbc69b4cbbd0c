package domain_test

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

func TestWeekOf(t *testing.T) {
	for _, tc := range []struct {
		at         time.Time
		week, isoW string
	}{
		{time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC), "2026-05-04", "2026-W19"},                            // Monday midnight starts it
		{time.Date(2026, 5, 10, 23, 59, 59, 999999000, time.UTC), "2026-05-04", "2026-W19"},                // Sunday's last instant ends it
		{time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC), "2026-05-11", "2026-W20"},                           // the next Monday
		{time.Date(2026, 5, 11, 7, 0, 0, 0, time.FixedZone("Shanghai", 8*3600)), "2026-05-04", "2026-W19"}, // Sunday 23:00 UTC
		{time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), "2025-12-29", "2026-W01"},                           // ISO week 1 starts in December
		{time.Date(2027, 1, 2, 12, 0, 0, 0, time.UTC), "2026-12-28", "2026-W53"},                           // 2026 has 53 ISO weeks
	} {
		if got := domain.WeekOf(tc.at); got != tc.week || domain.WeekLabel(got) != tc.isoW {
			t.Errorf("WeekOf(%s) = %s (%s), want %s (%s)", tc.at, got, domain.WeekLabel(got), tc.week, tc.isoW)
		}
	}
	if got := domain.Weeks("2026-12-21", "2027-01-04"); !slices.Equal(got, []string{"2026-12-21", "2026-12-28", "2027-01-04"}) {
		t.Errorf("Weeks: %v", got)
	}
}

func TestBuckets(t *testing.T) {
	if domain.BucketFloor(1) != 60_000 || domain.BucketFloor(5) != 120_000 || domain.BucketFloor(domain.Buckets-1) != 60_000<<16 {
		t.Fatalf("floors: %d %d %d", domain.BucketFloor(1), domain.BucketFloor(5), domain.BucketFloor(domain.Buckets-1))
	}
	for i := 1; i < domain.Buckets; i++ {
		lo := domain.BucketFloor(i)
		if domain.BucketOf(lo) != i || domain.BucketOf(lo-1) != i-1 {
			t.Errorf("bucket %d [%d…): BucketOf(floor) %d, BucketOf(floor−1) %d", i, lo, domain.BucketOf(lo), domain.BucketOf(lo-1))
		}
		if i > 1 {
			if r := float64(lo) / float64(domain.BucketFloor(i-1)); math.Abs(r-math.Pow(2, 0.25)) > 1e-3 {
				t.Errorf("bucket %d is %.4f times the one before", i, r)
			}
		}
	}
	if domain.BucketOf(-5) != 0 || domain.BucketOf(0) != 0 || domain.BucketOf(math.MaxInt64) != domain.Buckets-1 {
		t.Error("the ends")
	}
}

// The percentiles read from the histogram are within PercentileError of the
// exact nearest-rank percentiles, whatever the distribution.
func TestPercentileErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := 1 + rng.IntN(2000)
		lo, spread := 60_000*math.Pow(2, rng.Float64()*6), rng.Float64()*8 // ≥ 1 min, up to 2^8 wide
		times := make([]int64, n)
		var h domain.Histogram
		for i := range times {
			times[i] = int64(lo * math.Pow(2, rng.Float64()*spread))
			h.Add(times[i])
		}
		slices.Sort(times)
		for _, p := range []float64{0.5, 0.9, 0.99, 1} {
			exact := times[int(math.Ceil(p*float64(n)))-1]
			got, ok := h.Percentile(p)
			if err := math.Abs(float64(got-exact)) / float64(exact); !ok || err > domain.PercentileError+1e-9 {
				t.Fatalf("round %d, p%.0f of %d: %d, exact %d: %.2f%% off (bound %.2f%%)", round, p*100, n, got, exact, err*100, domain.PercentileError*100)
			}
		}
	}
	var h domain.Histogram
	if _, ok := h.Percentile(0.5); ok {
		t.Error("a percentile of nothing")
	}
	h.Add(10_000) // 10 s: the first bucket answers 30 s
	h.Add(math.MaxInt64)
	if m, _ := h.Percentile(0.5); m != 30_000 {
		t.Errorf("median of 10 s and forever: %d", m)
	}
	if m, _ := h.Percentile(0.9); m != 60_000<<16 {
		t.Errorf("p90 of 10 s and forever: %d, want the last bucket's floor", m)
	}
}

func ptr[T any](v T) *T { return &v }

var (
	mon   = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC) // a Monday, week 2026-05-04
	week1 = "2026-05-04"
	week2 = "2026-05-11"
)

func TestCaseFactsCells(t *testing.T) {
	f := domain.CaseFacts{Team: "service", Priority: "P2", Type: "repair", CreatedAt: mon, ClosedAt: ptr(mon.AddDate(0, 0, 8)),
		SLA: []domain.SLAOutcome{
			// Met in week 1 after 90 minutes of business time.
			{Target: domain.TargetFirstResponse, State: domain.SLAMet, MetAt: ptr(mon.Add(2 * time.Hour)), UsedMS: ptr(int64(90 * 60_000))},
			// Breached in week 1, met (late) in week 2: a breach in week 1,
			// its time in week 2.
			{Target: domain.TargetResolution, State: domain.SLABreached, BreachedAt: ptr(mon.Add(48 * time.Hour)), MetAt: ptr(mon.AddDate(0, 0, 7)),
				UsedMS: ptr(int64(20 * 3600_000))},
			{Target: "lunch", State: domain.SLAMet, MetAt: ptr(mon), UsedMS: ptr(int64(1))}, // no such target
		},
		Answers: []domain.SurveyAnswer{{AnsweredAt: mon.AddDate(0, 0, 9), CSAT: ptr(5), NPS: ptr(6)}, {AnsweredAt: mon.AddDate(0, 0, 10), NPS: ptr(10)},
			{AnsweredAt: mon.AddDate(0, 0, 10), CSAT: ptr(9)}}, // out of range: not counted
	}
	cells := f.Cells()
	c1, c2 := domain.Cell{Week: week1, Team: "service", Priority: "P2", Type: "repair"}, domain.Cell{Week: week2, Team: "service", Priority: "P2", Type: "repair"}
	if got := slices.SortedFunc(maps.Keys(cells), domain.Cell.Compare); !slices.Equal(got, []domain.Cell{c1, c2}) {
		t.Fatalf("cells %v", got)
	}
	w1, w2 := cells[c1], cells[c2]
	if w1.Opened != 1 || w1.Closed != 0 || w2.Opened != 0 || w2.Closed != 1 {
		t.Errorf("opened/closed: %+v / %+v", w1, w2)
	}
	if w1.FirstResponse.Met != 1 || w1.FirstResponse.Times.N() != 1 || w1.FirstResponse.Times[domain.BucketOf(90*60_000)] != 1 {
		t.Errorf("first response: %+v", w1.FirstResponse)
	}
	if w1.Resolution.Breached != 1 || w1.Resolution.Met != 0 || w1.Resolution.Times.N() != 0 || w2.Resolution.Times.N() != 1 || w2.Resolution.Breached != 0 {
		t.Errorf("resolution: week 1 %+v, week 2 %+v", w1.Resolution, w2.Resolution)
	}
	if s := w1.Resolution.MetShare(); s == nil || *s != 0 {
		t.Errorf("met share of a breach: %v", s)
	}
	if w2.CSATAnswers() != 1 || *w2.CSATShare() != 1 || w2.NPSAnswers() != 2 || *w2.NPSScore() != 0 {
		t.Errorf("survey: csat %v nps %v", w2.CSAT, w2.NPS)
	}
	// A target still running, or paused, has decided nothing.
	f.SLA = []domain.SLAOutcome{{Target: domain.TargetResolution, State: domain.SLARunning}, {Target: domain.TargetFirstResponse, State: domain.SLAPaused}}
	f.Answers = nil
	for k, c := range f.Cells() {
		if c.FirstResponse != (domain.TargetCounts{}) || c.Resolution != (domain.TargetCounts{}) {
			t.Errorf("%v counts an undecided target: %+v", k, c)
		}
	}
}

// A case moved to another team takes its figures with it; a change the
// reports do not count changes nothing.
func TestFactsDelta(t *testing.T) {
	before := domain.CaseFacts{Team: "service", Priority: "P3", Type: "request", CreatedAt: mon,
		SLA: []domain.SLAOutcome{{Target: domain.TargetFirstResponse, State: domain.SLAMet, MetAt: ptr(mon.Add(time.Hour)), UsedMS: ptr(int64(3_600_000))}}}
	if d := domain.FactsDelta(&before, &before); len(d) != 0 {
		t.Errorf("no change: %v", d)
	}
	if d := domain.FactsDelta(nil, &before); !maps.Equal(d, before.Cells()) {
		t.Errorf("first count: %v", d)
	}
	after := before
	after.Team = "service-west"
	d := domain.FactsDelta(&before, &after)
	from, to := domain.Cell{Week: week1, Team: "service", Priority: "P3", Type: "request"}, domain.Cell{Week: week1, Team: "service-west", Priority: "P3", Type: "request"}
	if len(d) != 2 || d[from].Opened != -1 || d[from].FirstResponse.Met != -1 || d[to].Opened != 1 || d[to].FirstResponse.Times.N() != 1 {
		t.Errorf("moved: %+v", d)
	}
	// Reopened: the resolution met in week 1 runs again — its figures go.
	met := before
	met.SLA = append(slices.Clone(before.SLA), domain.SLAOutcome{Target: domain.TargetResolution, State: domain.SLAMet, MetAt: ptr(mon.Add(5 * time.Hour)), UsedMS: ptr(int64(4 * 3_600_000))})
	reopened := before
	reopened.SLA = append(slices.Clone(before.SLA), domain.SLAOutcome{Target: domain.TargetResolution, State: domain.SLARunning})
	d = domain.FactsDelta(&met, &reopened)
	if c := d[from]; len(d) != 1 || c.Resolution.Met != -1 || c.Resolution.Times.N() != -1 || c.Opened != 0 {
		t.Errorf("reopened: %+v", d)
	}
}

func TestNPSAndCSAT(t *testing.T) {
	var c domain.Counts
	if c.NPSScore() != nil || c.CSATShare() != nil || c.FirstResponse.MetShare() != nil {
		t.Error("shares of nothing")
	}
	// 10 answers: 5 promoters (9, 10), 2 passives (7, 8), 3 detractors (0–6).
	for _, s := range []int{10, 10, 9, 9, 9, 8, 7, 6, 3, 0} {
		c.NPS[s]++
	}
	c.CSAT = [5]int64{1, 1, 2, 3, 3} // 6 of 10 scored 4 or 5
	if *c.NPSScore() != 20 || c.Promoters() != 5 || c.Detractors() != 3 || *c.CSATShare() != 0.6 {
		t.Errorf("nps %v csat %v", *c.NPSScore(), *c.CSATShare())
	}
}

func TestParseReportQuery(t *testing.T) {
	q, err := domain.ParseReportQuery(domain.ReportInput{From: "2026-05-06", To: "2026-05-20"})
	if err != nil || q.Group != domain.GroupTeam || q.FirstWeek != "2026-05-04" || q.LastWeek != "2026-05-18" {
		t.Fatalf("%+v %v", q, err)
	}
	if _, err := domain.ParseReportQuery(domain.ReportInput{From: "2026-01-01", To: "2027-01-01"}); err != nil { // 366 days
		t.Errorf("366 days: %v", err)
	}
	for _, tc := range []struct {
		in     domain.ReportInput
		fields []string
	}{
		{domain.ReportInput{}, []string{"from", "to"}},
		{domain.ReportInput{From: "2026-01-01", To: "2027-01-02"}, []string{"to"}}, // 367 days
		{domain.ReportInput{From: "2026-05-02", To: "2026-05-01"}, []string{"to"}},
		{domain.ReportInput{From: "2026-5-1", To: "2026-05-01T00:00:00Z"}, []string{"from", "to"}},
		{domain.ReportInput{From: "2026-05-01", To: "2026-05-31", Group: "month", Priority: "P0", Type: "praise", Team: "a\nb"},
			[]string{"group", "priority", "type", "team"}},
	} {
		_, err := domain.ParseReportQuery(tc.in)
		var got []string
		for _, f := range apperr.From(err).Fields {
			got = append(got, f.Field)
		}
		slices.Sort(got)
		slices.Sort(tc.fields)
		if err == nil || !slices.Equal(got, tc.fields) {
			t.Errorf("%+v: %v, want errors on %v", tc.in, err, tc.fields)
		}
	}
}

func TestBacklogBucket(t *testing.T) {
	for _, tc := range []struct {
		age  time.Duration
		want int
	}{{0, 0}, {24*time.Hour - 1, 0}, {24 * time.Hour, 1}, {72 * time.Hour, 2}, {7*24*time.Hour - 1, 2}, {7 * 24 * time.Hour, 3}, {30 * 24 * time.Hour, 4}, {1e6 * time.Hour, 4}} {
		if got := domain.BacklogBucket(tc.age); got != tc.want {
			t.Errorf("age %s: bucket %d, want %d", tc.age, got, tc.want)
		}
	}
}

func TestReportTeams(t *testing.T) {
	for _, tc := range []struct {
		scope domain.Scope
		teams []string
		all   bool
	}{
		{domain.Scope{All: true}, nil, true},
		{domain.Scope{All: true, WorkAll: true}, nil, true},
		{domain.Scope{Assignee: "svc-sam", Teams: []string{"service"}}, []string{"service"}, false},
		{domain.Scope{Assignee: "svc-sam"}, nil, false},
	} {
		teams, all := tc.scope.ReportTeams()
		if !slices.Equal(teams, tc.teams) || all != tc.all {
			t.Errorf("%+v: %v %v", tc.scope, teams, all)
		}
	}
}
