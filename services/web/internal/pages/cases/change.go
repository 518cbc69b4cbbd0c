package cases

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/workflows/servicecase"
)

// The case page's forms: each posts to /cases/{id}/<form> and is sent to
// the service's route of the same name (take posts to assignment with
// take=1: the viewer, in the case's team).
const (
	FormReply    = "replies"
	FormNote     = "notes"
	FormState    = "state"
	FormReopen   = "reopen"
	FormAssign   = "assignment"
	FormTake     = "take"
	FormPriority = "priority"
)

// formFields are the fields each form shows; a refusal naming another
// field is said at the top of the form.
var formFields = map[string][]string{
	FormReply: {"direction", "body"}, FormNote: {"body"}, FormState: {"state", "reason", "customer_request"},
	FormReopen: {"reason"}, FormAssign: {"assignee_id", "team", "reason"}, FormTake: {}, FormPriority: {"priority", "reason"},
}

// Works reports whether the viewer works the case, so the page offers its
// forms — the service's rule (domain.Scope.Works) on what the session knows:
// admins work every case, reps the cases assigned to them, reps and
// managers the cases of their teams. Who reads a case through its customer
// (its sales owner) or reads every case (analysts) does not. The service
// decides again: a change it refuses as case_read_only is said at the form.
func Works(x *view.Ctx, cs serviceapi.CaseView) bool {
	u := x.User
	switch {
	case u == nil:
		return false
	case u.Has("admin"):
		return true
	case u.Has("rep") && u.Subject != "" && str(cs.AssigneeId) == u.Subject:
		return true
	}
	return (u.Has("rep") || u.Has("manager")) && slices.Contains(u.Teams, str(cs.Team))
}

// Moves are the states a case in state may be moved to by the state form:
// the case workflow's own rules (workflows/servicecase), so the page never
// offers a move the service refuses. Reopening a resolved case is a form of
// its own.
func Moves(state string) []string {
	var out []string
	for _, to := range States {
		if servicecase.CheckTransition(state, to) == nil {
			out = append(out, to)
		}
	}
	return out
}

// Action is a refused form as the user filled it.
type Action struct {
	Form    string
	Values  url.Values
	Problem *view.Problem
	// Idem is the form's idempotency key when a resend must reuse it (the
	// service did not say whether the change landed).
	Idem string
}

// Offers reports whether the page shows form: what the case's state
// allows, and always the form that was just refused (so nothing typed is
// lost; the service says again why, if the user sends it again).
func (d *caseData) Offers(form string) bool {
	if d.Act != nil && d.Act.Form == form {
		return true
	}
	if !d.Works {
		return false
	}
	st := str(d.Case.State)
	switch form {
	case FormReply, FormAssign:
		return st != "closed"
	case FormTake:
		return st != "closed" && d.User != nil && str(d.Case.AssigneeId) != d.User.Subject && d.Has("rep", "manager", "admin")
	case FormState:
		return len(d.Moves) > 0
	case FormReopen:
		return st == "resolved"
	case FormPriority:
		return st != "closed" && st != "resolved"
	}
	return form == FormNote
}

// Val is what the user typed in field of form, else def.
func (d *caseData) Val(form, field, def string) string {
	if d.Act != nil && d.Act.Form == form {
		return d.Act.Values.Get(field)
	}
	return def
}

// Err is the refusal's message for field of form ("" when fine).
func (d *caseData) Err(form, field string) string {
	if d.Act == nil || d.Act.Form != form {
		return ""
	}
	return d.Act.Problem.Field(field)
}

