package domain

import (
	"time"

	"github.com/closeloop/closeloop/workflows/policy"
)

// Impact is what a candidate policy would do to one team's open follow-ups
// (or, in a total, to all of them), measured at one instant.
type Impact struct {
	Team string `json:"team,omitempty"`
	// Open follow-ups the policy times or escalates.
	Open int `json:"open"`
	// Overdue now, and overdue at once if the candidate were applied.
	OverdueNow       int `json:"overdue_now"`
	OverdueCandidate int `json:"overdue_candidate"`
	NewlyOverdue     int `json:"newly_overdue"`
	NoLongerOverdue  int `json:"no_longer_overdue"`
	// Due times that move earlier or later.
	DueEarlier int `json:"due_earlier"`
	DueLater   int `json:"due_later"`
	// When the not-yet-overdue ones fall due under the candidate.
	DueWithin1h  int `json:"due_within_1h"`
	DueWithin24h int `json:"due_within_24h"`
	DueWithin7d  int `json:"due_within_7d"`
	// Escalation steps the candidate would carry out at once (steps now due
	// that have not been taken), by action; and the next step's time.
	EscalateNow      map[string]int `json:"escalate_now"`
	NextEscalationAt *time.Time     `json:"next_escalation_at,omitempty"`
	NextDueAt        *time.Time     `json:"next_due_at,omitempty"`
}

// NewImpact is an empty impact for a team ("" for a total).
func NewImpact(team string) Impact { return Impact{Team: team, EscalateNow: map[string]int{}} }

// Add sums another team's impact into t.
func (t *Impact) Add(o Impact) {
	t.Open += o.Open
	t.OverdueNow += o.OverdueNow
	t.OverdueCandidate += o.OverdueCandidate
	t.NewlyOverdue += o.NewlyOverdue
	t.NoLongerOverdue += o.NoLongerOverdue
	t.DueEarlier += o.DueEarlier
	t.DueLater += o.DueLater
	t.DueWithin1h += o.DueWithin1h
	t.DueWithin24h += o.DueWithin24h
	t.DueWithin7d += o.DueWithin7d
	for k, v := range o.EscalateNow {
		t.EscalateNow[k] += v
	}
	t.NextEscalationAt = earliest(t.NextEscalationAt, o.NextEscalationAt)
	t.NextDueAt = earliest(t.NextDueAt, o.NextDueAt)
}

func earliest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

// Candidate is a policy value proposed for the policy def, for a dry run.
type Candidate struct {
	Def   policy.Definition
	Value policy.Value
}

// AddFollowUp adds one open follow-up's effect under the candidate at the
// instant to t, with the calendars in cals. It returns false, adding
// nothing, when the due time cannot be computed (the timer's key has no
// entry, or its business calendar no longer exists).
//
// A follow-up the candidate times (its deadline policy, unless a ladder) gets
// the candidate's due time from its anchor; one it escalates (its escalation
// policy) counts the steps now due from that due time which it has not taken.
func (t *Impact) AddFollowUp(c Candidate, f FollowUp, at time.Time, cals CalendarSet) bool {
	def, cand := c.Def, c.Value
	due := f.DueAt
	if f.Policy == def.Name && def.Shape != policy.ShapeLadder {
		timer, ok := cand.TimerFor(f.PolicyKey)
		if !ok {
			return false
		}
		cal := cals.For(timer.Calendar, f.Team, f.Territory)
		if timer.Clock == policy.ClockBusiness && cal == nil {
			return false
		}
		d, err := timer.Due(f.AnchorAt, cal)
		if err != nil {
			return false
		}
		due = d
	}
	t.Open++
	nowOver, candOver := f.DueAt.Before(at), due.Before(at)
	if nowOver {
		t.OverdueNow++
	}
	if candOver {
		t.OverdueCandidate++
	}
	switch {
	case candOver && !nowOver:
		t.NewlyOverdue++
	case nowOver && !candOver:
		t.NoLongerOverdue++
	}
	switch {
	case due.Before(f.DueAt):
		t.DueEarlier++
	case due.After(f.DueAt):
		t.DueLater++
	}
	if !candOver {
		in := due.Sub(at)
		if in <= time.Hour {
			t.DueWithin1h++
		}
		if in <= 24*time.Hour {
			t.DueWithin24h++
		}
		if in <= 7*24*time.Hour {
			t.DueWithin7d++
		}
		d := due
		t.NextDueAt = earliest(t.NextDueAt, &d)
	}
	if f.EscalationPolicy == def.Name && cand.Ladder != nil {
		l := cand.Ladder
		cal := cals.For(l.Calendar, f.Team, f.Territory)
		if l.Clock == policy.ClockBusiness && cal == nil {
			return true
		}
		reached, err := l.StepsReached(due, at, cal)
		if err != nil {
			return true
		}
		for i := f.EscalationLevel; i < reached; i++ {
			t.EscalateNow[string(l.Steps[i].Action)]++
		}
		if next := max(reached, f.EscalationLevel); next < len(l.Steps) {
			if when, err := l.StepTime(due, next, cal); err == nil {
				t.NextEscalationAt = earliest(t.NextEscalationAt, &when)
			}
		}
	}
	return true
}
