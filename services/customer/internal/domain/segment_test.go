package domain

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// fields lists the field errors of a refusal, "field:code".
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "validation_failed" {
		t.Fatalf("want validation_failed, got %v", err)
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field+":"+f.Code)
	}
	return out
}

func noBounds() SegmentFilter {
	return SegmentFilter{MinDaysSinceContact: NoBound, MaxDaysSinceContact: NoBound}
}

func TestPlanSegmentLists(t *testing.T) {
	f := noBounds()
	f.ValueClasses = []string{"A", " B ", "A"}
	f.LifecycleStages = []string{"lost"}
	f.Regions = []string{"north", "north"}
	f.CustomerIDs = []string{"0190a000-0000-7000-8000-000000000001"}
	p, err := PlanSegment(SegmentRequest{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	want := SegmentPlan{ValueClasses: []string{"A", "B"}, LifecycleStages: []string{"lost"}, Regions: []string{"north"},
		IDs: []string{"0190a000-0000-7000-8000-000000000001"}, NeverContacted: true, Limit: DefaultSegmentPage}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("plan %+v\nwant %+v", p, want)
	}
	// An empty filter is every live customer, a page of the default size.
	if p, err := PlanSegment(SegmentRequest{Filter: noBounds()}); err != nil || !reflect.DeepEqual(p, SegmentPlan{NeverContacted: true, Limit: 500}) {
		t.Fatalf("empty filter: %+v %v", p, err)
	}
}

func TestPlanSegmentLimit(t *testing.T) {
	for limit, want := range map[int]int{0: 500, 1: 1, 1000: 1000, 1001: 1000, 50_000: 1000} {
		p, err := PlanSegment(SegmentRequest{Filter: noBounds(), Limit: limit})
		if err != nil || p.Limit != want {
			t.Errorf("limit %d: %d %v, want %d", limit, p.Limit, err, want)
		}
	}
}

func TestPlanSegmentRefusals(t *testing.T) {
	asOf := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		r    SegmentRequest
		want []string
	}{
		"unknown value class": {SegmentRequest{Filter: SegmentFilter{ValueClasses: []string{"A", "D"}, MinDaysSinceContact: -1, MaxDaysSinceContact: -1}},
			[]string{"filter.value_classes[1]:invalid"}},
		"unclassified is no class": {SegmentRequest{Filter: SegmentFilter{ValueClasses: []string{""}, MinDaysSinceContact: -1, MaxDaysSinceContact: -1}},
			[]string{"filter.value_classes[0]:invalid"}},
		"unknown stages": {SegmentRequest{Filter: SegmentFilter{LifecycleStages: []string{"won"}, RelationshipStages: []string{"love"}, MinDaysSinceContact: -1, MaxDaysSinceContact: -1}},
			[]string{"filter.lifecycle_stages[0]:invalid", "filter.relationship_stages[0]:invalid"}},
		"negative limit":   {SegmentRequest{Filter: noBounds(), Limit: -1}, []string{"limit:invalid"}},
		"malformed cursor": {SegmentRequest{Filter: noBounds(), AfterID: "42"}, []string{"after_id:invalid"}},
		"malformed id": {SegmentRequest{Filter: SegmentFilter{CustomerIDs: []string{"x"}, MinDaysSinceContact: -1, MaxDaysSinceContact: -1}},
			[]string{"filter.customer_ids[0]:invalid"}},
		"bounds below -1": {SegmentRequest{Filter: SegmentFilter{MinDaysSinceContact: -2, MaxDaysSinceContact: -5}, AsOf: &asOf},
			[]string{"filter.min_days_since_contact:out_of_range", "filter.max_days_since_contact:out_of_range"}},
		"min above max": {SegmentRequest{Filter: SegmentFilter{MinDaysSinceContact: 30, MaxDaysSinceContact: 10}, AsOf: &asOf},
			[]string{"filter.min_days_since_contact:above_max"}},
		"a bound without as_of": {SegmentRequest{Filter: SegmentFilter{MinDaysSinceContact: 30, MaxDaysSinceContact: -1}},
			[]string{"as_of:required"}},
		"too many regions": {SegmentRequest{Filter: SegmentFilter{Regions: make([]string, MaxSegmentList+1), MinDaysSinceContact: -1, MaxDaysSinceContact: -1}},
			[]string{"filter.regions:too_many"}},
		"blank and over-long entries": {SegmentRequest{Filter: SegmentFilter{Teams: []string{" ", strings.Repeat("t", 201)}, MinDaysSinceContact: -1, MaxDaysSinceContact: -1}},
			[]string{"filter.teams[0]:invalid", "filter.teams[1]:invalid"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := PlanSegment(tc.r)
			if got := fields(t, err); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("fields %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPlanSegmentContactBounds checks the bounds a plan sets against the
// rule they stand for, on both sides of each day's edge: a customer last
// contacted at `last` is in the segment exactly when its whole days since
// contact are within [min, max] — or, never contacted, when there is no
// maximum.
func TestPlanSegmentContactBounds(t *testing.T) {
	asOf := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	lasts := []*time.Time{nil}
	for _, d := range []time.Duration{0, time.Microsecond, time.Hour, 24*time.Hour - time.Microsecond, 24 * time.Hour, 24*time.Hour + time.Microsecond,
		30*24*time.Hour - time.Microsecond, 30 * 24 * time.Hour, 31*24*time.Hour - time.Microsecond, 31 * 24 * time.Hour, 400 * 24 * time.Hour, -time.Hour} {
		t := asOf.Add(-d)
		lasts = append(lasts, &t)
	}
	// matches applies the plan as the storage does.
	matches := func(p SegmentPlan, last *time.Time) bool {
		if last == nil {
			return p.NeverContacted
		}
		return (p.LastContactAtMost == nil || !last.After(*p.LastContactAtMost)) && (p.LastContactAfter == nil || last.After(*p.LastContactAfter))
	}
	for _, b := range [][2]int{{-1, -1}, {0, -1}, {1, -1}, {30, -1}, {-1, 0}, {-1, 1}, {-1, 30}, {1, 30}, {30, 30}, {0, 0}} {
		p, err := PlanSegment(SegmentRequest{Filter: SegmentFilter{MinDaysSinceContact: b[0], MaxDaysSinceContact: b[1]}, AsOf: &asOf})
		if err != nil {
			t.Fatal(err)
		}
		for _, last := range lasts {
			d, contacted := DaysSinceContact(last, asOf)
			want := (b[0] == NoBound || !contacted || d >= b[0]) && (b[1] == NoBound || (contacted && d <= b[1]))
			if got := matches(p, last); got != want {
				t.Errorf("min %d max %d, last contact %v (%d days, contacted %v): in segment %v, want %v", b[0], b[1], last, d, contacted, got, want)
			}
		}
	}
}

func TestDaysSinceContact(t *testing.T) {
	asOf := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for gap, want := range map[time.Duration]int{0: 0, 24*time.Hour - 1: 0, 24 * time.Hour: 1, 47 * time.Hour: 1, -time.Hour: -1, -24 * time.Hour: -1, -25 * time.Hour: -2} {
		last := asOf.Add(-gap)
		if d, ok := DaysSinceContact(&last, asOf); !ok || d != want {
			t.Errorf("gap %v: %d days, want %d", gap, d, want)
		}
	}
	if _, ok := DaysSinceContact(nil, asOf); ok {
		t.Error("never contacted has no days")
	}
}

func TestPlanSegmentLostBefore(t *testing.T) {
	cut := time.Date(2026, 2, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f := noBounds()
	f.LostBefore = &cut
	p, err := PlanSegment(SegmentRequest{Filter: f})
	if err != nil || p.LostAtMost == nil || !p.LostAtMost.Equal(cut) || p.LostAtMost.Location() != time.UTC {
		t.Fatalf("lost before: %+v %v", p, err)
	}
}
