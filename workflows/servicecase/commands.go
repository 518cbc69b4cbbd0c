package servicecase

import (
	"slices"
	"time"

	"github.com/closeloop/closeloop/workflows/wfx"
)

// Ops of the case-command update (servicev1.CaseCommand.op).
const (
	OpState     = "state"      // move to to_state
	OpReopen    = "reopen"     // a resolved case back to open, within the reopen window
	OpReply     = "reply"      // a public reply, outbound or inbound
	OpNote      = "note"       // an internal note
	OpAssign    = "assign"     // another assignee (or the team's queue) and team
	OpPriority  = "priority"   // another priority
	OpAutoClose = "auto_close" // the workflow closes a resolved case after the policy's period
)

// Ops lists the ops a person may send.
var Ops = []string{OpState, OpReopen, OpReply, OpNote, OpAssign, OpPriority}

// Priorities, most urgent first.
var Priorities = []string{"P1", "P2", "P3", "P4"}

// More refusal codes (the service's domain errors carry the same).
const (
	CodeReopenWindow      = "reopen_window_passed"
	CodeCaseResolved      = "case_resolved"
	CodePriorityUnchanged = "priority_unchanged"
)

// Case is what the validators decide with: the case as the workflow knows it.
type Case struct {
	State      string
	Priority   string
	ResolvedAt time.Time // zero unless resolved
	// ReopenWindow is the reopen window in force (service.reopen_window).
	ReopenWindow time.Duration
}

// Command is a change as the validators see it.
type Command struct {
	Op, ToState, Direction, Priority string
}

// CheckCommand says whether the case, as it stands at now, takes the change;
// nil: it does. What only the record can tell (a blank body, an unknown
// assignee) the service's activity checks when it applies the change.
func CheckCommand(c Case, cmd Command, now time.Time) *wfx.Refusal {
	switch cmd.Op {
	case OpState:
		return CheckTransition(c.State, cmd.ToState)
	case OpReopen:
		switch {
		case c.State == StateClosed:
			return &wfx.Refusal{Code: CodeCaseClosed, Message: "the case is closed and cannot change: create a follow-on case"}
		case c.State != StateResolved:
			return &wfx.Refusal{Code: CodeTransition, Message: "only a resolved case is reopened; this one is " + c.State}
		case c.ReopenWindow <= 0 || now.After(c.ResolvedAt.Add(c.ReopenWindow)):
			return &wfx.Refusal{Code: CodeReopenWindow, Message: "the case was resolved too long ago to reopen: create a follow-on case"}
		}
	case OpReply:
		if c.State == StateClosed {
			return &wfx.Refusal{Code: CodeCaseClosed, Message: "the case is closed and gets no reply: create a follow-on case"}
		}
		if cmd.Direction != "outbound" && cmd.Direction != "inbound" {
			return &wfx.Refusal{Code: CodeInvalid, Field: "direction", Message: "outbound or inbound"}
		}
	case OpNote:
	case OpAssign:
		if c.State == StateClosed {
			return &wfx.Refusal{Code: CodeCaseClosed, Message: "the case is closed and cannot change: create a follow-on case"}
		}
	case OpPriority:
		switch {
		case !slices.Contains(Priorities, cmd.Priority):
			return &wfx.Refusal{Code: CodeInvalid, Field: "priority", Message: "one of P1, P2, P3, P4"}
		case c.State == StateClosed:
			return &wfx.Refusal{Code: CodeCaseClosed, Message: "the case is closed and cannot change: create a follow-on case"}
		case c.State == StateResolved:
			return &wfx.Refusal{Code: CodeCaseResolved, Message: "the case is resolved: reopen it to change its priority"}
		case cmd.Priority == c.Priority:
			return &wfx.Refusal{Code: CodePriorityUnchanged, Message: "the case already has this priority"}
		}
	default:
		return &wfx.Refusal{Code: CodeInvalid, Field: "op", Message: "one of state, reopen, reply, note, assign, priority"}
	}
	return nil
}

// Raised is the priority one level more urgent than p; ok is false for P1
// (nothing is more urgent) and for an unknown priority.
func Raised(p string) (string, bool) {
	i := slices.Index(Priorities, p)
	if i <= 0 {
		return "", false
	}
	return Priorities[i-1], true
}
