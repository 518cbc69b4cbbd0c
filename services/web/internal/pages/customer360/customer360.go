// Package customer360 is the console's customer page (/customers/{id}): one
// customer seen whole — its details, its place in the group's hierarchy,
// its contacts, owner and team, lifecycle and relationship stage with their
// history, ABC class and value, care status, and one timeline of what every
// department did with it (contact history, visits, leads and
// opportunities), newest first.
//
// Everything comes from the services' APIs called as the signed-in user, so
// the customer service decides who may see the customer: outside the
// user's scope it answers 404 and the page says there is no such page,
// showing nothing of it. The page's calls run concurrently with the
// request's context. The timeline merges its sources by time in this
// package (Merge, Page): each source is read a run at a time from its own
// position, and the "older" link carries every source's position, so a
// customer with thousands of entries costs one page of each source, never
// the whole history.
package customer360

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

// pageSize is how many timeline entries a page shows.
const pageSize = 50

// treeDepth is how many levels of subsidiaries the hierarchy shows.
const treeDepth = 3

// stageLimit is how many stage changes the stage history shows.
const stageLimit = 200

// Stages are the customer service's lifecycle stages, in their order.
var Stages = []string{"lead", "prospect", "transacting", "service", "lost"}

// Mount adds the customer page, its timeline part and its stage change.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("customer360", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d, page: d.View.Page(templates, "templates/customer.html", "templates/parts.html"), now: time.Now}
	g := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesCustomers...), hf) }
	e.GET("/customers/:id", g(h.show)...)
	e.GET("/customers/:id/timeline", g(h.timelinePart)...)
	e.POST("/customers/:id/lifecycle", g(h.changeStage)...)
	return nil
}

type handler struct {
	d    *console.Deps
	page *view.Page
	now  func() time.Time
}

// canWrite: the roles with customers:write (the service still decides
// which customers).
func canWrite(x *view.Ctx) bool { return x.Has("rep", "manager", "admin") }

type pageData struct {
	*view.Ctx
	ID       string
	C        customerapi.CustomerView
	Contacts []customerapi.ContactView
	Tree     *treeData
	Stages   []customerapi.StageChangeView // newest first
	// StagesMore: the customer has more stage changes than the page reads
	// (the timeline has them all).
	StagesMore bool
	// Problems of the parts that could not be read (the rest still shows).
	TreeProblem, StagesProblem *view.Problem
	Timeline                   *timelineData
	StageForm                  *stageForm
	Done                       string
}

// stageForm is the lifecycle form: the stages offered, what the user sent
// and the refusal.
type stageForm struct {
	To, Reason string
	Options    []string
	Problem    *view.Problem
}

// timelineData is one page of the timeline.
type timelineData struct {
	*view.Ctx
	ID      string
	Entries []Entry
	Older   string // the cursor of the next page, "" at the end
	Cursor  string // this page's cursor, "" for the newest
	Problem *view.Problem
	err     error
}

// OlderURL is the link to the next page without htmx.
func (t *timelineData) OlderURL() string {
	return "/customers/" + url.PathEscape(t.ID) + "?cursor=" + url.QueryEscape(t.Older) + "#timeline"
}

// OlderPart is the part htmx swaps in.
func (t *timelineData) OlderPart() string {
	return "/customers/" + url.PathEscape(t.ID) + "/timeline?cursor=" + url.QueryEscape(t.Older)
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	d, err := h.load(r, c.Param("id"), c.Query("cursor"))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if c.Query("done") == "lifecycle" {
		d.Done = r.X.T("customer360.stage.done")
	}
	status := http.StatusOK
	if p := d.Timeline.Problem; p != nil && p.Status == http.StatusBadRequest {
		status = p.Status
	}
	h.page.Render(c, status, d)
}

