package notices

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Form is the writing form: what the user typed, for a new notice or a
// draft, and the refusal.
type Form struct {
	// ID is the draft's id ("" a new notice), Version the version the form
	// was read at (the API's expected_version).
	ID      string
	Version int
	Values  url.Values
	Problem *view.Problem
	// Idem is the form's idempotency key when a resend must reuse it (the
	// service did not say whether the new draft was stored).
	Idem string
	// Saved: this post stored the draft, but its publication was refused.
	Saved bool
}

// Val is what the user typed in field.
func (f *Form) Val(field string) string { return f.Values.Get(field) }

// On reports whether the checkbox field is ticked.
func (f *Form) On(field string) bool { return f.Values.Get(field) == "true" }

// Has reports whether value is ticked among the checkboxes field.
func (f *Form) Has(field, value string) bool { return slices.Contains(f.Values[field], value) }

// Err is the message of field ("" when it is fine).
func (f *Form) Err(field string) string { return f.Problem.Field(field) }

type formData struct {
	*view.Ctx
	Form               *Form
	Departments, Roles []string
	// Problem is the refusal said at the top, with the messages of fields
	// the form does not show.
	Problem *view.Problem
}

// Action is where the form posts: a new notice, or the draft's edit.
func (d *formData) Action() string {
	if d.Form.ID == "" {
		return "/notices"
	}
	return noticeURL(d.Form.ID, "") + "/edit"
}

// IdemKey is the form's idempotency key: a new one per render, or the sent
// form's when a resend must be recognised as the same notice.
func (d *formData) IdemKey() string {
	if d.Form.Idem != "" {
		return d.Form.Idem
	}
	return d.Idem()
}

// MyTeams are the user's teams, which a manager addresses by name.
func (d *formData) MyTeams() string {
	if d.User == nil {
		return ""
	}
	return strings.Join(d.User.Teams, ", ")
}

// shownRE matches the fields the form shows next to an input.
var shownRE = regexp.MustCompile(`^(title|body|audience|audience\.(departments|roles|teams)|valid_from|valid_until|ack_deadline)$`)

// inputLayout is a datetime-local input's value.
const inputLayout = "2006-01-02T15:04"

func (h *handler) newForm(c *gin.Context) {
	r := h.d.Req(c)
	h.renderForm(c, r, http.StatusOK, &Form{Values: url.Values{}})
}

// editForm is the form of a draft the user writes; any other notice's
// page says what it is (a published notice no longer changes).
func (h *handler) editForm(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	n, err := h.draft(r, id)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if !Writes(r.X, n) {
		c.Redirect(http.StatusSeeOther, noticeURL(id, ""))
		return
	}
	h.renderForm(c, r, http.StatusOK, &Form{ID: id, Version: deref(n.Version), Values: valuesOf(n, r.X.TZ)})
}

// renderForm shows the form as f has it.
func (h *handler) renderForm(c *gin.Context, r *console.Request, status int, f *Form) {
	x := r.X
	x.Title = x.T("notices.form.new_title")
	if f.ID != "" {
		x.Title = x.T("notices.form.edit_title")
	}
	d := &formData{Ctx: x, Form: f, Departments: Departments, Roles: Roles}
	if p := f.Problem; p != nil {
		top := *p
		top.Fields = nil
		for k, m := range p.Fields {
			if !shownRE.MatchString(k) {
				if top.Fields == nil {
					top.Fields = map[string]string{}
				}
				top.Fields[k] = m
			}
		}
		d.Problem = &top
	}
	h.form.Render(c, status, d)
}

