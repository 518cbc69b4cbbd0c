package slips

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// The sending form's rows: how many recipient and attachment rows a new
// form shows, and the most it grows to ("Add a recipient", "Add an
// attachment" post the form back with one more row; nothing is sent).
const (
	newRows, newFiles = 3, 1
	maxFiles          = 20
)

// Form is the sending form: what the user typed, the refusal, and how many
// recipient and attachment rows it shows.
type Form struct {
	Values      url.Values
	Problem     *view.Problem
	Rows, Files int
	// Idem is the form's idempotency key when a resend must reuse it (the
	// service did not say whether the slip was stored).
	Idem string
}

// Val is what the user typed in field.
func (f *Form) Val(field string) string { return f.Values.Get(field) }

// Err is the message of field ("" when it is fine).
func (f *Form) Err(field string) string { return f.Problem.Field(field) }

// Option is one choice of a select or datalist.
type Option struct{ Value, Label string }

type formData struct {
	*view.Ctx
	Form                  *Form
	Customers             []Customer
	Categories, Urgencies []string
	// People are the people the person inputs offer (a datalist): the
	// user's teams', and the directory's for managers and admins.
	People []Option
	// Problem is the refusal said at the top, with the messages of fields
	// the form does not show.
	Problem *view.Problem
}

// IdemKey is the form's idempotency key: a new one per render, or the
// sent form's when a resend must be recognised as the same slip.
func (d *formData) IdemKey() string {
	if d.Form.Idem != "" {
		return d.Form.Idem
	}
	return d.Idem()
}

// Recipient is the inputs of the form's recipient row j.
func (d *formData) Recipient(j int) RecipientFields {
	f := recipientFields(fmt.Sprintf("recipients[%d]", j), fmt.Sprintf("r%d", j), d.T("slips.send.recipient_n", "N", j+1),
		d.Form.Values, d.Form.Problem)
	if len(d.People) > 0 {
		f.People = "people"
	}
	return f
}

// Attachment is the inputs of the form's attachment row j.
type Attachment struct {
	Name, ID, Legend string
	Values           url.Values
	Problem          *view.Problem
}

// Val and Err are the row's value and message of field (name, url).
func (a Attachment) Val(field string) string { return a.Values.Get(a.Name + "." + field) }
func (a Attachment) Err(field string) string { return a.Problem.Field(a.Name + "." + field) }

// Attachment is the inputs of the form's attachment row j.
func (d *formData) Attachment(j int) Attachment {
	return Attachment{Name: fmt.Sprintf("attachments[%d]", j), ID: fmt.Sprintf("a%d", j),
		Legend: d.T("slips.send.attachment_n", "N", j+1), Values: d.Form.Values, Problem: d.Form.Problem}
}

// shownRE matches the fields the form shows next to an input.
var shownRE = regexp.MustCompile(`^(customer_id|subject|body|category|urgency|due_at|recipients|attachments|` +
	`recipients\[\d+\]\.(department|team|user_id|kind)|attachments\[\d+\]\.(name|url))$`)

func (h *handler) newForm(c *gin.Context) {
	r := h.d.Req(c)
	v := url.Values{"urgency": {"normal"}}
	if id := r.X.Q("customer_id"); id != "" {
		v.Set("customer_id", id)
	}
	h.renderForm(c, r, http.StatusOK, &Form{Values: v, Rows: newRows, Files: newFiles})
}

// renderForm shows the sending form as f has it.
func (h *handler) renderForm(c *gin.Context, r *console.Request, status int, f *Form) {
	x := r.X
	x.Title = x.T("slips.send.title")
	d := &formData{Ctx: x, Form: f, Categories: Categories, Urgencies: Urgencies}
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
	ctx := r.C.Request.Context()
	var wg sync.WaitGroup
	wg.Go(func() { _, d.Customers = customerChoicesOf(ctx, r) })
	wg.Go(func() { d.People = h.colleagues(ctx, r) })
	wg.Wait()
	if id := f.Val("customer_id"); id != "" && !slices.ContainsFunc(d.Customers, func(cu Customer) bool { return cu.ID == id }) {
		// A customer named by the link of its page but not among the first
		// the list reads: offered too, so the link's choice is kept.
		name := short(id)
		if res, err := r.API.Customer.GetCustomersByIdWithResponse(ctx, id); apis.Check(res, err) == nil && res.JSON200 != nil {
			name = str(res.JSON200.Name)
		}
		d.Customers = append([]Customer{{ID: id, Name: name}}, d.Customers...)
	}
	h.form.Render(c, status, d)
}

