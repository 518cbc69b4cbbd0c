// Package notices is the console's notice (bulletin) pages: the boxes of
// the notices a user reads (inbox, unread, unacknowledged) and, for
// managers and admins, writes (published, drafts); the notice page, where
// the reader's opening it records it read and an Acknowledge button answers
// a notice that asks for it, and where its publisher, the managers of the
// publisher's teams and admins see who has and has not read and
// acknowledged it, and revoke it; and the form that writes, edits and
// publishes a draft.
//
// Everything comes from the after-sales (service) service's notices API,
// called as the signed-in user, so that service decides who sees a notice
// (anyone else gets 404, shown as "no such page"), who may write, publish
// and revoke it, and who sees its receipts. The pages offer each form only
// to whom the service's rules let act (Oversees and Writes: the service's
// MayOverseeNotice and writer rule, on what the session knows), so a
// refusal is the exception; when one comes anyway it is shown at its form,
// in the user's language, with what they typed.
//
// Reading is a POST, never a side effect of a GET (a prefetch or a link
// preview must not mark a notice read): the page of a notice its reader has
// not read carries a "Mark as read" form that htmx sends as soon as the
// page is shown (hx-trigger="load"), so opening the notice records it read;
// without JavaScript the reader presses the button. Acknowledging also
// reads it (the service's rule).
//
// A draft is written with one form (new, or edit: the whole draft, with
// the version it was read at — the API's expected_version — so a draft
// changed meanwhile is said so, with what was typed kept). "Publish"
// saves the form and publishes the draft in one go; when the publication
// is refused (an audience that matches nobody, a window that has passed)
// the draft stays saved and the form says why, next to the field. Dates
// are typed in the user's time zone.
//
// The shapes follow the slips pages (pages/slips), which this package
// copies on purpose rather than sharing code with: the two answer to
// different rules of the service and change separately.
//
// Files: notices.go the boxes and what the pages share, notice.go the
// notice page and its forms, form.go the writing form.
package notices

import (
	"embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

//go:embed locales
var locales embed.FS

//go:embed templates
var templates embed.FS

// The boxes (the service's box parameter): what a reader is addressed,
// and what a publisher wrote.
const (
	BoxInbox          = "inbox"
	BoxUnread         = "unread"
	BoxUnacknowledged = "unacknowledged"
	BoxPublished      = "published"
	BoxDrafts         = "drafts"
)

// A notice's states (the service's), and how the pages tell a published
// one apart: not shown yet (scheduled), shown, or past its window (ended).
const (
	StateDraft     = "draft"
	StatePublished = "published"
	StateRevoked   = "revoked"
	StateScheduled = "scheduled"
	StateShown     = "shown"
	StateEnded     = "ended"
)

// The readers a notice's receipts are filtered by (the service's state).
const (
	ReceiptUnread         = "unread"
	ReceiptRead           = "read"
	ReceiptAcknowledged   = "acknowledged"
	ReceiptUnacknowledged = "unacknowledged"
)

// The values an audience names, in the order the form offers them: the
// organisation's departments (the service's DEPARTMENTS, the same the info
// slips are routed to) and the roles.
var (
	Departments = infoslip.Departments
	Roles       = []string{"rep", "manager", "analyst", "admin"}
)

const pageSize = 50

// Mount adds /notices, /notices/new and its post (POST /notices),
// /notices/{id} with the posts of its forms (read, acknowledge, publish,
// revoke: the API's routes), and /notices/{id}/edit with its post.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("notices", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		list:   d.View.Page(templates, "templates/list.html", "templates/parts.html"),
		form:   d.View.Page(templates, "templates/form.html", "templates/parts.html"),
		detail: d.View.Page(templates, "templates/notice.html", "templates/parts.html"),
	}
	read := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesNotices...), hf) }
	write := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesPublishNotices...), hf) }
	e.GET("/notices", read(h.index)...)
	e.GET("/notices/new", write(h.newForm)...)
	e.POST("/notices", write(h.create)...)
	e.GET("/notices/:id", read(h.show)...)
	e.GET("/notices/:id/edit", write(h.editForm)...)
	e.POST("/notices/:id/edit", write(h.edit)...)
	e.POST("/notices/:id/publish", write(h.publish)...)
	e.POST("/notices/:id/revoke", write(h.revoke)...)
	e.POST("/notices/:id/read", read(h.read)...)
	e.POST("/notices/:id/acknowledge", read(h.acknowledge)...)
	return nil
}

