// Package deliveries is the administrators' page of notification
// deliveries (/admin/deliveries): each follow-up message, and each
// person's daily digest, goes out by email and webhook as one delivery per
// channel and target, and each campaign email to a customer (kind touch,
// no follow-up) by email (docs/api/followup.openapi.json, GET
// /v1/deliveries).
// The page opens on the failed ones — the dead-letter list: retries ran
// out, or the receiver refused for good — and filters by status and
// channel. An admin reads why each failed, opens its follow-up on the
// board, fixes the cause (an address, a receiving system) and retries it.
//
// Retrying is a form post (with htmx the row is swapped for the answer,
// which says "retrying"; without, the list comes back with a notice). Which
// deliveries may be retried is the service's to decide: a delivery that is
// no longer failed is refused (409) and said so in its row.
package deliveries

import (
	"embed"
	"net/http"
	"net/url"
	"slices"
	"strings"

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

// Path is the page's address.
const Path = "/admin/deliveries"

// PageSize is how many deliveries one page lists (a variable for the
// tests of paging).
var PageSize = 50

// Statuses are the filter's statuses, the dead-letter list first (the
// default); Channels its channels.
var (
	Statuses = []string{"failed", "retrying", "held", "pending", "sent", "suppressed"}
	Channels = []string{"email", "webhook"}
)

// Mount adds the list and the retry post, for administrators.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("deliveries", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d, page: d.View.Page(templates, "templates/deliveries.html")}
	g := func(fn gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesAdmin...), fn) }
	e.GET(Path, g(h.show)...)
	e.POST(Path+"/:id/retry", g(h.retry)...)
	return nil
}

type handler struct {
	d    *console.Deps
	page *view.Page
}

// query is which deliveries a page lists; values the filter does not
// offer are dropped. The retry forms carry it, so an answer returns to the
// page the admin was on.
type query struct {
	Status, Channel, Cursor string
}

func queryOf(c *gin.Context) query {
	q := query{Status: c.Query("status"), Channel: c.Query("channel"), Cursor: strings.TrimSpace(c.Query("cursor"))}
	if !slices.Contains(Statuses, q.Status) {
		q.Status = Statuses[0]
	}
	if !slices.Contains(Channels, q.Channel) {
		q.Channel = ""
	}
	return q
}

// url is path with the query (the default status left out) and the extra
// name, value pairs.
func (q query) url(path string, kv ...string) string {
	v := url.Values{}
	if q.Status != Statuses[0] {
		v.Set("status", q.Status)
	}
	if q.Channel != "" {
		v.Set("channel", q.Channel)
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	if s := v.Encode(); s != "" {
		return path + "?" + s
	}
	return path
}

type pageData struct {
	*view.Ctx
	Q        query
	Rows     []Row
	Next     string
	Notice   string
	Statuses []string
	Channels []string
	// Row is a retry's answer (the delivery as it is now), RowID and
	// RowProblem a refused retry's.
	Row        *Row
	RowID      string
	RowProblem *view.Problem
}

// RetryURL is the address of the form that retries delivery id.
func (d *pageData) RetryURL(id string) string {
	return d.Q.url(Path + "/" + url.PathEscape(id) + "/retry")
}

// NextURL is the next page of the same filter.
func (d *pageData) NextURL() string {
	return query{Status: d.Q.Status, Channel: d.Q.Channel, Cursor: d.Next}.url(Path)
}

// FirstURL is the first page of the same filter.
func (d *pageData) FirstURL() string {
	return query{Status: d.Q.Status, Channel: d.Q.Channel}.url(Path)
}

// Named is value's name in the user's language under prefix, else value.
func (d *pageData) Named(prefix, value string) string {
	if s := d.T(prefix + value); s != prefix+value {
		return s
	}
	return value
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	data, err := h.load(r, queryOf(c))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if c.Query("done") == "retried" {
		data.Notice = r.X.T("deliveries.done.retried")
	}
	h.page.Render(c, http.StatusOK, data)
}

// load reads one page of deliveries and what names their targets.
func (h *handler) load(r *console.Request, q query) (*pageData, error) {
	r.X.Title = r.X.T("deliveries.title")
	data := &pageData{Ctx: r.X, Q: q, Statuses: Statuses, Channels: Channels}
	limit := PageSize
	p := &followupapi.GetDeliveriesParams{Status: &q.Status, Limit: &limit}
	if q.Channel != "" {
		p.Channel = &q.Channel
	}
	if q.Cursor != "" {
		p.Cursor = &q.Cursor
	}
	res, err := r.API.FollowUp.GetDeliveriesWithResponse(r.Ctx(), p)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	var items []followupapi.DeliveryView
	if v := res.JSON200; v != nil {
		if v.Items != nil {
			items = *v.Items
		}
		data.Next = view.Str(v.NextCursor)
	}
	t := h.targets(r, items)
	for _, it := range items {
		data.Rows = append(data.Rows, t.row(it))
	}
	return data, nil
}

// retry hands a failed delivery back to be sent. htmx gets the row as the
// service answers it ("retrying"), or the refusal in its place; a plain
// form post returns to the list with a notice, or a page saying why not.
func (h *handler) retry(c *gin.Context) {
	r := h.d.Req(c)
	q, id := queryOf(c), c.Param("id")
	res, err := r.API.FollowUp.PostDeliveriesByIdRetryWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		p := r.X.ProblemOf(err)
		if !r.X.HX || p.Status == http.StatusUnauthorized {
			h.d.Fail(r, err)
			return
		}
		if p.Status >= 500 {
			h.d.Log.ErrorContext(c, "deliveries: a retry failed", "delivery", id, "error", err)
		}
		h.page.Partial(c, p.Status, "row-refused", &pageData{Ctx: r.X, Q: q, RowID: id, RowProblem: p})
		return
	}
	if !r.X.HX {
		c.Redirect(http.StatusSeeOther, q.url(Path, "done", "retried"))
		return
	}
	data := &pageData{Ctx: r.X, Q: q}
	if v := res.JSON202; v != nil {
		row := h.targets(r, []followupapi.DeliveryView{*v}).row(*v)
		row.Retried = true
		data.Row = &row
	}
	h.page.Partial(c, http.StatusOK, "row-answer", data)
}
