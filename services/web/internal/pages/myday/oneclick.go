package myday

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Action categories of a logged contact (customer service).
var categoryOf = map[string]string{"call": "phone_call", "visit": "visit_reception"}

// contact is what the user asked for: the channel (the button pressed)
// and the note (optional; the summary the service needs says what was
// logged from where when it is empty).
func contact(r *console.Request, channels []string) (channel, summary string) {
	channel = r.C.PostForm("channel")
	if !slices.Contains(channels, channel) && len(channels) > 0 {
		channel = channels[0]
	}
	summary = strings.TrimSpace(r.C.PostForm("note"))
	if summary == "" {
		summary = r.X.T("myday.summary." + channel)
	}
	return channel, summary
}

// logFollowUp logs the call or visit that answers a follow-up, which
// closes it; the row leaves the list with a notice, or shows the refusal.
func (h *handler) logFollowUp(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	res, err := r.API.FollowUp.GetFollowUpsByIdWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		h.gone(r, "fu-"+id, r.X.ProblemOf(err))
		return
	}
	f := *res.JSON200
	names := customerNames(r.Ctx(), r, []string{view.Str(f.CustomerId)})
	row := FollowUp{View: f, Customer: names[view.Str(f.CustomerId)], Late: f.DueAt != nil && f.DueAt.Before(r.X.Now()),
		Answer: answerFor(view.Str(f.Kind), view.Str(f.WorkflowId), view.Str(f.CustomerId)), Note: strings.TrimSpace(c.PostForm("note"))}
	if f.ClosedAt != nil {
		h.done(r, "fu-"+id, r.X.T("myday.done.already", "Title", view.Str(f.Title), "State", r.X.T("myday.state."+view.Str(f.State)), "By", view.Str(f.ClosedBy)), "")
		return
	}
	if row.Answer.How == notByContact {
		row.Problem = &view.Problem{Status: http.StatusUnprocessableEntity, Code: "not_by_contact", Message: r.X.T("myday.err.not_by_contact")}
		h.refusedRow(r, &row)
		return
	}
	channel, summary := contact(r, row.Answer.Channels)
	if p := h.answer(r, &row, channel, summary); p != nil {
		row.Problem = p
		h.refusedRow(r, &row)
		return
	}
	if row.Answer.How == byLeadContact {
		c.Header("HX-Trigger", "leads-changed") // the lead is contacted: no longer new
	}
	who := row.Customer
	if who == "" {
		who = view.Str(f.CustomerId)
	}
	h.done(r, "fu-"+id, r.X.T("myday.done."+channel, "Title", view.Str(f.Title), "Customer", who), "followup")
}

// answer records the contact that answers row's follow-up; a refusal comes
// back as the problem to show in the row.
func (h *handler) answer(r *console.Request, row *FollowUp, channel, summary string) *view.Problem {
	a := row.Answer
	switch a.How {
	case byVisitLog:
		booked := customerapi.GetCustomersByIdVisitsParamsStatus("booked")
		list, err := r.API.Customer.GetCustomersByIdVisitsWithResponse(r.Ctx(), a.CustomerID,
			&customerapi.GetCustomersByIdVisitsParams{From: &a.Day, To: &a.Day, Status: &booked})
		if err := apis.Check(list, err); err != nil {
			return h.problem(r, err)
		}
		if list.JSON200 == nil || list.JSON200.Items == nil || len(*list.JSON200.Items) == 0 {
			return &view.Problem{Status: http.StatusNotFound, Code: "visit_not_found", Message: r.X.T("myday.err.visit_not_found")}
		}
		visitID := view.Str((*list.JSON200.Items)[0].Id)
		res, err := r.API.Customer.PostVisitsByIdLogWithResponse(r.Ctx(), visitID, customerapi.LogBody{Summary: &summary})
		return h.problem(r, apis.Check(res, err))
	case byLeadContact:
		res, err := r.API.Sales.PostLeadsByIdContactsWithResponse(r.Ctx(), a.LeadID, &salesapi.PostLeadsByIdContactsParams{},
			salesapi.ContactRequest{Channel: &channel, Summary: &summary})
		return h.problem(r, apis.Check(res, err))
	}
	// An action log on the customer: it closes what it answers (a care
	// contact); anything else it answers is completed with its summary.
	kind, category, dept := "log", categoryOf[channel], "sales"
	title := r.X.T("myday.action_title."+channel, "Title", view.Str(row.Title))
	customers := []string{a.CustomerID}
	res, err := r.API.Customer.PostActionsWithResponse(r.Ctx(), customerapi.ActionRequest{Kind: &kind, Category: &category,
		Department: &dept, CustomerIds: &customers, Title: &title, Summary: &summary})
	if err := apis.Check(res, err); err != nil {
		return h.problem(r, err)
	}
	id := view.Str(row.Id)
	if res.JSON201 != nil && res.JSON201.ClosedFollowUps != nil {
		for _, cl := range *res.JSON201.ClosedFollowUps {
			if view.Str(cl.Id) == id {
				return nil
			}
		}
	}
	done, err := r.API.FollowUp.PostFollowUpsByIdCompleteWithResponse(r.Ctx(), id, followupapi.NoteRequest{Note: &summary})
	if p := h.problem(r, apis.Check(done, err)); p != nil {
		p.Message = r.X.T("myday.err.logged_not_closed", "Reason", p.Message)
		return p
	}
	return nil
}

