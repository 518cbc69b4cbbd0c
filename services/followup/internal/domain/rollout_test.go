package domain_test

import (
	"slices"
	"testing"
	"time"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
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

// A rollout leaves a workflow unsignalled only when the change it stored
// moves its next step nowhere sooner, that step was well ahead, and the
// workflow is a standalone FollowUp.
func TestNeedsNoWake(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	before := domain.FollowUp{ID: "fu-1", WorkflowID: wfc.FollowUpWorkflowID("fu-1"), DueAt: now.Add(time.Hour), NextStepAt: at(time.Hour),
		EscalationPolicyVersion: 2}
	for _, c := range []struct {
		name   string
		change func(b, a *domain.FollowUp)
		want   bool
	}{
		{"only a version moved, the next step an hour ahead", func(_, a *domain.FollowUp) {}, true},
		{"the next step 6 minutes ahead", func(b, a *domain.FollowUp) { b.NextStepAt, a.NextStepAt = at(6*time.Minute), at(6*time.Minute) }, true},
		{"the next step within the margin", func(b, a *domain.FollowUp) { b.NextStepAt, a.NextStepAt = at(4*time.Minute), at(4*time.Minute) }, false},
		{"the next step due already", func(b, a *domain.FollowUp) { b.NextStepAt, a.NextStepAt = at(-time.Minute), at(-time.Minute) }, false},
		{"the next step sooner", func(_, a *domain.FollowUp) { a.NextStepAt = at(30 * time.Minute) }, false},
		{"the next step a microsecond sooner", func(_, a *domain.FollowUp) { a.NextStepAt = at(time.Hour - time.Microsecond) }, false},
		{"the next step later", func(_, a *domain.FollowUp) { a.NextStepAt = at(2 * time.Hour) }, true},
		{"the next step and the due time later", func(_, a *domain.FollowUp) { a.DueAt, a.NextStepAt = now.Add(3*time.Hour), at(3*time.Hour) }, true},
		{"the next step later but the step as it stood within the margin", func(b, a *domain.FollowUp) {
			b.NextStepAt, a.NextStepAt = at(4*time.Minute), at(2*time.Hour)
		}, false},
		{"the due time moved, the next step not", func(_, a *domain.FollowUp) { a.DueAt = now.Add(-time.Hour) }, true},
		{"no next step recorded before (a record from before next_step_at)", func(b, _ *domain.FollowUp) { b.NextStepAt = nil }, false},
		{"no next step either side", func(b, a *domain.FollowUp) { b.NextStepAt, a.NextStepAt = nil, nil }, false},
		{"the ladder ended by the change", func(_, a *domain.FollowUp) { a.NextStepAt = nil }, true},
		{"another escalation level", func(_, a *domain.FollowUp) { a.EscalationLevel = 1 }, false},
		{"hosted by a lead's workflow", func(_, a *domain.FollowUp) { a.WorkflowID = wfc.LeadWorkflowID("lead-1") }, false},
		{"closed", func(_, a *domain.FollowUp) { c := now; a.ClosedAt = &c }, false},
	} {
		b, a := before, before
		a.EscalationPolicyVersion = 3
		c.change(&b, &a)
		if got := domain.NeedsNoWake(b, a, now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