// create writes a new draft from the form, and publishes it when the user
// pressed Publish.
func (h *handler) create(c *gin.Context) {
	r := h.d.Req(c)
	v, ok := h.postForm(r)
	if !ok {
		return
	}
	f := &Form{Values: v}
	body, bad := request(v, r.X.TZ)
	if len(bad) > 0 {
		h.badDates(c, r, f, bad)
		return
	}
	res, err := r.API.Service.PostNoticesWithResponse(r.Ctx(), &serviceapi.PostNoticesParams{}, body)
	if err = apis.Check(res, err); err == nil && res.JSON201 == nil {
		err = apperr.Unavailable("service_unavailable", "the after-sales service answered without the notice")
	}
	if err != nil {
		h.refuseForm(c, r, f, err)
		return
	}
	h.saved(c, r, f, *res.JSON201, res.HTTPResponse.Header.Get("Idempotent-Replayed") == "true")
}

// edit replaces the whole draft with the form (at the version the form was
// read at), and publishes it when the user pressed Publish.
func (h *handler) edit(c *gin.Context) {
	r := h.d.Req(c)
	v, ok := h.postForm(r)
	if !ok {
		return
	}
	f := &Form{ID: c.Param("id"), Values: v}
	if n, err := strconv.Atoi(v.Get("version")); err == nil && n > 0 {
		f.Version = n
	}
	body, bad := request(v, r.X.TZ)
	if len(bad) > 0 {
		h.badDates(c, r, f, bad)
		return
	}
	res, err := r.API.Service.PutNoticesByIdWithResponse(r.Ctx(), f.ID, editRequest(body, f.Version))
	if err = apis.Check(res, err); err == nil && res.JSON200 == nil {
		err = apperr.Unavailable("service_unavailable", "the after-sales service answered without the notice")
	}
	if err != nil {
		h.refuseForm(c, r, f, err)
		return
	}
	h.saved(c, r, f, *res.JSON200, false)
}

func (h *handler) postForm(r *console.Request) (url.Values, bool) {
	if err := r.C.Request.ParseForm(); err != nil {
		h.d.Fail(r, apperr.Invalid("invalid_form", "the form could not be read"))
		return nil, false
	}
	return r.C.Request.PostForm, true
}

// saved goes on from the draft the form stored: to its page, or — when the
// user pressed Publish — publishing it first. A refused publication leaves
// the draft saved: the form goes on as the draft's and says why. A new
// notice's form sent twice stores one draft (its idempotency key), which
// the first post published: the second goes to it as well.
func (h *handler) saved(c *gin.Context, r *console.Request, f *Form, n serviceapi.NoticeView, replayed bool) {
	id := str(n.Id)
	if f.Values.Get("action") != FormPublish {
		c.Redirect(http.StatusSeeOther, noticeURL(id, "saved"))
		return
	}
	res, err := r.API.Service.PostNoticesByIdPublishWithResponse(r.Ctx(), id)
	err = apis.Check(res, err)
	if err == nil || (replayed && apperr.From(err).Code == "notice_not_draft") {
		c.Redirect(http.StatusSeeOther, noticeURL(id, FormPublish))
		return
	}
	f.ID, f.Version, f.Saved, f.Idem = id, deref(n.Version), true, ""
	h.refuseForm(c, r, f, err)
}

// refuseForm shows the form again as the user filled it, each field's
// message next to its field. A draft changed meanwhile is read again for
// its version: sending the form again replaces it, as the message says.
func (h *handler) refuseForm(c *gin.Context, r *console.Request, f *Form, err error) {
	if signedOut(err) || (f.ID != "" && gone(err)) {
		h.d.Fail(r, err)
		return
	}
	p := problem(r.X, err)
	if p.Status >= 500 {
		if f.ID == "" {
			f.Idem = f.Values.Get("_idem")
		}
		h.d.Log.WarnContext(c, "notices: a notice was not saved or published", "notice", f.ID, "error", err)
	}
	if p.Code == "version_conflict" && f.ID != "" {
		if n, err := h.draft(r, f.ID); err == nil {
			f.Version = deref(n.Version)
		}
	}
	f.Problem = p
	h.renderForm(c, r, p.Status, f)
}

