// Package inbox is everyone's in-app inbox: the messages the follow-up
// service sends when a follow-up's ladder takes a step someone must act on,
// or a person hands a follow-up over (docs/api/followup.md, "Your inbox").
// The page lists them newest first, each saying in the reader's language
// what happened, about which follow-up and customer, when, and whether the
// follow-up still needs anyone; they are marked read one by one or all at
// once. The package also serves the unread count the header's navigation
// shows beside "Inbox" (view.InboxBadge). Which messages are the user's and
// what reading means is the service's business; the page only shows and
// asks.
package inbox

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
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

// PageSize is how many messages one page of the inbox shows.
const PageSize = 50

// Mount adds /inbox, the badge's part and the two posts that mark messages
// read, for every signed-in role.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("inbox", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		page:  d.View.Page(templates, "templates/inbox.html"),
		badge: d.View.Page(templates, "templates/badge.html")}
	g := func(fn gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesInbox...), fn) }
	e.GET("/inbox", g(h.show)...)
	e.GET(view.InboxBadge.URL, g(h.count)...)
	e.POST("/inbox/read-all", g(h.readAll)...)
	e.POST("/inbox/:id/read", g(h.read)...)
	return nil
}

type handler struct {
	d           *console.Deps
	page, badge *view.Page
}

// query is what a page of the inbox is: only the unread messages or all,
// and the position (the service's cursor). The forms carry it in their
// addresses, so an answer returns to the page the user was on.
type query struct {
	Unread bool
	Cursor string
}

func queryOf(c *gin.Context) query {
	return query{Unread: c.Query("unread") == "true", Cursor: strings.TrimSpace(c.Query("cursor"))}
}

// url is path with the query and the extra name, value pairs.
func (q query) url(path string, kv ...string) string {
	v := url.Values{}
	if q.Unread {
		v.Set("unread", "true")
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

// Count is the user's unread messages as the service counts them (up to
// 99; More when there are more).
type Count struct {
	N    int
	More bool
	// Failed: the service did not say.
	Failed bool
}

type pageData struct {
	*view.Ctx
	Q        query
	Messages []*Message
	Next     string
	Count    Count
	Notice   string
	// Board and MyDay say which of the follow-up's pages the user may open.
	Board, MyDay bool
	// OOB marks the summary as an out-of-band part of an htmx answer.
	OOB bool
	// Row is the message a mark-read answer shows again (nil: it has left
	// this list, and RowID and RowText say so).
	Row            *Message
	RowID, RowText string
}

// ActionURL is a form's address: path with the page's filter and position.
func (d *pageData) ActionURL(path string) string { return d.Q.url(path) }

// ReadURL is the address of the form that marks message id read.
func (d *pageData) ReadURL(id string) string {
	return d.Q.url("/inbox/" + url.PathEscape(id) + "/read")
}

// FilterURL is the first page of all messages, or of the unread ones.
func (d *pageData) FilterURL(unread bool) string { return query{Unread: unread}.url("/inbox") }

// OlderURL is the next page (older messages) of the same filter.
func (d *pageData) OlderURL() string { return query{Unread: d.Q.Unread, Cursor: d.Next}.url("/inbox") }

// Ago says how long ago t was ("just now" within a minute).
func (d *pageData) Ago(t *time.Time) string {
	if t == nil {
		return ""
	}
	if d.Now().Sub(*t) < time.Minute {
		return d.T("inbox.just_now")
	}
	return d.T("inbox.ago", "Duration", d.Since(t))
}

// Kind is a follow-up kind's name in the user's language.
func (d *pageData) Kind(kind string) string { return d.named("inbox.kind.", kind) }

// State says whether the follow-up still needs anyone.
func (d *pageData) State(state string) string { return d.named("inbox.state.", state) }

func (d *pageData) named(prefix, value string) string {
	if s := d.T(prefix + value); s != prefix+value {
		return s
	}
	return value
}

// show is the page: a page of messages with the unread count and the
// actions. A GET that cannot read the messages fails as a page.
func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	data, err := h.load(r, queryOf(c))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	switch c.Query("done") {
	case "read":
		data.Notice = r.X.T("inbox.done.read")
	case "all":
		if n, err := strconv.Atoi(c.Query("marked")); err == nil && n >= 0 {
			data.Notice = marked(r.X, n)
		}
	}
	r.X.Title = r.X.T("inbox.title")
	h.page.Render(c, http.StatusOK, data)
}

// marked says how many messages a mark-all-read marked.
func marked(x *view.Ctx, n int) string {
	if n == 0 {
		return x.T("inbox.done.none")
	}
	return x.T("inbox.done.all", "Count", n)
}

// load reads one page of the user's messages and their unread count (at
// once), and what the messages need to be told (see tell). The calls share
// one context: a form's is read from the form once, not by each call.
func (h *handler) load(r *console.Request, q query) (*pageData, error) {
	data := &pageData{Ctx: r.X, Q: q, Board: r.X.Has(view.RolesBoard...), MyDay: r.X.Has(view.RolesMyDay...)}
	ctx := r.Ctx()
	var wg sync.WaitGroup
	wg.Go(func() { data.Count = h.unread(ctx, r) })
	limit := PageSize
	p := &followupapi.GetNotificationsParams{Limit: &limit}
	if q.Unread {
		t := true
		p.Unread = &t
	}
	if q.Cursor != "" {
		p.Cursor = &q.Cursor
	}
	res, err := r.API.FollowUp.GetNotificationsWithResponse(ctx, p)
	wg.Wait()
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	if v := res.JSON200; v != nil {
		if v.Items != nil {
			for _, it := range *v.Items {
				data.Messages = append(data.Messages, messageOf(it))
			}
		}
		data.Next = view.Str(v.NextCursor)
	}
	h.tell(ctx, r, data.Messages)
	return data, nil
}

// unread is the user's unread count; a service that does not answer is
// logged and the count is unknown (it never fails a page).
func (h *handler) unread(ctx context.Context, r *console.Request) Count {
	res, err := r.API.FollowUp.GetNotificationsUnreadCountWithResponse(ctx)
	if err := apis.Check(res, err); err != nil {
		h.d.Log.WarnContext(r.C, "inbox: the unread count did not load", "error", err)
		return Count{Failed: true}
	}
	var n Count
	if v := res.JSON200; v != nil {
		if v.Unread != nil {
			n.N = *v.Unread
		}
		n.More = v.More != nil && *v.More
	}
	return n
}
