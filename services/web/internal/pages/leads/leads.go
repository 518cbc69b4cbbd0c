// Package leads is the console's Leads and funnel pages: the lead list (state,
// owner, first-contact escalation), the lead page (details, live escalation,
// timeline, and the actions the user's role allows: log a contact, qualify,
// disqualify, convert, reassign), the opportunity page (timeline, stage
// moves, won, lost) and the four-stage funnel drawn as an SVG chart on the
// server with its numbers in a table.
//
// Everything comes from the sales service's API called as the signed-in
// user, so the service decides what the user sees and may do; the pages only
// hide actions a role can never take. The first-contact badges of the list
// come from one call to the follow-up service per page (the lead list does
// not carry escalation state), never one call per row; the lead page asks
// the lead's workflow live (GET /v1/leads/{id}/escalation). Names of reps come
// from the customer service's user directory where the user may read it.
package leads

import (
	"cmp"
	"embed"
	"errors"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed locales
var locales embed.FS

//go:embed templates
var templates embed.FS

type handler struct {
	d                                   *console.Deps
	list, lead, opportunity, funnelPage *view.Page
}

// Mount adds the pages and their posts.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("leads", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		list:        d.View.Page(templates, "templates/list.html", "templates/parts.html"),
		lead:        d.View.Page(templates, "templates/lead.html", "templates/parts.html"),
		opportunity: d.View.Page(templates, "templates/opportunity.html", "templates/parts.html"),
		funnelPage:  d.View.Page(templates, "templates/funnel.html", "templates/parts.html"),
	}
	g := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesLeads...), hf) }
	e.GET("/leads", g(h.leads)...)
	e.GET("/leads/funnel", g(h.funnel)...)
	e.GET("/leads/:id", g(h.showLead)...)
	e.GET("/leads/:id/escalation", g(h.escalation)...)
	for _, a := range leadActions {
		e.POST("/leads/:id/"+a, g(h.leadAction(a))...)
	}
	e.GET("/opportunities/:id", g(h.showOpportunity)...)
	for _, a := range opportunityActions {
		e.POST("/opportunities/:id/"+a, g(h.opportunityAction(a))...)
	}
	return nil
}

// What a role may do, as the sales service's permission table says
// (leads:write, leads:assign; users:read for the directory). The pages only
// hide what a role can never do; the service decides every request.
func canWrite(x *view.Ctx) bool   { return x.Has("rep", "manager", "admin") }
func canAssign(x *view.Ctx) bool  { return x.Has("manager", "admin") }
func readsUsers(x *view.Ctx) bool { return x.Has("manager", "admin") }
func seesOthers(x *view.Ctx) bool { return x.Has("manager", "analyst", "admin") }
func str(p *string) string        { return deref(p) }
func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return
}
func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

// problem is what the user reads of a refusal: ProblemOf, with this page's
// own wording of the sales service's codes and field codes where the
// catalogue has it (leads.error.<code>, leads.field.<code>), else the
// service's words.
func problem(x *view.Ctx, err error) *view.Problem {
	p := x.ProblemOf(err)
	if p == nil {
		return nil
	}
	if m := x.T("leads.error." + p.Code); m != "leads.error."+p.Code {
		p.Message = m
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			if m := x.T("leads.field." + f.Code); m != "leads.field."+f.Code {
				p.Fields[f.Field] = m
			}
		}
	}
	return p
}

// invalid is a refusal found by the console itself before calling (a
// number that is not one), shaped like the service's; code names its
// message in the catalogue (leads.field.<code>).
func invalid(field, code string) error {
	var v apperr.Validation
	v.Add(field, code, code)
	return v.Err()
}

// User is one person of the directory.
type User struct {
	ID, Name string
	Rep      bool
}

// directory returns the users the signed-in user may read (managers: their
// teams'; admins: all), by id, and the enabled reps among them in name
// order. Users who may not read it get an empty directory (pages then show
// ids).
func (h *handler) directory(r *console.Request) (map[string]string, []User) {
	users := h.d.Users(r)
	names := console.Names(users)
	var reps []User
	for _, u := range users {
		id := str(u.Id)
		if !deref(u.Disabled) && contains(deref(u.Roles), "rep") {
			reps = append(reps, User{ID: id, Name: cmp.Or(names[id], id), Rep: true})
		}
	}
	sort.Slice(reps, func(i, j int) bool { return reps[i].Name < reps[j].Name })
	return names, reps
}

// nameOf is a user's name when the directory knows it, else the id.
func nameOf(names map[string]string, id string) string {
	if n := names[id]; n != "" && n != id {
		return n + " (" + id + ")"
	}
	return id
}

// Money amounts travel in minor units; these currencies have other than
// two decimals (ISO 4217).
var currencyDecimals = map[string]int{"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "PYG": 0,
	"BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3}

func decimals(currency string) int {
	if d, ok := currencyDecimals[strings.ToUpper(currency)]; ok {
		return d
	}
	return 2
}

// major is an amount in minor units as a number of the currency's units.
func major(minor int64, currency string) float64 {
	return float64(minor) / math.Pow10(decimals(currency))
}

// money formats minor units of currency for the user ("CNY 120,000.50").
func money(x *view.Ctx, minor int64, currency string) string {
	return currency + " " + x.Num(major(minor, currency))
}

// parseMinor reads an amount typed in the currency's units ("120000",
// "1,200.50") into minor units.
func parseMinor(s, currency string) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e13 {
		return 0, false
	}
	return int64(math.Round(f * math.Pow10(decimals(currency)))), true
}

// nextPage is the link to the page after cursor, keeping the filters.
func nextPage(x *view.Ctx, param, cursor string) string {
	if cursor == "" {
		return ""
	}
	base := x.QueryWith()
	if param != "cursor" {
		q := url.Values{}
		for k, v := range x.Query {
			if k != param {
				q[k] = v
			}
		}
		q.Set(param, cursor)
		return x.Path + "?" + q.Encode()
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "cursor=" + url.QueryEscape(cursor)
}

// fail shows a GET that could not load.
func (h *handler) fail(r *console.Request, err error) { h.d.Fail(r, err) }

// seeOther answers a successful post: back to the page, with what was done.
func seeOther(c *gin.Context, path, done string) {
	c.Redirect(http.StatusSeeOther, path+"?done="+url.QueryEscape(done))
}
