// Package auth is Closeloop's authentication and authorization: who is calling
// (a Principal verified from an OIDC bearer token), what their roles allow (one
// role → permission table) and which customers they may see (a data Scope).
//
// A request passes through [Middleware], which verifies the bearer token with a
// [Verifier] and puts the Principal into the request context; handlers and
// application code read it back with [FromContext]. [Require] guards a route with
// a permission. Application code that owns its own authorization checks calls
// [Principal.Can] and filters queries with [Principal.Scope].
//
// Tokens carry the claims sub, name, roles (any of rep, manager, analyst, admin)
// and teams. [OIDCVerifier] checks them against an OIDC issuer's discovery
// document and JWKS, as access tokens of bounded lifetime ([OIDCOptions]); the
// devissuer subpackage is such an issuer for development and tests.
package auth

import (
	"context"
	"slices"
)

// Role is a job function. A principal may hold several; permissions are the
// union of its roles' permissions.
type Role string

// The roles Closeloop knows. Tokens carrying other role names are treated as if
// those roles were absent.
const (
	// RoleRep is a sales representative: works on the customers it owns.
	RoleRep Role = "rep"
	// RoleManager leads teams: manages customers owned by its teams.
	RoleManager Role = "manager"
	// RoleAnalyst reads everything, tunes policies and runs the company-wide
	// ABC reclassification, but edits no customer.
	RoleAnalyst Role = "analyst"
	// RoleAdmin may do everything.
	RoleAdmin Role = "admin"
)

// Known reports whether r is one of the roles Closeloop knows.
func (r Role) Known() bool {
	_, ok := rolePermissions[r]
	return ok
}

// Roles returns every known role, least to most privileged.
func Roles() []Role {
	return []Role{RoleRep, RoleManager, RoleAnalyst, RoleAdmin}
}

// Permission names one action on one kind of resource, as "resource:action".
type Permission string

// The permissions Closeloop checks.
const (
	// PermCustomersRead: list and read customers, contacts and hierarchy (within scope).
	PermCustomersRead Permission = "customers:read"
	// PermCustomersWrite: create and change customers and contacts (within scope).
	PermCustomersWrite Permission = "customers:write"
	// PermCustomersDelete: delete and restore customers (within scope).
	PermCustomersDelete Permission = "customers:delete"
	// PermCustomersReclassify: change a customer's ABC class or trigger reclassification.
	PermCustomersReclassify Permission = "customers:reclassify"
	// PermAuditRead: read the audit trail.
	PermAuditRead Permission = "audit:read"
	// PermPoliciesRead: read policies such as ABC thresholds.
	PermPoliciesRead Permission = "policies:read"
	// PermPoliciesWrite: change policies.
	PermPoliciesWrite Permission = "policies:write"
	// PermFollowupsRead: read follow-up tasks.
	PermFollowupsRead Permission = "followups:read"
	// PermFollowupsWrite: open follow-ups and mark them done (within scope;
	// cancelling and giving one to another owner also need the manager role).
	PermFollowupsWrite Permission = "followups:write"
	// PermLeadsRead: read leads, opportunities, their timelines and the funnel (within scope).
	PermLeadsRead Permission = "leads:read"
	// PermLeadsWrite: create leads and opportunities, log contacts, move
	// stages forward, qualify, disqualify, convert, win and lose (within scope).
	PermLeadsWrite Permission = "leads:write"
	// PermLeadsAssign: reassign leads, work the pool, move an opportunity back
	// to an earlier stage.
	PermLeadsAssign Permission = "leads:assign"
	// PermTerritoriesWrite: define territories, their reps and capacities
	// (managers: their own teams).
	PermTerritoriesWrite Permission = "territories:write"
	// PermUsersRead: read the user directory (managers: the users of their teams).
	PermUsersRead Permission = "users:read"
	// PermUsersWrite: register users ahead of their first sign-in, disable them.
	PermUsersWrite Permission = "users:write"
)

// AllPermissions returns every permission, in the order of the constants above.
func AllPermissions() []Permission {
	return []Permission{
		PermCustomersRead, PermCustomersWrite, PermCustomersDelete, PermCustomersReclassify,
		PermAuditRead, PermPoliciesRead, PermPoliciesWrite, PermFollowupsRead, PermFollowupsWrite,
		PermLeadsRead, PermLeadsWrite, PermLeadsAssign, PermTerritoriesWrite,
		PermUsersRead, PermUsersWrite,
	}
}

