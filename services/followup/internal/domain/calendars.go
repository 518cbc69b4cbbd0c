package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Scopes of a calendar assignment.
const (
	ScopeRegion  = policy.ScopeRegion
	ScopeTeam    = policy.ScopeTeam
	ScopeDefault = policy.ScopeDefault
)

// ReservedCalendarName is the name no calendar may have: it is the look-up
// GET /v1/calendars/assigned.
const ReservedCalendarName = "assigned"

// CalendarVersion is one stored version of a business calendar: its spec as
// JSON (StoredSpec).
type CalendarVersion struct {
	Name      string
	Version   int64
	Spec      string
	CreatedBy string
	CreatedAt time.Time
	Reason    string
}

// Assignment gives a region or a team a calendar, or makes it the default
// (scope "default", value "").
type Assignment struct {
	Scope    string
	Value    string
	Calendar string
}

func (a Assignment) key() string { return a.Scope + "\x00" + a.Value }

// StoredSpec is the stored form of a calendar.
type StoredSpec struct {
	Name        string                `json:"name"`
	TimeZone    string                `json:"time_zone"`
	Week        calendar.Week         `json:"week"`
	Holidays    []calendar.Holiday    `json:"holidays,omitempty"`
	WorkingDays []calendar.WorkingDay `json:"working_days,omitempty"`
}

// SpecOf is the stored form of a calendar spec.
func SpecOf(s calendar.Spec) StoredSpec {
	return StoredSpec{Name: s.Name, TimeZone: s.TimeZone, Week: s.Week, Holidays: s.Holidays, WorkingDays: s.WorkingDays}
}

// JSON is the spec as stored.
func (s StoredSpec) JSON() string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

// CalendarInput is a new version of a calendar with its assignments.
type CalendarInput struct {
	TimeZone    string                `json:"time_zone"`
	Week        calendar.Week         `json:"week"`
	Holidays    []calendar.Holiday    `json:"holidays"`
	WorkingDays []calendar.WorkingDay `json:"working_days"`
	Regions     []string              `json:"regions"`
	Teams       []string              `json:"teams"`
	Default     bool                  `json:"default"`
	Reason      string                `json:"reason"`
}

// Spec is the calendar the input describes, under name.
func (in CalendarInput) Spec(name string) StoredSpec {
	return StoredSpec{Name: name, TimeZone: in.TimeZone, Week: in.Week, Holidays: in.Holidays, WorkingDays: in.WorkingDays}
}

var calendarName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// CheckCalendarInput validates a calendar change: the name (1–100 lower-case
// letters, digits, '.', '_' or '-', and not the reserved "assigned"), the
// reason, the region and team lists (no blanks, no repeats) and the calendar
// itself (calendar.New's rules, the time zone an IANA zone). Every problem is
// a field error of one 422.
func CheckCalendarInput(name string, in CalendarInput) error {
	var v apperr.Validation
	if v.Check(calendarName.MatchString(name), "name", "invalid", "a calendar name is 1–100 lower-case letters, digits, '.', '_' or '-'") {
		v.Check(name != ReservedCalendarName, "name", "reserved", "\"assigned\" names the look-up GET /v1/calendars/assigned; pick another name")
	}
	v.Check(strings.TrimSpace(in.Reason) != "", "reason", "required", "say why the calendar changes; it is kept in the audit trail")
	v.Check(len(in.Reason) <= 2000, "reason", "too_long", "at most 2000 characters")
	for _, l := range []struct {
		field string
		list  []string
	}{{"regions", in.Regions}, {"teams", in.Teams}} {
		seen := map[string]bool{}
		for i, x := range l.list {
			p := fmt.Sprintf("%s[%d]", l.field, i)
			if v.Check(strings.TrimSpace(x) != "" && len(x) <= 100, p, "invalid", "1–100 characters") {
				v.Check(!seen[x], p, "duplicate", fmt.Sprintf("%q is listed twice", x))
			}
			seen[x] = true
		}
	}
	if _, err := BuildCalendar(in.Spec(name)); err != nil {
		return MergeValidation(err, v.Err())
	}
	return v.Err()
}

// BuildCalendar builds a calendar from its stored form; a spec that does not
// build is a validation failure with calendar.New's field errors (the
// location's reported under time_zone).
func BuildCalendar(sp StoredSpec) (*calendar.Calendar, error) {
	spec := calendar.Spec{Name: sp.Name, TimeZone: sp.TimeZone, Week: sp.Week, Holidays: sp.Holidays, WorkingDays: sp.WorkingDays}
	if sp.TimeZone != "" && sp.TimeZone != "Local" {
		loc, err := policy.Location(sp.TimeZone)
		if err != nil {
			var v apperr.Validation
			v.Add("time_zone", calendar.CodeInvalid, fmt.Sprintf("%q is not an IANA time zone, such as Asia/Shanghai", sp.TimeZone))
			return nil, v.Err()
		}
		spec.Location = loc
	}
	cal, err := calendar.New(spec)
	var ve *calendar.ValidationError
	if errors.As(err, &ve) {
		var v apperr.Validation
		for _, f := range ve.Fields {
			if f.Field == "location" { // reported under time_zone
				continue
			}
			v.Add(f.Field, f.Code, f.Message)
		}
		if v.Empty() {
			v.Add("time_zone", calendar.CodeInvalid, "name an IANA time zone, such as Asia/Shanghai")
		}
		return nil, v.Err()
	}
	return cal, err
}

// Calendars is every calendar's current version with every assignment: what a
// calendar change is decided against, since a region or team has one
// calendar and there is always one default. Put changes it and adds the audit
// entry to Audit; the repository stores the difference.
type Calendars struct {
	Current     map[string]CalendarVersion
	Assignments []Assignment
	Audit       []AuditEntry
}

