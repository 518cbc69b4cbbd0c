package domain

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
