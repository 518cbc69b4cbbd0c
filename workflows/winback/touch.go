package winback

import (
	"time"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// touch is the follow-up that chases one touch: run by followup.Track in a
// goroutine of its own, so the cadence goes on while the owner carries the
// touch out. Several may run at once; the workflow receives the
// policy-change and close signals itself and routes them (listen).
type touch struct {
	fuID                      string
	running                   bool
	interrupt, policy, closes workflow.Channel
}

// touch makes the touch that is due now: unless the customer has responded
// (customer.WinBackResponses) or the marketing service refuses it
// (marketing.WinBackTouch: opted out, contact pressure, enrolment ended), it
// is planned on the owner's action list (customer.PlanTouches) and chased —
// or, an email touch, emailed to the customer (email.go).
// It returns OutcomeOptedOut or OutcomeStopped when the cadence must end so,
// "" otherwise (a response found is left to the loop, like a signal).
func (w *winBack) touch(ctx workflow.Context) (string, error) {
	now := workflow.Now(ctx)
	if !w.answered(now) {
		asked := w.asked
		if w.asked = nil; asked == nil {
			asked = w.askResponses(ctx)
		}
		var found marketingv1.WinBackResponsesResult
		if err := asked.Get(ctx, &found); err != nil {
			return "", err
		}
		if r := found.GetResponse(); r != nil {
			w.heard(r, nil) // handled exactly as the signal would have been
		}
		now = workflow.Now(ctx)
	}
	if w.poll() {
		return "", nil
	}
	due, err := w.terms.touchDue(now)
	if err != nil {
		return "", err
	}
	step := w.made
	t := &marketingv1.Touch{
		TouchId: TouchID(w.in.GetCampaignId(), w.in.GetCustomerId(), step), CampaignId: w.in.GetCampaignId(),
		CampaignName: w.in.GetCampaignName(), CustomerId: w.in.GetCustomerId(), Step: int32(step), Action: w.terms.action(step),
		AssigneeId: w.in.GetOwnerId(), Team: w.in.GetTeam(), DueAt: timestamppb.New(due), PlannedAt: timestamppb.New(now),
	}
	var dec marketingv1.WinBackTouchResult
	if err := workflow.ExecuteActivity(w.mkt, marketingc.ActivityWinBackTouch, &marketingv1.WinBackTouchInput{
		Touch: t, Pressure: w.terms.pressure,
	}).Get(ctx, &dec); err != nil {
		return "", err
	}
	switch dec.GetSkipReason() {
	case "":
	case SkipOptedOut:
		return OutcomeOptedOut, nil
	case SkipStopped:
		return OutcomeStopped, nil
	default: // SkipPressure; an unknown reason is asked again later too
		var notBefore time.Time
		if nb := dec.GetNotBefore(); nb != nil {
			notBefore = nb.AsTime()
		}
		w.notBefore = DeferUntil(notBefore, now)
		workflow.GetLogger(ctx).Info("win-back touch deferred", "reason", dec.GetSkipReason(), "step", step, "until", w.notBefore)
		return "", nil
	}
	if w.poll() {
		return "", nil // responded while the touch was decided: it is not planned
	}
	// An email touch is emailed, and not planned, unless it falls back to
	// a plan (email.go).
	var outcome string
	if t, outcome, err = w.email(ctx, t, due); t == nil || err != nil {
		return outcome, err
	}
	var planned marketingv1.PlanTouchesResult
	if err := workflow.ExecuteActivity(w.cust, customerc.ActivityPlanTouches, &marketingv1.PlanTouchesInput{
		Touches: []*marketingv1.Touch{t},
	}).Get(ctx, &planned); err != nil {
		return "", err
	}
	w.made, w.notBefore, w.lastDue = w.made+1, time.Time{}, due
	if w.poll() {
		return "", nil // responded while it was planned: nothing left to chase
	}
	w.chase(ctx, t, now)
	return "", nil
}

// answered takes the answer read before the touch's instant (prefetch) and
// says whether it serves the touch decided at now: at most PrefetchFresh
// old. A response in it was heard when it came.
func (w *winBack) answered(now time.Time) bool {
	found := w.found
	w.found = nil
	return found != nil && AnswerServes(w.askedAt, now)
}

// askResponses asks the customer service for a response since the
// enrolment (customer.WinBackResponses): one whose signal was lost.
func (w *winBack) askResponses(ctx workflow.Context) workflow.Future {
	return workflow.ExecuteActivity(w.cust, customerc.ActivityWinBackResponses, &marketingv1.WinBackResponsesInput{
		CustomerId: w.in.GetCustomerId(), Since: w.in.GetEnrolledAt(),
	})
}

// chase starts the touch's follow-up: owned by its assignee, due at the
// touch's due time, escalated along winback.touch_escalation_ladder.
func (w *winBack) chase(ctx workflow.Context, t *marketingv1.Touch, made time.Time) {
	c := &touch{fuID: FollowUpID(t.GetTouchId()), running: true, interrupt: workflow.NewBufferedChannel(ctx, 1),
		policy: workflow.NewBufferedChannel(ctx, 16), closes: workflow.NewBufferedChannel(ctx, 4)}
	w.touches = append(w.touches, c)
	spec := &followupv1.FollowUpSpec{
		Id: c.fuID, Kind: policy.KindWinBackTouch, CustomerId: t.GetCustomerId(), OwnerId: t.GetAssigneeId(), Team: t.GetTeam(),
		Territory: w.in.GetRegion(), Title: TouchTitle(t.GetAction(), w.in.GetCustomerName(), w.in.GetCampaignName()),
		AnchorAt: timestamppb.New(made), DueAt: t.GetDueAt(), OpenedBy: wfc.WinBackWorkflowID(w.in.GetCustomerId(), w.in.GetCampaignId()),
	}
	opts := followup.Options{Interrupt: c.interrupt, Signals: &followup.Signals{Policy: c.policy, Close: c.closes}, Alarms: w.alarms}
	workflow.Go(ctx, func(ctx workflow.Context) {
		_, err := followup.Track(ctx, spec, opts)
		c.running = false
		if err != nil && w.err == nil {
			w.err = err
		}
	})
}

// chasing says whether a touch's follow-up is open.
func (w *winBack) chasing() bool {
	for _, c := range w.touches {
		if c.running {
			return true
		}
	}
	return false
}

// closeTouches closes every open touch follow-up and waits until each has.
func (w *winBack) closeTouches(ctx workflow.Context, state, note string) error {
	for _, c := range w.touches {
		if c.running {
			c.interrupt.SendAsync(&followupv1.CloseSignal{State: state, By: "workflow", Note: note})
		}
	}
	if err := workflow.Await(ctx, func() bool { return !w.chasing() || w.err != nil }); err != nil {
		return err
	}
	return w.err
}

// listen receives the workflow's signals: a response or a cancellation
// (kept for the loop), a policy change (the terms are re-resolved, and every
// open touch re-computes), a close from the board (to the touch it names).
func (w *winBack) listen(ctx workflow.Context) {
	pol := workflow.GetSignalChannel(ctx, wfc.SignalPolicyChanged)
	closes := workflow.GetSignalChannel(ctx, wfc.SignalCloseFollowUp)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(w.respCh, func(c workflow.ReceiveChannel, _ bool) {
				r := &marketingv1.WinBackResponse{}
				c.Receive(ctx, r)
				w.heard(r, nil)
			})
			sel.AddReceive(w.cancelCh, func(c workflow.ReceiveChannel, _ bool) {
				e := &marketingv1.WinBackEndInput{}
				c.Receive(ctx, e)
				w.heard(nil, e)
			})
			sel.AddReceive(pol, func(c workflow.ReceiveChannel, _ bool) {
				s := &followupv1.PolicyChangedSignal{}
				c.Receive(ctx, s)
				switch s.GetPolicy() {
				case "", policy.WinBackCadence, policy.WinBackTouchDeadline, policy.ContactPressure: // "": a calendar
					w.stale = true
				}
				for _, t := range w.touches {
					if t.running {
						t.policy.SendAsync(s)
					}
				}
			})
			sel.AddReceive(closes, func(c workflow.ReceiveChannel, _ bool) {
				s := &followupv1.CloseSignal{}
				c.Receive(ctx, s)
				w.route(ctx, s)
			})
			sel.Select(ctx)
		}
	})
}

// route passes a close from the board to the touch it names (or, naming
// none, to the only open one).
func (w *winBack) route(ctx workflow.Context, s *followupv1.CloseSignal) {
	var open []*touch
	for _, t := range w.touches {
		if t.running {
			if t.fuID == s.GetFollowUpId() {
				t.closes.SendAsync(s)
				return
			}
			open = append(open, t)
		}
	}
	if s.GetFollowUpId() == "" && len(open) == 1 {
		open[0].closes.SendAsync(s)
		return
	}
	workflow.GetLogger(ctx).Info("close signal for no open win-back touch", "follow_up_id", s.GetFollowUpId())
}