// load reads the customer, its tree, its stage history and a page of its
// timeline, all at once. The customer decides: when it cannot be read
// (not in the user's scope: 404) the other calls are cancelled and the
// page shows nothing of it.
func (h *handler) load(r *console.Request, id, cursor string) (*pageData, error) {
	ctx, cancel := context.WithCancel(r.C.Request.Context())
	defer cancel()
	api := r.API.Customer
	d := &pageData{Ctx: r.X, ID: id}
	var custErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		res, err := api.GetCustomersByIdWithResponse(ctx, id)
		if custErr = apis.Check(res, err); custErr != nil {
			cancel()
			return
		}
		d.C = *res.JSON200
		d.Contacts = deref(d.C.Contacts)
	})
	wg.Go(func() {
		res, err := api.GetCustomersByIdTreeWithResponse(ctx, id, &customerapi.GetCustomersByIdTreeParams{Depth: ptr(treeDepth)})
		if err := apis.Check(res, err); err != nil {
			d.TreeProblem = problem(r.X, err)
			return
		}
		d.Tree = treeOf(r.X, id, *res.JSON200)
	})
	wg.Go(func() {
		res, err := api.GetCustomersByIdStageHistoryWithResponse(ctx, id, &customerapi.GetCustomersByIdStageHistoryParams{Limit: ptr(stageLimit)})
		if err := apis.Check(res, err); err != nil {
			d.StagesProblem = problem(r.X, err)
			return
		}
		d.Stages = deref(res.JSON200.Items)
		d.StagesMore = view.Str(res.JSON200.NextCursor) != ""
		slices.Reverse(d.Stages) // the service lists them oldest first
	})
	wg.Go(func() { d.Timeline = h.timeline(ctx, r, id, cursor) })
	wg.Wait()
	if custErr != nil {
		return nil, custErr
	}
	r.X.Title = view.Str(d.C.Name)
	if canWrite(r.X) && d.C.DeletedAt == nil {
		d.StageForm = &stageForm{Options: stageOptions(view.Str(d.C.LifecycleStage))}
	}
	return d, nil
}

// stageOptions are the stages a customer in stage from may be sent to as
// far as the form goes: every other one. Which moves are allowed is the
// customer service's rule; a refused one is shown next to the field.
func stageOptions(from string) []string {
	var out []string
	for _, s := range Stages {
		if s != from {
			out = append(out, s)
		}
	}
	return out
}

// sources are the timeline's sources for customer id, read as the user.
func (h *handler) sources(r *console.Request, id string) []source {
	return []source{
		customerSource{api: r.API.Customer, id: id},
		salesSource{api: r.API.Sales, id: id},
	}
}

// timeline reads one page of the timeline; a part that cannot be read
// makes the timeline say so (the rest of the page still shows).
func (h *handler) timeline(ctx context.Context, r *console.Request, id, cursor string) *timelineData {
	t := &timelineData{Ctx: r.X, ID: id, Cursor: cursor}
	cur, err := ParseCursor(cursor)
	if err == nil {
		t.Entries, t.Older, err = Page(ctx, h.sources(r, id), cur, pageSize)
	}
	if err != nil {
		t.Entries, t.Older, t.err = nil, "", err
		t.Problem = problem(r.X, err)
	}
	return t
}

// timelinePart is the next page of the timeline for htmx ("older"). A
// browser without htmx that follows the part's address gets the page.
func (h *handler) timelinePart(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	if !r.X.HX {
		c.Redirect(http.StatusSeeOther, "/customers/"+url.PathEscape(id)+"?cursor="+url.QueryEscape(c.Query("cursor"))+"#timeline")
		return
	}
	t := h.timeline(r.C.Request.Context(), r, id, c.Query("cursor"))
	if p := t.Problem; p != nil && p.Status == http.StatusNotFound {
		// Not (or no longer) the user's customer: the part says only that.
		h.d.Fail(r, t.err)
		return
	}
	status := http.StatusOK
	if t.Problem != nil {
		status = t.Problem.Status
	}
	h.page.Partial(c, status, "timeline-page", t)
}

// changeStage sends the lifecycle form to the customer service: done, back
// to the page; refused, the page again with the refusal next to its field.
func (h *handler) changeStage(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	to, reason := c.PostForm("to"), c.PostForm("reason")
	res, err := r.API.Customer.PostCustomersByIdLifecycleWithResponse(r.Ctx(), id, customerapi.LifecycleRequest{To: &to, Reason: &reason})
	err = apis.Check(res, err)
	if err == nil {
		c.Redirect(http.StatusSeeOther, "/customers/"+url.PathEscape(id)+"?done=lifecycle")
		return
	}
	var e *apperr.Error
	if errors.As(err, &e) && (e.Kind == apperr.KindUnauthenticated || e.Kind == apperr.KindNotFound) {
		h.d.Fail(r, err)
		return
	}
	p := stageProblem(r.X, err)
	d, lerr := h.load(r, id, "")
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	if d.StageForm == nil {
		d.StageForm = &stageForm{Options: stageOptions(view.Str(d.C.LifecycleStage))}
	}
	d.StageForm.To, d.StageForm.Reason, d.StageForm.Problem = to, reason, p
	r.X.Problem = p
	h.page.Render(c, p.Status, d)
}

// problem is what the user reads of a refusal: ProblemOf, with this page's
// wording of a code where its catalogue has one (customer360.error.<code>).
func problem(x *view.Ctx, err error) *view.Problem {
	if errors.Is(err, errBadCursor) {
		err = apperr.Invalid("invalid_cursor", err.Error())
	}
	p := x.ProblemOf(err)
	if m := x.T("customer360.error." + p.Code); m != "customer360.error."+p.Code {
		p.Message = m
	}
	return p
}

