// Package cases is the console's after-sales cases pages: the list of the
// service cases in the user's scope (filtered by state, priority and type, a
// page at a time, each with its worst SLA target) with the form that files a
// new case, and the case page: its SLA targets, its fields, the forms of who
// works it (reply both ways, note, state, reopen, take, assign, priority)
// and its timeline (internal entries marked as such).
//
// Everything comes from the after-sales (service) service's API called as
// the signed-in user, so that service decides which cases the user sees
// (another team's case answers 404, shown as "no such page"), who may file
// (an analyst's filing is refused with 403 case_file_not_allowed, shown as a
// refusal; the form is only offered to reps, managers and admins) and who
// may change a case (its team's reps and managers, its assignee, admins:
// the page offers the forms to them only — Works — and shows the service's
// 403 case_read_only at the form should the two ever differ). A change is an
// update of the case's workflow: each form carries the case's version (a
// stale page is told so and shows the case as it is now, with what was
// typed) and an idempotency key of its own (a double submit is one change);
// the state form offers only the moves the workflow's rules allow
// (workflows/servicecase). Customers' names come from the customer service:
// the first page of the customers the user sees, read once per page, which
// is also what the filing form offers; a customer outside it shows its
// shortened id.
//
// Files: cases.go the list and filing, case.go the case page, change.go its
// forms, sla.go the SLA targets as the pages show them.
package cases

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed locales
var locales embed.FS

//go:embed templates
var templates embed.FS

// The service's values, in the order the pages offer them.
var (
	States     = []string{"new", "open", "pending_customer", "pending_internal", "resolved", "closed"}
	Priorities = []string{"P1", "P2", "P3", "P4"}
	Types      = []string{"request", "complaint", "repair", "consultation", "returns"}
	Channels   = []string{"phone", "email", "web", "visit", "internal"}
)

const (
	pageSize = 50
	// customerChoices is how many of the user's customers the page reads
	// for names and the form's chooser (one page of the customer API).
	customerChoices = 200
	timelineSize    = 100
)

// Mount adds /cases, its form's post, /cases/{id} and the posts of the
// case page's forms (/cases/{id}/replies, notes, state, reopen, assignment,
// priority).
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("cases", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		list:   d.View.Page(templates, "templates/list.html", "templates/parts.html"),
		detail: d.View.Page(templates, "templates/case.html", "templates/actions.html", "templates/parts.html"),
	}
	g := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesCases...), hf) }
	e.GET("/cases", g(h.index)...)
	e.POST("/cases", g(h.file)...)
	e.GET("/cases/:id", g(h.show)...)
	for _, f := range []string{FormReply, FormNote, FormState, FormReopen, FormAssign, FormPriority} {
		e.POST("/cases/:id/"+f, g(h.change(f))...)
	}
	return nil
}

type handler struct {
	d            *console.Deps
	list, detail *view.Page
}

// CanFile: the roles that work cases and so may file them (the service
// still decides: a manager of no team is refused).
func CanFile(x *view.Ctx) bool { return x.Has("rep", "manager", "admin") }

// Filter is the list's filter as the user set it.
// Customer (customer_id) is set by the link of a customer's page; the form
// keeps it but offers no field for it.
type Filter struct{ State, Priority, Type, Customer string }

// Row is one case of the list.
type Row struct {
	serviceapi.CaseView
	Customer, Assignee string
	// SLA is the case's worst target (HasSLA false: none yet, or unknown).
	SLA    Target
	HasSLA bool
}

// Form is the filing form: what the user typed and the refusal.
type Form struct {
	Values  url.Values
	Problem *view.Problem
}

// Val is what the user typed in field.
func (f *Form) Val(field string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(field)
}

// Err is the message of field ("" when it is fine).
func (f *Form) Err(field string) string {
	if f == nil {
		return ""
	}
	return f.Problem.Field(field)
}

// Customer is one customer the form offers.
type Customer struct{ ID, Name string }

type listData struct {
	*view.Ctx
	Filter                    Filter
	States, Priorities, Types []string
	Channels                  []string
	Rows                      []Row
	Next                      string
	CanFile                   bool
	Customers                 []Customer
	Form                      *Form
	// Problem is a refusal of the form that no field carries.
	Problem *view.Problem
}

func (h *handler) index(c *gin.Context) { h.render(c, http.StatusOK, nil) }

