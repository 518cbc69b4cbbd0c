package infoslip

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
)

// terms are the slip's own policy values in force (the confirmation
// period), resolved through the follow-up engine for the originator's team;
// the recipients' deadlines and ladder are resolved by their chases.
type terms struct {
	confirm  policy.Value
	cals     map[string]*calendar.Calendar
	assigned string // the team's business calendar
}

func resolveTerms(ctx workflow.Context, team string) (*terms, error) {
	res, err := followup.ResolvePolicies(ctx, &followupv1.ResolvePoliciesInput{
		Names: []string{policy.SlipConfirmPeriod}, Team: team, At: timestamppb.New(workflow.Now(ctx)),
	})
	if err != nil {
		return nil, err
	}
	t := &terms{cals: map[string]*calendar.Calendar{}, assigned: res.GetAssignedCalendar()}
	for _, p := range res.GetPolicies() {
		v, err := policy.Parse(p.GetValueJson())
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("policy %s v%d: %v", p.GetName(), p.GetVersion(), err),
				followup.ErrPolicyUnusable, nil)
		}
		if p.GetName() == policy.SlipConfirmPeriod {
			t.confirm = v
		}
	}
	for _, c := range res.GetCalendars() {
		cal, err := policy.CalendarFromJSON(c.GetSpecJson())
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("calendar %s v%d: %v", c.GetName(), c.GetVersion(), err),
				followup.ErrPolicyUnusable, nil)
		}
		t.cals[c.GetName()] = cal
	}
	return t, nil
}

// confirmPeriod is the confirmation period as a duration of its own clock.
func (t *terms) confirmPeriod() time.Duration {
	if t == nil || t.confirm.Timer == nil {
		return 0
	}
	return t.confirm.Timer.Duration.D()
}

// confirmDue is when a slip all done at done closes by itself; ok is false
// when the policy is not usable (the slip then waits for the originator).
func (t *terms) confirmDue(done time.Time) (time.Time, bool) {
	v := t.confirm.Timer
	if v == nil {
		return time.Time{}, false
	}
	var cal *calendar.Calendar
	if v.Clock == policy.ClockBusiness {
		name := v.Calendar
		if name == "" {
			name = t.assigned
		}
		if cal = t.cals[name]; cal == nil {
			return time.Time{}, false
		}
	}
	at, err := v.Due(done, cal)
	return at, err == nil
}