// badDates shows the form with the dates that are no dates said at their
// fields; nothing is sent.
func (h *handler) badDates(c *gin.Context, r *console.Request, f *Form, bad []string) {
	p := &view.Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Message: r.X.T("notices.error.validation_failed"), Fields: map[string]string{}}
	for _, k := range bad {
		p.Fields[k] = r.X.T("notices.field.date_format")
	}
	f.Problem = p
	h.renderForm(c, r, p.Status, f)
}

// request is the API's request for the form's values, sent as typed (the
// service says what is wrong, every field at once), dates read in the
// user's time zone. bad names the dates that are no dates.
func request(v url.Values, tz *time.Location) (body serviceapi.NoticeRequest, bad []string) {
	body = serviceapi.NoticeRequest{Title: ptr(strings.TrimSpace(v.Get("title"))), Body: ptr(strings.TrimRight(v.Get("body"), " \t\r\n")),
		Audience: &serviceapi.AudienceRequest{Everyone: ptr(v.Get("everyone") == "true"), Departments: ptr(list(v["departments"])),
			Roles: ptr(list(v["roles"])), Teams: ptr(teamsOf(v.Get("teams")))},
		Pinned: ptr(v.Get("pinned") == "true"), MustAcknowledge: ptr(v.Get("must_acknowledge") == "true")}
	for _, d := range []struct {
		field string
		to    **time.Time
		end   bool
	}{{"valid_from", &body.ValidFrom, false}, {"valid_until", &body.ValidUntil, true}, {"ack_deadline", &body.AckDeadline, true}} {
		t, ok := parseTime(strings.TrimSpace(v.Get(d.field)), tz, d.end)
		if !ok {
			bad = append(bad, d.field)
		}
		*d.to = t
	}
	return body, bad
}

// editRequest is body as the whole of a draft read at version (0: unchecked).
func editRequest(b serviceapi.NoticeRequest, version int) serviceapi.EditNoticeRequest {
	e := serviceapi.EditNoticeRequest{Title: b.Title, Body: b.Body, Audience: b.Audience, ValidFrom: b.ValidFrom, ValidUntil: b.ValidUntil,
		Pinned: b.Pinned, MustAcknowledge: b.MustAcknowledge, AckDeadline: b.AckDeadline}
	if version > 0 {
		e.ExpectedVersion = &version
	}
	return e
}

// valuesOf is the form of the draft n, its times in the user's time zone.
func valuesOf(n serviceapi.NoticeView, tz *time.Location) url.Values {
	v := url.Values{"title": {str(n.Title)}, "body": {str(n.Body)}}
	a := deref(n.Audience)
	if deref(a.Everyone) {
		v.Set("everyone", "true")
	}
	v["departments"], v["roles"] = deref(a.Departments), deref(a.Roles)
	v.Set("teams", strings.Join(deref(a.Teams), ", "))
	for k, t := range map[string]*time.Time{"valid_from": n.ValidFrom, "valid_until": n.ValidUntil, "ack_deadline": n.AckDeadline} {
		if t != nil {
			v.Set(k, t.In(tz).Format(inputLayout))
		}
	}
	for k, on := range map[string]*bool{"pinned": n.Pinned, "must_acknowledge": n.MustAcknowledge} {
		if deref(on) {
			v.Set(k, "true")
		}
	}
	return v
}

// parseTime reads a datetime-local input in the user's time zone, as UTC;
// a date alone is the start of that day, or its end for endOfDay (a notice
// shown until a day is shown all that day). ok is false for a value that is
// no date; "" is none.
func parseTime(s string, tz *time.Location, endOfDay bool) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	for _, layout := range []string{inputLayout, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, tz); err == nil {
			return ptr(t.UTC()), true
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, tz); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1).Add(-time.Minute)
		}
		return ptr(t.UTC()), true
	}
	return nil, false
}

// teamsOf reads the teams input: names separated by commas (also the
// Chinese comma) or line breaks.
func teamsOf(s string) []string {
	return list(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' || r == '\r' }))
}

// list is the values trimmed, without blanks (never nil: sent as []).
func list(vs []string) []string {
	out := []string{}
	for _, s := range vs {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