// rolePermissions is THE table of what each role may do; nothing else in
// Closeloop grants a permission. Customer permissions are further limited by the
// principal's data scope (see Principal.Scope): a rep may write customers, but
// only those it owns.
//
//	role     customers                  audit  policies     followups           leads, opportunities         territories        users
//	rep      read, write (own)          -      -            read, write (own)   read, write (own)            -                  -
//	manager  read, write, delete        read   read         read, write, cancel read, write, assign, go back write (its teams) read (its teams)
//	          (its teams)
//	analyst  read (all), reclassify     read   read, write  read                read                         -                  -
//	admin    everything
//
// Reclassification (a company-wide run, threshold trials and company-wide
// value totals) belongs to analysts and admins, not to team managers.
var rolePermissions = map[Role][]Permission{
	RoleRep: {
		PermCustomersRead, PermCustomersWrite,
		PermFollowupsRead, PermFollowupsWrite,
		PermLeadsRead, PermLeadsWrite,
	},
	RoleManager: {
		PermCustomersRead, PermCustomersWrite, PermCustomersDelete,
		PermAuditRead,
		PermPoliciesRead,
		PermFollowupsRead, PermFollowupsWrite,
		PermLeadsRead, PermLeadsWrite, PermLeadsAssign, PermTerritoriesWrite,
		PermUsersRead,
	},
	RoleAnalyst: {
		PermCustomersRead, PermCustomersReclassify,
		PermAuditRead,
		PermPoliciesRead, PermPoliciesWrite,
		PermFollowupsRead,
		PermLeadsRead,
	},
	RoleAdmin: {
		PermCustomersRead, PermCustomersWrite, PermCustomersDelete, PermCustomersReclassify,
		PermAuditRead,
		PermPoliciesRead, PermPoliciesWrite,
		PermFollowupsRead, PermFollowupsWrite,
		PermLeadsRead, PermLeadsWrite, PermLeadsAssign, PermTerritoriesWrite,
		PermUsersRead, PermUsersWrite,
	},
}

// Permissions returns the permissions role grants (a copy; nil for an unknown role).
func Permissions(role Role) []Permission {
	return slices.Clone(rolePermissions[role])
}

// RolePermissions is one row of the role table.
type RolePermissions struct {
	Role        Role         `json:"role"`
	Permissions []Permission `json:"permissions"`
}

// Table returns the role → permission table in the order of [Roles], for
// documentation (e.g. rendering it into the OpenAPI description). It is a copy.
func Table() []RolePermissions {
	out := make([]RolePermissions, 0, len(rolePermissions))
	for _, r := range Roles() {
		out = append(out, RolePermissions{Role: r, Permissions: Permissions(r)})
	}
	return out
}

// Principal is the authenticated caller.
type Principal struct {
	// Subject is the stable user id (the token's sub claim); owner ids refer to it.
	Subject string
	// Name is for display only.
	Name string
	// Roles holds the known roles from the token's roles claim.
	Roles []Role
	// Teams are the teams the caller belongs to (rep) or manages (manager).
	Teams []string
}

// Has reports whether p holds role.
func (p Principal) Has(role Role) bool {
	return slices.Contains(p.Roles, role)
}

// Can reports whether any of p's roles grants perm.
func (p Principal) Can(perm Permission) bool {
	for _, r := range p.Roles {
		if slices.Contains(rolePermissions[r], perm) {
			return true
		}
	}
	return false
}

// Scope says which customers a principal may see. Exactly one way applies:
// All, else OwnerID, else Teams. The zero Scope sees nothing.
type Scope struct {
	// All: every customer.
	All bool
	// OwnerID: only customers owned by this subject.
	OwnerID string
	// Teams: only customers owned by (assigned to) one of these teams.
	Teams []string
}

// Scope returns the data scope of p. The rule:
//
//   - admins and analysts see all customers (analysts cannot change them: that
//     is enforced by permissions, not by the scope);
//   - managers see the customers owned by their teams (the teams claim);
//   - reps see the customers they own (OwnerID = Subject);
//   - anyone else sees nothing.
//
// A principal with several roles gets the widest of their scopes. A manager
// without teams falls back to the rep scope if it is also a rep, else sees nothing.
// Customers outside the scope must look as if they did not exist (404).
func (p Principal) Scope() Scope {
	switch {
	case p.Has(RoleAdmin), p.Has(RoleAnalyst):
		return Scope{All: true}
	case p.Has(RoleManager) && len(p.Teams) > 0:
		return Scope{Teams: slices.Clone(p.Teams)}
	case p.Has(RoleRep):
		return Scope{OwnerID: p.Subject}
	default:
		return Scope{}
	}
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal stored by [WithPrincipal] (or [Middleware]).
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// MustFromContext returns the principal in ctx and panics if there is none. Use
// it only in code that runs behind [Middleware], where a missing principal is a
// programming error.
func MustFromContext(ctx context.Context) Principal {
	p, ok := FromContext(ctx)
	if !ok {
		panic("auth: no principal in context; is the route behind auth.Middleware?")
	}
	return p
}
