// Package infoslip holds what the InfoSlip workflow decides with: the states
// of an information routing slip and of each of its recipients, the changes
// a slip takes (ops) and when each is refused. The after-sales service's
// domain (services/service/internal/domain) applies the same rules to its
// record through this package, so the workflow's update validators and the
// service's own checks refuse with the same codes and words.
//
// A slip is about a customer; someone (the originator) routes it to the
// departments or people that must act on it. Each recipient acknowledges,
// acts and reports what it did (done, with a note) — or rejects it with a
// reason, or forwards it to someone better placed. When every recipient is
// done, the originator confirms and the slip is closed (or it closes by
// itself after the confirmation period without objection).
package infoslip

import (
	"slices"
	"strings"

	"github.com/closeloop/closeloop/workflows/wfx"
)

// Slip states.
const (
	StateOpen      = "open"      // recipients are at work (or all done, waiting for the originator's confirmation)
	StateClosed    = "closed"    // every recipient done, confirmed (or not objected to in time)
	StateWithdrawn = "withdrawn" // the originator called it off
)

// States lists the slip states.
var States = []string{StateOpen, StateClosed, StateWithdrawn}

// Recipient states and the moves between them:
//
//	pending       → acknowledged, rejected, forwarded (and done: acting is acknowledging)
//	acknowledged  → done, rejected, forwarded
//	done          → acknowledged (the originator objects: not done after all)
//	rejected      → dismissed (the originator accepts it, or re-routes it to another recipient)
//	forwarded, dismissed: final — the recipient's part is somebody else's now, or nobody's
const (
	RecipientPending      = "pending"
	RecipientAcknowledged = "acknowledged"
	RecipientDone         = "done"
	RecipientRejected     = "rejected"
	RecipientForwarded    = "forwarded"
	RecipientDismissed    = "dismissed"
)

// RecipientStates lists the recipient states.
var RecipientStates = []string{RecipientPending, RecipientAcknowledged, RecipientDone, RecipientRejected, RecipientForwarded, RecipientDismissed}

// Owes reports whether a recipient in state s still owes the slip something
// (and is chased for it): pending (an acknowledgement) or acknowledged (its
// action). A rejected recipient owes nothing; the originator owes the
// decision what becomes of its part.
func Owes(s string) bool { return s == RecipientPending || s == RecipientAcknowledged }

// Counts reports whether a recipient in state s is one the slip's closure
// waits for: it is done, or still owes, or was rejected without the
// originator deciding. Forwarded and dismissed recipients do not count.
func Counts(s string) bool { return s != RecipientForwarded && s != RecipientDismissed }

// Recipient kinds.
const (
	// KindDepartment: a department's team; one of its managers routes the
	// slip to a person (or takes it), who then acts for the department.
	KindDepartment = "department"
	// KindPerson: a named person of the organisation.
	KindPerson = "person"
)

// Categories of a slip.
var Categories = []string{"complaint", "market_intelligence", "competitor", "quality", "customer_change", "other"}

// Urgencies of a slip, most urgent first.
var Urgencies = []string{"urgent", "high", "normal", "low"}

// Departments a slip is routed to.
var Departments = []string{"sales", "service", "marketing"}

// Limits of a slip.
const (
	// MaxRecipients is the most recipients a new slip names (49: a slip to
	// 50 or more is a notice, not a request each must act on).
	MaxRecipients = 49
	// MaxChain bounds every recipient a slip ever has, forwards and
	// re-routes included.
	MaxChain = 100
)

