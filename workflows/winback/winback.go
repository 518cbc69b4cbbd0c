// Package winback holds the WinBack workflow (WinBack:<customer>:<campaign>):
// one lost customer's win-back cadence in one campaign. Any response stops
// it at once and hands the customer to sales as a lead.
//
// The cadence is the winback.cadence ladder counted from the enrolment: touch
// i is due at enrolled_at + steps[i].after on the ladder's clock (working
// time of the team's, else the region's, calendar when it is business time).
// Touches are counted, never matched by offset: the next touch is always the
// step after the last one made, so a cadence edited mid-flight never repeats
// a touch (a step whose new instant has passed is due at once). At each
// touch the workflow first asks the customer service whether the customer
// responded (customer.WinBackResponses: a response signal lost while the
// engine was down still stops the cadence), then the marketing service
// whether the touch may go ahead (marketing.WinBackTouch: opted out, deferred
// by contact pressure, or the enrolment already ended), then has the customer
// service put it on the owner's action list (customer.PlanTouches). Each
// touch is then chased like every follow-up (kind winback_touch, due after
// winback.touch_deadline, escalated along winback.touch_escalation_ladder) by
// a followup.Track of its own, while the cadence goes on.
//
// Policy changes reach a running cadence: between touches the workflow has
// no open follow-up, so the policy rollout (which finds follow-ups, not
// cadences) does not signal it; it therefore wakes at least once a day
// (ReResolveEvery) and re-resolves the cadence, as it does at every touch
// instant and on any policy-change signal it receives for its touches.
//
// Since ChangeTouchPrefetch the workflow wakes PrefetchLead before a touch's
// instant to re-resolve the terms and ask for a missed response, and at the
// instant only asks the marketing service: the touch is recorded one round
// trip after its instant instead of two. An answer older than PrefetchFresh
// at the instant (the worker or the engine was down, the touch was late) is
// asked again; a response signalled after the answer stops the cadence as
// ever.
//
// It ends when the customer responds (winback-response: the open touches
// close as done, a Lead child workflow is started for every response but an
// opt-out, an inbound lead or a won opportunity — see StartsLead — and the
// customer returns to the expected list), opts out, the campaign is cancelled
// (winback-cancel), or the cadence runs out: then at the last touch's due
// time the customer stays lost with the record of what was tried.
//
// History is bounded: a cadence has at most 12 touches over at most a year
// (the policy's bounds), each touch a handful of activities and its
// follow-up's few ladder steps, plus one policy resolution a day — a few
// thousand events, far below Temporal's limits. So the workflow does not
// need to continue as new; should the server suggest it anyway, it does so
// between touches when no touch is being chased, carrying touches_made.
package winback

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// NonRetryable are the error types that end an activity call at once: the
// services' business refusals.
var NonRetryable = []string{"invalid", "not_found", "campaign_not_found"}

// ChangeTouchSpread is the GetVersion change id of the spread touches
// (winback.touch_spread) and of the touch instant's two reads made at once
// (the terms re-resolved while the customer service is asked for a missed
// response): a cadence that started before it keeps its instants and steps.
const ChangeTouchSpread = "winback-touch-spread"

// ChangeTouchPrefetch is the GetVersion change id of the touch's reads made
// PrefetchLead before its instant (the package documentation): a cadence
// that started before it reads at the instant.
const ChangeTouchPrefetch = "winback-touch-prefetch"

// PrefetchLead is how long before a touch's instant its terms are
// re-resolved and the customer service asked for a missed response; the
// answer serves the touch if it is at most PrefetchFresh old when the touch
// is decided, and is asked again otherwise.
const (
	PrefetchLead  = 2 * time.Second
	PrefetchFresh = 5 * time.Second
)

type winBack struct {
	in       *marketingv1.WinBackInput
	enrolled time.Time
	// spread: the cadence counts winback.touch_spread and reads at once at
	// a touch instant (ChangeTouchSpread); place is the customer's place in
	// the spread (SpreadPlace).
	spread bool
	place  float64
	// asked: customer.WinBackResponses, asked at the touch instant while the
	// terms were re-resolved; taken by the touch made at that instant.
	asked workflow.Future
	// prefetch: the terms and the missed response are read PrefetchLead
	// before a touch's instant (ChangeTouchPrefetch); found is that answer,
	// taken at askedAt, for the next touch.
	prefetch bool
	found    *marketingv1.WinBackResponsesResult
	askedAt  time.Time
	made     int       // touches made (carried across continue-as-new)
	lastDue  time.Time // due time of the last touch made in this run
	// notBefore: the next touch was deferred by contact pressure until then.
	notBefore time.Time
	terms     *terms
	stale     bool // re-resolve the terms before the next decision
	// response or cancel: what stops the cadence (the first to arrive).
	response *marketingv1.WinBackResponse
	cancel   *marketingv1.WinBackEndInput
	touches  []*touch // touches chased in this run, in order (touch.go)
	alarms   *wfx.Alarms
	err      error // a touch's chase failed: the workflow fails with it

	respCh, cancelCh workflow.ReceiveChannel
	mkt, cust        workflow.Context
}

