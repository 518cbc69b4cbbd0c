package followup

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Plan is a follow-up's due time and escalation ladder computed from one
// resolution of its policies and calendars: pure code, so that the workflow
// (Track) and the follow-up service (a policy rollout that stores the
// re-computed deadlines of a whole page at once) compute the same instants.
type Plan struct {
	Due time.Time
	// DeadlinePolicy is the deadline policy the due time comes from, "" when
	// a person set it.
	DeadlinePolicy string
	// EscalationPolicy is the ladder's policy, "" for none.
	EscalationPolicy string
	// Calendar is the business calendar the due time (else the ladder) is
	// counted in, "" for none.
	Calendar  string
	Ladder    *policy.Ladder
	LadderCal *calendar.Calendar
	// Versions of everything the computation used: "policy:<name>" and
	// "calendar:<name>" → version.
	Versions map[string]int64
}

// PlanInput is what of a follow-up its plan depends on.
type PlanInput struct {
	Kind   policy.Kind
	Anchor time.Time
	// DueAt is the due time a person set, nil when the kind's deadline
	// policy sets it.
	DueAt     *time.Time
	PolicyKey string
}

// PlanError is why a plan cannot be computed; Code is ErrPolicyUnusable or
// ErrInvalidSpec.
type PlanError struct{ Code, Msg string }

func (e *PlanError) Error() string { return e.Msg }

// PolicyNames are the policies a follow-up of kind needs resolved: its
// deadline policy unless a person set the due time, and its escalation
// policy if it has one.
func PolicyNames(kind policy.Kind, dueGiven bool) []string {
	var names []string
	if !dueGiven {
		names = append(names, kind.Deadline)
	}
	if kind.Escalation != "" {
		names = append(names, kind.Escalation)
	}
	return names
}

// NewPlan computes the plan of in from res. It fails with a *PlanError.
func NewPlan(in PlanInput, res *followupv1.ResolvePoliciesResult) (Plan, error) {
	unusable := func(format string, a ...any) error {
		return &PlanError{Code: ErrPolicyUnusable, Msg: fmt.Sprintf(format, a...)}
	}
	versions := map[string]int64{}
	values := map[string]policy.Value{}
	for _, p := range res.GetPolicies() {
		v, err := policy.Parse(p.GetValueJson())
		if err != nil {
			return Plan{}, unusable("policy %s v%d: %v", p.GetName(), p.GetVersion(), err)
		}
		versions["policy:"+p.GetName()] = p.GetVersion()
		values[p.GetName()] = v
	}
	cals := map[string]*calendar.Calendar{}
	calVersions := map[string]int64{}
	for _, c := range res.GetCalendars() {
		cal, err := policy.CalendarFromJSON(c.GetSpecJson())
		if err != nil {
			return Plan{}, unusable("calendar %s v%d: %v", c.GetName(), c.GetVersion(), err)
		}
		cals[c.GetName()] = cal
		calVersions[c.GetName()] = c.GetVersion()
	}
	calFor := func(clock policy.Clock, name string) (*calendar.Calendar, string, error) {
		if clock != policy.ClockBusiness {
			return nil, "", nil
		}
		if name == "" {
			name = res.GetAssignedCalendar()
		}
		cal, ok := cals[name]
		if !ok {
			return nil, "", unusable("calendar %q was not resolved", name)
		}
		versions["calendar:"+name] = calVersions[name]
		return cal, name, nil
	}

	p := Plan{Due: in.Anchor}
	if in.DueAt != nil {
		p.Due = *in.DueAt
	} else {
		v, ok := values[in.Kind.Deadline]
		if !ok {
			return Plan{}, unusable("deadline policy %s was not resolved", in.Kind.Deadline)
		}
		timer, ok := v.TimerFor(in.PolicyKey)
		if !ok {
			return Plan{}, &PlanError{Code: ErrInvalidSpec, Msg: fmt.Sprintf("policy %s has no entry %q", in.Kind.Deadline, in.PolicyKey)}
		}
		cal, name, err := calFor(timer.Clock, timer.Calendar)
		if err != nil {
			return Plan{}, err
		}
		if p.Due, err = timer.Due(in.Anchor, cal); err != nil {
			return Plan{}, unusable("%s", err.Error())
		}
		p.DeadlinePolicy, p.Calendar = in.Kind.Deadline, name
	}
	if in.Kind.Escalation != "" {
		v, ok := values[in.Kind.Escalation]
		if !ok || v.Ladder == nil {
			return Plan{}, unusable("escalation policy %s was not resolved", in.Kind.Escalation)
		}
		cal, name, err := calFor(v.Ladder.Clock, v.Ladder.Calendar)
		if err != nil {
			return Plan{}, err
		}
		if p.Calendar == "" {
			p.Calendar = name
		}
		p.Ladder, p.LadderCal, p.EscalationPolicy = v.Ladder, cal, in.Kind.Escalation
	}
	p.Versions = versions
	return p, nil
}

