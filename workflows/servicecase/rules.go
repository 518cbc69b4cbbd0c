// Package servicecase holds what the ServiceCase workflow (to come: see
// docs/architecture.md, "Service cases") decides with: the states of an
// after-sales case and the moves between them. The service's domain
// (services/service/internal/domain) applies the same rules to its record
// through this package, so the workflow's update validators and the
// service's own checks refuse with the same codes and words.
package servicecase

import (
	"fmt"
	"slices"
	"strings"

	"github.com/closeloop/closeloop/workflows/wfx"
)

// Case states and the moves between them:
//
//	from              to
//	new               open, pending_internal, resolved  (not pending_customer: open it first)
//	open              pending_customer, pending_internal, resolved
//	pending_customer  open, pending_internal, resolved  (an inbound reply: open)
//	pending_internal  open, pending_customer, resolved
//	resolved          closed (explicitly, or automatically after a period);
//	                  open only by reopening, within the reopen window
//	closed            nothing: what comes after it is a follow-on case
const (
	StateNew             = "new"
	StateOpen            = "open"
	StatePendingCustomer = "pending_customer"
	StatePendingInternal = "pending_internal"
	StateResolved        = "resolved"
	StateClosed          = "closed"
)

// States lists every state in order.
var States = []string{StateNew, StateOpen, StatePendingCustomer, StatePendingInternal, StateResolved, StateClosed}

// Active reports whether a case in state s is still being worked.
func Active(s string) bool {
	return s == StateNew || s == StateOpen || s == StatePendingCustomer || s == StatePendingInternal
}

// transitions are the moves a state change makes; reopening (resolved →
// open) is a move of its own, because it needs the reopen window.
var transitions = map[string][]string{
	StateNew:             {StateOpen, StatePendingInternal, StateResolved},
	StateOpen:            {StatePendingCustomer, StatePendingInternal, StateResolved},
	StatePendingCustomer: {StateOpen, StatePendingInternal, StateResolved},
	StatePendingInternal: {StateOpen, StatePendingCustomer, StateResolved},
	StateResolved:        {StateClosed},
}

// Refusal codes of the moves (the service's domain errors carry the same).
const (
	CodeInvalid        = "invalid"
	CodeCaseClosed     = "case_closed"
	CodeTransition     = "invalid_case_transition"
	CodeStateUnchanged = "state_unchanged"
	CodeOpenFirst      = "case_not_opened"
	CodeResolveFirst   = "case_not_resolved"
	CodeUseReopen      = "use_reopen"
)

// CheckTransition says whether a case may move from one state to another,
// and if not, why — with the refusal that says what to do. Nil: allowed.
func CheckTransition(from, to string) *wfx.Refusal {
	switch {
	case !slices.Contains(States, to):
		return &wfx.Refusal{Code: CodeInvalid, Field: "state", Message: "one of " + strings.Join(States, ", ")}
	case from == StateClosed:
		return &wfx.Refusal{Code: CodeCaseClosed, Message: "the case is closed and cannot change: create a follow-on case"}
	case from == to:
		return &wfx.Refusal{Code: CodeStateUnchanged, Message: "the case is already in this state"}
	case from == StateNew && to == StatePendingCustomer:
		return &wfx.Refusal{Code: CodeOpenFirst, Message: "open it first: someone must have looked at the case before it waits for the customer"}
	case to == StateClosed && from != StateResolved:
		return &wfx.Refusal{Code: CodeResolveFirst, Message: "resolve the case first: only a resolved case is closed"}
	case from == StateResolved && Active(to):
		return &wfx.Refusal{Code: CodeUseReopen, Message: "the case is resolved: reopen it (within the reopen window) instead"}
	case !slices.Contains(transitions[from], to):
		return &wfx.Refusal{Code: CodeTransition, Message: fmt.Sprintf("a case cannot move from %s to %s", from, to)}
	}
	return nil
}
