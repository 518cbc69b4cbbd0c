package domain

import (
	"slices"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

// User is a person the customer service knows: from the claims of their
// latest verified token, or registered by an admin ahead of their first
// sign-in. Only known, enabled users can own customers.
type User struct {
	ID       string
	Name     string
	Roles    []auth.Role
	Teams    []string
	Disabled bool
}

// Has reports whether u holds role.
func (u User) Has(r auth.Role) bool { return slices.Contains(u.Roles, r) }

// ErrUnknownOwner refuses an owner the directory does not know (or has disabled).
var ErrUnknownOwner = apperr.Rule("unknown_owner", "the owner must be a known, enabled user; an admin registers users ahead of their first sign-in")

// CheckOwner says whether p may give a customer of team to owner (nil when
// the directory does not know the id). The rule:
//
//   - everyone may keep or take ownership themselves (reps only that);
//   - a manager may name only a rep of that team, and only a team it manages;
//   - an admin may name any known, enabled user.
//
// For a manager an unknown user and a rep of another team get the same 403,
// so the check is no way to probe which user ids exist; admins see 422
// unknown_owner.
func CheckOwner(p auth.Principal, ownerID string, owner *User, team string) error {
	enabled := owner != nil && !owner.Disabled
	switch {
	case p.Has(auth.RoleAdmin):
		if !enabled && ownerID != p.Subject { // the caller is known: it just signed in
			return ErrUnknownOwner.With("owner_id", ownerID)
		}
		return nil
	case p.Has(auth.RoleManager):
		if !slices.Contains(p.Teams, team) {
			return ErrOwnerOutOfScope
		}
		if ownerID == p.Subject {
			return nil
		}
		if !enabled || !owner.Has(auth.RoleRep) || !slices.Contains(owner.Teams, team) {
			return ErrOwnerOutOfScope.Withf("the owner must be an active rep of team %s", team)
		}
		return nil
	default:
		if ownerID != p.Subject || !slices.Contains(p.Teams, team) {
			return ErrOwnerOutOfScope
		}
		return nil
	}
}

// InitialStages are the lifecycle stages a customer may be created in, by
// the creator's widest role. Reps create what they find: leads and
// prospects. Managers also take over accounts already buying (transacting,
// service). Only admins create lost customers — an import of history; anyone
// else reaches lost through the stage change, with a reason on record.
func InitialStages(p auth.Principal) []LifecycleStage {
	switch {
	case p.Has(auth.RoleAdmin):
		return slices.Clone(LifecycleStages)
	case p.Has(auth.RoleManager):
		return []LifecycleStage{StageLead, StageProspect, StageTransacting, StageService}
	default:
		return []LifecycleStage{StageLead, StageProspect}
	}
}

// CheckInitialStage refuses creating a customer in a stage p may not start it in.
func CheckInitialStage(v *apperr.Validation, p auth.Principal, s LifecycleStage) {
	if !s.Valid() {
		v.Add("lifecycle_stage", "invalid", "must be lead, prospect, transacting, service or lost")
		return
	}
	allowed := InitialStages(p)
	if !slices.Contains(allowed, s) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		v.Add("lifecycle_stage", "not_allowed_for_role", "your role may create customers only as: "+joinOr(names))
	}
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return out + " or " + s[len(s)-1]
}
