// Package slips is the console's info-slip pages: the list of the slips in
// the user's sight (what waits for them, what they sent, what their teams
// received), the form that sends a slip about a customer to departments and
// people, and the slip page: its fields, its recipients' parts with their
// chain and chase, its timeline, and the forms of whoever may act on it.
//
// Everything comes from the after-sales (service) service's API, called as
// the signed-in user, so that service decides who sees a slip (anyone else
// gets 404, shown as "no such page") and who may change it (403
// slip_not_allowed). The page offers each form only to whom the service's
// rules let make the change (SlipScope.CheckOp in the service), and only in
// a state the slip's workflow takes it (infoslip.CheckCommand, the same
// rules the workflow's validators run), so a refusal is the exception; when
// one comes anyway it is shown at the form, in the user's language, with
// what they typed. A part's own changes (acknowledge, done, reject,
// forward) are offered to the part's person only — an admin, whom the
// service lets act on any part, is offered the sender's and the managers'
// forms but not someone else's own part, which keeps the page readable. A
// change is an update of the slip's workflow: each form carries the slip's
// version (a stale page is told so) and an idempotency key of its own (a
// double submit is one change; a form resent after the service did not
// answer reuses its key).
//
// The shapes follow the cases pages (pages/cases), which this package
// copies on purpose rather than sharing code with: the two pages answer to
// different services' rules and change separately.
//
// Files: slips.go the list and what the pages share, send.go the sending
// form, slip.go the slip page, change.go its forms, recipient.go the
// recipient fields every form that names a recipient shares.
package slips

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

//go:embed locales
var locales embed.FS

//go:embed templates
var templates embed.FS

// The list's tabs: which of the user's slips (the service's role filter).
// RoleAll is no filter: every slip the user sees (offered to admins).
const (
	RoleReceived = "received"
	RoleSent     = "sent"
	RoleTeam     = "team"
	RoleAll      = "all"
)

// The service's values, in the order the pages offer them.
var (
	States      = infoslip.States
	PartStates  = infoslip.RecipientStates
	Categories  = infoslip.Categories
	Urgencies   = infoslip.Urgencies
	Departments = infoslip.Departments
)

const (
	pageSize = 50
	// customerChoices is how many of the user's customers the pages read
	// for names and the form's chooser (one page of the customer API).
	customerChoices = 200
	timelineSize    = 100
)

// Mount adds /slips, /slips/new and its post (POST /slips), /slips/{id}
// and the posts of the slip page's forms (the API's routes under
// /slips/{id}).
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("slips", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		list:   d.View.Page(templates, "templates/list.html", "templates/parts.html"),
		form:   d.View.Page(templates, "templates/new.html", "templates/parts.html"),
		detail: d.View.Page(templates, "templates/slip.html", "templates/actions.html", "templates/parts.html"),
	}
	g := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesSlips...), hf) }
	e.GET("/slips", g(h.index)...)
	e.GET("/slips/new", g(h.newForm)...)
	e.POST("/slips", g(h.send)...)
	e.GET("/slips/:id", g(h.show)...)
	for _, op := range SlipOps {
		e.POST("/slips/:id/"+opPath(op), g(h.change(op))...)
	}
	for _, op := range PartOps {
		e.POST("/slips/:id/recipients/:n/"+op, g(h.change(op))...)
	}
	return nil
}

type handler struct {
	d                  *console.Deps
	list, form, detail *view.Page
}

// Filter is the list's filter as the user set it. Customer (customer_id)
// is set by a link of a customer's page; the form keeps it but offers no
// field for it.
type Filter struct{ Role, State, Part, Customer string }

// Row is one slip of the list.
type Row struct {
	serviceapi.SlipView
	Customer string
	// Mine is the state of the user's own part ("" none).
	Mine string
	// Done of Counted parts are done (forwarded and dismissed parts do
	// not count: the slip's closure does not wait for them).
	Done, Counted int
}

type listData struct {
	*view.Ctx
	Filter              Filter
	Tabs                []string
	States, PartStates  []string
	Rows                []Row
	Next                string
	Filtered, CanManage bool
}

// Tabs are the list's tabs the user is offered: what they received and
// sent, their teams' slips for managers, every slip for admins.
func Tabs(x *view.Ctx) []string {
	tabs := []string{RoleReceived, RoleSent}
	if x.Has("manager") {
		tabs = append(tabs, RoleTeam)
	}
	if x.Has("admin") {
		tabs = append(tabs, RoleAll)
	}
	return tabs
}

// TabURL is the list's tab for role (of the same customer, when the list
// is of one).
func (d *listData) TabURL(role string) string {
	q := url.Values{"role": {role}}
	if d.Filter.Customer != "" {
		q.Set("customer_id", d.Filter.Customer)
	}
	return "/slips?" + q.Encode()
}

