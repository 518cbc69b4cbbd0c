package app

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
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// CalendarView is a business calendar as the API shows it.
type CalendarView struct {
	Name        string                `json:"name"`
	Version     int64                 `json:"version"`
	TimeZone    string                `json:"time_zone"`
	Week        calendar.Week         `json:"week"`
	Holidays    []calendar.Holiday    `json:"holidays"`
	WorkingDays []calendar.WorkingDay `json:"working_days"`
	Regions     []string              `json:"regions"`
	Teams       []string              `json:"teams"`
	Default     bool                  `json:"default"`
	UpdatedBy   string                `json:"updated_by"`
	UpdatedAt   time.Time             `json:"updated_at"`
	Reason      string                `json:"reason"`
}

func calendarView(r domain.CalendarVersion, as []domain.Assignment) CalendarView {
	var sp domain.StoredSpec
	_ = json.Unmarshal([]byte(r.Spec), &sp)
	v := CalendarView{Name: r.Name, Version: r.Version, TimeZone: sp.TimeZone, Week: sp.Week, Holidays: sp.Holidays, WorkingDays: sp.WorkingDays,
		Regions: []string{}, Teams: []string{}, UpdatedBy: r.CreatedBy, UpdatedAt: r.CreatedAt, Reason: r.Reason}
	if v.Holidays == nil {
		v.Holidays = []calendar.Holiday{}
	}
	if v.WorkingDays == nil {
		v.WorkingDays = []calendar.WorkingDay{}
	}
	c := domain.CoverageOf(as, r.Name)
	v.Regions = append(v.Regions, c.Regions...)
	v.Teams = append(v.Teams, c.Teams...)
	v.Default = c.Default
	return v
}

// Calendars lists every business calendar with its assignments.
func (s *Policies) Calendars(ctx context.Context) ([]CalendarView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return nil, err
	}
	cur, err := s.calendars.Current(ctx)
	if err != nil {
		return nil, err
	}
	as, err := s.calendars.Assignments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CalendarView, 0, len(cur))
	for _, n := range slices.Sorted(maps.Keys(cur)) {
		out = append(out, calendarView(cur[n], as))
	}
	return out, nil
}

// Calendar returns one calendar.
func (s *Policies) Calendar(ctx context.Context, name string) (CalendarView, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return CalendarView{}, err
	}
	return s.calendar(ctx, name)
}

func (s *Policies) calendar(ctx context.Context, name string) (CalendarView, error) {
	r, err := s.calendars.Latest(ctx, name)
	if err != nil {
		return CalendarView{}, err
	}
	as, err := s.calendars.Assignments(ctx)
	if err != nil {
		return CalendarView{}, err
	}
	return calendarView(r, as), nil
}

// PutCalendar stores a new version of a calendar (creating it if new) and
// replaces its assignments. Running workflows that count business time in it
// — or whose team or region it now covers or no longer covers — re-compute.
func (s *Policies) PutCalendar(ctx context.Context, name string, in domain.CalendarInput) (CalendarView, error) {
	pr, err := auth.Authorize(ctx, auth.PermPoliciesWrite)
	if err != nil {
		return CalendarView{}, err
	}
	if err := domain.CheckCalendarInput(name, in); err != nil {
		return CalendarView{}, err
	}
	var version int64
	err = s.calendars.Update(ctx, func(c *domain.Calendars) error {
		v, err := c.Put(name, in, pr.Subject, s.now())
		version = v.Version
		return err
	})
	if err != nil {
		return CalendarView{}, err
	}
	s.startRollout(ctx, domain.AuditCalendar, name, version, s.now())
	return s.calendar(ctx, name)
}

// Deadline is the answer of the calendar calculator.
type Deadline struct {
	Calendar string    `json:"calendar"`
	Version  int64     `json:"version"`
	From     time.Time `json:"from"`
	Duration string    `json:"duration"`
	Due      time.Time `json:"due"`
	Working  bool      `json:"from_is_working_time"`
}