// problem is err as the row shows it (nil for none); a failure of ours or
// of a service is logged.
func (h *handler) problem(r *console.Request, err error) *view.Problem {
	if err == nil {
		return nil
	}
	p := r.X.ProblemOf(err)
	if p.Status >= 500 {
		h.d.Log.ErrorContext(r.C, "a one-click log failed", "path", r.C.Request.URL.Path, "error", err)
	}
	return p
}

// contactLead logs a contact on a new lead: its first contact, which ends
// the lead's first-contact follow-up and escalation.
func (h *handler) contactLead(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	channel, summary := contact(r, []string{"call", "visit"})
	res, err := r.API.Sales.PostLeadsByIdContactsWithResponse(r.Ctx(), id, &salesapi.PostLeadsByIdContactsParams{},
		salesapi.ContactRequest{Channel: &channel, Summary: &summary})
	if err := apis.Check(res, err); err != nil {
		p := h.problem(r, err)
		lead, gerr := r.API.Sales.GetLeadsByIdWithResponse(r.Ctx(), id)
		if apis.Check(lead, gerr) != nil || lead.JSON200 == nil {
			h.gone(r, "lead-"+id, p)
			return
		}
		h.refusedLead(r, &Lead{LeadView: *lead.JSON200, Problem: p, Note: strings.TrimSpace(c.PostForm("note"))})
		return
	}
	c.Header("HX-Trigger", "followups-changed") // its first-contact follow-up is answered
	company := ""
	if res.JSON200 != nil {
		company = view.Str(res.JSON200.CompanyName)
	}
	h.done(r, "lead-"+id, r.X.T("myday.done.lead_"+channel, "Company", company), "lead")
}

// done replaces the row rowID with notice (htmx), or goes back to the page
// with the notice of kind (a post without script).
func (h *handler) done(r *console.Request, rowID, notice, kind string) {
	if r.X.HX {
		h.page.Partial(r.C, http.StatusOK, "row-notice", &pageData{Ctx: r.X, RowID: rowID, RowText: notice})
		return
	}
	next := "/my-day"
	if kind != "" {
		next += "?done=" + kind
	}
	r.C.Redirect(http.StatusSeeOther, next)
}

// gone answers a one-click whose row cannot be shown again (the follow-up
// or lead could not be read): the refusal in place of the row.
func (h *handler) gone(r *console.Request, rowID string, p *view.Problem) {
	if r.X.HX {
		h.page.Partial(r.C, p.Status, "row-problem", &pageData{Ctx: r.X, RowID: rowID, RowText: p.Message})
		return
	}
	title := "error.page"
	if p.Status == http.StatusNotFound {
		title = "notfound.title"
	}
	h.d.View.Message(r.C, r.User, p.Status, title, p.Message)
}

// refusedRow shows the follow-up's row again with the refusal in it; on a
// post without script, the whole page with the refusal in that row.
func (h *handler) refusedRow(r *console.Request, row *FollowUp) {
	if r.X.HX {
		h.page.Partial(r.C, row.Problem.Status, "fu-row-one", &pageData{Ctx: r.X, Row: row})
		return
	}
	h.wholePage(r, row.Problem.Status, func(d *pageData) {
		for i := range d.FollowUps {
			if view.Str(d.FollowUps[i].Id) == view.Str(row.Id) {
				d.FollowUps[i].Problem, d.FollowUps[i].Note = row.Problem, row.Note
			}
		}
		d.Problem = row.Problem
	})
}

// refusedLead is refusedRow for a lead.
func (h *handler) refusedLead(r *console.Request, l *Lead) {
	if r.X.HX {
		h.page.Partial(r.C, l.Problem.Status, "lead-row-one", &pageData{Ctx: r.X, Lead: l})
		return
	}
	h.wholePage(r, l.Problem.Status, func(d *pageData) {
		for i := range d.Leads {
			if view.Str(d.Leads[i].Id) == view.Str(l.Id) {
				d.Leads[i].Problem, d.Leads[i].Note = l.Problem, l.Note
			}
		}
		d.Problem = l.Problem
	})
}

// wholePage renders the page with status after edit marks what was refused.
func (h *handler) wholePage(r *console.Request, status int, edit func(*pageData)) {
	r.X.Title = r.X.T("myday.title")
	data := &pageData{Ctx: r.X}
	for _, load := range []func(*console.Request, *pageData) error{h.loadFollowUps, h.loadCalendars, h.loadVisits, h.loadLeads} {
		if err := load(r, data); err != nil {
			h.d.Fail(r, err)
			return
		}
	}
	edit(data)
	h.page.Render(r.C, status, data)
}
