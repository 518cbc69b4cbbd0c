package domain

import (
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/servicecase"
)

// Command is one change of a case after filing, as the case workflow passes
// it to the service (and as the API checks it before sending it): Op names
// the change (servicecase.Op*), the other fields are its arguments.
type Command struct {
	Op, Actor, Reason string
	// state
	To              string
	CustomerRequest bool
	// reply, note
	Direction, Body string
	// assign
	AssigneeID, Team string
	// priority
	Priority string
	// reopen and auto_close: the periods in force.
	ReopenWindow, AutoCloseAfter time.Duration
}

// Apply applies cmd to c at now: the one door through which a case changes
// after filing. It returns the changed case and its timeline entries, or
// the refusal (nothing changes then).
func Apply(c Case, cmd Command, now time.Time) (Case, []Entry, error) {
	var v apperr.Validation
	user(&v, "actor", cmd.Actor, true)
	if err := v.Err(); err != nil {
		return c, nil, err
	}
	switch cmd.Op {
	case servicecase.OpState:
		out, es, _, err := ChangeState(c, StateChange{To: cmd.To, Reason: cmd.Reason, Actor: cmd.Actor}, now)
		if err == nil && cmd.To == StateClosed {
			out.ClosedByCustomer = cmd.CustomerRequest
		}
		return out, es, err
	case servicecase.OpReopen:
		out, es, _, err := Reopen(c, cmd.Reason, cmd.Actor, cmd.ReopenWindow, now)
		return out, es, err
	case servicecase.OpReply:
		out, es, _, err := Reply(c, Message{Direction: cmd.Direction, Body: cmd.Body, Actor: cmd.Actor}, now)
		return out, es, err
	case servicecase.OpNote:
		return Note(c, cmd.Body, cmd.Actor, now)
	case servicecase.OpAssign:
		return Assign(c, Assignment{AssigneeID: cmd.AssigneeID, Team: cmd.Team, Reason: cmd.Reason}, cmd.Actor, now)
	case servicecase.OpPriority:
		return Reprioritize(c, cmd.Priority, cmd.Reason, cmd.Actor, now)
	case servicecase.OpAutoClose:
		return AutoClose(c, cmd.AutoCloseAfter, now)
	}
	return c, nil, fieldErr("op", "invalid", "one of state, reopen, reply, note, assign, priority")
}