// NextAt is when the step after level steps carried out is due; ok is false
// when the ladder is done (or there is none): then only a close ends the
// wait. Without a ladder the follow-up wakes once, at the due time, to be
// marked overdue.
func (p Plan) NextAt(level int) (time.Time, bool) {
	if p.Ladder == nil {
		if level == 0 {
			return p.Due, true
		}
		return time.Time{}, false
	}
	if level >= len(p.Ladder.Steps) {
		return time.Time{}, false
	}
	at, err := p.Ladder.StepTime(p.Due, level, p.LadderCal)
	if err != nil {
		return time.Time{}, false
	}
	return at, true
}

// Change is the deadline change that records the plan for follow-up id at
// level steps carried out, replacing what was computed with old (versions)
// and oldCal.
func (p Plan) Change(id string, level int, old map[string]int64) *followupv1.UpdateDeadlineInput {
	in := &followupv1.UpdateDeadlineInput{
		Id: id, DueAt: timestamppb.New(p.Due),
		PolicyVersion: p.Versions["policy:"+p.DeadlinePolicy], EscalationPolicyVersion: p.Versions["policy:"+p.EscalationPolicy],
		Calendar: p.Calendar, CalendarVersion: p.Versions["calendar:"+p.Calendar], Reason: Describe(old, p.Versions),
	}
	if at, ok := p.NextAt(level); ok {
		in.NextStepAt = timestamppb.New(at)
	}
	return in
}

// Record is the follow-up record that opens spec's follow-up with the plan.
func (p Plan) Record(spec *followupv1.FollowUpSpec, workflowID, runID string) *followupv1.FollowUpRecord {
	return &followupv1.FollowUpRecord{
		Spec: spec, DueAt: timestamppb.New(p.Due), Policy: p.DeadlinePolicy, PolicyVersion: p.Versions["policy:"+p.DeadlinePolicy],
		EscalationPolicy: p.EscalationPolicy, EscalationPolicyVersion: p.Versions["policy:"+p.EscalationPolicy],
		Calendar: p.Calendar, CalendarVersion: p.Versions["calendar:"+p.Calendar],
		WorkflowId: workflowID, RunId: runID,
	}
}

// PlanInputOf is the plan input of a follow-up's spec.
func PlanInputOf(kind policy.Kind, spec *followupv1.FollowUpSpec) PlanInput {
	in := PlanInput{Kind: kind, Anchor: spec.GetAnchorAt().AsTime(), PolicyKey: spec.GetPolicyKey()}
	if d := spec.GetDueAt(); d != nil {
		due := d.AsTime()
		in.DueAt = &due
	}
	return in
}

// SameChange reports whether a and b record the same deadline: due time,
// next step, versions and calendar (the reasons may differ).
func SameChange(a, b *followupv1.UpdateDeadlineInput) bool {
	// To the microsecond: the follow-up service stores its instants so, and
	// computes from them.
	same := func(x, y interface{ AsTime() time.Time }) bool {
		return x.AsTime().Truncate(time.Microsecond).Equal(y.AsTime().Truncate(time.Microsecond))
	}
	if (a.GetNextStepAt() == nil) != (b.GetNextStepAt() == nil) || (a.GetNextStepAt() != nil && !same(a.GetNextStepAt(), b.GetNextStepAt())) {
		return false
	}
	return a.GetId() == b.GetId() && a.GetDueAt() != nil && b.GetDueAt() != nil && same(a.GetDueAt(), b.GetDueAt()) &&
		a.GetPolicyVersion() == b.GetPolicyVersion() && a.GetEscalationPolicyVersion() == b.GetEscalationPolicyVersion() &&
		a.GetCalendar() == b.GetCalendar() && a.GetCalendarVersion() == b.GetCalendarVersion()
}

// Describe names what changed between two sets of versions, in a stable
// order.
func Describe(old, cur map[string]int64) string {
	s := ""
	for _, k := range slices.Sorted(maps.Keys(cur)) {
		if old[k] != cur[k] {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s v%d→v%d", k, old[k], cur[k])
		}
	}
	if s == "" {
		s = "calendar assignment changed"
	}
	return s
}