// Put stores a new version of the named calendar (the first when it is new)
// and makes its assignments those of the input: a region or team another
// calendar has is a conflict, and so is taking the default away from the
// calendar that has it (another calendar must take it); giving it the default
// takes it from the one that had it. in must have passed CheckCalendarInput.
func (c *Calendars) Put(name string, in CalendarInput, by string, now time.Time) (CalendarVersion, error) {
	spec := in.Spec(name).JSON()
	old, exists := c.Current[name]
	var conflicts apperr.Validation
	mine := map[string]bool{}
	wasDefault := false
	for _, a := range c.Assignments {
		if a.Calendar == name {
			mine[a.key()] = true
			wasDefault = wasDefault || a.Scope == ScopeDefault
			continue
		}
		for i, r := range in.Regions {
			conflicts.Check(!(a.Scope == ScopeRegion && a.Value == r), fmt.Sprintf("regions[%d]", i), "assigned_elsewhere", fmt.Sprintf("region %q uses calendar %q; remove it there first", r, a.Calendar))
		}
		for i, t := range in.Teams {
			conflicts.Check(!(a.Scope == ScopeTeam && a.Value == t), fmt.Sprintf("teams[%d]", i), "assigned_elsewhere", fmt.Sprintf("team %q uses calendar %q; remove it there first", t, a.Calendar))
		}
	}
	if wasDefault && !in.Default {
		conflicts.Add("default", "default_required", "this is the default calendar; make another calendar the default instead")
	}
	if err := conflicts.Err(); err != nil {
		ce := apperr.Conflict("calendar_assignment_conflict", "a region or team can use only one calendar, and there is always one default")
		var ve *apperr.Error
		if errors.As(err, &ve) {
			ce.Fields = ve.Fields
		}
		return CalendarVersion{}, ce
	}
	want := []Assignment{}
	for _, r := range in.Regions {
		want = append(want, Assignment{Scope: ScopeRegion, Value: r, Calendar: name})
	}
	for _, t := range in.Teams {
		want = append(want, Assignment{Scope: ScopeTeam, Value: t, Calendar: name})
	}
	if in.Default {
		want = append(want, Assignment{Scope: ScopeDefault, Calendar: name})
	}
	wanted := map[string]bool{}
	for _, a := range want {
		wanted[a.key()] = true
	}
	// The assignments afterwards: the others' (less the default when it
	// moves here), then this calendar's; touched are those added or removed.
	var kept, touched []Assignment
	for _, a := range c.Assignments {
		switch {
		case a.Calendar != name:
			if !(in.Default && !wasDefault && a.Scope == ScopeDefault) {
				kept = append(kept, a)
			}
		case wanted[a.key()]:
			kept = append(kept, a)
		default:
			touched = append(touched, a)
		}
	}
	for _, a := range want {
		if !mine[a.key()] {
			kept = append(kept, a)
			touched = append(touched, a)
		}
	}
	c.Assignments = kept
	v := CalendarVersion{Name: name, Version: 1, Spec: spec, CreatedBy: by, CreatedAt: now, Reason: strings.TrimSpace(in.Reason)}
	if exists {
		v.Version = old.Version + 1
	}
	if c.Current == nil {
		c.Current = map[string]CalendarVersion{}
	}
	c.Current[name] = v
	var changes []policy.Change
	if !exists || old.Spec != spec {
		changes = append(changes, policy.Change{Field: "spec", From: old.Spec, To: spec})
	}
	for _, a := range touched {
		ch := policy.Change{Field: "assignment." + a.Scope + ":" + a.Value}
		if wanted[a.key()] {
			ch.To = name
		} else {
			ch.From = name
		}
		changes = append(changes, ch)
	}
	action := "updated"
	if !exists {
		action = "created"
	}
	c.Audit = append(c.Audit, AuditEntry{Kind: AuditCalendar, Subject: name, Version: v.Version, Action: action, Actor: by, Reason: v.Reason, Changes: changes})
	return v, nil
}

// Assigned returns the calendar of a team, else of a territory, else the
// default ("" when none applies): policy.AssignedCalendar, the rule other
// services apply to the assignments the CalendarSet activity hands them.
func Assigned(as []Assignment, team, territory string) string {
	return policy.AssignedCalendar(AssignmentsProto(as), team, territory)
}

// AssignmentsProto is the assignments as the activities carry them.
func AssignmentsProto(as []Assignment) []*followupv1.CalendarAssignment {
	out := make([]*followupv1.CalendarAssignment, len(as))
	for i, a := range as {
		out[i] = &followupv1.CalendarAssignment{Scope: a.Scope, Value: a.Value, Calendar: a.Calendar}
	}
	return out
}

// CalendarSet is every current calendar, built, with the assignment rule.
type CalendarSet struct {
	Calendars   map[string]*calendar.Calendar
	Assignments []Assignment
}

// NewCalendarSet builds every current calendar.
func NewCalendarSet(current map[string]CalendarVersion, as []Assignment) (CalendarSet, error) {
	set := CalendarSet{Calendars: map[string]*calendar.Calendar{}, Assignments: as}
	for _, name := range slices.Sorted(maps.Keys(current)) {
		cal, err := policy.CalendarFromJSON([]byte(current[name].Spec))
		if err != nil {
			return CalendarSet{}, fmt.Errorf("calendar %s: %w", name, err)
		}
		set.Calendars[name] = cal
	}
	return set, nil
}

// For returns the calendar business time uses for a timer naming explicit
// ("" for none) on a follow-up of team and territory; nil when that calendar
// does not exist.
func (c CalendarSet) For(explicit, team, territory string) *calendar.Calendar {
	if explicit == "" {
		explicit = Assigned(c.Assignments, team, territory)
	}
	return c.Calendars[explicit]
}
