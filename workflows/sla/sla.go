// Package sla keeps the SLA clocks of after-sales service cases: for each case
// a first-response clock and a resolution clock, each counting down a budget of
// time from the moment the case was opened.
//
// # The rules
//
// A clock starts when the case is opened (its anchor). Its budget comes from
// the timer policy of its target for the case's priority:
// service.response_sla for the first response, service.resolution_sla for the
// resolution; P1 reads the policy's "urgent" entry, P2 "high", P3 "normal" and
// P4 "low". The policy also says how the budget is counted: in business time
// (only the working hours of the team's business calendar count — nights,
// weekends and public holidays do not, make-up working days do) or in elapsed
// time (every hour counts).
//
//   - On hold. While the case waits on the customer (pending_customer) its
//     clocks are paused. Time on hold is not counted: the deadline moves later
//     by exactly the time on hold that the clock would otherwise have counted —
//     on a business clock, the working hours inside the hold. A hold from
//     Friday 16:00 to Monday 10:00 on a 09:00–18:00 week moves the deadline by
//     3 hours (2 on Friday, 1 on Monday); a hold over a weekend or a holiday
//     alone moves nothing.
//   - Deadline. The deadline (Due) is the instant at which the counted time
//     reaches the budget. While a case is on hold the deadline is not known
//     yet: Due then answers "if the hold ended now", so it moves later as the
//     hold goes on. A hold that starts after the deadline does not move it.
//   - Warning. Each clock has a warning point at a share of its budget (for
//     example 75 %): the instant the counted time reaches that share. On hold it
//     moves like the deadline.
//   - Priority change. A new priority replaces the budget; the deadline is
//     worked out again from the anchor, as if the case had had the new priority
//     from the start, and every hold still counts as hold. If the new deadline
//     already lies in the past, the case is breached as of that deadline.
//   - Met. Answering the customer meets the first-response target; resolving
//     the case meets the resolution target. A target met before its deadline is
//     met and never breached. Met at or after the deadline, it is breached.
//   - Breached. The breach is recorded with the deadline's instant (not with
//     the moment somebody noticed), and it stays: a breached target stays
//     breached when the case is later answered or resolved (MetAt then records
//     when), when its priority is lowered and when the case is reopened.
//   - Reopen. A resolved case that is reopened resumes its resolution clock:
//     the time it sat resolved counts as hold, so the team has the budget that
//     was left when it resolved the case.
//
// Both sides of an instant: at the deadline itself the target is breached; one
// nanosecond before, it is not. The same holds for the warning point.
//
// # Use in workflow code
//
// A Clock is a plain value with exported, JSON-tagged fields, so it travels in
// workflow state and through continue-as-new. Every method is a pure function
// of the clock, the calendar and the instants passed in: the package never
// reads the clock of the machine, starts no goroutines, does no I/O and never
// lets map order reach a result (purity_test.go checks this). Callers pass
// workflow.Now as now.
//
// A workflow typically calls Check after every event and at every timer, and
// sets its next timer to NextInstant; Check reports the warnings and breaches
// it has just recorded, once each.
package sla

import (
	"errors"
	"fmt"
	"time"

	"github.com/closeloop/closeloop/workflows/policy"
)

// Target names one of a case's two SLA targets.
type Target string

// The SLA targets of a service case.
const (
	FirstResponse Target = "first_response"
	Resolution    Target = "resolution"
)

// Policy returns the name of the table policy that holds the target's budget
// per priority.
func (t Target) Policy() (string, bool) {
	switch t {
	case FirstResponse:
		return policy.ServiceResponseSLA, true
	case Resolution:
		return policy.ServiceResolutionSLA, true
	}
	return "", false
}

// Priority is a service case's priority, P1 (most urgent) to P4.
type Priority string

// The priorities of service cases.
const (
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
	P4 Priority = "P4"
)

// PolicyKey returns the key of the SLA table policies for p: P1 is "urgent",
// P2 "high", P3 "normal" and P4 "low".
func (p Priority) PolicyKey() (string, bool) {
	switch p {
	case P1:
		return "urgent", true
	case P2:
		return "high", true
	case P3:
		return "normal", true
	case P4:
		return "low", true
	}
	return "", false
}

