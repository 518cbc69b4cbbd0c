// Package ports is the timeline's door to the outside: the handler of
// GET /v1/customers/{id}/timeline and its OpenAPI operation (Ops), which the
// customer service's document includes. It only translates the request to
// the use case in package app and the page back.
package ports

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/app"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/domain"
)

// HTTP serves the timeline.
type HTTP struct{ Svc *app.Service }

// Routes mounts the endpoint on the authenticated /v1 group.
func (h *HTTP) Routes(v1 *gin.RouterGroup) {
	v1.GET("/customers/:id/timeline", h.timeline)
}

// Page is the body of GET /v1/customers/{id}/timeline.
type Page struct {
	Items      []domain.Entry `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

func (h *HTTP) timeline(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	q := domain.Query{CustomerID: c.Param("id"), Limit: limit}
	for _, s := range c.QueryArray("source") {
		if s != "" {
			q.Sources = append(q.Sources, s)
		}
	}
	if raw := c.Query("cursor"); raw != "" {
		q.After = &domain.Cursor{}
		if err := httpx.DecodeCursor(raw, q.After); err != nil {
			httpx.WriteError(c, err)
			return
		}
	}
	p, err := h.Svc.Timeline(c.Request.Context(), q)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	out := Page{Items: p.Items}
	if p.Next != nil {
		out.NextCursor = httpx.EncodeCursor(p.Next)
	}
	c.JSON(http.StatusOK, out)
}

// Ops documents the endpoint for the customer service's OpenAPI document.
func Ops() []openapi.Op {
	return []openapi.Op{
		{Method: "GET", Path: "/v1/customers/:id/timeline", Tag: "customers", Summary: "The customer's timeline across departments, newest first",
			Description: "One list of what the customer service records about the customer: actions (plans and logs of every department linked to it, its contacts, or its leads and opportunities), visits (by their start) and lifecycle and relationship stage changes, ordered by at, newest first (planned actions and booked visits ahead of now come first). Each entry has source, id, at, kind, actor, department and the details of its source. The changes of the customer's service cases are actions too (logs of department service in category service_case, recorded by the case's workflow): their action carries case_id (the case), case_event (filed, first_response, waiting_for_customer, resumed, resolved, reopened, closed, priority_changed, assigned, breached) and case_team, which a person's action omits. So are the changes of the information routing slips about the customer (logs in category info_slip, in the department of whoever made the change, none when unknown): their action carries slip_id (the slip) and slip_event (sent, acknowledged, done, rejected, forwarded, added, rerouted, closed, withdrawn). Marketing campaigns' actions (a touch's plan of department marketing, a customer won back: a log in category campaign) carry campaign_id; a stage change to lost carries the competitor, when one was named. The customer's leads and opportunities are the sales service's GET /v1/timeline?customer_id=, ordered the same way.",
			Permission:  string(auth.PermCustomersRead), Response: Page{}, Errors: []int{400, 403, 404},
			Params: []openapi.Param{{Name: "id", In: "path", Description: "customer id (UUID)"},
				{Name: "source", In: "query", Enum: domain.Sources, Description: "only entries of this source (repeat for several; default all)"},
				{Name: "limit", In: "query", Type: "integer", Description: "page size, 1..200 (default 50)"},
				{Name: "cursor", In: "query", Description: "next_cursor of the previous page"}}},
	}
}