// Refusal is the refusal of form said at its top: its message, and the
// messages of fields the form does not show.
func (d *caseData) Refusal(form string) *view.Problem {
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

// IdemFor is form's idempotency key: a new one per render, or the refused
// form's when a resend must be recognised as the same change.
func (d *caseData) IdemFor(form string) string {
	if d.Act != nil && d.Act.Form == form && d.Act.Idem != "" {
		return d.Act.Idem
	}
	return d.Idem()
}

// Closes reports whether the state form offers the close (the case is
// resolved), with its "the customer asked" box.
func (d *caseData) Closes() bool {
	return slices.Contains(d.Moves, "closed") || d.Val(FormState, "state", "") == "closed"
}

// OtherPriorities are the priorities the case may move to (not its own).
func (d *caseData) OtherPriorities() []string {
	return slices.DeleteFunc(slices.Clone(Priorities), func(p string) bool { return p == str(d.Case.Priority) })
}

// change sends one form's change to the service: on success the browser
// goes to the case page with a notice; a refusal shows the page again, as
// it is now, with the form as the user filled it and the refusal next to it.
func (h *handler) change(form string) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := h.d.Req(c)
		if err := c.Request.ParseForm(); err != nil {
			h.d.Fail(r, apperr.Invalid("invalid_form", "the form could not be read"))
			return
		}
		v, id, form := c.Request.PostForm, c.Param("id"), form
		if form == FormAssign && v.Get("take") != "" {
			form = FormTake
		}
		err := send(r, id, form, v)
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(id)+"?done="+outcome(form, v))
			return
		}
		var e *apperr.Error
		if errors.As(err, &e) && (e.Kind == apperr.KindUnauthenticated || e.Kind == apperr.KindNotFound) {
			h.d.Fail(r, err) // signed out, or the case is gone from sight: no form to show
			return
		}
		act := &Action{Form: form, Values: v, Problem: problem(r.X, err)}
		if act.Problem.Status >= 500 {
			act.Idem = v.Get("_idem")
			h.d.Log.WarnContext(c, "cases: a change was not answered", "case", id, "form", form, "error", err)
		}
		d, lerr := h.load(r, id)
		if lerr != nil {
			h.d.Fail(r, lerr)
			return
		}
		d.Act = act
		h.detail.Render(c, act.Problem.Status, d)
	}
}

// send calls the service's route of form with what the user typed. Texts
// go as typed (the service says "required" of a blank one, with every
// other bad field at once).
func send(r *console.Request, id, form string, v url.Values) error {
	svc, ctx := r.API.Service, r.Ctx()
	var ver *int
	if n, err := strconv.Atoi(v.Get("version")); err == nil && n > 0 {
		ver = &n
	}
	text := func(k string) *string { return ptr(strings.TrimRight(v.Get(k), " \t\r\n")) }
	trim := func(k string) *string { return ptr(strings.TrimSpace(v.Get(k))) }
	switch form {
	case FormReply:
		dir := direction(v)
		res, err := svc.PostCasesByIdRepliesWithResponse(ctx, id, &serviceapi.PostCasesByIdRepliesParams{},
			serviceapi.ReplyRequest{Direction: &dir, Body: text("body"), ExpectedVersion: ver})
		return apis.Check(res, err)
	case FormNote:
		res, err := svc.PostCasesByIdNotesWithResponse(ctx, id, &serviceapi.PostCasesByIdNotesParams{},
			serviceapi.NoteRequest{Body: text("body"), ExpectedVersion: ver})
		return apis.Check(res, err)
	case FormState:
		body := serviceapi.StateRequest{State: trim("state"), Reason: trim("reason"), ExpectedVersion: ver}
		if *body.State == "closed" && v.Get("customer_request") == "true" {
			body.CustomerRequest = ptr(true)
		}
		res, err := svc.PostCasesByIdStateWithResponse(ctx, id, &serviceapi.PostCasesByIdStateParams{}, body)
		return apis.Check(res, err)
	case FormReopen:
		res, err := svc.PostCasesByIdReopenWithResponse(ctx, id, &serviceapi.PostCasesByIdReopenParams{},
			serviceapi.ReopenRequest{Reason: trim("reason"), ExpectedVersion: ver})
		return apis.Check(res, err)
	case FormAssign, FormTake:
		body := serviceapi.AssignRequest{AssigneeId: trim("assignee_id"), Team: opt(strings.TrimSpace(v.Get("team"))),
			Reason: trim("reason"), ExpectedVersion: ver}
		if form == FormTake {
			body.AssigneeId, body.Team = &r.User.Subject, nil
		}
		res, err := svc.PostCasesByIdAssignmentWithResponse(ctx, id, &serviceapi.PostCasesByIdAssignmentParams{}, body)
		return apis.Check(res, err)
	case FormPriority:
		res, err := svc.PostCasesByIdPriorityWithResponse(ctx, id, &serviceapi.PostCasesByIdPriorityParams{},
			serviceapi.PriorityRequest{Priority: trim("priority"), Reason: trim("reason"), ExpectedVersion: ver})
		return apis.Check(res, err)
	}
	return apperr.NotFound("not_found", "no such form")
}

func direction(v url.Values) string {
	if v.Get("direction") == "inbound" {
		return "inbound"
	}
	return "outbound"
}

// outcome names what was done, for the notice (done=…).
func outcome(form string, v url.Values) string {
	if form == FormReply {
		return "reply_" + direction(v)
	}
	return form
}

// doneMessage is the notice for done, said of the case as it is now.
func doneMessage(x *view.Ctx, done string, cs serviceapi.CaseView) string {
	id := "cases.done." + done
	m := x.T(id, "State", stateLabel(x, str(cs.State)), "Priority", str(cs.Priority))
	if m == id {
		return ""
	}
	return m
}
