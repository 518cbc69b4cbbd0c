// Package ports is the actions context's door to the outside: the gin HTTP
// handlers of /v1/actions and /v1/customers/{id}/history and their OpenAPI
// operations (Ops), which the customer service's document includes, and the
// Temporal activities by which the ServiceCase and InfoSlip workflows put a
// case's or a slip's changes on the history (activities.go). Handlers and activities only translate
// requests to the use cases in package app and their answers back; no rule,
// permission or storage lives here.
package ports

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/actions/app"
)

// HTTP serves the actions API.
type HTTP struct{ Svc *app.Service }

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *HTTP) Routes(v1 *gin.RouterGroup) {
	v1.POST("/actions", h.create)
	v1.GET("/actions/:id", h.get)
	v1.POST("/actions/:id/complete", h.complete)
	v1.POST("/actions/:id/cancel", h.cancel)
	v1.GET("/customers/:id/history", h.history)
}

// ActionRequest is the body of POST /v1/actions.
type ActionRequest struct {
	Kind           string     `json:"kind"`
	Category       string     `json:"category"`
	Department     string     `json:"department"`
	Title          string     `json:"title"`
	Summary        string     `json:"summary"`
	Outcome        string     `json:"outcome"`
	NextStep       string     `json:"next_step"`
	CustomerIDs    []string   `json:"customer_ids"`
	ContactIDs     []string   `json:"contact_ids"`
	LeadIDs        []string   `json:"lead_ids"`
	OpportunityIDs []string   `json:"opportunity_ids"`
	PlannedFor     *time.Time `json:"planned_for"`
	DoneAt         *time.Time `json:"done_at"`
}

// CompleteRequest is the body of POST /v1/actions/{id}/complete.
type CompleteRequest struct {
	Summary  string     `json:"summary"`
	Outcome  string     `json:"outcome"`
	NextStep string     `json:"next_step"`
	DoneAt   *time.Time `json:"done_at"`
}

func (h *HTTP) create(c *gin.Context) {
	var r ActionRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	res, err := h.Svc.Create(c.Request.Context(), app.Input{Kind: r.Kind, Category: r.Category, Department: r.Department, Title: r.Title,
		Summary: r.Summary, Outcome: r.Outcome, NextStep: r.NextStep, CustomerIDs: r.CustomerIDs, ContactIDs: r.ContactIDs,
		LeadIDs: r.LeadIDs, OpportunityIDs: r.OpportunityIDs, PlannedFor: r.PlannedFor, DoneAt: r.DoneAt})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Header("Location", "/v1/actions/"+res.Action.ID)
	c.JSON(http.StatusCreated, res)
}

func (h *HTTP) get(c *gin.Context) {
	v, err := h.Svc.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) complete(c *gin.Context) {
	var r CompleteRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	res, err := h.Svc.Complete(c.Request.Context(), c.Param("id"), app.CompleteInput{Summary: r.Summary, Outcome: r.Outcome, NextStep: r.NextStep, DoneAt: r.DoneAt})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (h *HTTP) cancel(c *gin.Context) {
	v, err := h.Svc.Cancel(c.Request.Context(), c.Param("id"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) history(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	var cur *app.HistoryCursor
	if raw := c.Query("cursor"); raw != "" {
		cur = &app.HistoryCursor{}
		if err := httpx.DecodeCursor(raw, cur); err != nil {
			httpx.WriteError(c, err)
			return
		}
	}
	p, err := h.Svc.History(c.Request.Context(), c.Param("id"), c.Query("kind"), c.Query("department"), cur, limit)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// Ops documents the endpoints for the customer service's OpenAPI document.
func Ops() []openapi.Op {
	id := openapi.Param{Name: "id", In: "path", Description: "action id (UUID)"}
	cust := openapi.Param{Name: "id", In: "path", Description: "customer id (UUID)"}
	write, read := string(auth.PermCustomersWrite), string(auth.PermCustomersRead)
	return []openapi.Op{
		{Method: "POST", Path: "/v1/actions", Tag: "actions", Summary: "Record an action plan or log",
			Description: "A plan (planned_for) or a log (done_at, default now) in a category (briefing_report, phone_call, visit_reception, materials_submission) by a department, on one or more customers you may change, with their contacts, leads and opportunities. A logged phone call or visit/reception closes the open follow-ups it answers — care contacts of its customers, and first contacts of its leads (or, without leads, of the customers' leads you own) — through their workflows; the answer lists what was closed and what could not be. For a customer in a marketing win-back, a logged call or visit/reception (and a plan of those completed) is its response: its WinBack workflow is told once the action is stored.",
			Permission:  write, Request: ActionRequest{}, Status: 201, Response: app.Result{}, Errors: []int{400, 403, 422}},
		{Method: "GET", Path: "/v1/actions/:id", Tag: "actions", Summary: "Get an action",
			Permission: read, Params: []openapi.Param{id}, Response: app.View{}, Errors: []int{403, 404}},
		{Method: "POST", Path: "/v1/actions/:id/complete", Tag: "actions", Summary: "Complete a planned action (it becomes a log)",
			Description: "Only a planned action (else 422 not_planned); a service case's, an information routing slip's or a campaign's history item is never changed here (422 recorded_by_case, recorded_by_slip, recorded_by_campaign).",
			Permission:  write, Params: []openapi.Param{id}, Request: CompleteRequest{}, Response: app.Result{}, Errors: []int{400, 403, 404, 422}},
		{Method: "POST", Path: "/v1/actions/:id/cancel", Tag: "actions", Summary: "Cancel a planned action",
			Description: "Only a planned action (else 422 not_planned); a service case's, an information routing slip's or a campaign's history item is never changed here (422 recorded_by_case, recorded_by_slip, recorded_by_campaign).",
			Permission:  write, Params: []openapi.Param{id}, Response: app.View{}, Errors: []int{403, 404, 422}},
		{Method: "GET", Path: "/v1/customers/:id/history", Tag: "actions", Summary: "A customer's contact history across departments, newest first",
			Description: "Every action linked to the customer, one of its contacts, or a lead or opportunity filed under it, and every change of its service cases: those are logs of department service in category service_case, with case_id (the case), case_event (filed, first_response, waiting_for_customer, resumed, resolved, reopened, closed, priority_changed, assigned, breached) and case_team; they are recorded by the case's workflow, never through /v1/actions (completing or cancelling one answers 422 recorded_by_case). Every change of an information routing slip about the customer is there too: a log in category info_slip, in the department of whoever made the change (sales, service or marketing; an empty department when the slip's workflow does not know it, so only the unfiltered history lists it), with slip_id (the slip) and slip_event (sent, acknowledged, done, rejected, forwarded, added, rerouted, closed, withdrawn); recorded by the slip's workflow, never changed here (422 recorded_by_slip). Marketing campaigns' actions carry campaign_id: a touch is a plan of department marketing on its owner's list, completed or cancelled like any plan; a customer won back by a win-back is a log in category campaign, recorded by the campaign, never changed here (422 recorded_by_campaign). Whoever may see the customer sees all of them.",
			Permission:  read, Response: app.HistoryPage{}, Errors: []int{400, 403, 404, 422},
			Params: []openapi.Param{cust, {Name: "kind", In: "query", Enum: []string{"plan", "log"}},
				{Name: "department", In: "query", Enum: []string{"sales", "service", "marketing"}},
				{Name: "limit", In: "query", Type: "integer", Description: "page size, 1..200 (default 50)"},
				{Name: "cursor", In: "query", Description: "next_cursor of the previous page"}}},
	}
}
