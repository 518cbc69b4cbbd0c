package winback

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/campaign"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// terms are the cadence's policy values in force (winback.cadence,
// winback.touch_deadline and marketing.contact_pressure) with the business calendars they may count in,
// resolved through the follow-up engine for the customer's team and region.
// The touches' escalation ladder (winback.touch_escalation_ladder) is
// resolved by each touch's Track, as for every follow-up.
type terms struct {
	cadence  *policy.Ladder
	deadline *policy.Timer
	// pressure: the contact-pressure limits (marketing.contact_pressure),
	// handed to the marketing service with each touch.
	pressure []*marketingv1.PressureLimit
	// spread: winback.touch_spread (nil when not asked for: a cadence
	// started before the spread existed keeps its instants).
	spread   *policy.Timer
	cals     map[string]*calendar.Calendar
	assigned string // the team's (else the region's, else the default) calendar
}

// termsFuture is a resolution of the terms under way.
type termsFuture struct{ f workflow.Future }

// Get waits for the resolution.
func (t termsFuture) Get(ctx workflow.Context) (*followupv1.ResolvePoliciesResult, error) {
	var res followupv1.ResolvePoliciesResult
	if err := t.f.Get(ctx, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// resolveFuture starts resolving the terms (with winback.touch_spread when
// spread) without waiting.
func resolveFuture(ctx workflow.Context, team, region string, spread bool) termsFuture {
	names := []string{policy.WinBackCadence, policy.WinBackTouchDeadline, policy.ContactPressure}
	if spread {
		names = append(names, policy.WinBackTouchSpread)
	}
	return termsFuture{f: followup.ResolvePoliciesAsync(ctx, &followupv1.ResolvePoliciesInput{
		Names: names, Team: team, Territory: region, At: timestamppb.New(workflow.Now(ctx)),
	})}
}

// resolvedTerms builds the terms from the engine's answer.
func resolvedTerms(res *followupv1.ResolvePoliciesResult, err error) (*terms, error) {
	if err != nil {
		return nil, err
	}
	t := &terms{cals: map[string]*calendar.Calendar{}, assigned: res.GetAssignedCalendar()}
	for _, p := range res.GetPolicies() {
		v, err := policy.Parse(p.GetValueJson())
		if err != nil {
			return nil, unusable(fmt.Sprintf("policy %s v%d: %v", p.GetName(), p.GetVersion(), err))
		}
		switch p.GetName() {
		case policy.WinBackCadence:
			t.cadence = v.Ladder
		case policy.WinBackTouchDeadline:
			t.deadline = v.Timer
		case policy.ContactPressure:
			t.pressure = campaign.PressureLimits(v)
		case policy.WinBackTouchSpread:
			t.spread = v.Timer
		}
	}
	if t.cadence == nil || t.deadline == nil {
		return nil, unusable("the follow-up engine resolved no usable " + policy.WinBackCadence + " and " + policy.WinBackTouchDeadline)
	}
	for _, c := range res.GetCalendars() {
		cal, err := policy.CalendarFromJSON(c.GetSpecJson())
		if err != nil {
			return nil, unusable(fmt.Sprintf("calendar %s v%d: %v", c.GetName(), c.GetVersion(), err))
		}
		t.cals[c.GetName()] = cal
	}
	if _, err := t.calendar(t.cadence.Clock, t.cadence.Calendar); err != nil {
		return nil, err
	}
	if _, err := t.calendar(t.deadline.Clock, t.deadline.Calendar); err != nil {
		return nil, err
	}
	if t.spread != nil {
		if _, err := t.calendar(t.spread.Clock, t.spread.Calendar); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// calendar is the business calendar a clock counts in: nil for calendar
// time; the one named, else the assigned one, for business time.
func (t *terms) calendar(clock policy.Clock, name string) (*calendar.Calendar, error) {
	if clock != policy.ClockBusiness {
		return nil, nil
	}
	if name == "" {
		name = t.assigned
	}
	cal, ok := t.cals[name]
	if !ok {
		return nil, unusable(fmt.Sprintf("calendar %q was not resolved", name))
	}
	return cal, nil
}

// touchAt is when touch number made is due (ok false: the cadence has run
// out), moved by the customer's place in the spread (place, in [0, 1)).
func (t *terms) touchAt(enrolled time.Time, made int, place float64) (time.Time, bool, error) {
	cal, err := t.calendar(t.cadence.Clock, t.cadence.Calendar)
	if err != nil {
		return time.Time{}, false, err
	}
	at, ok, err := TouchAt(*t.cadence, enrolled, made, cal)
	if err != nil || !ok || t.spread == nil {
		if err != nil {
			err = unusable(err.Error())
		}
		return at, ok, err
	}
	scal, err := t.calendar(t.spread.Clock, t.spread.Calendar)
	if err != nil {
		return time.Time{}, false, err
	}
	if at, err = Spread(at, *t.spread, place, scal); err != nil {
		return time.Time{}, false, unusable(err.Error())
	}
	return at, true, nil
}

// touchDue is when a touch made at made must be carried out.
func (t *terms) touchDue(made time.Time) (time.Time, error) {
	cal, err := t.calendar(t.deadline.Clock, t.deadline.Calendar)
	if err != nil {
		return time.Time{}, err
	}
	due, err := TouchDue(made, *t.deadline, cal)
	if err != nil {
		return time.Time{}, unusable(err.Error())
	}
	return due, nil
}

// action is the cadence's action at step (the step's action when the
// cadence still has it, else a call).
func (t *terms) action(step int) string {
	if step < len(t.cadence.Steps) {
		return string(t.cadence.Steps[step].Action)
	}
	return string(policy.ActionCall)
}

func unusable(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, followup.ErrPolicyUnusable, nil)
}