// BudgetFor returns the budget that the table policy value v (a resolved
// service.response_sla or service.resolution_sla) sets for priority p, and
// whether it is counted in business time.
func BudgetFor(v policy.Value, p Priority) (budget time.Duration, business bool, err error) {
	key, ok := p.PolicyKey()
	if !ok {
		return 0, false, fmt.Errorf("sla: unknown priority %q", p)
	}
	t, ok := v.Table[key]
	if !ok {
		return 0, false, fmt.Errorf("sla: the policy has no entry %q for priority %s", key, p)
	}
	switch t.Clock {
	case policy.ClockBusiness:
		business = true
	case policy.ClockCalendar:
	default:
		return 0, false, fmt.Errorf("sla: the policy entry %q has unknown clock %q", key, t.Clock)
	}
	if t.Duration < 0 {
		return 0, false, fmt.Errorf("sla: the policy entry %q has a negative duration", key)
	}
	return t.Duration.D(), business, nil
}

// State is where a clock stands at an instant.
type State string

// The states of a clock.
const (
	// Running: counting, before the warning point.
	Running State = "running"
	// Warning: counting, at or past the warning point, before the deadline.
	Warning State = "warning"
	// Paused: on hold, before the deadline.
	Paused State = "paused"
	// Met: the target was met before its deadline.
	Met State = "met"
	// Breached: the deadline has been reached without the target being met
	// before it. Final, even when the target is met later.
	Breached State = "breached"
)

// Errors returned when an event does not fit the clock.
var (
	ErrPaused     = errors.New("sla: the clock is already paused")
	ErrNotPaused  = errors.New("sla: the clock is not paused")
	ErrMet        = errors.New("sla: the target is already met")
	ErrNotMet     = errors.New("sla: the target is not met")
	ErrOutOfOrder = errors.New("sla: the instant lies before the clock's last event")
)

// Interval is a stretch of time [Start, End).
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Clock is one target's clock for one case. It is a value: copy it freely;
// the methods with a pointer receiver change only the copy they are called on.
//
// The fields are the clock's whole state, for storage and workflow state; set
// them through New and the methods. A zero time.Time means "not so".
type Clock struct {
	Target Target `json:"target"`
	// Anchor is when the case was opened; the clock counts from it.
	Anchor time.Time `json:"anchor"`
	// Budget is the time allowed, from the policy for the current priority.
	Budget time.Duration `json:"budget_ns"`
	// Business: Budget is counted in working time of the business calendar;
	// otherwise in elapsed time.
	Business bool `json:"business"`
	// WarnShare places the warning point at this share of Budget (0.75: when
	// three quarters are used). 0 means no warning point.
	WarnShare float64 `json:"warn_share,omitempty"`
	// Paused lists the finished holds, in order and without overlap.
	Paused []Interval `json:"paused,omitempty"`
	// PausedSince is the start of the current hold.
	PausedSince time.Time `json:"paused_since,omitzero"`
	// WarnedAt is the warning point, once Check or Meet has seen it pass.
	WarnedAt time.Time `json:"warned_at,omitzero"`
	// BreachedAt is the deadline that was missed, once Check or Meet has seen
	// it pass. It is never cleared.
	BreachedAt time.Time `json:"breached_at,omitzero"`
	// MetAt is when the target was met (cleared by Reopen).
	MetAt time.Time `json:"met_at,omitzero"`
}

// New starts a clock at anchor with budget counted in business time (business)
// or elapsed time, and a warning point at warnShare of the budget (0 for none).
func New(target Target, anchor time.Time, budget time.Duration, business bool, warnShare float64) (Clock, error) {
	if _, ok := target.Policy(); !ok {
		return Clock{}, fmt.Errorf("sla: unknown target %q", target)
	}
	if anchor.IsZero() {
		return Clock{}, errors.New("sla: the clock needs an anchor")
	}
	if budget < 0 {
		return Clock{}, fmt.Errorf("sla: negative budget %v", budget)
	}
	if !(warnShare >= 0 && warnShare < 1) { // also refuses NaN
		return Clock{}, fmt.Errorf("sla: warning share %v is not in [0, 1)", warnShare)
	}
	return Clock{Target: target, Anchor: anchor, Budget: budget, Business: business, WarnShare: warnShare}, nil
}
