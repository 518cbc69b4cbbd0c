package policy

import (
	"fmt"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
)

// Scopes of a calendar assignment (followupv1.CalendarAssignment.Scope).
const (
	ScopeTeam    = "team"
	ScopeRegion  = "region"
	ScopeDefault = "default"
)

// AssignedCalendar returns the name of the calendar business timers naming
// none use for a subject of team and territory: the team's calendar, else the
// territory's (scope "region"), else the default (scope "default", value "");
// "" when none applies. An empty team or territory matches no assignment. It
// is the engine's own rule (the follow-up engine's policy resolution), for
// services that were handed the assignments (followupv1.CareTerms).
func AssignedCalendar(as []*followupv1.CalendarAssignment, team, territory string) string {
	var byTeam, byRegion, byDefault string
	var hasTeam, hasRegion bool
	for _, a := range as {
		switch {
		case a.GetScope() == ScopeTeam && team != "" && a.GetValue() == team:
			byTeam, hasTeam = a.GetCalendar(), true
		case a.GetScope() == ScopeRegion && territory != "" && a.GetValue() == territory:
			byRegion, hasRegion = a.GetCalendar(), true
		case a.GetScope() == ScopeDefault && a.GetValue() == "":
			byDefault = a.GetCalendar()
		}
	}
	switch {
	case hasTeam:
		return byTeam
	case hasRegion:
		return byRegion
	}
	return byDefault
}

// CareTermsCalendar builds the calendar a care timer counts business time in
// for a customer of team and territory: the calendar the timer names
// (timerCalendar), else the one assigned to the team or territory
// (AssignedCalendar), taken from the terms' calendars. It fails when no
// calendar applies or the one that does is not among the terms' calendars or
// does not build.
func CareTermsCalendar(t *followupv1.CareTerms, timerCalendar, team, territory string) (*calendar.Calendar, error) {
	name := timerCalendar
	if name == "" {
		name = AssignedCalendar(t.GetAssignments(), team, territory)
		if name == "" {
			return nil, fmt.Errorf("policy: no calendar is assigned to team %q, territory %q, nor as default", team, territory)
		}
	}
	for _, c := range t.GetCalendars() {
		if c.GetName() != name {
			continue
		}
		cal, err := CalendarFromJSON(c.GetSpecJson())
		if err != nil {
			return nil, fmt.Errorf("policy: calendar %s v%d: %w", name, c.GetVersion(), err)
		}
		return cal, nil
	}
	return nil, fmt.Errorf("policy: calendar %q is not among the care terms' calendars", name)
}
