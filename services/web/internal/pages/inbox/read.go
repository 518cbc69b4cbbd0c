package inbox

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// read marks one message read. A plain form post returns to the page it
// came from with a notice; htmx gets the message again, read (or a line
// saying it has left the unread ones), the new unread count out of band,
// and the event that refreshes the header's badge. A message that is not
// the user's is a 404 that says so, and nothing changes.
func (h *handler) read(c *gin.Context) {
	r := h.d.Req(c)
	q, id := queryOf(c), c.Param("id")
	res, err := r.API.FollowUp.PostNotificationsByIdReadWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		h.refuse(r, id, err)
		return
	}
	if !r.X.HX {
		c.Redirect(http.StatusSeeOther, q.url("/inbox", "done", "read"))
		return
	}
	c.Header("HX-Trigger", view.InboxBadge.Event)
	data, err := h.load(r, q)
	if err != nil {
		// It is marked; only showing the page again failed.
		h.d.Log.WarnContext(c, "inbox: the list did not load after a message was marked read", "error", err)
		data = &pageData{Ctx: r.X, Q: q, Count: h.unread(r.Ctx(), r)}
	}
	for _, m := range data.Messages {
		if m.ID == id {
			data.Row = m
		}
	}
	data.RowID, data.RowText, data.OOB = id, r.X.T("inbox.done.read_left"), true
	h.page.Partial(c, http.StatusOK, "read-answer", data)
}

// readAll marks every unread message of the user read. A plain form post
// returns to the page with how many; htmx gets the page's body again.
func (h *handler) readAll(c *gin.Context) {
	r := h.d.Req(c)
	q := queryOf(c)
	res, err := r.API.FollowUp.PostNotificationsReadAllWithResponse(r.Ctx())
	if err := apis.Check(res, err); err != nil {
		h.d.Fail(r, err)
		return
	}
	n := 0
	if res.JSON200 != nil && res.JSON200.Marked != nil {
		n = *res.JSON200.Marked
	}
	if !r.X.HX {
		c.Redirect(http.StatusSeeOther, q.url("/inbox", "done", "all", "marked", strconv.Itoa(n)))
		return
	}
	c.Header("HX-Trigger", view.InboxBadge.Event)
	data, err := h.load(r, q)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	data.Notice = marked(r.X, n)
	h.page.Partial(c, http.StatusOK, "body", data)
}

// refuse shows why a message could not be marked read: one that is not in
// the user's inbox is said so in its place (htmx) or on a page of its own;
// anything else as every page shows a failed call.
func (h *handler) refuse(r *console.Request, id string, err error) {
	p := r.X.ProblemOf(err)
	if p.Status != http.StatusNotFound {
		h.d.Fail(r, err)
		return
	}
	detail := r.X.T("inbox.not_yours")
	if r.X.HX {
		h.page.Partial(r.C, http.StatusNotFound, "read-refused", &pageData{Ctx: r.X, RowID: id,
			RowText: r.X.T("inbox.not_found") + " — " + detail})
		return
	}
	h.d.View.Message(r.C, r.User, http.StatusNotFound, "inbox.not_found", detail)
}

// maxBadge is the highest count the service counts to (beyond it: 99+).
const maxBadge = 99

// badgeData is the header's unread count.
type badgeData struct {
	*view.Ctx
	Badge *view.NavBadge
	Count Count
	// Seen is the count the answer shows, sent back with the next poll
	// ("" while unknown); Announce says the count changed since the one
	// the browser showed, for the live region.
	Seen     string
	Announce bool
}

// Label is the badge's figure: the count, or 99+.
func (b *badgeData) Label() string {
	if b.Count.More {
		return strconv.Itoa(b.Count.N) + "+"
	}
	return strconv.Itoa(b.Count.N)
}

// Text is the count in words ("3 unread messages").
func (b *badgeData) Text() string {
	switch {
	case b.Count.More:
		return b.T("inbox.badge.more", "Count", b.Count.N)
	case b.Count.N == 0:
		return b.T("inbox.badge.none")
	}
	return b.T("inbox.badge.n", "Count", b.Count.N)
}

// PollURL is where the badge asks again.
func (b *badgeData) PollURL() string {
	if b.Seen == "" {
		return b.Badge.URL
	}
	return b.Badge.URL + "?seen=" + b.Seen
}

// count is the header's badge (view.InboxBadge), an htmx part only: a
// browser that opens it as a page is sent to the inbox. seen is the count
// the browser shows (100 for 99+); when it changed, the answer also fills
// the badge's live region. A service that does not answer leaves the badge
// without a figure and is logged; it never shows an error in the header.
func (h *handler) count(c *gin.Context) {
	if c.GetHeader("HX-Request") != "true" {
		c.Redirect(http.StatusSeeOther, "/inbox")
		return
	}
	r := h.d.Req(c)
	b := &badgeData{Ctx: r.X, Badge: view.InboxBadge, Count: h.unread(r.Ctx(), r)}
	seen, err := strconv.Atoi(c.Query("seen"))
	known := err == nil && seen >= 0
	if b.Count.Failed {
		// Keep showing what the browser showed.
		b.Count = Count{}
		if known {
			b.Count, b.Seen = Count{N: min(seen, maxBadge), More: seen > maxBadge}, strconv.Itoa(seen)
		}
	} else {
		now := b.Count.N
		if b.Count.More {
			now++
		}
		b.Seen, b.Announce = strconv.Itoa(now), known && seen != now
	}
	h.badge.Partial(c, http.StatusOK, "badge", b)
}
