package domain

import (
	"time"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

// ActiveVersions are the version in force of every policy and the current
// version of every calendar, by name: what the reconciliation brings open
// follow-ups onto.
type ActiveVersions struct {
	Policies  map[string]int64
	Calendars map[string]int64
}

// Lagging reports whether a follow-up was computed under an older version of
// its deadline policy, its escalation policy or its calendar than the one in
// force. A policy or calendar that is not in force (unknown) is no reason.
func (f *FollowUp) Lagging(a ActiveVersions) bool {
	if v, ok := a.Policies[f.Policy]; ok && f.Policy != "" && f.PolicyVersion < v {
		return true
	}
	if v, ok := a.Policies[f.EscalationPolicy]; ok && f.EscalationPolicy != "" && f.EscalationPolicyVersion < v {
		return true
	}
	if v, ok := a.Calendars[f.Calendar]; ok && f.Calendar != "" && f.CalendarVersion < v {
		return true
	}
	return false
}

// CalendarCoverage is where a calendar applies through its assignments: the
// regions and teams it is assigned to, and whether it is the default. A
// calendar rollout reaches the follow-ups it covers that count business time
// in another calendar (their assignment may have moved).
type CalendarCoverage struct {
	Regions, Teams []string
	Default        bool
}

// CoverageOf returns where the named calendar applies, from every assignment.
func CoverageOf(as []Assignment, name string) CalendarCoverage {
	var c CalendarCoverage
	for _, a := range as {
		if a.Calendar != name {
			continue
		}
		switch a.Scope {
		case ScopeRegion:
			c.Regions = append(c.Regions, a.Value)
		case ScopeTeam:
			c.Teams = append(c.Teams, a.Value)
		case ScopeDefault:
			c.Default = true
		}
	}
	return c
}

// UnsignalledMargin is how far ahead of now a follow-up's next action must
// be for a rollout to leave its workflow unsignalled (NeedsNoWake): an
// action due sooner may be under way in its workflow, its record not yet
// showing it.
const UnsignalledMargin = 5 * time.Minute

// NeedsNoWake reports whether a rollout that stored a policy or calendar
// change on a follow-up — before, its record as it stood; after, as the
// change left it — may leave the follow-up's workflow unsignalled, its
// wake-up not owed: the workflow still wakes in time for its next action,
// the one the change stored. A FollowUp workflow waits on one timer, for
// its next action, and a timer that fires re-resolves before it acts
// (workflows/followup, Track): at an instant the change moved later it
// finds nothing due and waits for the new one; at an unmoved one it acts
// under the new versions. That holds when
//   - the workflow is a standalone FollowUp workflow: one that hosts the
//     follow-up among other work (a lead, a visit, a slip's chases, a
//     win-back cadence) may read policies for that other work when told of
//     a change, and is always told;
//   - the escalation level stands, the record had a next step (a record
//     without one may predate next_step_at: its workflow may wait on
//     something the record does not show) and the change leaves the next
//     step where it was, moves it later, or ends the ladder — a change
//     that moves it sooner is signalled, or the workflow would act late,
//     as is one that gives a next step to a record without one;
//   - the next step as it stood is at least UnsignalledMargin ahead of now:
//     a step due sooner may be under way, the record behind the workflow.
//     (An earlier unsignalled change that moved the step later leaves the
//     workflow's timer before the record's next step; should that timer be
//     under way when a later change moves the step later again, the
//     workflow may record the versions it resolved a moment before the
//     change, and takes the change at its next wake-up, which is still no
//     later than the step — the reconciliation finds such a record lagging
//     meanwhile.)
//
// The due time is no part of it: the workflow waits for the next step
// only (the due time, for a follow-up without a ladder, is that step).
// A wake-up an earlier rollout left owed stays owed (the store replaces
// only what it stores), and is sent with a resolution made when it is sent.
func NeedsNoWake(before, after FollowUp, now time.Time) bool {
	if after.Closed() || after.WorkflowID != wfc.FollowUpWorkflowID(after.ID) || before.EscalationLevel != after.EscalationLevel {
		return false
	}
	if before.NextStepAt == nil || !before.NextStepAt.After(now.Add(UnsignalledMargin)) {
		return false
	}
	return after.NextStepAt == nil || !after.NextStepAt.Before(*before.NextStepAt)
}
