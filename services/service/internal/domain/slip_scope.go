package domain

import (
	"slices"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/workflows/infoslip"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// SlipScope says which slips a caller sees and which changes of them they
// may ask for. A slip out of sight answers 404 (ErrSlipNotFound), never 403;
// a change the caller may not make of a slip they see answers 403
// (ErrSlipNotAllowed).
//
// A slip carries what one person learnt about a customer, sometimes about
// people, to the people who must act on it; so, unlike cases, nobody reads
// every slip but admins — analysts have no view of slips as analysts:
//
//   - the originator and every recipient's person see the slip (a person
//     keeps seeing a part they forwarded, rejected or had dismissed);
//   - a manager sees the slips of the teams they manage: those whose
//     originator was in one of them when sending, and those with a
//     recipient of one of them.
type SlipScope struct {
	// All: every slip is seen, and every change may be asked (admins).
	All bool
	// UserID is the caller: the slips they sent or received ("" none: a
	// token without a role sees only what its roles allow).
	UserID string
	// Teams are the teams the caller manages.
	Teams []string
}

// SlipScopeOf is the scope of a caller.
func SlipScopeOf(p auth.Principal) SlipScope {
	s := SlipScope{All: p.Has(auth.RoleAdmin)}
	if len(p.Roles) > 0 {
		s.UserID = p.Subject
	}
	if p.Has(auth.RoleManager) {
		s.Teams = slices.Clone(p.Teams)
	}
	return s
}

// Sees reports whether the scope sees s.
func (sc SlipScope) Sees(s Slip) bool {
	if sc.All || sc.isOriginator(s) || sc.managesOriginator(s) {
		return true
	}
	return slices.ContainsFunc(s.Recipients, func(r Recipient) bool { return sc.isPerson(r) || sc.manages(r.Team) })
}

// Check returns ErrSlipNotFound when the scope does not see s.
func (sc SlipScope) Check(s Slip) error {
	if !sc.Sees(s) {
		return ErrSlipNotFound
	}
	return nil
}

// CheckOp says whether the scope may ask for op on s (on its part numbered
// recipient, for the ops that name one), before the change goes to the
// workflow:
//
//   - acknowledge, done, reject, forward: the part's person (a department's
//     part once routed to them), or an admin;
//   - route: a manager of the part's team (to another person of the team or
//     to themselves), or an admin — a manager acts for an unrouted part only
//     by routing it;
//   - add, reroute, dismiss, object, confirm, withdraw: the originator, a
//     manager of a team the originator was in, or an admin;
//   - auto_close: nobody (the workflow alone closes a slip by itself).
//
// A slip the scope does not see is ErrSlipNotFound; a part the slip does not
// have is the rules' recipient_not_found (422 on recipient).
func (sc SlipScope) CheckOp(s Slip, op string, recipient int32) error {
	if !sc.Sees(s) {
		return ErrSlipNotFound
	}
	if !slices.Contains(infoslip.Ops, op) {
		if op == infoslip.OpAutoClose {
			return ErrSlipNotAllowed
		}
		return fieldErr("op", "invalid", "one of "+strings.Join(infoslip.Ops, ", "))
	}
	allowed := sc.All
	switch op {
	case infoslip.OpAdd, infoslip.OpReroute, infoslip.OpDismiss, infoslip.OpObject, infoslip.OpConfirm, infoslip.OpWithdraw:
		allowed = allowed || sc.isOriginator(s) || sc.managesOriginator(s)
	default:
		r, ok := s.Recipient(recipient)
		if !ok {
			return SlipRefusal(&wfx.Refusal{Code: infoslip.CodeRecipientNotFound, Field: "recipient", Message: "the slip has no such recipient"})
		}
		if op == infoslip.OpRoute {
			allowed = allowed || sc.manages(r.Team)
		} else {
			allowed = allowed || sc.isPerson(r)
		}
	}
	if !allowed {
		return ErrSlipNotAllowed
	}
	return nil
}

func (sc SlipScope) isOriginator(s Slip) bool { return sc.UserID != "" && s.OriginatorID == sc.UserID }

func (sc SlipScope) isPerson(r Recipient) bool { return sc.UserID != "" && r.UserID == sc.UserID }

func (sc SlipScope) manages(team string) bool { return team != "" && slices.Contains(sc.Teams, team) }

func (sc SlipScope) managesOriginator(s Slip) bool {
	return slices.ContainsFunc(s.OriginatorTeams, sc.manages)
}

// Roles of a slip list: which of the caller's slips.
const (
	SlipRoleSent     = "sent"     // the slips they sent
	SlipRoleReceived = "received" // the slips whose part is theirs to act on (or was)
	SlipRoleTeam     = "team"     // the slips a team they manage is a recipient of
)

// SlipFilter narrows a list of slips (within the caller's scope). Empty
// fields do not filter.
type SlipFilter struct {
	Role string
	// State: the slip's state (infoslip.States).
	State string
	// RecipientState: a part in this state — with role received, the
	// caller's part; with role team, a part of a team the caller manages;
	// else any part (sent: a rejected part waits for the originator).
	RecipientState string
	CustomerID     string
}

// Check validates the filter's values, every bad one at once.
func (f SlipFilter) Check() error {
	var v apperr.Validation
	v.Check(f.Role == "" || slices.Contains([]string{SlipRoleSent, SlipRoleReceived, SlipRoleTeam}, f.Role), "role", "invalid", "sent, received or team")
	v.Check(f.State == "" || slices.Contains(infoslip.States, f.State), "state", "invalid", "one of "+strings.Join(infoslip.States, ", "))
	v.Check(f.RecipientState == "" || slices.Contains(infoslip.RecipientStates, f.RecipientState), "recipient_state", "invalid",
		"one of "+strings.Join(infoslip.RecipientStates, ", "))
	ref(&v, "customer_id", f.CustomerID, false)
	return v.Err()
}