// render shows the list, with form when a filing was refused.
func (h *handler) render(c *gin.Context, status int, form *Form) {
	r := h.d.Req(c)
	x := r.X
	x.Title = x.T("cases.list.title")
	f := Filter{State: pick(States, x.Q("state")), Priority: pick(Priorities, x.Q("priority")), Type: pick(Types, x.Q("type")),
		Customer: x.Q("customer_id")}
	if c.Request.Method != http.MethodGet {
		f = Filter{} // a refused post shows the unfiltered list under its form
	}
	d := &listData{Ctx: x, Filter: f, States: States, Priorities: Priorities, Types: Types, Channels: Channels,
		CanFile: CanFile(x), Form: form}
	if form != nil && form.Problem != nil && len(form.Problem.Fields) == 0 {
		d.Problem = form.Problem
	}
	params := &serviceapi.GetCasesParams{Limit: ptr(pageSize), Cursor: opt(x.Q("cursor")), State: opt(f.State),
		CustomerId: opt(f.Customer)}
	if c.Request.Method != http.MethodGet {
		params.Cursor = nil
	}
	if f.Priority != "" {
		params.Priority = ptr(serviceapi.GetCasesParamsPriority(f.Priority))
	}
	if f.Type != "" {
		params.Type = ptr(serviceapi.GetCasesParamsType(f.Type))
	}
	var (
		res       *serviceapi.GetCasesResponse
		listErr   error
		customers map[string]string
		users     map[string]string
		wg        sync.WaitGroup
	)
	wg.Go(func() {
		var err error
		res, err = r.API.Service.GetCasesWithResponse(r.Ctx(), params)
		listErr = apis.Check(res, err)
	})
	wg.Go(func() { customers, d.Customers = h.customers(r.C.Request.Context(), r) })
	wg.Go(func() { users = console.Names(h.d.Users(r)) })
	wg.Wait()
	if listErr != nil {
		h.d.Fail(r, listErr)
		return
	}
	if r.User.Name != "" {
		users[r.User.Subject] = r.User.Name
	}
	for _, cs := range deref(res.JSON200.Items) {
		d.Rows = append(d.Rows, Row{CaseView: cs, Customer: customerName(customers, str(cs.CustomerId)),
			Assignee: nameOr(users, str(cs.AssigneeId))})
	}
	slaOfRows(r, d.Rows)
	if next := str(res.JSON200.NextCursor); next != "" && c.Request.Method == http.MethodGet {
		d.Next = x.PageURL(next)
	}
	h.list.Render(c, status, d)
}

// customers reads the first page of the customers the user sees: their
// names by id, and the form's choices in name order. A customer service
// that does not answer leaves both empty (ids show; the form takes an id).
func (h *handler) customers(ctx context.Context, r *console.Request) (map[string]string, []Customer) {
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

// file files a case from the form: 201 goes to the case's page; a refusal
// shows the list again with the form as the user filled it, each field's
// message next to the field.
func (h *handler) file(c *gin.Context) {
	r := h.d.Req(c)
	if err := c.Request.ParseForm(); err != nil {
		h.d.Fail(r, apperr.Invalid("invalid_form", "the form could not be read"))
		return
	}
	v := c.Request.PostForm
	get := func(k string) *string { return opt(strings.TrimSpace(v.Get(k))) }
	body := serviceapi.CreateCaseRequest{CustomerId: get("customer_id"), Type: get("type"), Priority: get("priority"),
		Channel: get("channel"), Subject: get("subject"), Description: opt(strings.TrimRight(v.Get("description"), " \t\r\n"))}
	if body.Subject == nil {
		// The service says "required" too; an empty string is sent so it
		// names the field with every other bad one at once.
		body.Subject = ptr("")
	}
	if body.CustomerId == nil {
		body.CustomerId = ptr("")
	}
	res, err := r.API.Service.PostCasesWithResponse(r.Ctx(), &serviceapi.PostCasesParams{}, body)
	if err := apis.Check(res, err); err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated {
			h.d.Fail(r, err)
			return
		}
		p := problem(r.X, err)
		h.render(c, p.Status, &Form{Values: v, Problem: p})
		return
	}
	c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(str(res.JSON201.Id))+"?done=filed")
}

// problem is what the user reads of a refusal: ProblemOf, with this page's
// wording of the service's codes and field codes where the catalogue has it
// (cases.error.<code>, cases.field.<code>), else the service's words.
func problem(x *view.Ctx, err error) *view.Problem {
	p := x.ProblemOf(err)
	if m := x.T("cases.error." + p.Code); m != "cases.error."+p.Code {
		p.Message = m
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			if m := x.T("cases.field." + f.Code); m != "cases.field."+f.Code {
				p.Fields[f.Field] = m
			}
		}
	}
	return p
}

// customerName is a customer's name when known, else its id shortened.
func customerName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
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

// nameOr is a user's name when the directory gives it, else the id.
func nameOr(names map[string]string, id string) string {
	if n := names[id]; n != "" && n != id {
		return n
	}
	return id
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
