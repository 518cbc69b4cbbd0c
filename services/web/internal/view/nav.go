package view

import "strings"

// NavItem is one entry of the console's navigation.
type NavItem struct {
	Path   string
	Label  string
	Active bool
}

// navEntry says who sees a page in the navigation. The pages check the same
// roles themselves (and the services check permissions again): hiding a
// link is a courtesy, not the guard.
type navEntry struct {
	path, id string
	roles    []string
}

// Roles that see each page. Pages use these lists for their guards.
var (
	RolesMyDay     = []string{"rep"}
	RolesBoard     = []string{"manager", "admin"}
	RolesPolicies  = []string{"analyst", "manager", "admin"}
	RolesCustomers = []string{"rep", "manager", "analyst", "admin"}
	RolesLeads     = []string{"rep", "manager", "analyst", "admin"}
	RolesVisits    = []string{"rep", "manager", "admin"}
	RolesAnalytics = []string{"manager", "analyst", "admin"}
	RolesImport    = []string{"rep", "manager", "admin"}
)

var nav = []navEntry{
	{"/my-day", "nav.my_day", RolesMyDay},
	{"/board", "nav.board", RolesBoard},
	{"/customers", "nav.customers", RolesCustomers},
	{"/leads", "nav.leads", RolesLeads},
	{"/visits", "nav.visits", RolesVisits},
	{"/analytics", "nav.analytics", RolesAnalytics},
	{"/policies", "nav.policies", RolesPolicies},
	{"/calendars", "nav.calendars", RolesPolicies},
	{"/import", "nav.import", RolesImport},
}

func navFor(x *Ctx) []NavItem {
	if x.User == nil {
		return nil
	}
	var out []NavItem
	for _, e := range nav {
		if x.Has(e.roles...) {
			out = append(out, NavItem{Path: e.path, Label: x.T(e.id),
				Active: x.Path == e.path || strings.HasPrefix(x.Path, e.path+"/")})
		}
	}
	return out
}

// Home is where a user lands after signing in: the first page of the
// navigation they may use.
func Home(roles []string) string {
	for _, e := range nav {
		for _, r := range e.roles {
			for _, have := range roles {
				if r == have {
					return e.path
				}
			}
		}
	}
	return "/customers"
}
