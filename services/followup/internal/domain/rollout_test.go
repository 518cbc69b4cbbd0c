package domain_test

import (
	"slices"
	"testing"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

func TestLagging(t *testing.T) {
	active := domain.ActiveVersions{
		Policies:  map[string]int64{"deadline": 3, "ladder": 2},
		Calendars: map[string]int64{"standard": 5},
	}
	base := domain.FollowUp{Policy: "deadline", PolicyVersion: 3, EscalationPolicy: "ladder", EscalationPolicyVersion: 2, Calendar: "standard", CalendarVersion: 5}
	for _, c := range []struct {
		name   string
		change func(*domain.FollowUp)
		want   bool
	}{
		{"on every version in force", func(*domain.FollowUp) {}, false},
		{"an older deadline policy", func(f *domain.FollowUp) { f.PolicyVersion = 2 }, true},
		{"an older escalation policy", func(f *domain.FollowUp) { f.EscalationPolicyVersion = 1 }, true},
		{"an older calendar", func(f *domain.FollowUp) { f.CalendarVersion = 4 }, true},
		{"a newer version than in force (a withdrawn one) is no reason", func(f *domain.FollowUp) { f.PolicyVersion = 4 }, false},
		{"a policy not in force is no reason", func(f *domain.FollowUp) { f.Policy, f.PolicyVersion = "gone", 1 }, false},
		{"a calendar that no longer exists is no reason", func(f *domain.FollowUp) { f.Calendar, f.CalendarVersion = "old", 1 }, false},
		{"no policies, no calendar", func(f *domain.FollowUp) { *f = domain.FollowUp{DueAt: due} }, false},
	} {
		f := base
		c.change(&f)
		if got := f.Lagging(active); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCoverageOf(t *testing.T) {
	as := []domain.Assignment{
		{Scope: "default", Calendar: "standard"},
		{Scope: "region", Value: "north", Calendar: "berlin"},
		{Scope: "region", Value: "east", Calendar: "berlin"},
		{Scope: "team", Value: "sales-de", Calendar: "berlin"},
		{Scope: "team", Value: "south", Calendar: "standard"},
	}
	b := domain.CoverageOf(as, "berlin")
	if !slices.Equal(b.Regions, []string{"north", "east"}) || !slices.Equal(b.Teams, []string{"sales-de"}) || b.Default {
		t.Errorf("berlin: %+v", b)
	}
	s := domain.CoverageOf(as, "standard")
	if len(s.Regions) != 0 || !slices.Equal(s.Teams, []string{"south"}) || !s.Default {
		t.Errorf("standard: %+v", s)
	}
	if n := domain.CoverageOf(as, "none"); len(n.Regions)+len(n.Teams) != 0 || n.Default {
		t.Errorf("none: %+v", n)
	}
}
