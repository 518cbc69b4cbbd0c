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
// wake-up not owed: the change moves nothing the workflow waits for. Its
// workflow takes the new versions at its next action anyway, since a timer
// that fires re-resolves before it acts (workflows/followup, Track). That
// holds when
//   - the workflow is a standalone FollowUp workflow: one that hosts the
//     follow-up among other work (a lead, a visit, a slip's chases, a
//     win-back cadence) may read policies for that other work when told of
//     a change, and is always told;
//   - the due time, the escalation level and the next step's instant stand
//     as they were, and there is a next step: a change that moves the next
//     action (sooner or later) is signalled, as one that ends or starts the
//     ladder;
//   - that step is at least UnsignalledMargin ahead of now: a step due
//     sooner may be under way, the record behind the workflow.
//
// A wake-up an earlier rollout left owed stays owed (the store replaces
// only what it stores), and is sent with a resolution made when it is sent.
func NeedsNoWake(before, after FollowUp, now time.Time) bool {
	if after.Closed() || after.WorkflowID != wfc.FollowUpWorkflowID(after.ID) {
		return false
	}
	if before.NextStepAt == nil || after.NextStepAt == nil || !before.NextStepAt.Equal(*after.NextStepAt) {
		return false
	}
	return before.DueAt.Equal(after.DueAt) && before.EscalationLevel == after.EscalationLevel &&
		after.NextStepAt.After(now.Add(UnsignalledMargin))
}
