package domain

import (
	"slices"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

// Roles an actor may hold: the tokens' roles (platform/auth).
const (
	RoleRep     = string(auth.RoleRep)
	RoleManager = string(auth.RoleManager)
	RoleAnalyst = string(auth.RoleAnalyst)
	RoleAdmin   = string(auth.RoleAdmin)
)

// Actor is who asks for something: a user id, its roles and the teams it
// belongs to (as a rep) or manages (as a manager).
type Actor struct {
	ID    string
	Roles []string
	Teams []string
}

// ActorOf is the actor of an authenticated caller.
func ActorOf(p auth.Principal) Actor {
	a := Actor{ID: p.Subject, Teams: slices.Clone(p.Teams)}
	for _, r := range p.Roles {
		a.Roles = append(a.Roles, string(r))
	}
	return a
}

// Has reports whether a holds role.
func (a Actor) Has(role string) bool { return slices.Contains(a.Roles, role) }

// InTeam reports whether team is one of a's teams.
func (a Actor) InTeam(team string) bool { return team != "" && slices.Contains(a.Teams, team) }

// Marketing is the marketing department as the service is configured: the
// names of its teams. The tokens know no "marketer" role; a marketer is a rep
// of a marketing team, a marketing manager a manager of one.
//
// Who does what with campaigns:
//
//   - marketers, marketing managers, analysts and admins see every campaign
//     and its evaluation: campaigns compete for the same customers
//     (precedence.go), so whoever plans one sees the others; everyone else —
//     sales reps, service staff — sees none (404);
//   - marketers and marketing managers create drafts, edit them and record
//     costs for the campaigns of their own teams (admins for every one);
//     analysts change nothing;
//   - a marketing manager of the campaign's team, or an admin, approves it;
//   - the campaign's owner, a marketing manager of its team or an admin
//     launches, completes and cancels it.
//
// A caller with several roles gets the union of what they allow.
type Marketing struct {
	Teams []string
}

// Validate checks the configuration: at least one team, each named.
func (m Marketing) Validate() error {
	var v apperr.Validation
	v.Check(len(m.Teams) > 0, "teams", "required", "name the marketing department's teams")
	for _, t := range m.Teams {
		team(&v, "teams", t, true)
	}
	return v.Err()
}

// IsMarketingTeam reports whether team is one of the department's teams.
func (m Marketing) IsMarketingTeam(team string) bool {
	return team != "" && slices.Contains(m.Teams, team)
}

// IsMarketer reports whether a is a rep of a marketing team.
func (m Marketing) IsMarketer(a Actor) bool { return a.Has(RoleRep) && m.inDepartment(a) }

// IsMarketingManager reports whether a manages a marketing team.
func (m Marketing) IsMarketingManager(a Actor) bool { return a.Has(RoleManager) && m.inDepartment(a) }

func (m Marketing) inDepartment(a Actor) bool {
	return slices.ContainsFunc(a.Teams, m.IsMarketingTeam)
}

// SeesCampaigns reports whether a sees campaigns at all. Sight is
// department-wide, so who sees one campaign sees every one: a list needs no
// per-campaign filter, only this.
func (m Marketing) SeesCampaigns(a Actor) bool {
	return a.Has(RoleAdmin) || a.Has(RoleAnalyst) || m.IsMarketer(a) || m.IsMarketingManager(a)
}

// CanSee reports whether a sees campaign c (and its costs, enrolments and
// evaluation).
func (m Marketing) CanSee(a Actor, c Campaign) bool { return m.SeesCampaigns(a) }

// CanCreate reports whether a may create a campaign of team: an admin for any
// marketing team, a marketer or marketing manager for one of its own.
func (m Marketing) CanCreate(a Actor, team string) bool {
	if !m.IsMarketingTeam(team) {
		return false
	}
	return a.Has(RoleAdmin) || ((a.Has(RoleRep) || a.Has(RoleManager)) && a.InTeam(team))
}

// CanEdit reports whether a may edit c (when it is a draft: Campaign.Edit)
// and record its costs: who may create a campaign of its team. An edit that
// moves c to another team is a creation there too.
func (m Marketing) CanEdit(a Actor, c Campaign) bool { return m.CanCreate(a, c.Team) }

// CanAddCost reports whether a may record a cost of c (when c's state allows
// it: NewCostEntry): who may edit it.
func (m Marketing) CanAddCost(a Actor, c Campaign) bool { return m.CanEdit(a, c) }

// CanApprove reports whether a may approve c: a marketing manager of its
// team, or an admin.
func (m Marketing) CanApprove(a Actor, c Campaign) bool {
	return m.IsMarketingTeam(c.Team) && approves(a, c)
}

// CanRun reports whether a may launch, complete or cancel c: its owner (while
// they are in the department), a marketing manager of its team, or an admin.
func (m Marketing) CanRun(a Actor, c Campaign) bool {
	return m.CanApprove(a, c) || (c.OwnerID == a.ID && a.ID != "" && m.SeesCampaigns(a))
}

// approves is Move's rule for approval: an admin, or a manager of the
// campaign's team.
func approves(a Actor, c Campaign) bool {
	return a.Has(RoleAdmin) || (a.Has(RoleManager) && a.InTeam(c.Team))
}

// runs is Move's rule for launching, completing and cancelling: who approves,
// or the owner.
func runs(a Actor, c Campaign) bool {
	return approves(a, c) || (a.ID != "" && c.OwnerID == a.ID)
}

// Op is something a caller does with a campaign, for Marketing.Check.
type Op int

// Operations on a campaign.
const (
	OpRead    Op = iota // read it, its costs, enrolments and evaluation
	OpEdit              // edit the draft
	OpAddCost           // record a cost
	OpApprove           // draft → approved
	OpRun               // launch, complete, cancel
	// OpRequestApproval asks the team's marketing managers to approve a
	// draft: its owner, or who may edit it.
	OpRequestApproval
)

// OpFor is the operation that moves a campaign to state to.
func OpFor(to State) Op {
	if to == StateApproved {
		return OpApprove
	}
	return OpRun
}

// Check returns ErrNotFound when a does not see c, and otherwise the refusal
// of op when a may not do it: ErrNotMarketingManager (approve), ErrNotRunner
// (launch, complete, cancel) or ErrReadOnly (edit, record a cost).
func (m Marketing) Check(a Actor, c Campaign, op Op) error {
	if !m.CanSee(a, c) {
		return ErrNotFound
	}
	switch op {
	case OpRead:
		return nil
	case OpApprove:
		if !m.CanApprove(a, c) {
			return ErrNotMarketingManager
		}
	case OpRun:
		if !m.CanRun(a, c) {
			return ErrNotRunner
		}
	case OpRequestApproval:
		if !m.CanEdit(a, c) && (a.ID == "" || a.ID != c.OwnerID) {
			return ErrReadOnly
		}
	default:
		if !m.CanEdit(a, c) {
			return ErrReadOnly
		}
	}
	return nil
}

// CheckCreate says whether a may create a campaign of team (or move a draft
// there by an edit): ErrCreateNotAllowed when a creates no campaign at all
// (not in the department, an analyst), a 422 on "team" when team is not a
// marketing team of theirs.
func (m Marketing) CheckCreate(a Actor, team string) error {
	if !a.Has(RoleAdmin) && !m.IsMarketer(a) && !m.IsMarketingManager(a) {
		return ErrCreateNotAllowed
	}
	if !m.IsMarketingTeam(team) {
		return fieldErr("team", "not_marketing", "one of the marketing teams: "+strings.Join(m.Teams, ", "))
	}
	if !m.CanCreate(a, team) {
		return fieldErr("team", "out_of_scope", "a campaign of one of your own teams")
	}
	return nil
}
