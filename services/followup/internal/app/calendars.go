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
	out, _, err := s.resolve(ctx, names, team, territory, at)
	return out, err
}

// ResolutionView is what GET /v1/resolution answers: what the
// ResolvePolicies activity would answer now, and until when it holds.
type ResolutionView struct {
	// AssignedCalendar names the calendar business timers naming none use:
	// the team's, else the region's, else the default.
	AssignedCalendar string `json:"assigned_calendar"`
	// Policies are the versions in force, one per asked name, in order.
	Policies []ResolvedPolicyView `json:"policies"`
	// Calendars are every calendar the policies use, the assigned one
	// included, each at its current version.
	Calendars []ResolvedCalendarView `json:"calendars"`
	// At is the instant the versions are in force at.
	At time.Time `json:"at"`
	// NextChangeAt is when a scheduled version of one of the policies comes
	// into force, when one is: a copy of the answer is stale from then on.
	NextChangeAt *time.Time `json:"next_change_at,omitempty"`
}

// ResolvedPolicyView is one policy version of a resolution.
type ResolvedPolicyView struct {
	Name          string          `json:"name"`
	Version       int64           `json:"version"`
	ValueJSON     json.RawMessage `json:"value_json"`
	EffectiveFrom time.Time       `json:"effective_from"`
}

// ResolvedCalendarView is one calendar of a resolution.
type ResolvedCalendarView struct {
	Name     string          `json:"name"`
	Version  int64           `json:"version"`
	SpecJSON json.RawMessage `json:"spec_json"`
}

// maxResolved is how many policy names one resolution may ask for.
const maxResolved = 32

// Resolution resolves the named policies and the calendars for a team and
// region now, for another service that starts a workflow with them (the
// customer service's visit requests, so that the Visit workflow need not
// ask again): anyone who reads follow-ups may ask, as for the assigned
// calendar.
func (s *Policies) Resolution(ctx context.Context, names []string, team, region string) (ResolutionView, error) {
	if _, err := auth.Authorize(ctx, auth.PermFollowupsRead); err != nil {
		return ResolutionView{}, err
	}
	var v apperr.Validation
	v.Check(len(names) <= maxResolved, "policy", "too_many", fmt.Sprintf("at most %d policies at once", maxResolved))
	for _, name := range names {
		if _, err := domain.LookupPolicy(name); err != nil {
			v.Add("policy", "unknown", fmt.Sprintf("no policy is named %q", name))
			break
		}
	}
	if err := v.Err(); err != nil {
		return ResolutionView{}, err
	}
	at := s.now().UTC()
	res, next, err := s.resolve(ctx, names, team, region, at)
	if err != nil {
		return ResolutionView{}, err
	}
	out := ResolutionView{AssignedCalendar: res.GetAssignedCalendar(), At: at,
		Policies: make([]ResolvedPolicyView, 0, len(res.GetPolicies())), Calendars: make([]ResolvedCalendarView, 0, len(res.GetCalendars()))}
	if !next.IsZero() {
		out.NextChangeAt = &next
	}
	for _, p := range res.GetPolicies() {
		out.Policies = append(out.Policies, ResolvedPolicyView{Name: p.GetName(), Version: p.GetVersion(), ValueJSON: p.GetValueJson(), EffectiveFrom: p.GetEffectiveFrom().AsTime()})
	}
	for _, c := range res.GetCalendars() {
		out.Calendars = append(out.Calendars, ResolvedCalendarView{Name: c.GetName(), Version: c.GetVersion(), SpecJSON: c.GetSpecJson()})
	}
	return out, nil
}

// resolve is Resolve, with the instant its answer stops holding (zero: no
// change is scheduled).
func (s *Policies) resolve(ctx context.Context, names []string, team, territory string, at time.Time) (*followupv1.ResolvePoliciesResult, time.Time, error) {
	out := &followupv1.ResolvePoliciesResult{}
	var next time.Time
	need := map[string]bool{}
	for _, name := range names {
		if _, err := domain.LookupPolicy(name); err != nil {
			return nil, next, apperr.Invalid("invalid", err.Error())
		}
		vs, err := s.policies.Versions(ctx, name)
		if err != nil {
			return nil, next, err
		}
		i := domain.InForce(vs, at)
		if i < 0 {
			return nil, next, fmt.Errorf("policy %s has no version in force at %s (not seeded yet?)", name, at)
		}
		r := vs[i]
		if n, ok := domain.NextChange(vs, at); ok && (next.IsZero() || n.Before(next)) {
			next = n
		}
		out.Policies = append(out.Policies, &followupv1.ResolvedPolicy{Name: name, Version: r.Version, ValueJson: []byte(r.Value), EffectiveFrom: timestamppb.New(r.EffectiveFrom)})
		v, err := policy.Parse([]byte(r.Value))
		if err != nil {
			return nil, next, fmt.Errorf("policy %s v%d: %w", name, r.Version, err)
		}
		for _, c := range v.Calendars() {
			need[c] = true
		}
	}
	as, err := s.calendars.Assignments(ctx)
	if err != nil {
		return nil, next, err
	}
	out.AssignedCalendar = domain.Assigned(as, team, territory)
	need[out.AssignedCalendar] = true
	cur, err := s.calendars.Current(ctx)
	if err != nil {
		return nil, next, err
	}
	delete(need, "")
	for _, name := range slices.Sorted(maps.Keys(need)) {
		r, ok := cur[name]
		if !ok {
			return nil, next, fmt.Errorf("calendar %q does not exist", name)
		}
		out.Calendars = append(out.Calendars, &followupv1.ResolvedCalendar{Name: name, Version: r.Version, SpecJson: []byte(r.Spec)})
	}
	return out, next, nil
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
