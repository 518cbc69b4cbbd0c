package domain

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

func f64(f float64) *float64 { return &f }
func i(n int) *int           { return &n }

func TestPlanSegmentStandings(t *testing.T) {
	cases := []struct {
		name     string
		levels   []string
		min, max *float64
		want     SegmentPlan
	}{
		{"at risk only: customers with that stored level", []string{"at_risk", " at_risk"}, nil, nil,
			SegmentPlan{Levels: []string{"at_risk"}}},
		{"unknown also takes customers without a standing", []string{"unknown", "neutral"}, nil, nil,
			SegmentPlan{Levels: []string{"unknown", "neutral"}, WithoutStanding: true}},
		{"a satisfaction range", nil, f64(3.5), f64(4.25), SegmentPlan{SatisfactionAtLeast: f64(3.5), SatisfactionAtMost: f64(4.25)}},
		{"the whole scale, inclusive", nil, f64(1), f64(5), SegmentPlan{SatisfactionAtLeast: f64(1), SatisfactionAtMost: f64(5)}},
		{"no standing filter", nil, nil, nil, SegmentPlan{}},
	}
	for _, c := range cases {
		f := noBounds()
		f.LoyaltyLevels, f.MinSatisfaction, f.MaxSatisfaction = c.levels, c.min, c.max
		p, err := PlanSegment(SegmentRequest{Filter: f})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		c.want.NeverContacted, c.want.Limit = true, DefaultSegmentPage
		if !reflect.DeepEqual(p, c.want) {
			t.Errorf("%s: plan %+v\nwant %+v", c.name, p, c.want)
		}
	}
}

func TestPlanSegmentStandingRefusals(t *testing.T) {
	cases := []struct {
		name     string
		levels   []string
		min, max *float64
		want     []string
	}{
		{"an unknown level", []string{"loyal", "gold"}, nil, nil, []string{"filter.loyalty_levels[1]:invalid"}},
		{"below 1", nil, f64(0.99), nil, []string{"filter.min_satisfaction:out_of_range"}},
		{"above 5", nil, nil, f64(5.01), []string{"filter.max_satisfaction:out_of_range"}},
		{"crossed", nil, f64(4), f64(3), []string{"filter.min_satisfaction:above_max"}},
	}
	for _, c := range cases {
		f := noBounds()
		f.LoyaltyLevels, f.MinSatisfaction, f.MaxSatisfaction = c.levels, c.min, c.max
		_, err := PlanSegment(SegmentRequest{Filter: f})
		if got := fields(t, err); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCheckStanding(t *testing.T) {
	at := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	ok := Standing{CustomerID: "0190a000-0000-7000-8000-000000000001", Level: LoyaltyAtRisk, CSATAverage: f64(2.5), CSATCount: 2,
		LatestCSAT: i(2), LatestNPS: i(4), AsOf: at}
	var v apperr.Validation
	CheckStanding(&v, "s", ok)
	if err := v.Err(); err != nil {
		t.Fatalf("a valid standing refused: %v", err)
	}
	unknown := Standing{CustomerID: ok.CustomerID, Level: LoyaltyUnknown, AsOf: at}
	CheckStanding(&v, "s", unknown)
	if err := v.Err(); err != nil {
		t.Fatalf("an unknown standing without answers refused: %v", err)
	}
	for name, c := range map[string]struct {
		s     func(*Standing)
		field string
	}{
		"no customer":             {func(s *Standing) { s.CustomerID = "x" }, "s.customer_id"},
		"a level of another kind": {func(s *Standing) { s.Level = "gold" }, "s.loyalty_level"},
		"an average above 5":      {func(s *Standing) { s.CSATAverage = f64(5.5) }, "s.csat_average"},
		"an average of nothing":   {func(s *Standing) { s.CSATCount = 0 }, "s.csat_count"},
		"answers, no average":     {func(s *Standing) { s.CSATAverage = nil }, "s.csat_count"},
		"an NPS of 11":            {func(s *Standing) { s.LatestNPS = i(11) }, "s.latest_nps"},
		"a CSAT of 0":             {func(s *Standing) { s.LatestCSAT = i(0) }, "s.latest_csat"},
		"no instant":              {func(s *Standing) { s.AsOf = time.Time{} }, "s.as_of"},
	} {
		s := ok
		c.s(&s)
		var v apperr.Validation
		CheckStanding(&v, "s", s)
		if got := fields(t, v.Err()); !slices.ContainsFunc(got, func(f string) bool { return len(f) > len(c.field) && f[:len(c.field)+1] == c.field+":" }) {
			t.Errorf("%s: %v, want a field error on %s", name, got, c.field)
		}
	}
}

func TestStandingReplaces(t *testing.T) {
	at := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	stored := Standing{Level: LoyaltyLoyal, AsOf: at}
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{at.Add(-time.Microsecond), false}, {at, true}, {at.Add(time.Microsecond), true}} {
		if got := (Standing{Level: LoyaltyAtRisk, AsOf: c.at}).Replaces(&stored); got != c.want {
			t.Errorf("a standing as of %s replaces one as of %s: %v, want %v", c.at, at, got, c.want)
		}
	}
	if !(Standing{AsOf: at}).Replaces(nil) {
		t.Error("a first standing is not stored")
	}
	if LevelOf(nil) != LoyaltyUnknown || LevelOf(&stored) != LoyaltyLoyal {
		t.Error("LevelOf")
	}
}