// colleagues are the people the form offers by name: those of the user's
// teams (the people directory, anyone may read it) and, for managers and
// admins, the user directory they read. Whoever is not offered is typed.
func (h *handler) colleagues(ctx context.Context, r *console.Request) []Option {
	var out []Option
	for _, t := range r.User.Teams {
		out = append(out, peopleOf(ctx, r, t)...)
	}
	for _, u := range h.d.Users(r) {
		if !deref(u.Disabled) {
			out = append(out, person(str(u.Id), str(u.Name)))
		}
	}
	out = slices.DeleteFunc(out, func(o Option) bool { return o.Value == r.User.Subject })
	slices.SortFunc(out, func(a, b Option) int { return strings.Compare(a.Label, b.Label) })
	return slices.CompactFunc(out, func(a, b Option) bool { return a.Value == b.Value })
}

// peopleOf are the enabled people of team (one page of the people
// directory); none when it does not answer.
func peopleOf(ctx context.Context, r *console.Request, team string) []Option {
	res, err := r.API.Customer.GetPeopleWithResponse(ctx, &customerapi.GetPeopleParams{Team: team, Limit: ptr(200)})
	if apis.Check(res, err) != nil || res.JSON200 == nil {
		return nil
	}
	var out []Option
	for _, p := range deref(res.JSON200.Items) {
		if p.Enabled == nil || *p.Enabled {
			out = append(out, person(str(p.Id), str(p.Name)))
		}
	}
	return out
}

func person(id, name string) Option {
	if name == "" || name == id {
		return Option{Value: id, Label: id}
	}
	return Option{Value: id, Label: name + " (" + id + ")"}
}

// send sends the slip the form describes: 201 goes to the slip's page; a
// refusal shows the form again as the user filled it, each field's message
// next to its field. "Add a recipient" and "Add an attachment" show the
// form again with one more row and send nothing.
func (h *handler) send(c *gin.Context) {
	r := h.d.Req(c)
	if err := c.Request.ParseForm(); err != nil {
		h.d.Fail(r, apperr.Invalid("invalid_form", "the form could not be read"))
		return
	}
	v := c.Request.PostForm
	f := &Form{Values: v, Rows: clamp(v.Get("rows"), newRows, 1, infoslip.MaxRecipients), Files: clamp(v.Get("files"), newFiles, 0, maxFiles)}
	switch v.Get("more") {
	case "recipient":
		f.Rows = min(f.Rows+1, infoslip.MaxRecipients)
		h.renderForm(c, r, http.StatusOK, f)
		return
	case "attachment":
		f.Files = min(f.Files+1, maxFiles)
		h.renderForm(c, r, http.StatusOK, f)
		return
	}
	body, rows, files, dueOK := request(v, f.Rows, f.Files, r.X.TZ)
	res, err := r.API.Service.PostSlipsWithResponse(r.Ctx(), &serviceapi.PostSlipsParams{}, body)
	if err = apis.Check(res, err); err == nil && res.JSON201 != nil {
		c.Redirect(http.StatusSeeOther, "/slips/"+url.PathEscape(str(res.JSON201.Id))+"?done=sent")
		return
	}
	if err == nil { // a 2xx that is not the slip: the service misbehaved
		err = apperr.Unavailable("service_unavailable", "the after-sales service answered without the slip")
	}
	if signedOut(err) {
		h.d.Fail(r, err)
		return
	}
	p := problem(r.X, err)
	p.Fields = rowFields(p.Fields, rows, files)
	if !dueOK {
		p.Fields["due_at"] = r.X.T("slips.field.due_at.format")
	}
	if p.Status >= 500 {
		f.Idem = v.Get("_idem")
		h.d.Log.WarnContext(c, "slips: a slip was not sent", "error", err)
	}
	f.Problem = p
	h.renderForm(c, r, p.Status, f)
}

