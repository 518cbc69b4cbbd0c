package notices

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The notice page's forms, named by the API's route each posts to.
const (
	FormRead        = "read"
	FormAcknowledge = "acknowledge"
	FormPublish     = "publish"
	FormRevoke      = "revoke"
)

// Action is a refused form as the user filled it.
type Action struct {
	Form    string
	Values  url.Values
	Problem *view.Problem
}

// ReceiptRow is one reader of the notice, as its overseers see them.
type ReceiptRow struct {
	ID, Name, Teams string
	// Late: not acknowledged by the deadline.
	Late bool
	serviceapi.ReceiptView
}

type noticeData struct {
	*view.Ctx
	Notice serviceapi.NoticeView
	F      Facts
	// Paragraphs are the body's paragraphs (blank lines apart), each its
	// lines: the template escapes them and puts the line breaks back.
	Paragraphs [][]string
	Done       string
	// Oversees: the viewer sees the receipts and revokes (Oversees);
	// Writes: the viewer edits and publishes the draft (Writes).
	Oversees, Writes bool
	// The receipts, for the overseers of a published (or revoked) notice:
	// the counts, a page of readers filtered by Filter (one of Filters;
	// "" all), the next page.
	Counts          serviceapi.ReceiptCountsView
	Readers         []ReceiptRow
	Filter          string
	Filters         []string
	ReadersNext     string
	ReceiptsProblem *view.Problem
	// Act is the form whose change was refused, as the user filled it.
	Act *Action
	// ReadProblem is the refusal of the read form sent by htmx.
	ReadProblem *view.Problem
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	d, err := h.load(r, c.Param("id"))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if done := r.X.Q("done"); done != "" {
		d.Done = orID(r.X, "notices.done."+done, "")
	}
	h.detail.Render(c, http.StatusOK, d)
}

// load reads the notice and, for its overseers once it is published, its
// receipts: what the notice page shows.
func (h *handler) load(r *console.Request, id string) (*noticeData, error) {
	x := r.X
	ctx := r.C.Request.Context()
	res, err := r.API.Service.GetNoticesByIdWithResponse(ctx, id)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	n := *res.JSON200
	x.Title = str(n.Title)
	d := &noticeData{Ctx: x, Notice: n, F: factsOf(x, n, x.Now()), Paragraphs: paragraphs(str(n.Body)),
		Oversees: Oversees(x, n), Writes: Writes(x, n)}
	if !d.Oversees || str(n.State) == StateDraft {
		return d, nil
	}
	d.Filters = []string{ReceiptUnread, ReceiptRead}
	if d.F.MustAck {
		d.Filters = append(d.Filters, ReceiptAcknowledged, ReceiptUnacknowledged)
	}
	d.Filter = pick(d.Filters, x.Q("readers"))
	params := &serviceapi.GetNoticesByIdReceiptsParams{Limit: ptr(pageSize), Cursor: opt(x.Q("cursor"))}
	if d.Filter != "" {
		params.State = ptr(serviceapi.GetNoticesByIdReceiptsParamsState(d.Filter))
	}
	rres, err := r.API.Service.GetNoticesByIdReceiptsWithResponse(ctx, id, params)
	if err := apis.Check(rres, err); err != nil {
		if signedOut(err) {
			return nil, err
		}
		d.ReceiptsProblem = problem(x, err)
		return d, nil
	}
	d.Counts = deref(rres.JSON200.Counts)
	for _, rc := range deref(rres.JSON200.Items) {
		row := ReceiptRow{ID: str(rc.ReaderId), Name: str(rc.ReaderName), Teams: strings.Join(deref(rc.ReaderTeams), ", "),
			Late: deref(rc.Overdue), ReceiptView: rc}
		if row.Name == "" {
			row.Name = row.ID
		}
		d.Readers = append(d.Readers, row)
	}
	if next := str(rres.JSON200.NextCursor); next != "" {
		d.ReadersNext = d.FilterURL(d.Filter, next)
	}
	return d, nil
}

// paragraphs splits a body into paragraphs at blank lines, each into its
// lines.
func paragraphs(body string) [][]string {
	body = strings.ReplaceAll(strings.TrimSpace(body), "\r\n", "\n")
	var out [][]string
	for _, p := range strings.Split(body, "\n\n") {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
			out = append(out, strings.Split(p, "\n"))
		}
	}
	return out
}

// FilterURL is the receipts filtered by state ("" all), at cursor (none:
// the first page).
func (d *noticeData) FilterURL(state string, cursor ...string) string {
	q := url.Values{}
	if state != "" {
		q.Set("readers", state)
	}
	if len(cursor) > 0 && cursor[0] != "" {
		q.Set("cursor", cursor[0])
	}
	u := noticeURL(d.F.ID, "")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u + "#receipts"
}

// Int is a count the API may leave out (0 then).
func (d *noticeData) Int(p *int) int { return deref(p) }

// Offers reports whether the page shows form: the notice's state takes it
// and the viewer is whom the service lets send it — its reader to read it
// (until they have) and acknowledge it (when it asks and they have not),
// its overseers to revoke it, its writer to publish the draft. The form
// just refused is always shown, so nothing typed is lost.
func (d *noticeData) Offers(form string) bool {
	if d.Act != nil && d.Act.Form == form {
		return true
	}
	published := str(d.Notice.State) == StatePublished
	switch form {
	case FormRead:
		return published && d.F.Reader && d.F.ReadAt == nil
	case FormAcknowledge:
		return published && d.F.Reader && d.F.MustAck && d.F.AckedAt == nil
	case FormRevoke:
		return published && d.Oversees
	case FormPublish:
		return d.Writes
	}
	return false
}

