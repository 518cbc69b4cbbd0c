// Package customer360 is the console's customer page (/customers/{id}): one
// customer seen whole — its details, its place in the group's hierarchy,
// its contacts, owner and team, lifecycle and relationship stage with their
// history, ABC class and value, care status, and one timeline of what every
// department did with it (contact history, visits, leads and
// opportunities, and the changes of its service cases, each linking to its
// case page), newest first; its newest service cases; and its satisfaction
// with the after-sales service — survey figures, newest answers and the
// loyalty level with the inputs that decided it.
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
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
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

// casesLimit is how many of the customer's service cases the page lists.
const casesLimit = 10

// stageLimit is how many stage changes the stage history shows.
const stageLimit = 200

// Stages are the customer service's lifecycle stages, in their order.
var Stages = []string{"lead", "prospect", "transacting", "service", "lost"}

// Mount adds the customer page, its timeline part and its stage change.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("customer360", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d, page: d.View.Page(templates, "templates/customer.html", "templates/parts.html")}
	g := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesCustomers...), hf) }
	e.GET("/customers/:id", g(h.show)...)
	e.GET("/customers/:id/timeline", g(h.timelinePart)...)
	e.POST("/customers/:id/lifecycle", g(h.changeStage)...)
	return nil
}

type handler struct {
	d    *console.Deps
	page *view.Page
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
	// Cases are the customer's newest service cases the user sees (the
	// after-sales service's GET /v1/customers/{id}/cases); CasesMore: there
	// are more (the cases list has them).
	Cases        []serviceapi.CaseView
	CasesMore    bool
	CasesProblem *view.Problem
	// Satisfaction is the customer's satisfaction and loyalty (nil with
	// SatisfactionProblem when the after-sales service could not answer).
	Satisfaction        *satisfactionData
	SatisfactionProblem *view.Problem
	StageForm           *stageForm
	Done                string
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
	wg.Go(func() {
		res, err := r.API.Service.GetCustomersByCustomerIdCasesWithResponse(ctx, id, &serviceapi.GetCustomersByCustomerIdCasesParams{Limit: ptr(casesLimit)})
		if err := apis.Check(res, err); err != nil {
			d.CasesProblem = problem(r.X, err)
			return
		}
		d.Cases, d.CasesMore = deref(res.JSON200.Items), view.Str(res.JSON200.NextCursor) != ""
	})
	wg.Go(func() {
		var err error
		if d.Satisfaction, err = satisfaction(ctx, r, id); err != nil {
			d.SatisfactionProblem = problem(r.X, err)
		}
	})
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

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return
}
