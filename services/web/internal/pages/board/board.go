// Package board is the managers' overdue board: every open follow-up of
// their teams that is past its due time, most late first, filtered and
// grouped by team, owner, kind, territory and lateness bucket, with the
// counts per owner, team and bucket; each item links to its customer, the
// lead, opportunity or visit it belongs to and its workflow, and can be
// completed, cancelled with a reason or reassigned. The list and the counts
// refresh themselves (htmx polling) and the list is read a page at a time
// with the follow-up service's cursor, so the board stays fast however many
// follow-ups are open.
package board

import (
	"embed"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

const (
	// pageSize is how many follow-ups one page of the board shows.
	pageSize = 50
	// PollSeconds is how often the list and the counts refresh themselves.
	PollSeconds = 30
	// maxOwners is how many owners the counts list; the rest are summed up.
	maxOwners = 25
)

// Mount adds /board and its parts and actions under /board/.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("board", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		page: d.View.Page(templates, "templates/board.html", "templates/parts.html"),
		item: d.View.Page(templates, "templates/itempage.html", "templates/item.html")}
	g := func(fn gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesBoard...), fn) }
	e.GET("/board", g(h.board)...)
	e.GET("/board/list", g(h.listPart)...)
	e.GET("/board/counts", g(h.countsPart)...)
	e.GET("/board/items/:id", g(h.showItem)...)
	e.POST("/board/items/:id/complete", g(h.complete)...)
	e.POST("/board/items/:id/cancel", g(h.cancel)...)
	e.POST("/board/items/:id/reassign", g(h.reassign)...)
	return nil
}

type handler struct {
	d          *console.Deps
	page, item *view.Page
}

// Count is one line of the counts (a team or an owner).
type Count struct {
	Team, Owner, Name  string
	Overdue, Escalated int
	Oldest             *time.Time
}

// Bucket is the number of overdue follow-ups in one lateness bucket.
type Bucket struct {
	Key string
	N   int
}

// Counts are the overdue counts the board shows.
type Counts struct {
	Total, Escalated int
	Buckets          []Bucket
	Teams, Owners    []Count
	MoreOwners       int
}

// Option is one choice of a filter's select.
type Option struct{ Value, Label string }

type boardData struct {
	*view.Ctx
	Filter      Filter
	Kinds       []string
	Buckets     []string
	GroupBys    []string
	Teams       []Option
	Owners      []Option
	PollSeconds int
	Notice      string

	// The list.
	Groups      []Group
	Next        string
	Cursor      string
	ListProblem *view.Problem
	Names       map[string]string
	// Customers are the names of the page's customers the user may see.
	Customers map[string]string

	// The counts.
	Counts        *Counts
	CountsProblem *view.Problem
	// StatusText is the sentence the live region announces when the
	// number of overdue follow-ups changed since the last refresh.
	StatusText string

	// The service cases at risk (risk.go).
	riskData
}

// notices are the outcomes a redirect after an action may announce.
var notices = []string{"completed", "cancelled", "reassigned", "lead_reassigned"}

func (h *handler) newData(r *console.Request, f Filter) *boardData {
	return &boardData{Ctx: r.X, Filter: f, Kinds: Kinds, Buckets: Buckets, GroupBys: Groups, PollSeconds: PollSeconds}
}

// board is the whole page: filters, counts and the first (or the cursor's)
// page of the list. A GET that cannot load the list fails as a page; a
// failing count only shows its problem in place.
func (h *handler) board(c *gin.Context) {
	r := h.d.Req(c)
	f := filterOf(c)
	b := h.newData(r, f)
	if v := c.Query("done"); slices.Contains(notices, v) {
		b.Notice = r.X.T("board.done." + v)
	}
	b.Names = h.names(r)
	if err := h.loadList(r, b, c.Query("cursor")); err != nil {
		h.d.Fail(r, err)
		return
	}
	h.loadCounts(r, b)
	h.loadRisk(r, b)
	h.options(r, b)
	r.X.Title = r.X.T("board.title")
	if r.X.HX && c.GetHeader("HX-Target") == "board-body" {
		h.page.Partial(c, http.StatusOK, "body", b)
		return
	}
	h.page.Render(c, http.StatusOK, b)
}

// listPart is the list alone (the polled part). Outside htmx it is the page.
func (h *handler) listPart(c *gin.Context) {
	if !h.fromHTMX(c) {
		return
	}
	r := h.d.Req(c)
	b := h.newData(r, filterOf(c))
	b.Names = h.names(r)
	status := http.StatusOK
	if err := h.loadList(r, b, c.Query("cursor")); err != nil {
		b.ListProblem = r.X.ProblemOf(err)
		status = b.ListProblem.Status
	}
	h.page.Partial(c, status, "list", b)
}

// countsPart is the counts alone (the polled part); when the total differs
// from the one the browser shows (seen), the answer also updates the live
// region that announces it.
func (h *handler) countsPart(c *gin.Context) {
	if !h.fromHTMX(c) {
		return
	}
	r := h.d.Req(c)
	b := h.newData(r, filterOf(c))
	b.Names = h.names(r)
	h.loadCounts(r, b)
	h.loadRisk(r, b)
	status := http.StatusOK
	if b.CountsProblem != nil {
		status = b.CountsProblem.Status
	} else if seen, err := strconv.Atoi(c.Query("seen")); err != nil || seen != b.Counts.Total {
		b.StatusText = r.X.T("board.status", "Count", b.Counts.Total, "Time", r.X.DateTime(r.X.Now()))
	}
	h.page.Partial(c, status, "counts", b)
}