// Ops of the slip-command update.
const (
	OpRoute       = "route"       // a department recipient's manager gives its part to a person (or takes it)
	OpAcknowledge = "acknowledge" // a recipient has seen the slip and takes it on
	OpDone        = "done"        // a recipient reports what it did (note required)
	OpReject      = "reject"      // a recipient is not the one to act (reason required)
	OpForward     = "forward"     // a recipient hands its part to another recipient (the chain is kept)
	OpAdd         = "add"         // the originator routes the slip to more recipients
	OpReroute     = "reroute"     // the originator sends a rejected part to another recipient
	OpDismiss     = "dismiss"     // the originator accepts a rejection: nobody does that part
	OpObject      = "object"      // the originator: a recipient's part is not done (reason required)
	OpConfirm     = "confirm"     // the originator closes the slip, every part done
	OpWithdraw    = "withdraw"    // the originator calls the slip off
	OpAutoClose   = "auto_close"  // the workflow closes it after the confirmation period without objection
)

// Ops lists the ops a person may send.
var Ops = []string{OpRoute, OpAcknowledge, OpDone, OpReject, OpForward, OpAdd, OpReroute, OpDismiss, OpObject, OpConfirm, OpWithdraw}

// RecipientOps are the ops that act on one recipient's part (the command
// names it).
var RecipientOps = []string{OpRoute, OpAcknowledge, OpDone, OpReject, OpForward, OpReroute, OpDismiss, OpObject}

// Refusal codes (the service's domain errors carry the same).
const (
	CodeInvalid             = "invalid"
	CodeSlipClosed          = "slip_closed"
	CodeSlipWithdrawn       = "slip_withdrawn"
	CodeRecipientNotFound   = "recipient_not_found"
	CodeAlreadyAcknowledged = "already_acknowledged"
	CodeAlreadyDone         = "already_done"
	CodeRecipientState      = "invalid_recipient_transition"
	CodeNotRouted           = "recipient_not_routed"
	CodeNotDepartment       = "not_a_department"
	CodeNotAllDone          = "slip_not_done"
	CodeTooManyRecipients   = "too_many_recipients"
	CodeReasonRequired      = "reason_required"
	CodeNoteRequired        = "note_required"
)

// Slip is what the validators decide with: the slip as the workflow knows it.
type Slip struct {
	State      string
	Recipients []Recipient
}

// Recipient is one recipient as the validators see it.
type Recipient struct {
	N      int32 // its number on the slip, from 1
	Kind   string
	State  string
	UserID string // the person who acts ("" for a department not routed yet)
}

// Command is a change as the validators see it.
type Command struct {
	Op        string
	Recipient int32 // RecipientOps: the recipient's number
	// Text is the op's note or reason (done, reject, object need one).
	Text string
	// Adds is how many recipients the change adds (add, forward, reroute).
	Adds int
}

// Find returns the recipient numbered n.
func (s Slip) Find(n int32) (Recipient, bool) {
	for _, r := range s.Recipients {
		if r.N == n {
			return r, true
		}
	}
	return Recipient{}, false
}

// AllDone reports whether every recipient the closure waits for is done
// (and there is at least one).
func (s Slip) AllDone() bool {
	any := false
	for _, r := range s.Recipients {
		if !Counts(r.State) {
			continue
		}
		if r.State != RecipientDone {
			return false
		}
		any = true
	}
	return any
}

