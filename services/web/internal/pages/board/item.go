package board

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// MaxNote is the follow-up service's limit on a close note, in characters
// (the forms' maxlength; the service checks it).
const MaxNote = 2000

// itemData is one follow-up with its history and the forms that act on it.
type itemData struct {
	Row    Row
	Events []followupapi.Event
	// Told are the messages its steps sent and who read them.
	Told []Told
	Open bool
	// back is the board's filter the user came from; the forms return
	// there.
	back url.Values
	// Page is set when the item is a page of its own (not the board's panel).
	Page bool
	// Names are the directory's names by user id; CustomerName is the
	// customer's, when the user may read it.
	Names        map[string]string
	CustomerName string
	// Form names the form Problem belongs to ("complete", "cancel",
	// "reassign"); Values are what was posted, to show again.
	Form    string
	Problem *view.Problem
	Values  map[string]string
	// Notice says what was done (the follow-up has left the board).
	Notice string
	// Reps are whom it can be reassigned to, Teams the teams it can move
	// to (both from the user directory the user may read).
	Reps  []Option
	Teams []string
	// Held links the subject whose own endpoint changes the owner, when
	// the follow-up service refused a reassignment for that reason.
	Held *Subject
}

// IsLead reports whether the follow-up is a lead's first contact (its
// owner is the lead's, reassigned through the sales service).
func (it *itemData) IsLead() bool { return it.Row.Subject != nil && it.Row.Subject.Kind == "lead" }

// Value is a posted value of the item's form (to show it again).
func (it *itemData) Value(name string) string { return it.Values[name] }

// FieldProblem is the message of one field of form ("" when fine).
func (it *itemData) FieldProblem(form, field string) string {
	if it.Form != form {
		return ""
	}
	return it.Problem.Field(field)
}

// FormProblem is the problem of form (nil when fine).
func (it *itemData) FormProblem(form string) *view.Problem {
	if it.Form != form {
		return nil
	}
	return it.Problem
}

type itemPage struct {
	*view.Ctx
	Item *itemData
}

// panelTarget is the element of the board the item panel is swapped into.
const panelTarget = "board-panel"

// showItem is one follow-up with its history and actions: in the board's
// panel for htmx, a page of its own otherwise.
func (h *handler) showItem(c *gin.Context) {
	r := h.d.Req(c)
	it, err := h.loadItem(r, c.Param("id"), filterOf(c))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	h.renderItem(r, http.StatusOK, it)
}

func (h *handler) loadItem(r *console.Request, id string, back Filter) (*itemData, error) {
	res, err := r.API.FollowUp.GetFollowUpsByIdWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	users := h.d.Users(r)
	it := &itemData{back: back.Query(), Values: map[string]string{}, Names: console.Names(users)}
	it.Reps, it.Teams = choices(users)
	if v := res.JSON200; v != nil {
		it.Row = RowOf(*v, h.workflowURL(r))
		if v.Events != nil {
			it.Events = *v.Events
		}
		if v.Told != nil {
			it.Told = toldOf(*v.Told)
		}
	}
	it.Open = it.Row.State == "open" || it.Row.State == "escalated"
	it.CustomerName = h.customerName(r, it.Row.Customer)
	return it, nil
}

func (h *handler) renderItem(r *console.Request, status int, it *itemData) {
	r.X.Title = r.X.T("board.item.title", "Title", it.Row.Title)
	if it.Row.Title == "" {
		r.X.Title = r.X.T("board.item.untitled")
	}
	data := itemPage{Ctx: r.X, Item: it}
	if r.X.HX && r.C.GetHeader("HX-Target") == panelTarget {
		it.Page = false
		h.item.Partial(r.C, status, "item", data)
		return
	}
	it.Page = true
	h.item.Render(r.C, status, data)
}

// done answers a successful action: htmx gets the panel saying so and an
// event that refreshes the list and the counts; a plain form post goes back
// to the board with the same filters and a notice.
func (h *handler) done(r *console.Request, it *itemData, outcome string) {
	if r.X.HX {
		it.Notice = r.X.T("board.done."+outcome, "Title", it.Row.Title)
		it.Open = false
		r.C.Header("HX-Trigger", "board-changed")
		h.renderItem(r, http.StatusOK, it)
		return
	}
	r.C.Redirect(http.StatusSeeOther, it.doneURL(outcome))
}

// refuse shows the form again with what is wrong, with its status.
func (h *handler) refuse(r *console.Request, it *itemData, form string, p *view.Problem) {
	it.Form, it.Problem = form, p
	h.renderItem(r, p.Status, it)
}

// act loads the follow-up, keeps the posted values and runs fn on it.
func (h *handler) act(c *gin.Context, fields []string, fn func(r *console.Request, it *itemData)) {
	r := h.d.Req(c)
	it, err := h.loadItem(r, c.Param("id"), filterOf(c))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	for _, f := range fields {
		it.Values[f] = strings.TrimSpace(c.PostForm(f))
	}
	fn(r, it)
}

// complete marks the follow-up done, with an optional note.
func (h *handler) complete(c *gin.Context) {
	h.act(c, []string{"note"}, func(r *console.Request, it *itemData) {
		note := it.Values["note"]
		res, err := r.API.FollowUp.PostFollowUpsByIdCompleteWithResponse(r.Ctx(), it.Row.ID, followupapi.NoteRequest{Note: ptr(note)})
		if err := apis.Check(res, err); err != nil {
			h.refuse(r, it, "complete", r.X.ProblemOf(err))
			return
		}
		h.done(r, it, "completed")
	})
}

// cancel cancels the follow-up; the board asks for the reason, which the
// follow-up keeps as its close note.
func (h *handler) cancel(c *gin.Context) {
	h.act(c, []string{"reason"}, func(r *console.Request, it *itemData) {
		reason := it.Values["reason"]
		if reason == "" {
			h.refuse(r, it, "cancel", &view.Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
				Message: r.X.T("board.cancel.refused"), Fields: map[string]string{"reason": r.X.T("board.cancel.reason_required")}})
			return
		}
		res, err := r.API.FollowUp.PostFollowUpsByIdCancelWithResponse(r.Ctx(), it.Row.ID, followupapi.NoteRequest{Note: &reason})
		if err := apis.Check(res, err); err != nil {
			p := r.X.ProblemOf(err)
			renameField(p, "note", "reason")
			h.refuse(r, it, "cancel", p)
			return
		}
		h.done(r, it, "cancelled")
	})
}

// renameField shows a service's field error under the form's own name for it.
func renameField(p *view.Problem, from, to string) {
	if p == nil || p.Fields == nil {
		return
	}
	if m, ok := p.Fields[from]; ok {
		delete(p.Fields, from)
		p.Fields[to] = m
	}
}

// customerName is the customer's name, or "" when the customer service does
// not show it to the user (the link still leads to the customer's page,
// which says why).
func (h *handler) customerName(r *console.Request, id string) string {
	if id == "" {
		return ""
	}
	res, err := r.API.Customer.GetCustomersByIdWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		if p := r.X.ProblemOf(err); p.Status >= 500 {
			h.d.Log.WarnContext(r.C, "board: the customer's name did not load", "customer", id, "error", err)
		}
		return ""
	}
	if res.JSON200 == nil {
		return ""
	}
	return view.Str(res.JSON200.Name)
}
