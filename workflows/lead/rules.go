package lead

import (
	"strings"

	"github.com/closeloop/closeloop/workflows/wfx"
)

// Lead states. A lead starts new (assigned or in the pool), becomes contacted
// at first contact, then qualified; it ends disqualified or converted.
const (
	StateNew          = "new"
	StateContacted    = "contacted"
	StateQualified    = "qualified"
	StateDisqualified = "disqualified"
	StateConverted    = "converted"
)

// Lead commands (ops of the lead-command update).
const (
	OpContact    = "contact"
	OpQualify    = "qualify"
	OpDisqualify = "disqualify"
	OpConvert    = "convert"
)

// Opportunity statuses and commands.
const (
	StatusOpen = "open"
	StatusWon  = "won"
	StatusLost = "lost"
	OpStage    = "stage"
	OpWon      = "won"
	OpLost     = "lost"
)

// Refusal is a rule a request breaks: the workflows' one refusal type
// (wfx.Refusal). Its Code is the API's error code; the sales service maps it
// back to its domain error, so the same words reach the caller whether the
// API or the workflow's update validator refused.
type Refusal = wfx.Refusal

// Open reports whether a lead in state s is still being worked.
func Open(s string) bool { return s == StateNew || s == StateContacted || s == StateQualified }

// CheckCommand says whether op may be applied to a lead in state.
func CheckCommand(state, op string) *Refusal {
	if !Open(state) {
		return &Refusal{Code: "lead_closed", Message: "the lead is " + state}
	}
	switch op {
	case OpContact, OpDisqualify:
		return nil
	case OpQualify:
		if state != StateContacted {
			return &Refusal{Code: "invalid_lead_transition", Message: "a " + state + " lead cannot be qualified: log first contact first"}
		}
		return nil
	case OpConvert:
		if state == StateNew {
			return &Refusal{Code: "invalid_lead_transition", Message: "a lead nobody has contacted cannot be converted"}
		}
		return nil
	}
	return &Refusal{Code: "invalid", Message: "op must be contact, qualify, disqualify or convert"}
}

// CheckStageChange says whether an open opportunity in stage from may move to
// stage to. Forward moves may skip stages; going back needs the permission
// (mayGoBack) and a reason.
func CheckStageChange(status string, from, to int, mayGoBack bool, reason string) *Refusal {
	switch {
	case status != StatusOpen:
		return &Refusal{Code: "opportunity_closed", Message: "the opportunity is already " + status}
	case to < 1 || to > 4:
		return &Refusal{Code: "invalid", Message: "to_stage must be 1, 2, 3 or 4"}
	case to == from:
		return &Refusal{Code: "stage_unchanged", Message: "the opportunity is already in this stage"}
	case to < from && !mayGoBack:
		return &Refusal{Code: "stage_backwards_forbidden", Message: "only managers may move an opportunity back to an earlier stage"}
	case to < from && strings.TrimSpace(reason) == "":
		return &Refusal{Code: "invalid", Message: "say why the opportunity goes back to an earlier stage"}
	}
	return nil
}

// CheckClose says whether an open opportunity may be won or lost.
func CheckClose(status, op, reason string) *Refusal {
	switch {
	case status != StatusOpen:
		return &Refusal{Code: "opportunity_closed", Message: "the opportunity is already " + status}
	case op != OpWon && op != OpLost:
		return &Refusal{Code: "invalid", Message: "op must be stage, won or lost"}
	case op == OpLost && strings.TrimSpace(reason) == "":
		return &Refusal{Code: "invalid", Message: "say why the opportunity was lost"}
	}
	return nil
}

// versionOwnerRules marks executions that run the customer-bound rules
// (issue 13): a lead on a customer someone already owned belongs to that
// owner; the first-contact SLA counts from the assignment unless the lead was
// imported; a claimed customer follows its lead.
const versionOwnerRules = "lead-owner-rules"

// Holding is who holds a lead, as a reassignment sees it.
type Holding struct {
	State, OwnerID string
	Pooled         bool
	// Settled: the first assignment is done.
	Settled bool
	// Bound: the customer already had an owner when the lead arrived; its
	// owner is CustomerOwnerID.
	Bound           bool
	CustomerOwnerID string
}

// ReassignRequest is what a person asks of a reassignment.
type ReassignRequest interface {
	GetToOwnerId() string
	GetToPool() bool
	GetReason() string
	GetMoveCustomer() bool
}

// CheckReassign says whether a person may reassign a lead held as h. A lead
// bound to its customer's owner changes hands only to a named rep and
// together with the customer (move_customer): never to the pool, never by
// the territory's rules, never away from the customer silently.
func CheckReassign(h Holding, req ReassignRequest) *Refusal {
	switch {
	case !Open(h.State):
		return &Refusal{Code: "lead_closed", Message: "the lead is " + h.State}
	case strings.TrimSpace(req.GetReason()) == "":
		return &Refusal{Code: "invalid", Message: "say why the lead changes hands"}
	case req.GetToPool() && req.GetToOwnerId() != "":
		return &Refusal{Code: "invalid", Message: "either to_owner_id or to_pool"}
	case req.GetToPool() && h.Pooled:
		return &Refusal{Code: "already_pooled", Message: "the lead is already in the pool"}
	case req.GetToOwnerId() != "" && req.GetToOwnerId() == h.OwnerID:
		return &Refusal{Code: "same_owner", Message: "the lead is already assigned to " + h.OwnerID}
	case !h.Settled:
		return &Refusal{Code: "invalid", Message: "the lead is still being assigned; retry in a moment"}
	case h.Bound && (req.GetToOwnerId() == "" || !req.GetMoveCustomer()):
		return &Refusal{Code: "customer_owned", Message: "the lead's customer belongs to " + h.CustomerOwnerID +
			", who holds its leads: name the new owner with move_customer to move the customer too, or change the customer's owner in the customer service"}
	case req.GetMoveCustomer() && req.GetToOwnerId() == "":
		return &Refusal{Code: "invalid", Message: "move_customer needs to_owner_id"}
	}
	return nil
}

// CheckConvert says whether a lead held by owner may be converted into an
// opportunity owned by oppOwner: the opportunity is the lead's owner's, and
// that owner must be the customer's owner (customerOwner, when the customer
// has one) — a rep never gets a deal on a customer they cannot see, and the
// customer's owner always sees the deals on their customer.
func CheckConvert(owner string, pooled bool, customerOwner, oppOwner string) *Refusal {
	switch {
	case pooled || owner == "":
		return &Refusal{Code: "invalid", Message: "assign the lead to a rep before converting it"}
	case oppOwner != owner:
		return &Refusal{Code: "lead_not_found", Message: "the lead was reassigned and is no longer yours"}
	case customerOwner != "" && customerOwner != owner:
		return &Refusal{Code: "customer_not_visible", Message: "the lead's customer belongs to another rep: " + owner +
			" may not see it; ask the customer's team to move the customer or the lead"}
	}
	return nil
}
