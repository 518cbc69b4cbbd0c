package lead

import "strings"

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

// Refusal is a rule a request breaks. Its Code is the API's error code; the
// sales service maps it back to its domain error, so the same words reach the
// caller whether the API or the workflow's update validator refused.
type Refusal struct {
	Code    string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// Open reports whether a lead in state s is still being worked.
func Open(s string) bool { return s == StateNew || s == StateContacted || s == StateQualified }

// CheckCommand says whether op may be applied to a lead in state.
func CheckCommand(state, op string) *Refusal {
	if !Open(state) {
		return &Refusal{"lead_closed", "the lead is " + state}
	}
	switch op {
	case OpContact, OpDisqualify:
		return nil
	case OpQualify:
		if state != StateContacted {
			return &Refusal{"invalid_lead_transition", "a " + state + " lead cannot be qualified: log first contact first"}
		}
		return nil
	case OpConvert:
		if state == StateNew {
			return &Refusal{"invalid_lead_transition", "a lead nobody has contacted cannot be converted"}
		}
		return nil
	}
	return &Refusal{"invalid", "op must be contact, qualify, disqualify or convert"}
}

// CheckStageChange says whether an open opportunity in stage from may move to
// stage to. Forward moves may skip stages; going back needs the permission
// (mayGoBack) and a reason.
func CheckStageChange(status string, from, to int, mayGoBack bool, reason string) *Refusal {
	switch {
	case status != StatusOpen:
		return &Refusal{"opportunity_closed", "the opportunity is already " + status}
	case to < 1 || to > 4:
		return &Refusal{"invalid", "to_stage must be 1, 2, 3 or 4"}
	case to == from:
		return &Refusal{"stage_unchanged", "the opportunity is already in this stage"}
	case to < from && !mayGoBack:
		return &Refusal{"stage_backwards_forbidden", "only managers may move an opportunity back to an earlier stage"}
	case to < from && strings.TrimSpace(reason) == "":
		return &Refusal{"invalid", "say why the opportunity goes back to an earlier stage"}
	}
	return nil
}

// CheckClose says whether an open opportunity may be won or lost.
func CheckClose(status, op, reason string) *Refusal {
	switch {
	case status != StatusOpen:
		return &Refusal{"opportunity_closed", "the opportunity is already " + status}
	case op != OpWon && op != OpLost:
		return &Refusal{"invalid", "op must be stage, won or lost"}
	case op == OpLost && strings.TrimSpace(reason) == "":
		return &Refusal{"invalid", "say why the opportunity was lost"}
	}
	return nil
}
