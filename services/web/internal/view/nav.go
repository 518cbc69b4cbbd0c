package view

import "strings"

// NavItem is one entry of the console's navigation.
type NavItem struct {
	Path   string
	Label  string
	Active bool
	// Badge is a count shown in the entry (nil: none).
	Badge *NavBadge
}

// NavBadge is a count beside a navigation entry (the inbox's unread
// messages). The layout only leaves its place: htmx loads it from a part of
// its page once the page is shown (pages do not wait for it), again every
// Every seconds and whenever Event reaches the body. The part answers an
// element with the same ID, and fills the live region ID+"-live" when the
// count changed, so screen readers hear it.
type NavBadge struct {
	ID, URL, Event string
	Every          int
}

// InboxBadge is the unread count of the inbox's entry.
var InboxBadge = &NavBadge{ID: "inbox-badge", URL: "/inbox/count", Event: "inbox-changed", Every: 60}

// navEntry says who sees a page in the navigation. The pages check the same
// roles themselves (and the services check permissions again): hiding a
// link is a courtesy, not the guard.
type navEntry struct {
	path, id string
	roles    []string
	// group is the path prefix of the pages the entry stands for (the
	// administration's pages share one entry); "" for the entry's own page.
	group string
}

// Roles that see each page. Pages use these lists for their guards.
var (
	RolesMyDay     = []string{"rep"}
	RolesBoard     = []string{"manager", "admin"}
	RolesPolicies  = []string{"analyst", "manager", "admin"}
	RolesCustomers = []string{"rep", "manager", "analyst", "admin"}
	RolesLeads     = []string{"rep", "manager", "analyst", "admin"}
	// RolesCases see the service cases (analysts read them; the others
	// may also file).
	RolesCases     = []string{"rep", "manager", "analyst", "admin"}
	RolesSlips     = []string{"rep", "manager", "analyst", "admin"} // info slips: the service decides which each sees
	RolesVisits    = []string{"rep", "manager", "admin"}
	RolesAnalytics = []string{"manager", "analyst", "admin"}
	RolesImport    = []string{"rep", "manager", "admin"}
	RolesInbox     = []string{"rep", "manager", "analyst", "admin"}
	// RolesAdmin see the administration: webhook subscriptions and the
	// deliveries of notifications.
	RolesAdmin = []string{"admin"}
)

// Roles of the notices (bulletins): everyone reads the notices addressed
// to them (the service decides which each sees); managers and admins also
// write, publish and revoke them.
var (
	RolesNotices        = []string{"rep", "manager", "analyst", "admin"}
	RolesPublishNotices = []string{"manager", "admin"}
)

// Roles of the campaigns: the marketing service decides who sees them (the
// reps and managers of its marketing teams, analysts, admins — anyone else
// gets an empty list), and the console does not know which teams are
// marketing's, so every role gets the entry, as for the info slips; the
// reps and managers of the marketing teams and admins also plan and run
// them (analysts only read).
var (
	RolesCampaigns      = []string{"rep", "manager", "analyst", "admin"}
	RolesWriteCampaigns = []string{"rep", "manager", "admin"}
)

// adminPages are the administration's pages, in the order of its own
// navigation (template "admin-nav"); the header shows one entry for them.
var adminPages = []navEntry{
	{"/admin/webhooks", "nav.webhooks", RolesAdmin, ""},
	{"/admin/deliveries", "nav.deliveries", RolesAdmin, ""},
}

var nav = []navEntry{
	{"/my-day", "nav.my_day", RolesMyDay, ""},
	{"/board", "nav.board", RolesBoard, ""},
	{"/customers", "nav.customers", RolesCustomers, ""},
	{"/leads", "nav.leads", RolesLeads, ""},
	{"/cases", "nav.cases", RolesCases, ""},
	{"/slips", "nav.slips", RolesSlips, ""},
	{"/notices", "nav.notices", RolesNotices, ""},
	{"/campaigns", "nav.campaigns", RolesCampaigns, ""},
	{"/visits", "nav.visits", RolesVisits, ""},
	{"/analytics", "nav.analytics", RolesAnalytics, ""},
	{"/policies", "nav.policies", RolesPolicies, ""},
	{"/calendars", "nav.calendars", RolesPolicies, ""},
	{"/import", "nav.import", RolesImport, ""},
	{"/inbox", "nav.inbox", RolesInbox, ""},
	{"/admin/webhooks", "nav.admin", RolesAdmin, "/admin/"},
}

// badges are the navigation entries that show a count, by path.
var badges = map[string]*NavBadge{"/inbox": InboxBadge}

func navFor(x *Ctx) []NavItem {
	if x.User == nil {
		return nil
	}
	var out []NavItem
	for _, e := range nav {
		if x.Has(e.roles...) {
			active := x.Path == e.path || strings.HasPrefix(x.Path, e.path+"/") || (e.group != "" && strings.HasPrefix(x.Path, e.group))
			out = append(out, NavItem{Path: e.path, Label: x.T(e.id), Active: active, Badge: badges[e.path]})
		}
	}
	return out
}

// AdminNav is the administration's own navigation, for its pages.
func (x *Ctx) AdminNav() []NavItem {
	var out []NavItem
	for _, e := range adminPages {
		if x.Has(e.roles...) {
			out = append(out, NavItem{Path: e.path, Label: x.T(e.id), Active: x.Path == e.path || strings.HasPrefix(x.Path, e.path+"/")})
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
