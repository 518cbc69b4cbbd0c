package winback

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// How a cadence ended (WinBackEndInput.outcome).
const (
	OutcomeResponded = "responded"
	OutcomeOptedOut  = "opted_out"
	OutcomeExhausted = "exhausted"
	OutcomeCancelled = "cancelled"
	// OutcomeStopped is the workflow's result when marketing.WinBackTouch
	// answered that the enrolment had already ended: nothing is recorded.
	OutcomeStopped = "stopped"
)

// Why marketing.WinBackTouch refused a touch (WinBackTouchResult.skip_reason).
const (
	SkipOptedOut = "opted_out"
	SkipPressure = "pressure"
	SkipStopped  = "stopped"
)

// Kinds of response (WinBackResponse.kind) with a rule of their own.
const (
	ResponseOptOut = "opt_out"
	ResponseLead   = "lead"
	ResponseWon    = "won"
)

// ReResolveEvery bounds every wait between touches: a cadence that an
// analyst changes reaches a waiting customer within a day. The policy
// rollout signals only workflows with an open follow-up on an older version,
// and a cadence between touches has none, so the workflow looks itself.
const ReResolveEvery = 24 * time.Hour

// PressureRetry is how long a touch deferred by contact pressure waits when
// the marketing service named no instant to wait for (not_before unset or
// past): it asks again then, rather than at once.
const PressureRetry = time.Hour

// TouchAt is when touch number made (0-based: the touches already made) of
// a cadence enrolled at enrolled is due: enrolled plus the step's offset on
// the cadence's clock (working time of cal when the clock is business). ok
// is false when the cadence has no such step: it has run out. Touches are
// counted, not matched by offset, so a cadence edited after some touches
// goes on with the step after the last one made; if that step's instant has
// passed, the touch is due at once.
func TouchAt(cadence policy.Ladder, enrolled time.Time, made int, cal *calendar.Calendar) (at time.Time, ok bool, err error) {
	if made < 0 || made >= len(cadence.Steps) {
		return time.Time{}, false, nil
	}
	at, err = cadence.StepTime(enrolled, made, cal)
	return at, err == nil, err
}

// SpreadPlace is a customer's fixed place in a campaign's touch spread: a
// number in [0, 1) derived from campaign and customer, the same on every
// worker, replay and continue-as-new, and spread evenly over customers.
func SpreadPlace(campaignID, customerID string) float64 {
	h := sha256.Sum256([]byte("closeloop/winback-spread\x00" + campaignID + "\x00" + customerID))
	return float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
}

// Spread is a touch instant at moved by the customer's place (in [0, 1)) in
// the spread (winback.touch_spread): place × the spread's duration later, on
// the spread's clock (working time of cal when it is business), to the
// whole second. A zero offset leaves at as it is.
func Spread(at time.Time, spread policy.Timer, place float64, cal *calendar.Calendar) (time.Time, error) {
	d := time.Duration(place * float64(spread.Duration.D())).Truncate(time.Second)
	if d <= 0 {
		return at, nil
	}
	return policy.Timer{Duration: policy.Duration(d), Clock: spread.Clock}.Due(at, cal)
}

// TouchDue is when a touch made at made must be carried out: made plus the
// touch deadline on its clock. A touch made late (a deferred one, a step
// whose instant had passed) gets the whole deadline from when it is made.
func TouchDue(made time.Time, deadline policy.Timer, cal *calendar.Calendar) (time.Time, error) {
	return deadline.Due(made, cal)
}

// Wake is when the workflow, waiting at now for instant next, wakes next: at
// next, or ReResolveEvery from now if that is sooner.
func Wake(next, now time.Time) time.Time {
	if limit := now.Add(ReResolveEvery); limit.Before(next) {
		return limit
	}
	return next
}

// AnswerServes says whether the customer service's answer on missed
// responses, taken at asked (PrefetchLead before a touch's instant), still
// serves the touch decided at decided: at most PrefetchFresh later. A touch
// decided later — the worker or the engine was down, the workflow task
// queued — asks again, so a response whose signal was lost meanwhile is
// not missed.
func AnswerServes(asked, decided time.Time) bool {
	return !decided.Before(asked) && !decided.After(asked.Add(PrefetchFresh))
}

// DeferUntil is when a touch deferred at now by contact pressure is asked
// for again: at notBefore, or PressureRetry from now when notBefore is unset
// or not after now.
func DeferUntil(notBefore, now time.Time) time.Time {
	if notBefore.After(now) {
		return notBefore
	}
	return now.Add(PressureRetry)
}

// StartsLead says whether a response of this kind becomes a new lead for
// sales: every response but an opt-out, an inbound lead (that lead is
// already the hand-over: its own workflow routes it) and a won opportunity
// (sales already has the customer).
func StartsLead(kind string) bool {
	switch kind {
	case ResponseOptOut, ResponseLead, ResponseWon:
		return false
	}
	return true
}

// EndOutcome is the outcome a winback-cancel signal asks for: its own, else
// cancelled.
func EndOutcome(asked string) string {
	if asked == "" {
		return OutcomeCancelled
	}
	return asked
}

// TouchID is the id of a cadence's touch (the action plan's key): derived
// from campaign, customer and step, so a retried or replayed touch is the
// same touch.
func TouchID(campaignID, customerID string, step int) string {
	return derive("closeloop/winback-touch", campaignID, customerID, strconv.Itoa(step))
}

// FollowUpID is the id of the follow-up that chases a touch.
func FollowUpID(touchID string) string { return derive("closeloop/winback-touch-followup", touchID) }

// LeadID is the id of the lead a responding customer becomes: one per
// campaign and customer.
func LeadID(campaignID, customerID string) string {
	return derive("closeloop/winback-lead", campaignID, customerID)
}

func derive(space string, parts ...string) string {
	b := []byte(space)
	for _, p := range parts {
		b = append(b, 0)
		b = append(b, p...)
	}
	return uuid.NewSHA1(uuid.NameSpaceOID, b).String()
}

// responseWords names each kind of response for a person reading the lead.
var responseWords = map[string]string{
	"call": "a logged call", "visit": "a logged visit", ResponseLead: "an inbound lead", "reply": "a reply",
	ResponseWon: "an opportunity won", "stage": "a change of lifecycle stage", ResponseOptOut: "an opt-out",
}

// LeadNotes says, on the lead, what the customer's response was.
func LeadNotes(campaignName, kind, ref, by string, at time.Time) string {
	what, ok := responseWords[kind]
	if !ok {
		what = "a response (" + kind + ")"
	}
	s := fmt.Sprintf("The customer responded to the win-back campaign “%s”: %s", campaignName, what)
	if ref != "" {
		s += " (" + ref + ")"
	}
	if !at.IsZero() {
		s += " at " + at.UTC().Format("2006-01-02 15:04 UTC")
	}
	if by != "" {
		s += ", recorded by " + by
	}
	return s + "."
}

// TouchTitle is the title of a touch's follow-up.
func TouchTitle(action, customerName, campaignName string) string {
	return "Win-back " + action + ": " + customerName + " (" + campaignName + ")"
}
