package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Resolve returns the versions of the named policies in force at an instant,
// with every calendar they use: those they name, and the one assigned to the
// team (else the territory, else the default) for timers that name none.
// Workflows call it through the ResolvePolicies activity.
func (s *Service) Resolve(ctx context.Context, names []string, team, territory string, at time.Time) (*followupv1.ResolvePoliciesResult, error) {
	out := &followupv1.ResolvePoliciesResult{}
	need := map[string]bool{}
	for _, name := range names {
		if _, err := lookup(name); err != nil {
			return nil, apperr.Invalid("invalid", err.Error())
		}
		rows, err := s.versions(ctx, s.db, name)
		if err != nil {
			return nil, err
		}
		i := inForce(rows, at)
		if i < 0 {
			return nil, fmt.Errorf("policy %s has no version in force at %s (not seeded yet?)", name, at)
		}
		r := rows[i]
		out.Policies = append(out.Policies, &followupv1.ResolvedPolicy{Name: name, Version: r.Version, ValueJson: []byte(r.Value), EffectiveFrom: timestamppb.New(r.EffectiveFrom)})
		v, err := policy.Parse([]byte(r.Value))
		if err != nil {
			return nil, fmt.Errorf("policy %s v%d: %w", name, r.Version, err)
		}
		for _, c := range v.Calendars() {
			need[c] = true
		}
	}
	as, err := s.assignments(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out.AssignedCalendar = Assigned(as, team, territory)
	need[out.AssignedCalendar] = true
	cur, err := s.current(ctx, s.db)
	if err != nil {
		return nil, err
	}
	for _, name := range sortedSet(need) {
		r, ok := cur[name]
		if !ok {
			return nil, fmt.Errorf("calendar %q does not exist", name)
		}
		out.Calendars = append(out.Calendars, &followupv1.ResolvedCalendar{Name: name, Version: r.Version, SpecJson: []byte(r.Spec)})
	}
	return out, nil
}

// Assigned returns the calendar of a team, else of a territory, else the
// default (policy.AssignedCalendar: the rule other services apply to the
// assignments CalendarSet hands them).
func Assigned(as []assignmentRow, team, territory string) string {
	return policy.AssignedCalendar(assignmentsProto(as), team, territory)
}

func assignmentsProto(as []assignmentRow) []*followupv1.CalendarAssignment {
	out := make([]*followupv1.CalendarAssignment, len(as))
	for i, a := range as {
		out[i] = &followupv1.CalendarAssignment{Scope: a.Scope, Value: a.Value, Calendar: a.Calendar}
	}
	return out
}

// CalendarSet returns every current calendar with every assignment, for a
// service that applies calendars to many subjects at once (the care sweep):
// the CalendarSet activity.
func (s *Service) CalendarSet(ctx context.Context) (*followupv1.CalendarSetResult, error) {
	cur, err := s.current(ctx, s.db)
	if err != nil {
		return nil, err
	}
	as, err := s.assignments(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := &followupv1.CalendarSetResult{Assignments: assignmentsProto(as)}
	for _, name := range slices.Sorted(maps.Keys(cur)) {
		r := cur[name]
		out.Calendars = append(out.Calendars, &followupv1.ResolvedCalendar{Name: name, Version: r.Version, SpecJson: []byte(r.Spec)})
	}
	return out, nil
}

// ActiveVersions returns the version in force now of every policy and the
// current version of every calendar, for the reconciliation sweep.
func (s *Service) ActiveVersions(ctx context.Context) (policies map[string]int64, calendars map[string]int64, err error) {
	var rows []versionRow
	if err := s.db.WithContext(ctx).Order("policy, version").Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	now := s.now()
	policies = map[string]int64{}
	byPolicy := map[string][]versionRow{}
	for _, r := range rows {
		byPolicy[r.Policy] = append(byPolicy[r.Policy], r)
	}
	for name, rs := range byPolicy {
		if i := inForce(rs, now); i >= 0 {
			policies[name] = rs[i].Version
		}
	}
	cur, err := s.current(ctx, s.db)
	if err != nil {
		return nil, nil, err
	}
	calendars = map[string]int64{}
	for name, r := range cur {
		calendars[name] = r.Version
	}
	return policies, calendars, nil
}

// CalendarScope returns the regions and teams a calendar is assigned to now,
// and whether it is the default.
func (s *Service) CalendarScope(ctx context.Context, name string) (regions, teams []string, isDefault bool, err error) {
	as, err := s.assignments(ctx, s.db)
	if err != nil {
		return nil, nil, false, err
	}
	for _, a := range as {
		if a.Calendar != name {
			continue
		}
		switch a.Scope {
		case "region":
			regions = append(regions, a.Value)
		case "team":
			teams = append(teams, a.Value)
		case "default":
			isDefault = true
		}
	}
	return regions, teams, isDefault, nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Candidate validates a value proposed for a policy without storing it and
// returns it with the value in force now, for a dry run.
func (s *Service) Candidate(ctx context.Context, name string, raw json.RawMessage) (policy.Definition, policy.Value, VersionView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesWrite); err != nil {
		return policy.Definition{}, policy.Value{}, VersionView{}, err
	}
	d, err := lookup(name)
	if err != nil {
		return d, policy.Value{}, VersionView{}, err
	}
	v, err := s.parseCandidate(ctx, d, raw)
	if err != nil {
		return d, v, VersionView{}, err
	}
	pv, err := s.policyView(ctx, d)
	return d, v, pv.Active, err
}

// CalendarSet is every current calendar, built, with the assignment rule.
type CalendarSet struct {
	Calendars map[string]*calendar.Calendar
	as        []assignmentRow
}

// For returns the calendar business time uses for a timer naming explicit
// ("" for none) on a follow-up of team and territory.
func (c CalendarSet) For(explicit, team, territory string) *calendar.Calendar {
	if explicit == "" {
		explicit = Assigned(c.as, team, territory)
	}
	return c.Calendars[explicit]
}

// LoadCalendars loads every current calendar.
func (s *Service) LoadCalendars(ctx context.Context) (CalendarSet, error) {
	cur, err := s.current(ctx, s.db)
	if err != nil {
		return CalendarSet{}, err
	}
	as, err := s.assignments(ctx, s.db)
	if err != nil {
		return CalendarSet{}, err
	}
	set := CalendarSet{Calendars: map[string]*calendar.Calendar{}, as: as}
	for name, r := range cur {
		cal, err := policy.CalendarFromJSON([]byte(r.Spec))
		if err != nil {
			return CalendarSet{}, fmt.Errorf("calendar %s: %w", name, err)
		}
		set.Calendars[name] = cal
	}
	return set, nil
}

// AssignedCalendarView is the calendar a team or region counts business time in.
type AssignedCalendarView struct {
	Name    string `json:"name"`
	Version int64  `json:"version"`
	// SpecJSON is the stored definition, as workflows receive it
	// (policy.CalendarFromJSON reads it).
	SpecJSON json.RawMessage `json:"spec_json"`
}

// AssignedCalendar returns the current calendar of a team, else of a region,
// else the default: anyone who reads follow-ups may ask (other services check
// working days against it as the caller).
func (s *Service) AssignedCalendar(ctx context.Context, team, region string) (AssignedCalendarView, error) {
	if _, err := auth.Authorize(ctx, auth.PermFollowupsRead); err != nil {
		return AssignedCalendarView{}, err
	}
	as, err := s.assignments(ctx, s.db)
	if err != nil {
		return AssignedCalendarView{}, err
	}
	name := Assigned(as, team, region)
	cur, err := s.current(ctx, s.db)
	if err != nil {
		return AssignedCalendarView{}, err
	}
	r, ok := cur[name]
	if !ok {
		return AssignedCalendarView{}, fmt.Errorf("calendar %q is assigned but does not exist", name)
	}
	return AssignedCalendarView{Name: name, Version: r.Version, SpecJSON: json.RawMessage(r.Spec)}, nil
}
