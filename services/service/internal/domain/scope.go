package domain

import (
	"slices"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

// Scope says which cases a caller sees, and which of those it works (may
// change). A case out of sight answers 404, never 403; a case in sight but
// not worked answers 403 to a change.
//
// The tokens know four roles (rep, manager, analyst, admin) and no "service
// rep": a rep is a service rep for the cases of the teams it belongs to and a
// sales rep for the cases of the customers it owns, and one person may be
// both. So:
//
//   - reps work the cases assigned to them and the cases of their teams
//     (their queues), and read the cases of the customers they own;
//   - managers work the cases of the teams they manage, and read the cases
//     of the customers their teams own (their customer scope, auth.Scope);
//   - analysts read every case and work none; admins work every case.
type Scope struct {
	// All: every case is seen (admins, analysts).
	All bool
	// WorkAll: every case is worked (admins).
	WorkAll bool
	// Assignee: the cases assigned to this user are worked.
	Assignee string
	// Teams: the cases of these teams are worked.
	Teams []string
	// Customers: the cases of the customers this customer scope sees are
	// read — the case's customer_owner_id and customer_team stand for its
	// customer's owner and team.
	Customers auth.Scope
}

// ScopeOf is the scope of a caller. A caller with several roles gets the
// union of what they allow.
func ScopeOf(p auth.Principal) Scope {
	s := Scope{All: p.Has(auth.RoleAdmin) || p.Has(auth.RoleAnalyst), WorkAll: p.Has(auth.RoleAdmin), Customers: p.Scope()}
	if p.Has(auth.RoleRep) {
		s.Assignee = p.Subject
	}
	if p.Has(auth.RoleRep) || p.Has(auth.RoleManager) {
		s.Teams = slices.Clone(p.Teams)
	}
	return s
}

// Sees reports whether the scope sees c.
func (s Scope) Sees(c Case) bool {
	return s.All || s.Works(c) || s.readsCustomer(c)
}

// Works reports whether the scope may change c.
func (s Scope) Works(c Case) bool {
	return s.WorkAll || (s.Assignee != "" && c.AssigneeID == s.Assignee) || slices.Contains(s.Teams, c.Team)
}

func (s Scope) readsCustomer(c Case) bool {
	cs := s.Customers
	return cs.All || (cs.OwnerID != "" && c.CustomerOwnerID == cs.OwnerID) || (c.CustomerTeam != "" && slices.Contains(cs.Teams, c.CustomerTeam))
}

// Check returns ErrCaseNotFound when the scope does not see c, and
// ErrCaseReadOnly when it sees c but change asks to change it.
func (s Scope) Check(c Case, change bool) error {
	switch {
	case !s.Sees(c):
		return ErrCaseNotFound
	case change && !s.Works(c):
		return ErrCaseReadOnly
	}
	return nil
}

// SeesInternal reports whether the scope sees c's internal timeline entries
// (notes, state, priority and assignment changes, SLA results): who works the
// case, and who reads every case (analysts study how cases were handled,
// admins run the service). Who reads c only because its customer is theirs
// — the sales rep who owns the customer, the sales managers of the
// customer's team — sees what the customer sees: the public entries.
func (s Scope) SeesInternal(c Case) bool {
	return s.All || s.Works(c)
}

// Files reports whether the scope files cases at all: it works some (see
// CheckFile).
func (s Scope) Files() bool {
	return s.WorkAll || s.Assignee != "" || len(s.Teams) > 0
}

// CheckFile says whether the scope may file c, a case just made by New (or
// FollowOn) for a customer the caller sees:
//
//   - filing is work: a scope that works no case (analysts, a manager of no
//     team) is refused (403 case_file_not_allowed);
//   - anyone who works cases may file one for a customer they see, into any
//     team's queue — a sales rep taking a complaint on the phone files it to
//     the service team; they then read the case through their customer;
//   - naming an assignee is assigning work: only who works the team's cases
//     (its reps and managers, admins) picks one, or a caller takes the case
//     themselves; anyone else leaves it in the team's queue (422 on
//     assignee_id);
//   - the caller must see the case they file (422 on team otherwise): the
//     customer service's scope and Sees agree, so this holds for every
//     customer the caller was shown, and it keeps a filed case from
//     disappearing should they ever differ.
func (s Scope) CheckFile(c Case) error {
	if !s.Files() {
		return ErrFileNotAllowed
	}
	var v apperr.Validation
	v.Check(c.AssigneeID == "" || c.AssigneeID == s.Assignee || s.WorkAll || slices.Contains(s.Teams, c.Team),
		"assignee_id", "not_allowed", "only who works team "+c.Team+"'s cases assigns them (or takes one themselves): leave assignee_id empty and the case waits in the team's queue")
	v.Check(s.Sees(c), "team", "out_of_scope", "you would not see this case: file it to one of your teams")
	return v.Err()
}

// Filter narrows a list of cases (within the caller's scope). Empty fields
// do not filter.
type Filter struct {
	// States: any of these states.
	States                                       []string
	Team, AssigneeID, CustomerID, Priority, Type string
	// Unassigned: only the cases waiting in their team's queue.
	Unassigned bool
	// SLA: only the cases still being worked with a target at risk (past
	// its warning point, not met) — SLAAtRisk — or breached and not met
	// yet — SLABreached (report.go); "" any.
	SLA string
}

// SLA filters of a case list (with SLABreached).
const SLAAtRisk = "at_risk"

// Check validates the filter's values, every bad one at once.
func (f Filter) Check() error {
	var v apperr.Validation
	for _, s := range f.States {
		v.Check(slices.Contains(States, s), "state", "invalid", "any of "+strings.Join(States, ", "))
	}
	v.Check(f.Priority == "" || slices.Contains(Priorities, f.Priority), "priority", "invalid", "one of P1, P2, P3, P4")
	v.Check(f.Type == "" || slices.Contains(Types, f.Type), "type", "invalid", "one of "+strings.Join(Types, ", "))
	v.Check(!f.Unassigned || f.AssigneeID == "", "assignee_id", "conflict", "ask for an assignee or for the unassigned cases, not both")
	v.Check(f.SLA == "" || f.SLA == SLAAtRisk || f.SLA == SLABreached, "sla", "invalid", "at_risk or breached")
	ref(&v, "customer_id", f.CustomerID, false)
	user(&v, "assignee_id", f.AssigneeID, false)
	team(&v, "team", f.Team, false)
	return v.Err()
}
