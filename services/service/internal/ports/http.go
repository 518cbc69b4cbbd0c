// Package ports holds the after-sales service's doors: the HTTP API of
// service cases (http.go, its OpenAPI document in openapi.go) and the
// customer service's API it looks customers up in as the caller
// (customers.go).
package ports

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// CasesHTTP serves service cases: file one, read them.
type CasesHTTP struct {
	Cases *app.Cases
}

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *CasesHTTP) Routes(v1 *gin.RouterGroup) {
	v1.POST("/cases", h.create)
	v1.GET("/cases", h.list)
	v1.GET("/cases/:id", h.get)
	v1.GET("/cases/:id/timeline", h.timeline)
	v1.GET("/customers/:customerId/cases", h.customerCases)
	h.changeRoutes(v1)
}

// CreateCaseRequest is the body of POST /v1/cases.
type CreateCaseRequest struct {
	CustomerID    string `json:"customer_id"`
	ContactID     string `json:"contact_id"`
	Asset         string `json:"asset"`
	OpportunityID string `json:"opportunity_id"`
	// Type: request, complaint, repair, consultation or returns.
	Type string `json:"type"`
	// Priority: P1 to P4; empty takes the type's default.
	Priority string `json:"priority"`
	// Channel: phone, email, web, visit or internal.
	Channel     string `json:"channel"`
	Subject     string `json:"subject"`
	Description string `json:"description"`
	AssigneeID  string `json:"assignee_id"`
	// Team: empty takes the customer's team, else your first team.
	Team string `json:"team"`
	// ReportedAt: when the customer reported it, if before now (at most 30
	// days): the SLA targets count from then.
	ReportedAt *time.Time `json:"reported_at"`
	// ContactEmail: where the satisfaction survey goes; Language: en or
	// zh-Hans (empty: English).
	ContactEmail string `json:"contact_email"`
	Language     string `json:"language"`
}

func (h *CasesHTTP) create(c *gin.Context) {
	var req CreateCaseRequest
	raw, err := httpx.BindRaw(c, &req)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	res, err := h.Cases.Create(c.Request.Context(), app.NewCase{
		CustomerID: req.CustomerID, ContactID: req.ContactID, Asset: req.Asset, OpportunityID: req.OpportunityID,
		Type: req.Type, Priority: req.Priority, Channel: req.Channel, Subject: req.Subject, Description: req.Description,
		AssigneeID: req.AssigneeID, Team: req.Team, ReportedAt: req.ReportedAt, ContactEmail: req.ContactEmail, Language: req.Language,
	}, c.GetHeader(idem.Header), raw)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	if res.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", "/v1/cases/"+res.ID)
	c.Data(res.Status, "application/json; charset=utf-8", res.Body)
}

func (h *CasesHTTP) get(c *gin.Context) {
	v, err := h.Cases.Get(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *CasesHTTP) list(c *gin.Context) {
	cur, limit, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	f := domain.Filter{States: states(c), Team: c.Query("team"), AssigneeID: c.Query("assignee_id"), CustomerID: c.Query("customer_id"),
		Priority: c.Query("priority"), Type: c.Query("type"), SLA: c.Query("sla")}
	if f.Unassigned, err = boolQuery(c, "unassigned"); err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.Cases.List(c.Request.Context(), f, cur, limit, httpx.EncodeCursor)
	respond(c, page, err)
}

func (h *CasesHTTP) customerCases(c *gin.Context) {
	cur, limit, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	f := domain.Filter{CustomerID: c.Param("customerId"), States: states(c)}
	page, err := h.Cases.List(c.Request.Context(), f, cur, limit, httpx.EncodeCursor)
	respond(c, page, err)
}

func (h *CasesHTTP) timeline(c *gin.Context) {
	cur, limit, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.Cases.Timeline(c.Request.Context(), c.Param("id"), cur, limit, httpx.EncodeCursor)
	respond(c, page, err)
}

// states reads ?state=, repeated or as a comma list (state=new,open).
func states(c *gin.Context) []string {
	var out []string
	for _, v := range c.QueryArray("state") {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func boolQuery(c *gin.Context, name string) (bool, error) {
	raw := c.Query(name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		e := apperr.Invalid("invalid_query", name+" is true or false")
		e.Fields = []apperr.FieldError{{Field: name, Code: "invalid", Message: "true or false"}}
		return false, e
	}
	return b, nil
}

func pageArgs(c *gin.Context) (*adapters.Cursor, int, error) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		return nil, 0, err
	}
	var cur *adapters.Cursor
	if raw := c.Query("cursor"); raw != "" {
		cur = &adapters.Cursor{}
		if err := httpx.DecodeCursor(raw, cur); err != nil {
			return nil, 0, err
		}
	}
	return cur, limit, nil
}

func respond[T any](c *gin.Context, v T, err error) {
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}
