package domain

import (
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/servicecase"
)

// Case states: the workflow's rules (workflows/servicecase) are the one
// definition of the states and the moves between them; see there.
const (
	StateNew             = servicecase.StateNew
	StateOpen            = servicecase.StateOpen
	StatePendingCustomer = servicecase.StatePendingCustomer
	StatePendingInternal = servicecase.StatePendingInternal
	StateResolved        = servicecase.StateResolved
	StateClosed          = servicecase.StateClosed
)

// States lists every state in order.
var States = servicecase.States

// Active reports whether a case in state s is still being worked.
func Active(s string) bool { return servicecase.Active(s) }

// WorkflowActor is who a change the case workflow makes on its own (an
// automatic close) is recorded as.
const WorkflowActor = "workflow"

// Effects are what a change means for the case's SLA clock. The workflow
// that applies a change passes them on to the clock; none of them decides
// anything here.
type Effects struct {
	// MeetsFirstResponse: the case's first outbound public reply — the
	// first-response target is met.
	MeetsFirstResponse bool
	// MeetsResolution: the case was resolved — the resolution target is met.
	MeetsResolution bool
	// Pauses: the case now waits for the customer; the clock stops counting.
	Pauses bool
	// Resumes: the case no longer waits for the customer (the customer
	// answered, or staff moved it on); the clock counts again.
	Resumes bool
	// Reopens: a resolved case was reopened; the resolution target runs again.
	Reopens bool
}

// StateChange is a move a person (or the workflow) asks for.
type StateChange struct {
	To, Reason, Actor string
}

// CheckTransition says whether ChangeState may move a case from one state
// to another, and if not, why — the workflow's rule
// (servicecase.CheckTransition) as this service's error.
func CheckTransition(from, to string) error {
	r := servicecase.CheckTransition(from, to)
	if r == nil {
		return nil
	}
	if r.Field != "" {
		return fieldErr(r.Field, r.Code, r.Message)
	}
	if e, ok := ErrorByCode(r.Code, r.Message); ok {
		return e
	}
	return ErrTransition.Withf("%s", r.Message)
}

// ChangeState moves the case as ch says, or refuses. Resolving needs a
// reason (what was done: it is the case's outcome); other moves may give one.
func ChangeState(c Case, ch StateChange, now time.Time) (Case, []Entry, Effects, error) {
	if err := CheckTransition(c.State, ch.To); err != nil {
		return c, nil, Effects{}, err
	}
	var v apperr.Validation
	text(&v, "reason", ch.Reason, MaxReason, ch.To == StateResolved)
	if err := v.Err(); err != nil {
		return c, nil, Effects{}, err
	}
	c, e, eff := move(c, ch.To, ch.Actor, ch.Reason, instant(now))
	return c, []Entry{e}, eff, nil
}

// Reopen moves a resolved case back to open, when it was resolved at most
// window ago (the reopen window, from the policy; zero or less: no case
// reopens). After the window — and once closed — the answer is a follow-on
// case. A reason is required: a reopened case counts against its resolution.
func Reopen(c Case, reason, actor string, window time.Duration, now time.Time) (Case, []Entry, Effects, error) {
	switch {
	case c.State == StateClosed:
		return c, nil, Effects{}, ErrCaseClosed
	case c.State != StateResolved || c.ResolvedAt == nil:
		return c, nil, Effects{}, ErrTransition.Withf("only a resolved case is reopened; this one is %s", c.State)
	}
	var v apperr.Validation
	text(&v, "reason", reason, MaxReason, true)
	if err := v.Err(); err != nil {
		return c, nil, Effects{}, err
	}
	if window <= 0 || now.After(c.ResolvedAt.Add(window)) {
		return c, nil, Effects{}, ErrReopenWindowPassed
	}
	at := instant(now)
	e := entry(c, KindStateChanged, actor, at)
	e.From, e.To, e.Reason = c.State, StateOpen, reason
	c.State, c.ResolvedAt, c.UpdatedAt = StateOpen, nil, at
	c.ReopenedCount++
	return c, []Entry{e}, Effects{Reopens: true}, nil
}

// AutoClose closes a resolved case once after has passed since it was
// resolved (the period from the policy). A case already closed stays as it
// is (a retried timer changes nothing); one that is no longer resolved, or
// was resolved again more recently, is refused: the timer is stale.
func AutoClose(c Case, after time.Duration, now time.Time) (Case, []Entry, error) {
	switch {
	case c.State == StateClosed:
		return c, nil, nil
	case c.State != StateResolved || c.ResolvedAt == nil:
		return c, nil, ErrResolveFirst
	case now.Before(c.ResolvedAt.Add(after)):
		return c, nil, ErrCloseNotDue
	}
	c, e, _ := move(c, StateClosed, WorkflowActor, "closed automatically "+after.String()+" after resolution", instant(now))
	return c, []Entry{e}, nil
}

// move sets the state and what goes with it, and returns the entry and the
// effects of the move. The move is allowed (CheckTransition).
func move(c Case, to, actor, reason string, at time.Time) (Case, Entry, Effects) {
	e := entry(c, KindStateChanged, actor, at)
	e.From, e.To, e.Reason = c.State, to, reason
	var eff Effects
	switch {
	case to == StatePendingCustomer:
		eff.Pauses = true
	case c.State == StatePendingCustomer && Active(to):
		eff.Resumes = true
	}
	switch to {
	case StateResolved:
		c.ResolvedAt, eff.MeetsResolution = &at, true
	case StateClosed:
		c.ClosedAt = &at
	}
	c.State, c.UpdatedAt = to, at
	return c, e, eff
}

// opened moves a new case to open on its first action (an assignment, a
// note, an outbound reply), appending the state change to es.
func opened(c Case, es []Entry, actor, why string, at time.Time) (Case, []Entry) {
	c, e, _ := move(c, StateOpen, actor, why, at)
	return c, append(es, e)
}
