package leads

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The lead page's posts, named as the sales API's commands.
var leadActions = []string{"contacts", "qualify", "disqualify", "convert", "reassign"}

var (
	channels = []string{"call", "visit", "email", "meeting", "message", "other"}
	stages   = []int{1, 2, 3, 4}
)

// Event is one entry of a timeline.
type Event struct {
	Kind, Label, Actor, Summary string
	At                          *time.Time
}

// Form is the form a refused post came from, with what the user typed, so
// the page shows it again with each field's message next to the field.
type Form struct {
	Name    string
	Values  url.Values
	Problem *view.Problem
}

// Err is the message of the first of fields that has one, on form name.
func (f *Form) Err(name string, fields ...string) string {
	if f == nil || f.Name != name {
		return ""
	}
	for _, fl := range fields {
		if m := f.Problem.Field(fl); m != "" {
			return m
		}
	}
	return ""
}

// Val is what the user typed in field of form name ("" for another form).
func (f *Form) Val(name, field string) string {
	if f == nil || f.Name != name {
		return ""
	}
	return f.Values.Get(field)
}

// LeadInfo is the lead as the page shows it.
type LeadInfo struct {
	Company, State, CloseReason, Team, ManagerID, AssignmentReason, Source string
	Region, Industry, ContactName, ContactEmail, ContactPhone, Interest    string
	CustomerID, OpportunityID, WorkflowURL                                 string
	Pooled                                                                 bool
	Received, FirstContact                                                 *time.Time
}

func leadInfo(l salesapi.LeadView) LeadInfo {
	return LeadInfo{Company: str(l.CompanyName), State: str(l.State), CloseReason: str(l.CloseReason), Team: str(l.Team),
		ManagerID: str(l.ManagerId), AssignmentReason: str(l.AssignmentReason), Source: str(l.Source), Region: str(l.Region),
		Industry: str(l.Industry), ContactName: str(l.ContactName), ContactEmail: str(l.ContactEmail), ContactPhone: str(l.ContactPhone),
		Interest: str(l.Interest), CustomerID: str(l.CustomerId), OpportunityID: str(l.OpportunityId), WorkflowURL: str(l.WorkflowUrl),
		Pooled: deref(l.Pooled), Received: l.ReceivedAt, FirstContact: l.FirstContactAt}
}

type leadData struct {
	*view.Ctx
	Lead                LeadInfo
	ID, Owner, Manager  string
	Esc                 *escData
	Timeline            []Event
	TimelineNext        string
	Done                string
	Form                *Form
	Reps                []User
	Channels            []string
	Stages              []int
	CanWrite, CanAssign bool
	Open, Qualifiable   bool
	Convertible         bool
	DefaultCurrency     string
}

// escData is the live escalation block.
type escData struct {
	*view.Ctx
	ID               string
	Problem          *view.Problem
	Due, Next        *time.Time
	NextAction, Idle string
	Level            int
}

func (h *handler) showLead(c *gin.Context) {
	r := h.d.Req(c)
	d, err := h.loadLead(r, c.Param("id"))
	if err != nil {
		h.fail(r, err)
		return
	}
	if done := r.X.Q("done"); contains(leadActions, done) {
		d.Done = r.X.T("leads.done." + done)
	}
	h.lead.Render(c, http.StatusOK, d)
}