type handler struct {
	d                  *console.Deps
	list, form, detail *view.Page
}

// Facts is a notice as the pages show it: its fields without pointers, its
// state for people (StateScheduled … StateRevoked), its publisher and
// audience in words, and the viewer's receipt when they are one of its
// readers.
type Facts struct {
	ID, Title, Publisher, PublisherTeams, Audience, State string
	Pinned, MustAck                                       bool
	From, Until, Deadline, PublishedAt                    *time.Time
	// Reader: the viewer is one of its readers (the rest is their receipt).
	Reader          bool
	ReadAt, AckedAt *time.Time
	Overdue         bool
	// DeadlinePassed: it must be acknowledged and its deadline has passed.
	DeadlinePassed bool
}

// factsOf is n as the pages show it at now.
func factsOf(x *view.Ctx, n serviceapi.NoticeView, now time.Time) Facts {
	f := Facts{ID: str(n.Id), Title: str(n.Title), Publisher: str(n.PublisherName), PublisherTeams: strings.Join(deref(n.PublisherTeams), ", "),
		Audience: audienceText(x, n.Audience), State: stateOf(n, now), Pinned: deref(n.Pinned), MustAck: deref(n.MustAcknowledge),
		From: n.ValidFrom, Until: n.ValidUntil, Deadline: n.AckDeadline, PublishedAt: n.PublishedAt}
	if f.Publisher == "" {
		f.Publisher = str(n.PublisherId)
	}
	if rc := n.Receipt; rc != nil {
		f.Reader, f.ReadAt, f.AckedAt, f.Overdue = true, rc.ReadAt, rc.AcknowledgedAt, deref(rc.Overdue)
	}
	f.DeadlinePassed = f.MustAck && f.Deadline != nil && !now.Before(*f.Deadline)
	return f
}

// stateOf is n's state as people read it: a published notice is scheduled
// before its window, shown within it, ended after it.
func stateOf(n serviceapi.NoticeView, now time.Time) string {
	s := str(n.State)
	if s != StatePublished {
		return s
	}
	switch {
	case n.ValidFrom != nil && now.Before(*n.ValidFrom):
		return StateScheduled
	case n.ValidUntil != nil && !now.Before(*n.ValidUntil):
		return StateEnded
	}
	return StateShown
}

// audienceText says whom a notice addresses: everyone, or its departments,
// roles and teams.
func audienceText(x *view.Ctx, a *serviceapi.AudienceView) string {
	if a == nil {
		return ""
	}
	if deref(a.Everyone) {
		return x.T("notices.audience.everyone")
	}
	var parts []string
	names := func(list []string, id string) []string {
		out := make([]string, len(list))
		for i, v := range list {
			out[i] = orID(x, id+v, v)
		}
		return out
	}
	if ds := deref(a.Departments); len(ds) > 0 {
		parts = append(parts, x.T("notices.audience.departments_are", "List", strings.Join(names(ds, "notices.department."), ", ")))
	}
	if rs := deref(a.Roles); len(rs) > 0 {
		parts = append(parts, x.T("notices.audience.roles_are", "List", strings.Join(names(rs, "role."), ", ")))
	}
	if ts := deref(a.Teams); len(ts) > 0 {
		parts = append(parts, x.T("notices.audience.teams_are", "List", strings.Join(ts, ", ")))
	}
	return strings.Join(parts, x.T("notices.audience.and"))
}

type listData struct {
	*view.Ctx
	Box  string
	Tabs []string
	Rows []Facts
	Next string
	// Writes: the user writes notices (the link to the form).
	Writes bool
}

// Reader reports whether the box is one of the user's as a reader (its
// rows carry their receipts).
func (d *listData) Reader() bool { return readerBox(d.Box) }

