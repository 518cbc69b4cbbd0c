package domain

import (
	"slices"
	"time"
)

// State is where a campaign stands.
type State string

// Campaign states:
//
//	draft ──approve──▶ approved ──launch──▶ running ──complete──▶ completed
//	  │                   │                    │
//	  └──────cancel───────┴───────cancel───────┴──▶ cancelled
//
// A draft is edited freely; from approval on, the campaign is what its
// manager approved and is no longer edited (ErrNotEditable): a change of
// plan is a cancellation and a new draft. Completed and cancelled are final.
const (
	StateDraft     State = "draft"
	StateApproved  State = "approved"
	StateRunning   State = "running"
	StateCompleted State = "completed"
	StateCancelled State = "cancelled"
)

// States lists every state in order.
var States = []State{StateDraft, StateApproved, StateRunning, StateCompleted, StateCancelled}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Final reports whether a campaign in state s never changes state again.
func (s State) Final() bool { return s == StateCompleted || s == StateCancelled }

// moves is the one table of allowed state changes.
var moves = map[State][]State{
	StateDraft:    {StateApproved, StateCancelled},
	StateApproved: {StateRunning, StateCancelled},
	StateRunning:  {StateCompleted, StateCancelled},
}

// CanMove reports whether from → to is a move of the state machine.
func CanMove(from, to State) bool { return slices.Contains(moves[from], to) }

// CheckTransition says whether a campaign may move from one state to
// another, and if not, why: an unknown target is a field error on "state";
// the state it is in, ErrStateUnchanged; a draft launched,
// ErrApprovalRequired; any other move the table lacks, ErrTransition.
func CheckTransition(from, to State) error {
	switch {
	case !to.Valid():
		return fieldErr("state", "invalid", "one of "+join(States))
	case from == to:
		return ErrStateUnchanged
	case from == StateDraft && to == StateRunning:
		return ErrApprovalRequired
	case !CanMove(from, to):
		if from.Final() {
			return ErrTransition.Withf("the campaign is %s and does not change state any more", from)
		}
		return ErrTransition.Withf("a %s campaign does not move to %s", from, to)
	}
	return nil
}

// Move moves the campaign to state to on actor's behalf, or refuses: first
// the state machine (CheckTransition), then the actor's part in the campaign
// — approving is a marketing manager's of the campaign's team or an admin's
// (ErrNotMarketingManager); launching, completing and cancelling also its
// owner's (ErrNotRunner). The campaign's team is a marketing team
// (Marketing.CheckCreate), so a manager of it is a marketing manager; the
// use case still asks Marketing.Check first, which also hides the campaign
// from who may not see it.
//
// The move stamps its instant (ApprovedAt and ApprovedBy, LaunchedAt,
// CompletedAt, CancelledAt) and counts a version.
func (c Campaign) Move(to State, actor Actor, now time.Time) (Campaign, error) {
	if err := CheckTransition(c.State, to); err != nil {
		return c, err
	}
	switch {
	case to == StateApproved && !approves(actor, c):
		return c, ErrNotMarketingManager
	case to != StateApproved && !runs(actor, c):
		return c, ErrNotRunner
	}
	at := instant(now)
	switch to {
	case StateApproved:
		c.ApprovedAt, c.ApprovedBy = &at, actor.ID
	case StateRunning:
		c.LaunchedAt = &at
	case StateCompleted:
		c.CompletedAt = &at
	case StateCancelled:
		c.CancelledAt = &at
	}
	c.State, c.Version, c.UpdatedAt = to, c.Version+1, at
	return c, nil
}