// loadLead reads the lead, its live escalation and its timeline.
func (h *handler) loadLead(r *console.Request, id string) (*leadData, error) {
	x := r.X
	res, err := r.API.Sales.GetLeadsByIdWithResponse(r.C.Request.Context(), id)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	l := *res.JSON200
	x.Title = x.T("leads.lead.title", "Company", str(l.CompanyName))
	state := str(l.State)
	d := &leadData{Ctx: x, Lead: leadInfo(l), ID: str(l.Id), Form: &Form{}, Channels: channels, Stages: stages,
		CanWrite: canWrite(x), CanAssign: canAssign(x), DefaultCurrency: "CNY",
		Open: state == "new" || state == "contacted" || state == "qualified"}
	d.Qualifiable = d.Open && state == "contacted"
	d.Convertible = d.Open && state != "new" && !deref(l.Pooled)
	names := map[string]string{}
	if d.CanAssign && d.Open {
		names, d.Reps = h.directory(r)
	}
	d.Owner, d.Manager = nameOf(names, str(l.OwnerId)), nameOf(names, str(l.ManagerId))
	d.Esc = h.loadEscalation(r, d.ID)
	params := &salesapi.GetLeadsByIdTimelineParams{Limit: ptr(100), Cursor: ptr(x.Q("tl"))}
	tl, err := r.API.Sales.GetLeadsByIdTimelineWithResponse(r.C.Request.Context(), d.ID, params)
	if err := apis.Check(tl, err); err != nil {
		return nil, err
	}
	d.Timeline = events(x, deref(tl.JSON200.Items))
	d.TimelineNext = nextPage(x, "tl", str(tl.JSON200.NextCursor))
	return d, nil
}

// loadEscalation asks the lead's workflow (a Temporal query): when it does
// not answer, the block says so and the rest of the page still shows.
func (h *handler) loadEscalation(r *console.Request, id string) *escData {
	e := &escData{Ctx: r.X, ID: id}
	res, err := r.API.Sales.GetLeadsByIdEscalationWithResponse(r.C.Request.Context(), id)
	if err := apis.Check(res, err); err != nil {
		e.Problem = problem(r.X, err)
		return e
	}
	v := res.JSON200
	e.Due, e.Next, e.NextAction, e.Level = v.DueAt, v.NextDeadline, str(v.NextAction), deref(v.Level)
	// Nothing is timed: say why.
	switch {
	case deref(v.Pooled):
		e.Idle = "pool"
	case str(v.State) == "new":
		e.Idle = "cancelled"
	case str(v.State) == "contacted" || str(v.State) == "qualified":
		e.Idle = "contacted"
	default:
		e.Idle = "closed"
	}
	return e
}

// escalation is the live block alone, which the page refreshes.
func (h *handler) escalation(c *gin.Context) {
	r := h.d.Req(c)
	h.lead.Partial(c, http.StatusOK, "escalation", h.loadEscalation(r, c.Param("id")))
}

// events are timeline entries with their kind in the user's language (a
// kind the catalogue does not know yet shows as the service names it).
func events(x *view.Ctx, items []salesapi.TimelineEvent) []Event {
	out := make([]Event, 0, len(items))
	for _, ev := range items {
		kind := str(ev.Kind)
		label := x.T("leads.event." + kind)
		if label == "leads.event."+kind {
			label = kind
		}
		out = append(out, Event{Kind: kind, Label: label, Actor: str(ev.Actor), Summary: str(ev.Summary), At: ev.At})
	}
	return out
}

// leadAction handles one of the lead page's forms: the command goes to the
// sales service; done, back to the lead page; refused, the page again with
// the refusal next to the form's fields and the answer's status.
func (h *handler) leadAction(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := h.d.Req(c)
		id := c.Param("id")
		err := h.sendLead(r, id, action)
		if err == nil {
			seeOther(c, "/leads/"+url.PathEscape(id), action)
			return
		}
		var e *apperr.Error
		if errors.As(err, &e) && (e.Kind == apperr.KindUnauthenticated || e.Kind == apperr.KindNotFound) {
			h.fail(r, err)
			return
		}
		p := formProblem(r.X, action, err)
		d, lerr := h.loadLead(r, id)
		if lerr != nil {
			h.fail(r, lerr)
			return
		}
		_ = c.Request.ParseForm()
		d.Form = &Form{Name: action, Values: c.Request.PostForm, Problem: p}
		r.X.Problem = p
		h.lead.Render(c, p.Status, d)
	}
}

