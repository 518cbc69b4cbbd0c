package auth_test

import (
	"context"
	"slices"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

func TestRolePermissions(t *testing.T) {
	all := auth.AllPermissions()
	want := map[auth.Role][]auth.Permission{
		auth.RoleRep: {auth.PermCustomersRead, auth.PermCustomersWrite, auth.PermFollowupsRead, auth.PermFollowupsWrite,
			auth.PermLeadsRead, auth.PermLeadsWrite},
		auth.RoleManager: {auth.PermCustomersRead, auth.PermCustomersWrite, auth.PermCustomersDelete,
			auth.PermAuditRead, auth.PermPoliciesRead, auth.PermFollowupsRead, auth.PermFollowupsWrite,
			auth.PermLeadsRead, auth.PermLeadsWrite, auth.PermLeadsAssign, auth.PermTerritoriesWrite, auth.PermUsersRead},
		auth.RoleAnalyst: {auth.PermCustomersRead, auth.PermCustomersReclassify, auth.PermAuditRead, auth.PermPoliciesRead,
			auth.PermPoliciesWrite, auth.PermFollowupsRead, auth.PermLeadsRead},
		auth.RoleAdmin: all,
	}
	for _, role := range auth.Roles() {
		p := auth.Principal{Subject: "u", Roles: []auth.Role{role}}
		for _, perm := range all {
			if got, exp := p.Can(perm), slices.Contains(want[role], perm); got != exp {
				t.Errorf("%s can %s = %v, want %v", role, perm, got, exp)
			}
		}
		if got := auth.Permissions(role); !slices.Equal(sorted(got), sorted(want[role])) {
			t.Errorf("Permissions(%s) = %v, want %v", role, got, want[role])
		}
	}
	if len(auth.Permissions("guest")) != 0 || auth.Role("guest").Known() {
		t.Error("an unknown role must grant nothing")
	}
	if (auth.Principal{Subject: "u"}).Can(auth.PermCustomersRead) {
		t.Error("a principal without roles must be able to do nothing")
	}
	// Several roles: the union.
	p := auth.Principal{Subject: "u", Roles: []auth.Role{auth.RoleRep, auth.RoleAnalyst}}
	if !p.Can(auth.PermCustomersWrite) || !p.Can(auth.PermPoliciesWrite) || p.Can(auth.PermCustomersDelete) {
		t.Error("permissions of several roles must be their union")
	}
}

func TestTableIsACopyInRoleOrder(t *testing.T) {
	tab := auth.Table()
	if len(tab) != len(auth.Roles()) {
		t.Fatalf("table has %d rows", len(tab))
	}
	for i, row := range tab {
		if row.Role != auth.Roles()[i] {
			t.Errorf("row %d is %s", i, row.Role)
		}
	}
	tab[0].Permissions[0] = "everything:do"
	auth.Permissions(auth.RoleRep)[0] = "everything:do"
	if (auth.Principal{Roles: []auth.Role{auth.RoleRep}}).Can("everything:do") {
		t.Error("changing Table or Permissions output changed the role table")
	}
}

func TestScope(t *testing.T) {
	cases := []struct {
		name string
		p    auth.Principal
		want auth.Scope
	}{
		{"admin sees all", auth.Principal{Subject: "a", Roles: []auth.Role{auth.RoleAdmin}}, auth.Scope{All: true}},
		{"analyst sees all", auth.Principal{Subject: "a", Roles: []auth.Role{auth.RoleAnalyst}, Teams: []string{"x"}}, auth.Scope{All: true}},
		{"manager sees its teams", auth.Principal{Subject: "m", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north", "west"}}, auth.Scope{Teams: []string{"north", "west"}}},
		{"rep sees own", auth.Principal{Subject: "r", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}}, auth.Scope{OwnerID: "r"}},
		{"rep and manager: widest", auth.Principal{Subject: "r", Roles: []auth.Role{auth.RoleRep, auth.RoleManager}, Teams: []string{"north"}}, auth.Scope{Teams: []string{"north"}}},
		{"manager without teams sees nothing", auth.Principal{Subject: "m", Roles: []auth.Role{auth.RoleManager}}, auth.Scope{}},
		{"manager without teams who is a rep sees own", auth.Principal{Subject: "m", Roles: []auth.Role{auth.RoleManager, auth.RoleRep}}, auth.Scope{OwnerID: "m"}},
		{"no role sees nothing", auth.Principal{Subject: "x"}, auth.Scope{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.p.Scope()
			if got.All != c.want.All || got.OwnerID != c.want.OwnerID || !slices.Equal(got.Teams, c.want.Teams) {
				t.Errorf("Scope() = %+v, want %+v", got, c.want)
			}
		})
	}
	p := auth.Principal{Subject: "m", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north"}}
	p.Scope().Teams[0] = "south"
	if p.Teams[0] != "north" {
		t.Error("Scope must not alias the principal's teams")
	}
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := auth.FromContext(ctx); ok {
		t.Fatal("empty context has a principal")
	}
	p := auth.Principal{Subject: "rep-ana", Roles: []auth.Role{auth.RoleRep}}
	ctx = auth.WithPrincipal(ctx, p)
	got, ok := auth.FromContext(ctx)
	if !ok || got.Subject != "rep-ana" {
		t.Fatalf("FromContext = %+v, %v", got, ok)
	}
	if auth.MustFromContext(ctx).Subject != "rep-ana" {
		t.Fatal("MustFromContext lost the principal")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustFromContext without a principal must panic")
		}
	}()
	auth.MustFromContext(context.Background())
}

func sorted(ps []auth.Permission) []auth.Permission {
	out := slices.Clone(ps)
	slices.Sort(out)
	return out
}

func TestAuthorize(t *testing.T) {
	if _, err := auth.Authorize(context.Background(), auth.PermCustomersRead); apperr.From(err).Kind != apperr.KindUnauthenticated {
		t.Fatalf("no principal: %v", err)
	}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "u", Roles: []auth.Role{auth.RoleRep}})
	if _, err := auth.Authorize(ctx, auth.PermPoliciesWrite); apperr.From(err).Kind != apperr.KindForbidden {
		t.Fatalf("rep writing policies: %v", err)
	}
	if p, err := auth.Authorize(ctx, auth.PermCustomersRead); err != nil || p.Subject != "u" {
		t.Fatalf("allowed: %v %v", p, err)
	}
}