func (h *handler) index(c *gin.Context) {
	r := h.d.Req(c)
	x := r.X
	x.Title = x.T("slips.list.title")
	tabs := Tabs(x)
	f := Filter{Role: pick(tabs, x.Q("role")), State: pick(States, x.Q("state")), Part: pick(PartStates, x.Q("recipient_state")),
		Customer: x.Q("customer_id")}
	if f.Role == "" {
		f.Role = RoleReceived
	}
	d := &listData{Ctx: x, Filter: f, Tabs: tabs, States: States, PartStates: PartStates,
		Filtered: f.State != "" || f.Part != "" || f.Customer != ""}
	params := &serviceapi.GetSlipsParams{Limit: ptr(pageSize), Cursor: opt(x.Q("cursor")), State: opt(f.State),
		RecipientState: opt(f.Part), CustomerId: opt(f.Customer)}
	if f.Role != RoleAll {
		params.Role = &f.Role
	}
	var (
		res       *serviceapi.GetSlipsResponse
		listErr   error
		customers map[string]string
		wg        sync.WaitGroup
	)
	wg.Go(func() {
		var err error
		res, err = r.API.Service.GetSlipsWithResponse(r.Ctx(), params)
		listErr = apis.Check(res, err)
	})
	wg.Go(func() { customers, _ = customerChoicesOf(r.C.Request.Context(), r) })
	wg.Wait()
	if listErr != nil {
		h.d.Fail(r, listErr)
		return
	}
	me := r.User.Subject
	for _, s := range deref(res.JSON200.Items) {
		row := Row{SlipView: s, Customer: customerName(customers, str(s.CustomerId), str(s.CustomerName))}
		row.Done, row.Counted = progress(s)
		if p, ok := minePart(s, me); ok {
			row.Mine = str(p.State)
		}
		d.Rows = append(d.Rows, row)
	}
	if next := str(res.JSON200.NextCursor); next != "" {
		d.Next = x.PageURL(next)
	}
	h.list.Render(c, http.StatusOK, d)
}

// progress counts a slip's parts: how many are done of those the closure
// waits for.
func progress(s serviceapi.SlipView) (done, counted int) {
	for _, p := range deref(s.Recipients) {
		if !infoslip.Counts(str(p.State)) {
			continue
		}
		counted++
		if str(p.State) == infoslip.RecipientDone {
			done++
		}
	}
	return done, counted
}

// minePart is the user's part of a slip: the last one that is theirs (a
// part forwarded back to them is their newest).
func minePart(s serviceapi.SlipView, me string) (serviceapi.RecipientView, bool) {
	ps := deref(s.Recipients)
	for i := len(ps) - 1; i >= 0; i-- {
		if me != "" && str(ps[i].UserId) == me {
			return ps[i], true
		}
	}
	return serviceapi.RecipientView{}, false
}

// Customer is one customer the sending form offers.
type Customer struct{ ID, Name string }

// customerChoicesOf reads the first page of the customers the user sees:
// their names by id, and the form's choices in name order. A customer
// service that does not answer leaves both empty (ids show; the form takes
// an id).
func customerChoicesOf(ctx context.Context, r *console.Request) (map[string]string, []Customer) {
	names := map[string]string{}
	sort := customerapi.GetCustomersParamsSort("name")
	res, err := r.API.Customer.GetCustomersWithResponse(ctx, &customerapi.GetCustomersParams{Limit: ptr(customerChoices), Sort: &sort})
	if apis.Check(res, err) != nil {
		return names, nil
	}
	var out []Customer
	for _, cu := range deref(res.JSON200.Items) {
		id, name := str(cu.Id), str(cu.Name)
		names[id] = name
		out = append(out, Customer{ID: id, Name: name})
	}
	return names, out
}

// problem is what the user reads of a refusal: ProblemOf, with this page's
// wording of the service's codes (slips.error.<code>) and of field codes —
// slips.field.<field>.<code> for a field of its own (indexes left out),
// else slips.field.<code> — where the catalogue has it, else the service's
// words.
func problem(x *view.Ctx, err error) *view.Problem {
	p := x.ProblemOf(err)
	if m := x.T("slips.error." + p.Code); m != "slips.error."+p.Code {
		p.Message = m
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			for _, id := range []string{"slips.field." + indexRE.ReplaceAllString(f.Field, "") + "." + f.Code, "slips.field." + f.Code} {
				if m := x.T(id); m != id {
					p.Fields[f.Field] = m
					break
				}
			}
		}
	}
	return p
}

// indexRE matches the indexes of a field's name (recipients[2].team).
var indexRE = regexp.MustCompile(`\[\d+\]`)

// signedOut reports whether err ends the session (the page cannot show a form).
func signedOut(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated
}

// customerName is a customer's name as the user sees it, else as the
// slip's sender saw it, else its id shortened.
func customerName(names map[string]string, id, sent string) string {
	if n := names[id]; n != "" {
		return n
	}
	if sent != "" {
		return sent // the name its sender saw: the reader may not see the customer
	}
	return short(id)
}

// short is an id's first 8 characters (ids are UUIDs: enough to tell apart).
func short(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}

// orID is the message id in the user's language, else fallback.
func orID(x *view.Ctx, id, fallback string) string {
	if m := x.T(id); m != id {
		return m
	}
	return fallback
}

func pick(list []string, v string) string {
	if slices.Contains(list, v) {
		return v
	}
	return ""
}

func str(p *string) string { return deref(p) }

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return
}

func ptr[T any](v T) *T { return &v }

// opt is nil for "", so the parameter or field is left out.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
