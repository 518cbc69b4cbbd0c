package domain_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestParseSegment(t *testing.T) {
	raw := `{"value_classes":["A","B","A"],"lifecycle_stages":["lost"],"relationship_stages":["decline"],
		"regions":[" East ","East","West"],"industries":["Steel"],"owner_ids":["rep-ana"],"teams":["north"],
		"min_days_since_contact":90,"max_days_since_contact":3650,"loyalty_levels":["at_risk","unknown","at_risk"],
		"min_satisfaction":1,"max_satisfaction":3.5}`
	got, err := domain.ParseSegment(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Segment{
		ValueClasses: []string{"A", "B"}, LifecycleStages: []string{"lost"}, RelationshipStages: []string{"decline"},
		Regions: []string{"East", "West"}, Industries: []string{"Steel"}, OwnerIDs: []string{"rep-ana"}, Teams: []string{"north"},
		MinDaysSinceContact: ptr(90), MaxDaysSinceContact: ptr(3650),
		LoyaltyLevels: []string{"at_risk", "unknown"}, MinSatisfaction: fptr(1), MaxSatisfaction: fptr(3.5),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// What it parses it writes back the same.
	b, _ := json.Marshal(got)
	if again, err := domain.ParseSegment(b); err != nil || !reflect.DeepEqual(again, got) {
		t.Errorf("round trip: %s → %+v, %v", b, again, err)
	}
	// The empty filter is every customer.
	for _, raw := range []string{"", "null", "{}", " { } "} {
		if s, err := domain.ParseSegment(json.RawMessage(raw)); err != nil || !s.Empty() {
			t.Errorf("%q: %+v, %v", raw, s, err)
		}
	}
}

func TestParseSegmentRefusals(t *testing.T) {
	many := make([]string, 101)
	for i := range many {
		many[i] = "r" + strconv.Itoa(i)
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		name string
		raw  string
		want map[string]string
	}{
		{"unknown field", `{"value_classes":["A"],"region":["East"]}`, map[string]string{"segment.region": "unknown_field"}},
		{"wrong type", `{"regions":"East"}`, map[string]string{"segment.regions": "invalid_type"}},
		{"wrong type of a bound", `{"min_days_since_contact":"30"}`, map[string]string{"segment.min_days_since_contact": "invalid_type"}},
		{"fractional days", `{"min_days_since_contact":1.5}`, map[string]string{"segment.min_days_since_contact": "invalid_type"}},
		{"not an object", `["A"]`, map[string]string{"segment": "invalid_type"}},
		{"malformed", `{"regions":[`, map[string]string{"segment": "malformed"}},
		{"data after the object", `{} {}`, map[string]string{"segment": "malformed"}},
		{"unknown value class", `{"value_classes":["A","D"]}`, map[string]string{"segment.value_classes[1]": "invalid"}},
		{"value class in lower case", `{"value_classes":["a"]}`, map[string]string{"segment.value_classes[0]": "invalid"}},
		{"unknown lifecycle stage", `{"lifecycle_stages":["customer"]}`, map[string]string{"segment.lifecycle_stages[0]": "invalid"}},
		{"unknown relationship stage", `{"relationship_stages":["growth"]}`, map[string]string{"segment.relationship_stages[0]": "invalid"}},
		{"blank entry", `{"industries":["Steel","  "]}`, map[string]string{"segment.industries[1]": "empty"}},
		{"entry of 101 characters", `{"teams":["` + strings.Repeat("t", 101) + `"]}`, map[string]string{"segment.teams[0]": "too_long"}},
		{"entry with a control character", `{"owner_ids":["a\u0007b"]}`, map[string]string{"segment.owner_ids[0]": "invalid"}},
		{"101 entries", `{"regions":` + string(manyJSON) + `}`, map[string]string{"segment.regions": "too_many"}},
		{"negative days", `{"min_days_since_contact":-1}`, map[string]string{"segment.min_days_since_contact": "out_of_range"}},
		{"too many days", `{"max_days_since_contact":3651}`, map[string]string{"segment.max_days_since_contact": "out_of_range"}},
		{"max below min", `{"min_days_since_contact":31,"max_days_since_contact":30}`, map[string]string{"segment.max_days_since_contact": "below_min"}},
		{"unknown loyalty level", `{"loyalty_levels":["loyal","gold"]}`, map[string]string{"segment.loyalty_levels[1]": "invalid"}},
		{"loyalty level in upper case", `{"loyalty_levels":["AT_RISK"]}`, map[string]string{"segment.loyalty_levels[0]": "invalid"}},
		{"satisfaction below 1", `{"min_satisfaction":0.99}`, map[string]string{"segment.min_satisfaction": "out_of_range"}},
		{"satisfaction above 5", `{"max_satisfaction":5.01}`, map[string]string{"segment.max_satisfaction": "out_of_range"}},
		{"satisfaction max below min", `{"min_satisfaction":4,"max_satisfaction":3.99}`, map[string]string{"segment.max_satisfaction": "below_min"}},
		{"satisfaction as text", `{"min_satisfaction":"4"}`, map[string]string{"segment.min_satisfaction": "invalid_type"}},
		{"every bad entry at once", `{"value_classes":["Z"],"regions":[""],"max_days_since_contact":-5}`, map[string]string{
			"segment.value_classes[0]": "invalid", "segment.regions[0]": "empty", "segment.max_days_since_contact": "out_of_range"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.ParseSegment(json.RawMessage(tc.raw))
			if got := fields(t, err); !maps.Equal(got, tc.want) {
				t.Errorf("%v: fields %v, want %v", err, got, tc.want)
			}
		})
	}
	// At the limits, accepted.
	hundred, _ := json.Marshal(many[:100])
	limits := `{"regions":` + string(hundred) + `,"min_days_since_contact":30,"max_days_since_contact":30,"teams":["` + strings.Repeat("名", 100) + `"]}`
	if s, err := domain.ParseSegment(json.RawMessage(limits)); err != nil || len(s.Regions) != 100 {
		t.Errorf("limits refused: %v", err)
	}
}

func fptr(f float64) *float64 { return &f }

func TestEffectiveSegment(t *testing.T) {
	cases := []struct {
		name   string
		typ    domain.Type
		stages []string
		want   []string // nil: refused
	}{
		{"win-back without stages", domain.TypeWinback, nil, []string{"lost"}},
		{"win-back naming lost", domain.TypeWinback, []string{"lost"}, []string{"lost"}},
		{"win-back naming others", domain.TypeWinback, []string{"lost", "service"}, nil},
		{"win-back naming prospects only", domain.TypeWinback, []string{"prospect"}, nil},
		{"cross-sell keeps its stages", domain.TypeCrossSell, []string{"transacting", "service"}, []string{"transacting", "service"}},
		{"mailing to everyone", domain.TypeMailing, nil, nil},
	}
	for _, tc := range cases {
		s := domain.Segment{LifecycleStages: tc.stages, Regions: []string{"East"}}
		got, err := s.EffectiveSegment(tc.typ)
		if tc.want == nil && tc.typ == domain.TypeWinback {
			if f := fields(t, err); f["segment.lifecycle_stages"] != "winback_lost_only" {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got.LifecycleStages, tc.want) || got.Regions[0] != "East" {
			t.Errorf("%s: %+v, %v", tc.name, got, err)
		}
	}
	// Not aliasing: the win-back restriction does not write into s.
	s := domain.Segment{LifecycleStages: make([]string, 0, 4)}
	if _, err := s.EffectiveSegment(domain.TypeWinback); err != nil || len(s.LifecycleStages) != 0 {
		t.Errorf("s changed: %+v", s)
	}
}

func TestMatches(t *testing.T) {
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { at := now.Add(-d); return &at }
	day := 24 * time.Hour
	customer := domain.Facts{
		CustomerID: "c-basalt", ValueClass: "A", LifecycleStage: "lost", RelationshipStage: "decline", Region: "East",
		Industry: "Steel", OwnerID: "rep-ana", Team: "north", LastContactAt: ago(45 * day), LostAt: ago(40 * day),
	}
	cases := []struct {
		name string
		seg  domain.Segment
		edit func(*domain.Facts)
		want bool
	}{
		{"the empty segment is every customer", domain.Segment{}, nil, true},
		{"the empty segment, a customer without facts", domain.Segment{}, func(f *domain.Facts) { *f = domain.Facts{} }, true},
		{"every filter passing", domain.Segment{ValueClasses: []string{"B", "A"}, LifecycleStages: []string{"lost"}, RelationshipStages: []string{"decline"},
			Regions: []string{"East"}, Industries: []string{"Steel"}, OwnerIDs: []string{"rep-ana"}, Teams: []string{"north"},
			MinDaysSinceContact: ptr(30), MaxDaysSinceContact: ptr(60)}, nil, true},
		{"one filter failing", domain.Segment{ValueClasses: []string{"A"}, Teams: []string{"south"}}, nil, false},
		{"value class not in the list", domain.Segment{ValueClasses: []string{"B", "C"}}, nil, false},
		{"no value class yet", domain.Segment{ValueClasses: []string{"A"}}, func(f *domain.Facts) { f.ValueClass = "" }, false},
		{"regions match as the customers have them", domain.Segment{Regions: []string{"east"}}, nil, false},
		{"industries too", domain.Segment{Industries: []string{"Steel"}}, func(f *domain.Facts) { f.Industry = "Steel " }, false},
		{"a customer without a region", domain.Segment{Regions: []string{"East"}}, func(f *domain.Facts) { f.Region = "" }, false},
		{"owner ids are exact", domain.Segment{OwnerIDs: []string{"REP-ANA"}}, nil, false},
		{"teams are exact", domain.Segment{Teams: []string{"North"}}, nil, false},
		{"contacted 45 days ago, min 45", domain.Segment{MinDaysSinceContact: ptr(45)}, nil, true},
		{"contacted 45 days ago, min 46", domain.Segment{MinDaysSinceContact: ptr(46)}, nil, false},
		{"contacted 45 days ago, max 45", domain.Segment{MaxDaysSinceContact: ptr(45)}, nil, true},
		{"contacted 45 days ago, max 44", domain.Segment{MaxDaysSinceContact: ptr(44)}, nil, false},
		{"a day less a second is 0 days", domain.Segment{MaxDaysSinceContact: ptr(0)}, func(f *domain.Facts) { f.LastContactAt = ago(day - time.Second) }, true},
		{"exactly a day is 1 day", domain.Segment{MaxDaysSinceContact: ptr(0)}, func(f *domain.Facts) { f.LastContactAt = ago(day) }, false},
		{"a contact after now is 0 days", domain.Segment{MaxDaysSinceContact: ptr(0)}, func(f *domain.Facts) { f.LastContactAt = ago(-time.Hour) }, true},
		{"never contacted passes a min", domain.Segment{MinDaysSinceContact: ptr(3650)}, func(f *domain.Facts) { f.LastContactAt = nil }, true},
		{"never contacted fails a max", domain.Segment{MaxDaysSinceContact: ptr(3650)}, func(f *domain.Facts) { f.LastContactAt = nil }, false},
		{"a loyalty level in the list", domain.Segment{LoyaltyLevels: []string{"loyal", "at_risk"}}, func(f *domain.Facts) { f.LoyaltyLevel = "at_risk" }, true},
		{"a loyalty level not in the list", domain.Segment{LoyaltyLevels: []string{"at_risk"}}, func(f *domain.Facts) { f.LoyaltyLevel = "neutral" }, false},
		{"no standing is unknown", domain.Segment{LoyaltyLevels: []string{"unknown"}}, nil, true},
		{"no standing is not at risk", domain.Segment{LoyaltyLevels: []string{"at_risk"}}, nil, false},
		{"an average at the minimum", domain.Segment{MinSatisfaction: fptr(3.5)}, func(f *domain.Facts) { f.CSATAverage = fptr(3.5) }, true},
		{"an average below the minimum", domain.Segment{MinSatisfaction: fptr(3.5)}, func(f *domain.Facts) { f.CSATAverage = fptr(3.49) }, false},
		{"an average at the maximum", domain.Segment{MaxSatisfaction: fptr(2)}, func(f *domain.Facts) { f.CSATAverage = fptr(2) }, true},
		{"an average above the maximum", domain.Segment{MaxSatisfaction: fptr(2)}, func(f *domain.Facts) { f.CSATAverage = fptr(2.01) }, false},
		{"no answers match no bound", domain.Segment{MaxSatisfaction: fptr(5)}, nil, false},
		{"no answers match no minimum either", domain.Segment{MinSatisfaction: fptr(1)}, nil, false},
		{"never contacted fails min and max", domain.Segment{MinDaysSinceContact: ptr(0), MaxDaysSinceContact: ptr(3650)}, func(f *domain.Facts) { f.LastContactAt = nil }, false},
	}
	for _, tc := range cases {
		f := customer
		if tc.edit != nil {
			tc.edit(&f)
		}
		if got := tc.seg.Matches(f, now); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