// stageProblem is the lifecycle form's refusal: a move the stage table does
// not allow is said next to the stage field with the stages that are
// allowed; field messages in the user's language where the catalogue has
// them (customer360.field.<field>.<code>).
func stageProblem(x *view.Ctx, err error) *view.Problem {
	p := problem(x, err)
	if p.Fields == nil {
		p.Fields = map[string]string{}
	}
	var e *apperr.Error
	if !errors.As(err, &e) {
		return p
	}
	for _, f := range e.Fields {
		if m := x.T("customer360.field." + f.Field + "." + f.Code); m != "customer360.field."+f.Field+"."+f.Code {
			p.Fields[f.Field] = m
		}
	}
	if e.Code == "invalid_stage_transition" {
		var allowed []string
		if list, ok := e.Meta["allowed"].([]any); ok {
			for _, s := range list {
				if s, ok := s.(string); ok {
					allowed = append(allowed, x.T("stage."+s))
				}
			}
		}
		from, _ := e.Meta["from"].(string)
		p.Fields["to"] = x.T("customer360.field.to.not_allowed", "From", x.T("stage."+from), "Allowed", strings.Join(allowed, ", "))
	}
	return p
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return
}

// label is value's name in the user's language (prefix+value in the
// catalogue), or the value as the service says it when the catalogue does
// not know it yet (a new department, kind or state).
func label(x *view.Ctx, prefix, value string) string {
	if value == "" {
		return ""
	}
	if m := x.T(prefix + value); m != prefix+value {
		return m
	}
	return value
}

// L is label for the page's templates.
func (d *pageData) L(prefix, value string) string { return label(d.Ctx, prefix, value) }

// StageName is a lifecycle stage's name ("" for none).
func (d *pageData) StageName(s string) string {
	if s == "" {
		return d.T("common.none")
	}
	return label(d.Ctx, "stage.", s)
}

// StageName is a stage's name in a stage change of kind stage_lifecycle or
// stage_relationship.
func (t *timelineData) StageName(kind, s string) string {
	switch {
	case s == "":
		return t.T("common.none")
	case kind == "stage_relationship":
		return label(t.Ctx, "customer360.rel.", s)
	}
	return label(t.Ctx, "stage.", s)
}

// L is label for the timeline's template.
func (t *timelineData) L(prefix, value string) string { return label(t.Ctx, prefix, value) }

// LinkKind names what a timeline entry's link opens (lead, opportunity,
// visit), for the link's text.
func (t *timelineData) LinkKind(link string) string {
	kind, _, _ := strings.Cut(strings.TrimPrefix(link, "/"), "/")
	return kind
}

// Cadence says a care cadence: how long a customer of its class may go
// without a contact, in calendar time or in working time of a calendar
// ("30d", "240h").
func (d *pageData) Cadence(c *customerapi.Cadence) string {
	dur := view.Str(c.Duration)
	span := dur
	if n, err := strconv.Atoi(strings.TrimSuffix(dur, "d")); err == nil && strings.HasSuffix(dur, "d") {
		span = d.T("customer360.days", "Count", n)
	} else if t, err := time.ParseDuration(dur); err == nil && t%time.Hour == 0 {
		span = d.T("customer360.hours", "Count", int(t/time.Hour))
	}
	if view.Str(c.Clock) == "business" {
		return d.T("customer360.cadence_business", "Span", span, "Class", view.Str(c.ValueClass), "Calendar", view.Str(c.Calendar))
	}
	return d.T("customer360.cadence_calendar", "Span", span, "Class", view.Str(c.ValueClass))
}

// NotInCare says why the customer service answered that the customer is
// not in care, in the user's language: the service's rule (care is for
// transacting and service customers with an owner and a class) read off
// the customer's own fields; a reason this page does not know yet is shown
// as the service words it.
func (d *pageData) NotInCare() string {
	c := d.C
	stage := view.Str(c.LifecycleStage)
	switch {
	case c.DeletedAt != nil:
		return d.T("customer360.care_not.deleted")
	case stage != "transacting" && stage != "service":
		return d.T("customer360.care_not.stage", "Stage", label(d.Ctx, "stage.", stage))
	case view.Str(c.OwnerId) == "":
		return d.T("customer360.care_not.owner")
	case view.Str(c.ValueClass) == "":
		return d.T("customer360.care_not.class")
	}
	if c.Care != nil && view.Str(c.Care.NotInCareReason) != "" {
		return view.Str(c.Care.NotInCareReason)
	}
	return d.T("customer360.care_not.other")
}