// WinBack is the WinBack workflow; see the package documentation. Its
// result is how the cadence ended.
func WinBack(ctx workflow.Context, in *marketingv1.WinBackInput) (*marketingv1.WinBackEndInput, error) {
	if in.GetCampaignId() == "" || in.GetCustomerId() == "" || in.GetOwnerId() == "" || in.GetEnrolledAt() == nil {
		return nil, temporal.NewNonRetryableApplicationError("a win-back needs campaign_id, customer_id, owner_id and enrolled_at", "invalid", nil)
	}
	w := &winBack{
		in: in, enrolled: in.GetEnrolledAt().AsTime(), made: int(in.GetTouchesMade()), alarms: wfx.NewAlarms(ctx),
		respCh: workflow.GetSignalChannel(ctx, wfc.SignalWinBackResponse), cancelCh: workflow.GetSignalChannel(ctx, wfc.SignalWinBackCancel),
		mkt:  wfx.Activities(ctx, wfx.Call{Queue: marketingc.TaskQueue, NonRetryable: NonRetryable}),
		cust: wfx.Activities(ctx, wfx.Call{Queue: customerc.TaskQueue, NonRetryable: NonRetryable}),
	}
	if workflow.GetVersion(ctx, ChangeTouchSpread, workflow.DefaultVersion, 1) >= 1 {
		w.spread, w.place = true, SpreadPlace(in.GetCampaignId(), in.GetCustomerId())
		w.prefetch = workflow.GetVersion(ctx, ChangeTouchPrefetch, workflow.DefaultVersion, 1) >= 1
	}
	w.listen(ctx) // signals (touch.go)
	if workflow.GetInfo(ctx).ContinuedExecutionRunID == "" {
		if err := w.begin(ctx); err != nil {
			return nil, err
		}
	}
	for {
		if w.err != nil {
			return nil, w.err
		}
		if w.poll() {
			return w.stop(ctx) // end.go
		}
		if w.terms == nil || w.stale {
			w.stale = false
			t, err := w.resolve(ctx)
			if err != nil {
				return nil, err
			}
			w.terms = t
			continue
		}
		next, isTouch, err := w.next()
		if err != nil {
			return nil, err
		}
		if now := workflow.Now(ctx); now.Before(next) {
			wake, read := w.wake(now, next, isTouch)
			if read {
				w.stale = true // within the lead and not read yet: read now
				continue
			}
			if w.continueDue(ctx, isTouch) {
				return nil, w.continueAsNew(ctx)
			}
			if _, err := w.alarms.Until(ctx, wake, w.interrupted); err != nil {
				return nil, err
			}
			// A decision point: the versions in force now decide — but
			// for the touch whose terms and answer were just read.
			w.stale = w.stale || !wake.Equal(next) || w.found == nil
			continue
		}
		if !isTouch {
			return w.end(ctx, OutcomeExhausted, "cancelled", "cadence ended", nil)
		}
		switch outcome, err := w.touch(ctx); {
		case err != nil:
			return nil, err
		case outcome == OutcomeOptedOut:
			return w.end(ctx, OutcomeOptedOut, "cancelled", "the customer opted out", nil)
		case outcome == OutcomeStopped:
			return w.quiet(ctx)
		}
	}
}

// ChangeStartAtOnce is the GetVersion change id of the cadence's first two
// steps made at once: the customer marked as in win-back
// (customer.MarkWinBack) while its terms are resolved, one round trip
// instead of two — a launch starts thousands of cadences at a time.
const ChangeStartAtOnce = "winback-start-at-once"

// begin is the first run's start: the customer marked as in this win-back
// and the terms resolved, at once since ChangeStartAtOnce.
func (w *winBack) begin(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, ChangeStartAtOnce, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return w.mark(ctx, true) // the terms are resolved next, by the loop
	}
	marked := w.markAsync(ctx, true)
	t, err := w.resolve(ctx) // no terms yet: nothing else is asked
	if err != nil {
		return err
	}
	if err := marked.Get(ctx, nil); err != nil {
		return err
	}
	w.terms = t
	return nil
}