// Deadline adds a business duration to an instant in a calendar, so analysts
// can check a calendar before they rely on it.
func (s *Policies) Deadline(ctx context.Context, name string, from time.Time, duration string) (Deadline, error) {
	if _, err := auth.Authorize(ctx, auth.PermPoliciesRead); err != nil {
		return Deadline{}, err
	}
	var v apperr.Validation
	d, err := policy.ParseDuration(duration)
	if err != nil {
		v.Add("duration", "invalid", err.Error())
	}
	v.Check(!from.IsZero(), "from", "required", "an RFC 3339 instant, such as 2026-09-30T16:00:00+08:00")
	if err := v.Err(); err != nil {
		return Deadline{}, err
	}
	r, err := s.calendars.Latest(ctx, name)
	if err != nil {
		return Deadline{}, err
	}
	cal, err := policy.CalendarFromJSON([]byte(r.Spec))
	if err != nil {
		return Deadline{}, err
	}
	from = from.In(cal.Location())
	return Deadline{Calendar: name, Version: r.Version, From: from, Duration: d.Format(policy.ClockBusiness),
		Due: cal.Add(from, d.D()), Working: cal.IsWorkingTime(from)}, nil
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
func (s *Policies) AssignedCalendar(ctx context.Context, team, region string) (AssignedCalendarView, error) {
	if _, err := auth.Authorize(ctx, auth.PermFollowupsRead); err != nil {
		return AssignedCalendarView{}, err
	}
	as, err := s.calendars.Assignments(ctx)
	if err != nil {
		return AssignedCalendarView{}, err
	}
	name := domain.Assigned(as, team, region)
	cur, err := s.calendars.Current(ctx)
	if err != nil {
		return AssignedCalendarView{}, err
	}
	r, ok := cur[name]
	if !ok {
		return AssignedCalendarView{}, fmt.Errorf("calendar %q is assigned but does not exist", name)
	}
	return AssignedCalendarView{Name: name, Version: r.Version, SpecJSON: json.RawMessage(r.Spec)}, nil
}

// Resolve returns the versions of the named policies in force at an instant,
// with every calendar they use: those they name, and the one assigned to the
// team (else the territory, else the default) for timers that name none.
// Workflows call it through the ResolvePolicies activity.
func (s *Policies) Resolve(ctx context.Context, names []string, team, territory string, at time.Time) (*followupv1.ResolvePoliciesResult, error) {
	out := &followupv1.ResolvePoliciesResult{}
	need := map[string]bool{}
	for _, name := range names {
		if _, err := domain.LookupPolicy(name); err != nil {
			return nil, apperr.Invalid("invalid", err.Error())
		}
		vs, err := s.policies.Versions(ctx, name)
		if err != nil {
			return nil, err
		}
		i := domain.InForce(vs, at)
		if i < 0 {
			return nil, fmt.Errorf("policy %s has no version in force at %s (not seeded yet?)", name, at)
		}
		r := vs[i]
		out.Policies = append(out.Policies, &followupv1.ResolvedPolicy{Name: name, Version: r.Version, ValueJson: []byte(r.Value), EffectiveFrom: timestamppb.New(r.EffectiveFrom)})
		v, err := policy.Parse([]byte(r.Value))
		if err != nil {
			return nil, fmt.Errorf("policy %s v%d: %w", name, r.Version, err)
		}
		for _, c := range v.Calendars() {
			need[c] = true
		}
	}
	as, err := s.calendars.Assignments(ctx)
	if err != nil {
		return nil, err
	}
	out.AssignedCalendar = domain.Assigned(as, team, territory)
	need[out.AssignedCalendar] = true
	cur, err := s.calendars.Current(ctx)
	if err != nil {
		return nil, err
	}
	delete(need, "")
	for _, name := range slices.Sorted(maps.Keys(need)) {
		r, ok := cur[name]
		if !ok {
			return nil, fmt.Errorf("calendar %q does not exist", name)
		}
		out.Calendars = append(out.Calendars, &followupv1.ResolvedCalendar{Name: name, Version: r.Version, SpecJson: []byte(r.Spec)})
	}
	return out, nil
}

// CalendarSet returns every current calendar with every assignment, for a
// service that applies calendars to many subjects at once (the care sweep):
// the CalendarSet activity.
func (s *Policies) CalendarSet(ctx context.Context) (*followupv1.CalendarSetResult, error) {
	cur, err := s.calendars.Current(ctx)
	if err != nil {
		return nil, err
	}
	as, err := s.calendars.Assignments(ctx)
	if err != nil {
		return nil, err
	}
	out := &followupv1.CalendarSetResult{Assignments: domain.AssignmentsProto(as)}
	for _, name := range slices.Sorted(maps.Keys(cur)) {
		r := cur[name]
		out.Calendars = append(out.Calendars, &followupv1.ResolvedCalendar{Name: name, Version: r.Version, SpecJson: []byte(r.Spec)})
	}
	return out, nil
}

// LoadCalendars returns every current calendar, built, with the assignment
// rule (for a dry run).
func (s *Policies) LoadCalendars(ctx context.Context) (domain.CalendarSet, error) {
	cur, err := s.calendars.Current(ctx)
	if err != nil {
		return domain.CalendarSet{}, err
	}
	as, err := s.calendars.Assignments(ctx)
	if err != nil {
		return domain.CalendarSet{}, err
	}
	return domain.NewCalendarSet(cur, as)
}

// ActiveVersions returns the version in force now of every policy and the
// current version of every calendar, for the reconciliation sweep.
func (s *Policies) ActiveVersions(ctx context.Context) (domain.ActiveVersions, error) {
	vs, err := s.policies.AllVersions(ctx)
	if err != nil {
		return domain.ActiveVersions{}, err
	}
	now := s.now()
	out := domain.ActiveVersions{Policies: map[string]int64{}, Calendars: map[string]int64{}}
	byPolicy := map[string][]domain.PolicyVersion{}
	for _, v := range vs {
		byPolicy[v.Policy] = append(byPolicy[v.Policy], v)
	}
	for name, list := range byPolicy {
		if i := domain.InForce(list, now); i >= 0 {
			out.Policies[name] = list[i].Version
		}
	}
	cur, err := s.calendars.Current(ctx)
	if err != nil {
		return domain.ActiveVersions{}, err
	}
	for name, r := range cur {
		out.Calendars[name] = r.Version
	}
	return out, nil
}

// Coverage returns where a calendar applies now: the regions and teams it is
// assigned to, and whether it is the default.
func (s *Policies) Coverage(ctx context.Context, name string) (domain.CalendarCoverage, error) {
	as, err := s.calendars.Assignments(ctx)
	if err != nil {
		return domain.CalendarCoverage{}, err
	}
	return domain.CoverageOf(as, name), nil
}
