package servicecase

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/sla"
)

// terms are the policy values in force for the case, resolved through the
// follow-up engine (the same activity Track uses) for the case's team.
type terms struct {
	values map[string]policy.Value
	cals   map[string]*calendar.Calendar
	// assigned is the team's business calendar (the default for business
	// timers that name none).
	assigned string
}

// resolvePolicies resolves the case's policies for team at now.
func resolvePolicies(ctx workflow.Context, team string) (*terms, error) {
	res, err := followup.ResolvePolicies(ctx, &followupv1.ResolvePoliciesInput{
		Names: []string{policy.ServiceResponseSLA, policy.ServiceResolutionSLA, policy.ServiceSLAWarning, policy.ServiceReopenWindow, policy.ServiceAutoClose,
			policy.ServiceSurveyDelay, policy.ServiceNPSPeriod},
		Team: team, At: timestamppb.New(workflow.Now(ctx)),
	})
	if err != nil {
		return nil, err
	}
	t := &terms{values: map[string]policy.Value{}, cals: map[string]*calendar.Calendar{}, assigned: res.GetAssignedCalendar()}
	for _, p := range res.GetPolicies() {
		v, err := policy.Parse(p.GetValueJson())
		if err != nil {
			return nil, unusable(fmt.Sprintf("policy %s v%d: %v", p.GetName(), p.GetVersion(), err))
		}
		t.values[p.GetName()] = v
	}
	for _, c := range res.GetCalendars() {
		cal, err := policy.CalendarFromJSON(c.GetSpecJson())
		if err != nil {
			return nil, unusable(fmt.Sprintf("calendar %s v%d: %v", c.GetName(), c.GetVersion(), err))
		}
		t.cals[c.GetName()] = cal
	}
	return t, nil
}

func unusable(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, followup.ErrPolicyUnusable, nil)
}

// budget is what a target's clock counts for a priority: the budget, in
// business or elapsed time, the calendar (nil for elapsed time) and its name,
// and the warning point as a share of the budget.
type budget struct {
	amount    time.Duration
	business  bool
	cal       *calendar.Calendar
	calName   string
	warnShare float64
}

// budgetFor reads the target's budget for priority from the resolved terms.
func (t *terms) budgetFor(target sla.Target, priority string) (budget, error) {
	name, _ := target.Policy()
	v, ok := t.values[name]
	if !ok {
		return budget{}, unusable("policy " + name + " was not resolved")
	}
	p := sla.Priority(priority)
	amount, business, err := sla.BudgetFor(v, p)
	if err != nil {
		return budget{}, unusable(err.Error())
	}
	b := budget{amount: amount, business: business}
	if business {
		key, _ := p.PolicyKey()
		b.calName = v.Table[key].Calendar
		if b.calName == "" {
			b.calName = t.assigned
		}
		if b.cal = t.cals[b.calName]; b.cal == nil {
			return budget{}, unusable(fmt.Sprintf("calendar %q was not resolved", b.calName))
		}
	}
	// The warning point: "this long before the deadline", as a share of the
	// budget; as long as the budget or longer (or none) means no warning.
	if w, ok := t.values[policy.ServiceSLAWarning]; ok {
		key, _ := p.PolicyKey()
		if before := w.Table[key].Duration.D(); before > 0 && before < amount {
			b.warnShare = float64(amount-before) / float64(amount)
		}
	}
	return b, nil
}

// reopenWindow is how long after resolution a case may be reopened.
func (t *terms) reopenWindow() time.Duration {
	v, ok := t.values[policy.ServiceReopenWindow]
	if !ok || v.Timer == nil {
		return 0
	}
	return v.Timer.Duration.D()
}

// surveyDue is when the survey of a case closed at closed is sent
// (service.survey_delay; at once when the policy is not usable).
func (t *terms) surveyDue(closed time.Time) time.Time {
	if at, ok := t.timerDue(policy.ServiceSurveyDelay, closed); ok {
		return at
	}
	return closed
}

// npsPeriod is how often a customer may be asked the recommend question.
func (t *terms) npsPeriod() time.Duration {
	v, ok := t.values[policy.ServiceNPSPeriod]
	if !ok || v.Timer == nil {
		return 0
	}
	return v.Timer.Duration.D()
}

// autoCloseAt is when a case resolved at resolved closes by itself; ok is
// false when the policy is not usable (the case then stays resolved until a
// person closes it).
func (t *terms) autoCloseAt(resolved time.Time) (time.Time, bool) {
	return t.timerDue(policy.ServiceAutoClose, resolved)
}

// timerDue applies the timer policy name to anchor, on the team's calendar
// when it counts business time; ok is false when it is not usable.
func (t *terms) timerDue(name string, anchor time.Time) (time.Time, bool) {
	v, ok := t.values[name]
	if !ok || v.Timer == nil {
		return time.Time{}, false
	}
	var cal *calendar.Calendar
	if v.Timer.Clock == policy.ClockBusiness {
		name := v.Timer.Calendar
		if name == "" {
			name = t.assigned
		}
		if cal = t.cals[name]; cal == nil {
			return time.Time{}, false
		}
	}
	at, err := v.Timer.Due(anchor, cal)
	return at, err == nil
}