// formProblem is problem with the action's own wording of a code where the
// catalogue has one (leads.error.<action>.<code>), and the API's field names
// mapped to the form's.
func formProblem(x *view.Ctx, action string, err error) *view.Problem {
	p := problem(x, err)
	var e *apperr.Error
	if errors.As(err, &e) {
		if m := x.T("leads.error." + action + "." + e.Code); m != "leads.error."+action+"."+e.Code {
			p.Message = m
		}
	}
	if len(p.Fields) > 0 {
		fields := make(map[string]string, len(p.Fields))
		for f, m := range p.Fields {
			f = strings.TrimPrefix(f, "opportunity.")
			switch f {
			case "amount_minor":
				f = "amount"
			case "to_owner_id", "to_pool":
				f = "to"
			}
			fields[f] = m
		}
		p.Fields = fields
	}
	return p
}

// sendLead sends one command with the form's fields.
func (h *handler) sendLead(r *console.Request, id, action string) error {
	c, ctx, x := r.C, r.Ctx(), r.X
	reason := ptr(strings.TrimSpace(c.PostForm("reason")))
	var res any
	var err error
	switch action {
	case "contacts":
		body := salesapi.ContactRequest{Channel: ptr(c.PostForm("channel")), Summary: ptr(strings.TrimSpace(c.PostForm("summary")))}
		if at := strings.TrimSpace(c.PostForm("at")); at != "" {
			t, perr := time.ParseInLocation("2006-01-02T15:04", at, x.TZ)
			if perr != nil {
				return invalid("at", "datetime")
			}
			body.At = &t
		}
		res, err = r.API.Sales.PostLeadsByIdContactsWithResponse(ctx, id, nil, body)
	case "qualify":
		res, err = r.API.Sales.PostLeadsByIdQualifyWithResponse(ctx, id, nil, salesapi.ReasonRequest{Reason: reason})
	case "disqualify":
		// Sent as typed: the service says whether a reason is missing.
		res, err = r.API.Sales.PostLeadsByIdDisqualifyWithResponse(ctx, id, nil, salesapi.ReasonRequest{Reason: ptrAlways(c.PostForm("reason"))})
	case "convert":
		body, cerr := convertRequest(c, x)
		if cerr != nil {
			return cerr
		}
		res, err = r.API.Sales.PostLeadsByIdConvertWithResponse(ctx, id, nil, body)
	case "reassign":
		body := salesapi.ReassignRequest{Reason: ptrAlways(c.PostForm("reason")), MoveCustomer: ptr(c.PostForm("move_customer") == "on")}
		switch to := strings.TrimSpace(c.PostForm("to")); to {
		case "":
		case "pool":
			body.ToPool = ptr(true)
		default:
			body.ToOwnerId = &to
		}
		res, err = r.API.Sales.PostLeadsByIdReassignWithResponse(ctx, id, nil, body)
	}
	return apis.Check(res, err)
}

func ptrAlways[T any](v T) *T { return &v }

// convertRequest reads the convert form; amounts are typed in the
// currency's units.
func convertRequest(c *gin.Context, x *view.Ctx) (salesapi.ConvertRequest, error) {
	o := salesapi.ConvertOpportunityRequest{Name: ptr(strings.TrimSpace(c.PostForm("name"))),
		ExpectedClose: ptr(strings.TrimSpace(c.PostForm("expected_close")))}
	if s, err := strconv.Atoi(c.PostForm("stage")); err == nil {
		o.Stage = ptr(s)
	}
	if p := strings.TrimSpace(c.PostForm("probability")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return salesapi.ConvertRequest{}, invalid("probability", "whole_number")
		}
		o.Probability = ptr(n)
	}
	if a := strings.TrimSpace(c.PostForm("amount")); a != "" {
		cur := strings.ToUpper(strings.TrimSpace(c.PostForm("currency")))
		minor, ok := parseMinor(a, cur)
		if !ok {
			return salesapi.ConvertRequest{}, invalid("amount", "amount")
		}
		o.AmountMinor, o.Currency = ptrAlways(int(minor)), ptr(cur)
	}
	return salesapi.ConvertRequest{Opportunity: &o, Reason: ptr(strings.TrimSpace(c.PostForm("reason")))}, nil
}