// Acts reports whether the page shows any form of the notice's overseers
// or writer.
func (d *noticeData) Acts() bool {
	return d.Offers(FormRevoke) || d.Offers(FormPublish)
}

// Val is what the user typed in field of form.
func (d *noticeData) Val(form, field string) string {
	if d.Act != nil && d.Act.Form == form {
		return d.Act.Values.Get(field)
	}
	return ""
}

// Err is the refusal's message for field of form ("" when fine).
func (d *noticeData) Err(form, field string) string {
	if d.Act == nil || d.Act.Form != form {
		return ""
	}
	return d.Act.Problem.Field(field)
}

// formFields are the fields each form shows; a refusal naming another field
// is said at the top of the form.
var formFields = map[string][]string{FormRevoke: {"reason"}}

// Refusal is the refusal of form said at its top: its message, and the
// messages of fields the form does not show.
func (d *noticeData) Refusal(form string) *view.Problem {
	if d.Act == nil || d.Act.Form != form || d.Act.Problem == nil {
		return nil
	}
	p := *d.Act.Problem
	p.Fields = nil
	for f, m := range d.Act.Problem.Fields {
		if !slices.Contains(formFields[form], f) {
			if p.Fields == nil {
				p.Fields = map[string]string{}
			}
			p.Fields[f] = m
		}
	}
	return &p
}

// read records that the reader read the notice: the page's "Mark as read"
// form, which htmx sends as the page is shown. htmx gets the cell that
// says so (or why not); a plain post goes back to the page with a notice.
func (h *handler) read(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	res, err := r.API.Service.PostNoticesByIdReadWithResponse(r.Ctx(), id)
	err = apis.Check(res, err)
	if err != nil && signedOut(err) {
		h.d.Fail(r, err)
		return
	}
	if !r.X.HX {
		if err != nil {
			h.refuse(r, id, FormRead, nil, err)
			return
		}
		c.Redirect(http.StatusSeeOther, noticeURL(id, FormRead))
		return
	}
	d := &noticeData{Ctx: r.X}
	status := http.StatusOK
	if err != nil {
		d.ReadProblem = problem(r.X, err)
		status = d.ReadProblem.Status
		h.d.Log.WarnContext(c, "notices: a notice was not marked read", "notice", id, "error", err)
	} else if res.JSON200 != nil {
		d.F = factsOf(r.X, *res.JSON200, r.X.Now())
	}
	h.detail.Partial(c, status, "read-answer", d)
}

// acknowledge records that the reader acknowledged the notice.
func (h *handler) acknowledge(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	res, err := r.API.Service.PostNoticesByIdAcknowledgeWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		h.refuse(r, id, FormAcknowledge, nil, err)
		return
	}
	c.Redirect(http.StatusSeeOther, noticeURL(id, FormAcknowledge))
}

// revoke takes the published notice out of its readers' boxes, with the
// reason typed (optional).
func (h *handler) revoke(c *gin.Context) {
	r := h.d.Req(c)
	if err := c.Request.ParseForm(); err != nil {
		h.d.Fail(r, apperr.Invalid("invalid_form", "the form could not be read"))
		return
	}
	id, v := c.Param("id"), c.Request.PostForm
	reason := strings.TrimSpace(v.Get("reason"))
	res, err := r.API.Service.PostNoticesByIdRevokeWithResponse(r.Ctx(), id, serviceapi.RevokeNoticeRequest{Reason: opt(reason)})
	if err := apis.Check(res, err); err != nil {
		h.refuse(r, id, FormRevoke, v, err)
		return
	}
	c.Redirect(http.StatusSeeOther, noticeURL(id, FormRevoke))
}

// publish publishes the draft as it is stored. A refusal that names fields
// (a window that has passed, an audience that matches nobody) shows the
// draft's form with each message next to its field; any other at the
// page's Publish form.
func (h *handler) publish(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	res, err := r.API.Service.PostNoticesByIdPublishWithResponse(r.Ctx(), id)
	err = apis.Check(res, err)
	if err == nil {
		c.Redirect(http.StatusSeeOther, noticeURL(id, FormPublish))
		return
	}
	var e *apperr.Error
	if errors.As(err, &e) && len(e.Fields) > 0 && !signedOut(err) {
		n, lerr := h.draft(r, id)
		if lerr != nil {
			h.d.Fail(r, lerr)
			return
		}
		f := &Form{ID: id, Version: deref(n.Version), Values: valuesOf(n, r.X.TZ), Problem: problem(r.X, err)}
		h.renderForm(c, r, f.Problem.Status, f)
		return
	}
	h.refuse(r, id, FormPublish, nil, err)
}

// draft reads the notice id (the form of a draft shows it).
func (h *handler) draft(r *console.Request, id string) (serviceapi.NoticeView, error) {
	res, err := r.API.Service.GetNoticesByIdWithResponse(r.C.Request.Context(), id)
	if err := apis.Check(res, err); err != nil {
		return serviceapi.NoticeView{}, err
	}
	return *res.JSON200, nil
}

// refuse shows a refused form: the page again, as the notice is now, with
// the form as the user filled it and the refusal at it. A notice gone from
// the user's sight has no page to show it on.
func (h *handler) refuse(r *console.Request, id, form string, v url.Values, err error) {
	if signedOut(err) || gone(err) {
		h.d.Fail(r, err)
		return
	}
	act := &Action{Form: form, Values: v, Problem: problem(r.X, err)}
	if act.Problem.Status >= 500 {
		h.d.Log.WarnContext(r.C, "notices: a change was not answered", "notice", id, "form", form, "error", err)
	}
	d, lerr := h.load(r, id)
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	d.Act = act
	h.detail.Render(r.C, act.Problem.Status, d)
}