// CheckCommand says whether the slip, as it stands, takes the change; nil:
// it does. Who may send it (the recipient's person, the originator, a
// manager) the service checks before it sends the change; what only the
// record can tell (an unknown person) its activity checks when it applies
// the change.
func CheckCommand(s Slip, cmd Command) *wfx.Refusal {
	if !slices.Contains(Ops, cmd.Op) && cmd.Op != OpAutoClose {
		return &wfx.Refusal{Code: CodeInvalid, Field: "op", Message: "one of " + strings.Join(Ops, ", ")}
	}
	switch s.State {
	case StateClosed:
		return &wfx.Refusal{Code: CodeSlipClosed, Message: "the slip is closed and cannot change: send a new slip"}
	case StateWithdrawn:
		return &wfx.Refusal{Code: CodeSlipWithdrawn, Message: "the slip was withdrawn and cannot change"}
	}
	if cmd.Adds > 0 && len(s.Recipients)+cmd.Adds > MaxChain {
		return &wfx.Refusal{Code: CodeTooManyRecipients, Field: "recipients",
			Message: "a slip has at most 100 recipients over its life, forwards and re-routes included: send a new slip"}
	}
	if !slices.Contains(RecipientOps, cmd.Op) {
		switch cmd.Op {
		case OpAdd:
			if cmd.Adds < 1 {
				return &wfx.Refusal{Code: CodeInvalid, Field: "recipients", Message: "name at least one recipient to add"}
			}
		case OpConfirm, OpAutoClose:
			if !s.AllDone() {
				return &wfx.Refusal{Code: CodeNotAllDone, Message: "not every recipient is done: wait for them, or dismiss a rejected part"}
			}
		}
		return nil
	}
	r, ok := s.Find(cmd.Recipient)
	if !ok {
		return &wfx.Refusal{Code: CodeRecipientNotFound, Field: "recipient", Message: "the slip has no such recipient"}
	}
	return checkRecipient(r, cmd)
}

func checkRecipient(r Recipient, cmd Command) *wfx.Refusal {
	need := func(field, code, what string) *wfx.Refusal {
		if strings.TrimSpace(cmd.Text) == "" {
			return &wfx.Refusal{Code: code, Field: field, Message: what}
		}
		return nil
	}
	moved := func(verb string) *wfx.Refusal {
		return &wfx.Refusal{Code: CodeRecipientState, Message: "this recipient's part is " + r.State + ": it cannot be " + verb}
	}
	switch cmd.Op {
	case OpRoute:
		switch {
		case r.Kind != KindDepartment:
			return &wfx.Refusal{Code: CodeNotDepartment, Message: "only a department's part is routed to a person; a person forwards it instead"}
		case !Owes(r.State):
			return moved("routed")
		}
	case OpAcknowledge:
		switch {
		case r.State == RecipientAcknowledged:
			return &wfx.Refusal{Code: CodeAlreadyAcknowledged, Message: "this part is already acknowledged"}
		case r.State != RecipientPending:
			return moved("acknowledged")
		case r.UserID == "":
			return &wfx.Refusal{Code: CodeNotRouted, Message: "the department's manager routes the slip to a person first (or takes it)"}
		}
	case OpDone:
		switch {
		case r.State == RecipientDone:
			return &wfx.Refusal{Code: CodeAlreadyDone, Message: "this part is already done"}
		case !Owes(r.State):
			return moved("done")
		case r.UserID == "":
			return &wfx.Refusal{Code: CodeNotRouted, Message: "the department's manager routes the slip to a person first (or takes it)"}
		}
		return need("note", CodeNoteRequired, "say what was done")
	case OpReject:
		if !Owes(r.State) {
			return moved("rejected")
		}
		return need("reason", CodeReasonRequired, "say why this is not yours to act on, so the originator can route it elsewhere")
	case OpForward:
		switch {
		case !Owes(r.State):
			return moved("forwarded")
		case cmd.Adds != 1:
			return &wfx.Refusal{Code: CodeInvalid, Field: "to", Message: "name the one recipient to forward to"}
		}
	case OpReroute:
		switch {
		case r.State != RecipientRejected:
			return &wfx.Refusal{Code: CodeRecipientState, Message: "only a rejected part is re-routed; this one is " + r.State}
		case cmd.Adds != 1:
			return &wfx.Refusal{Code: CodeInvalid, Field: "to", Message: "name the one recipient to re-route to"}
		}
	case OpDismiss:
		if r.State != RecipientRejected {
			return &wfx.Refusal{Code: CodeRecipientState, Message: "only a rejected part is dismissed; this one is " + r.State}
		}
	case OpObject:
		if r.State != RecipientDone {
			return &wfx.Refusal{Code: CodeRecipientState, Message: "only a done part is objected to; this one is " + r.State}
		}
		return need("reason", CodeReasonRequired, "say what is still missing")
	}
	return nil
}
