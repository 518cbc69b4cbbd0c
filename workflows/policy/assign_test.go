package policy_test

import (
	"encoding/json"
	"strings"
	"testing"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestAssignedCalendarPrefersTeamThenRegionThenDefault(t *testing.T) {
	as := []*followupv1.CalendarAssignment{
		{Scope: "default", Value: "", Calendar: "cn-mainland"},
		{Scope: "region", Value: "hongkong", Calendar: "hk"},
		{Scope: "team", Value: "night-desk", Calendar: "evening"},
		{Scope: "team", Value: "hongkong", Calendar: "team-named-like-a-region"},
		{Scope: "region", Value: "", Calendar: "never: an empty territory matches nothing"},
		{Scope: "team", Value: "", Calendar: "never: an empty team matches nothing"},
	}
	for _, tc := range []struct {
		name, team, territory, want string
	}{
		{"the team's calendar wins over the region's", "night-desk", "hongkong", "evening"},
		{"the region's when the team has none", "east", "hongkong", "hk"},
		{"the default when neither has one", "east", "shanghai", "cn-mainland"},
		{"the default for an unknown subject", "", "", "cn-mainland"},
		{"a region value does not match a team", "east", "night-desk", "cn-mainland"},
		{"a team value does not match a region", "", "hongkong", "hk"},
		{"a team named like a region is a team", "hongkong", "", "team-named-like-a-region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := policy.AssignedCalendar(as, tc.team, tc.territory); got != tc.want {
				t.Fatalf("AssignedCalendar(team %q, territory %q) = %q, want %q", tc.team, tc.territory, got, tc.want)
			}
		})
	}
	if got := policy.AssignedCalendar(as[1:3], "east", "shanghai"); got != "" {
		t.Fatalf("without a default assignment: %q, want none", got)
	}
	if got := policy.AssignedCalendar(nil, "east", "shanghai"); got != "" {
		t.Fatalf("without assignments: %q, want none", got)
	}
	// A default assignment must have an empty value, as in the engine.
	odd := []*followupv1.CalendarAssignment{{Scope: "default", Value: "x", Calendar: "odd"}}
	if got := policy.AssignedCalendar(odd, "east", "shanghai"); got != "" {
		t.Fatalf("a default with a value: %q, want none", got)
	}
}

func TestCareTermsCalendarBuildsTheExplicitElseTheAssignedCalendar(t *testing.T) {
	sh, err := policy.Location("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	china, _ := json.Marshal(calendar.China2026(sh))
	evening, _ := json.Marshal(calendar.Spec{Name: "evening shift", TimeZone: "Asia/Shanghai",
		Week: calendar.Weekdays(calendar.Range{Start: calendar.At(18, 0), End: calendar.At(22, 0)})})
	terms := &followupv1.CareTerms{
		Calendars: []*followupv1.ResolvedCalendar{
			{Name: "cn-mainland", Version: 3, SpecJson: china},
			{Name: "evening", Version: 1, SpecJson: evening},
			{Name: "broken", Version: 2, SpecJson: []byte(`{"name":"broken","time_zone":"Mars/Olympus"}`)},
		},
		Assignments: []*followupv1.CalendarAssignment{
			{Scope: "default", Calendar: "cn-mainland"},
			{Scope: "team", Value: "night-desk", Calendar: "evening"},
			{Scope: "region", Value: "nowhere", Calendar: "missing"},
		},
	}
	for _, tc := range []struct {
		name, timerCal, team, territory, want string
	}{
		{"assigned by team", "", "night-desk", "shanghai", "evening shift"},
		{"assigned by default", "", "east", "shanghai", "China mainland 2026"},
		{"named by the timer, over the assignment", "cn-mainland", "night-desk", "", "China mainland 2026"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cal, err := policy.CareTermsCalendar(terms, tc.timerCal, tc.team, tc.territory)
			if err != nil {
				t.Fatal(err)
			}
			if cal.Name() != tc.want {
				t.Fatalf("calendar %q, want %q", cal.Name(), tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, timerCal, territory, wantErr string
		terms                              *followupv1.CareTerms
	}{
		{"assigned but not among the calendars", "", "nowhere", `"missing" is not among`, terms},
		{"named but not among the calendars", "gone", "", `"gone" is not among`, terms},
		{"a calendar that does not build", "broken", "", "broken v2", terms},
		{"no assignment applies", "", "", "no calendar is assigned", &followupv1.CareTerms{}},
		{"no terms", "", "", "no calendar is assigned", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cal, err := policy.CareTermsCalendar(tc.terms, tc.timerCal, "east", tc.territory)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("calendar %v, error %v; want an error containing %q", cal, err, tc.wantErr)
			}
		})
	}
}