// fromHTMX sends a browser that asks for a part without htmx to the page.
func (h *handler) fromHTMX(c *gin.Context) bool {
	if c.GetHeader("HX-Request") == "true" {
		return true
	}
	q := c.Request.URL.Query()
	q.Del("seen")
	c.Redirect(http.StatusSeeOther, "/board?"+q.Encode())
	return false
}

func (h *handler) loadList(r *console.Request, b *boardData, cursor string) error {
	res, err := r.API.FollowUp.GetFollowUpsOverdueWithResponse(r.Ctx(), b.Filter.ListParams(pageSize, cursor))
	if err := apis.Check(res, err); err != nil {
		return err
	}
	b.Cursor = cursor
	var rows []Row
	if p := res.JSON200; p != nil {
		if p.Items != nil {
			for _, v := range *p.Items {
				rows = append(rows, RowOf(v, h.workflowURL(r)))
			}
		}
		b.Next = view.Str(p.NextCursor)
	}
	b.Groups = GroupRows(rows, b.Filter.Group)
	b.Customers = h.customerNames(r, rows)
	return nil
}

func (h *handler) workflowURL(r *console.Request) func(string) string {
	return func(id string) string { return r.X.WorkflowURL(h.d.Namespace, id) }
}

func (h *handler) loadCounts(r *console.Request, b *boardData) {
	res, err := r.API.FollowUp.GetFollowUpsOverdueCountsWithResponse(r.Ctx(), b.Filter.CountParams())
	if err := apis.Check(res, err); err != nil {
		b.CountsProblem = r.X.ProblemOf(err)
		return
	}
	b.Counts = countsOf(res.JSON200, b.Names)
}

// countsOf turns the service's counts into the board's (buckets in their
// order, the owners with the most first, at most maxOwners of them).
func countsOf(in *followupapi.Counts, names map[string]string) *Counts {
	out := &Counts{}
	if in == nil {
		return out
	}
	out.Total = deref(in.Total)
	for _, k := range Buckets {
		n := 0
		if in.ByLateness != nil {
			n = (*in.ByLateness)[k]
		}
		out.Buckets = append(out.Buckets, Bucket{Key: k, N: n})
	}
	line := func(c followupapi.Count) Count {
		owner := view.Str(c.OwnerId)
		return Count{Team: view.Str(c.Team), Owner: owner, Name: names[owner], Overdue: deref(c.Overdue),
			Escalated: deref(c.Escalated), Oldest: c.OldestDueAt}
	}
	if in.ByTeam != nil {
		for _, c := range *in.ByTeam {
			l := line(c)
			out.Escalated += l.Escalated
			out.Teams = append(out.Teams, l)
		}
	}
	if in.ByOwner != nil {
		for i, c := range *in.ByOwner {
			if i >= maxOwners {
				out.MoreOwners = len(*in.ByOwner) - maxOwners
				break
			}
			out.Owners = append(out.Owners, line(c))
		}
	}
	return out
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// options fills the team and owner choices: the user's teams and the teams
// and owners that have overdue follow-ups (before this page's filters), so
// every choice leads somewhere; a value in the filter is always offered.
func (h *handler) options(r *console.Request, b *boardData) {
	counts := b.Counts
	if b.Filter.Active() || counts == nil {
		res, err := r.API.FollowUp.GetFollowUpsOverdueCountsWithResponse(r.Ctx(), &followupapi.GetFollowUpsOverdueCountsParams{})
		if err := apis.Check(res, err); err != nil {
			h.d.Log.WarnContext(r.C, "board: the unfiltered counts for the filter choices did not load", "error", err)
		} else {
			counts = countsOf(res.JSON200, b.Names)
			counts.Owners = nil
			if res.JSON200.ByOwner != nil {
				for _, c := range *res.JSON200.ByOwner {
					counts.Owners = append(counts.Owners, Count{Owner: view.Str(c.OwnerId)})
				}
			}
		}
	}
	teams := append([]string(nil), r.User.Teams...)
	var owners []string
	if counts != nil {
		for _, t := range counts.Teams {
			teams = append(teams, t.Team)
		}
		for _, o := range counts.Owners {
			owners = append(owners, o.Owner)
		}
	}
	teams = append(teams, b.Filter.Team)
	owners = append(owners, b.Filter.Owner)
	for _, t := range sortedUnique(teams) {
		b.Teams = append(b.Teams, Option{Value: t, Label: t})
	}
	for _, o := range sortedUnique(owners) {
		b.Owners = append(b.Owners, Option{Value: o, Label: b.Name(o)})
	}
}

func sortedUnique(in []string) []string {
	out := slices.DeleteFunc(slices.Clone(in), func(s string) bool { return s == "" })
	slices.Sort(out)
	return slices.Compact(out)
}