// request is the API's request for the form's values, with which form row
// each sent recipient and attachment came from (empty rows are left out).
// A due date that is not a date is sent as one in the past, so the service
// still reports every other bad field at once and stores nothing; dueOK is
// false then, and the page says what it expects.
func request(v url.Values, rows, files int, tz *time.Location) (body serviceapi.SendSlipRequest, fromRow, fromFile []int, dueOK bool) {
	trim := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	// Required fields go as typed, "" included: the service names them
	// with every other bad one.
	body = serviceapi.SendSlipRequest{CustomerId: ptr(trim("customer_id")), Subject: ptr(trim("subject")),
		Body: opt(strings.TrimRight(v.Get("body"), " \t\r\n")), Category: ptr(trim("category")), Urgency: opt(trim("urgency")),
		Recipients: &[]serviceapi.RecipientRequest{}}
	due, dueOK := parseDue(trim("due_at"), tz)
	if !dueOK {
		due = ptr(time.Unix(0, 0).UTC())
	}
	body.DueAt = due
	for j := range rows {
		if rq, ok := recipientOf(v, fmt.Sprintf("recipients[%d]", j)); ok {
			*body.Recipients = append(*body.Recipients, rq)
			fromRow = append(fromRow, j)
		}
	}
	var as []serviceapi.AttachmentRequest
	for j := range files {
		name, link := trim(fmt.Sprintf("attachments[%d].name", j)), trim(fmt.Sprintf("attachments[%d].url", j))
		if name == "" && link == "" {
			continue
		}
		as = append(as, serviceapi.AttachmentRequest{Name: &name, Url: &link, ContentType: ptr(contentType(link)), Size: ptr(0)})
		fromFile = append(fromFile, j)
	}
	if len(as) > 0 {
		body.Attachments = &as
	}
	return body, fromRow, fromFile, dueOK
}

// parseDue reads the form's due date (a datetime-local input, in the
// user's time zone; a date alone is the end of that day), as UTC. ok is
// false for a value that is no date.
func parseDue(s string, tz *time.Location) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, tz); err == nil {
			return ptr(t.UTC()), true
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, tz); err == nil {
		return ptr(t.AddDate(0, 0, 1).Add(-time.Minute).UTC()), true
	}
	return nil, false
}

// contentType is an attachment's type guessed from its link's file name
// (the form does not ask for it); application/octet-stream when unknown.
func contentType(link string) string {
	if u, err := url.Parse(link); err == nil {
		if t := mime.TypeByExtension(path.Ext(u.Path)); t != "" {
			return t
		}
	}
	return "application/octet-stream"
}

// rowRE matches a field of a recipient or attachment by its index.
var rowRE = regexp.MustCompile(`^(recipients|attachments)\[(\d+)\](.*)$`)

// rowFields renames the service's fields of the i-th recipient and
// attachment sent to the form row they came from.
func rowFields(fields map[string]string, rows, files []int) map[string]string {
	out := make(map[string]string, len(fields))
	for k, m := range fields {
		if g := rowRE.FindStringSubmatch(k); g != nil {
			from := rows
			if g[1] == "attachments" {
				from = files
			}
			if i, err := strconv.Atoi(g[2]); err == nil && i < len(from) {
				k = fmt.Sprintf("%s[%d]%s", g[1], from[i], g[3])
			}
		}
		out[k] = m
	}
	return out
}

// clamp is s as a number between lo and hi, def when it is none.
func clamp(s string, def, lo, hi int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		n = def
	}
	return max(lo, min(n, hi))
}