func readerBox(box string) bool {
	return box == BoxInbox || box == BoxUnread || box == BoxUnacknowledged
}

// Boxes are the tabs the user is offered: what they read, and what they
// wrote for managers and admins.
func Boxes(x *view.Ctx) []string {
	tabs := []string{BoxInbox, BoxUnread, BoxUnacknowledged}
	if x.Has(view.RolesPublishNotices...) {
		tabs = append(tabs, BoxPublished, BoxDrafts)
	}
	return tabs
}

func (h *handler) index(c *gin.Context) {
	r := h.d.Req(c)
	x := r.X
	x.Title = x.T("notices.list.title")
	tabs := Boxes(x)
	box := pick(tabs, x.Q("box"))
	if box == "" {
		box = BoxInbox
	}
	d := &listData{Ctx: x, Box: box, Tabs: tabs, Writes: x.Has(view.RolesPublishNotices...)}
	b := serviceapi.GetNoticesParamsBox(box)
	res, err := r.API.Service.GetNoticesWithResponse(r.Ctx(), &serviceapi.GetNoticesParams{Box: &b, Limit: ptr(pageSize), Cursor: opt(x.Q("cursor"))})
	if err := apis.Check(res, err); err != nil {
		h.d.Fail(r, err)
		return
	}
	for _, n := range deref(res.JSON200.Items) {
		d.Rows = append(d.Rows, factsOf(x, n, x.Now()))
	}
	if next := str(res.JSON200.NextCursor); next != "" {
		d.Next = x.PageURL(next)
	}
	h.list.Render(c, http.StatusOK, d)
}

// Oversees reports whether the viewer answers for n — the service's rule
// (MayOverseeNotice) on what the session knows: its publisher, a manager
// of one of the publisher's teams, an admin. They see its receipts and
// revoke it.
func Oversees(x *view.Ctx, n serviceapi.NoticeView) bool {
	u := x.User
	switch {
	case u == nil:
		return false
	case u.Has("admin"), u.Subject != "" && str(n.PublisherId) == u.Subject:
		return true
	}
	return u.Has("manager") && slices.ContainsFunc(deref(n.PublisherTeams), func(t string) bool { return slices.Contains(u.Teams, t) })
}

// Writes reports whether the viewer edits and publishes n: a draft, and
// they are its publisher (still a manager) or an admin.
func Writes(x *view.Ctx, n serviceapi.NoticeView) bool {
	u := x.User
	if u == nil || str(n.State) != StateDraft {
		return false
	}
	return u.Has("admin") || (u.Has("manager") && u.Subject != "" && str(n.PublisherId) == u.Subject)
}

// problem is what the user reads of a refusal: ProblemOf, with this page's
// wording of the service's codes (notices.error.<code>) and of field codes
// — notices.field.<field>.<code> for a field of its own, else
// notices.field.<code> — where the catalogue has it, else the service's
// words.
func problem(x *view.Ctx, err error) *view.Problem {
	p := x.ProblemOf(err)
	if m := x.T("notices.error." + p.Code); m != "notices.error."+p.Code {
		p.Message = m
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			for _, id := range []string{"notices.field." + f.Field + "." + f.Code, "notices.field." + f.Code} {
				if m := x.T(id); m != id {
					p.Fields[f.Field] = m
					break
				}
			}
		}
	}
	return p
}

// signedOut reports whether err ends the session (the page cannot show a form).
func signedOut(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated
}

// gone reports whether err says the notice is out of the user's sight (or
// does not exist): there is no page to show a form on.
func gone(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Kind == apperr.KindNotFound
}

// noticeURL is the notice page, with a done=… notice when done is not "".
func noticeURL(id, done string) string {
	u := "/notices/" + url.PathEscape(id)
	if done != "" {
		u += "?done=" + url.QueryEscape(done)
	}
	return u
}

// orID is the message id in the user's language, else fallback.
func orID(x *view.Ctx, id, fallback string) string {
	if m := x.T(id); m != id {
		return m
	}
	return fallback
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