// resolve re-resolves the terms. At a touch instant (the terms in force so
// far say a touch is due now), a cadence with the spread also asks the
// customer service for a missed response at the same time (w.asked), so the
// touch is decided one round trip after its instant rather than two; if the
// new terms move the touch, the answer is dropped and asked again then.
// With the prefetch the same happens PrefetchLead before the instant, and
// the answer is taken at once (w.found): a response found stops the cadence
// there and then.
func (w *winBack) resolve(ctx workflow.Context) (*terms, error) {
	f := resolveFuture(ctx, w.in.GetTeam(), w.in.GetRegion(), w.spread)
	var asked workflow.Future
	if w.spread && w.terms != nil && (w.asked == nil || w.prefetch) {
		if at, isTouch, err := w.next(); err == nil && isTouch && !workflow.Now(ctx).Before(at.Add(-w.lead())) {
			asked = w.askResponses(ctx)
		}
	}
	t, err := resolvedTerms(f.Get(ctx))
	if err != nil || asked == nil {
		return t, err
	}
	if !w.prefetch {
		w.asked = asked
		return t, nil
	}
	var found marketingv1.WinBackResponsesResult
	if err := asked.Get(ctx, &found); err != nil {
		return nil, err
	}
	if r := found.GetResponse(); r != nil {
		w.heard(r, nil) // handled exactly as the signal would have been
	}
	w.found, w.askedAt = &found, workflow.Now(ctx)
	return t, nil
}

// lead is how long before a touch's instant its terms and missed response
// are read: PrefetchLead with the prefetch, else none (at the instant).
func (w *winBack) lead() time.Duration {
	if w.prefetch {
		return PrefetchLead
	}
	return 0
}

// wake is when the workflow, at now, waiting for instant next (a touch's
// when isTouch), wakes next. Without the prefetch: at next (or a day on:
// Wake). With it, for a touch: PrefetchLead before next to read its terms
// and answer, then at next once they are read for it (w.found taken within
// the lead); read says the lead has begun and they are not read yet.
func (w *winBack) wake(now, next time.Time, isTouch bool) (wake time.Time, read bool) {
	if !w.prefetch || !isTouch {
		w.asked = nil // the terms moved the touch: asked again at its instant
		return Wake(next, now), false
	}
	lead := next.Add(-PrefetchLead)
	if w.found != nil && !w.askedAt.Before(lead) {
		return next, false
	}
	w.found = nil
	if !now.Before(lead) {
		return time.Time{}, true
	}
	return Wake(lead, now), false
}

// next is the instant the workflow waits for: the next touch's (isTouch),
// or — the cadence having run out — the last touch's due time.
func (w *winBack) next() (at time.Time, isTouch bool, err error) {
	at, ok, err := w.terms.touchAt(w.enrolled, w.made, w.place)
	if err != nil {
		return time.Time{}, false, err
	}
	if !ok {
		return w.lastDue, false, nil
	}
	if w.notBefore.After(at) {
		at = w.notBefore
	}
	return at, true, nil
}

// interrupted ends a wait early: a response, a cancellation, a policy
// change, a failed chase.
func (w *winBack) interrupted() bool { return w.stopped() || w.stale || w.err != nil }

// stopped says whether a response or a cancellation has arrived.
func (w *winBack) stopped() bool { return w.response != nil || w.cancel != nil }

// heard keeps the first response or cancellation; later ones change nothing.
func (w *winBack) heard(r *marketingv1.WinBackResponse, c *marketingv1.WinBackEndInput) {
	if w.stopped() {
		return
	}
	w.response, w.cancel = r, c
}

// poll takes a response or cancellation that arrived while an activity ran
// and says whether the cadence must stop: it is called after each activity,
// so a response arriving while a touch is decided or planned still stops it.
func (w *winBack) poll() bool {
	if r := (&marketingv1.WinBackResponse{}); w.respCh.ReceiveAsync(r) {
		w.heard(r, nil)
	}
	if c := (&marketingv1.WinBackEndInput{}); w.cancelCh.ReceiveAsync(c) {
		w.heard(nil, c)
	}
	return w.stopped()
}

// continueDue says whether to continue as new now: the server suggests it,
// the workflow waits for a touch (not for the last one's deadline, which is
// not carried), no touch is being chased and nothing is pending.
func (w *winBack) continueDue(ctx workflow.Context, isTouch bool) bool {
	return isTouch && !w.chasing() && !w.stopped() && workflow.AllHandlersFinished(ctx) &&
		workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// continueAsNew starts the cadence again with the touches made so far; a
// deferral by contact pressure is not carried (the next run asks again).
func (w *winBack) continueAsNew(ctx workflow.Context) error {
	next := proto.Clone(w.in).(*marketingv1.WinBackInput)
	next.TouchesMade = int32(w.made)
	workflow.GetLogger(ctx).Info("win-back continues as new", "customer_id", w.in.GetCustomerId(), "touches_made", w.made)
	return workflow.NewContinueAsNewError(ctx, wfc.WorkflowWinBack, next)
}
