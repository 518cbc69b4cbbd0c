// Package ports is the analytics' door to the outside: the handlers of
// GET /v1/analytics/customers and /v1/analytics/care-coverage and their
// OpenAPI operations (Ops), which the customer service's document includes.
// They only translate requests to the use cases in package app.
package ports

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/analytics/app"
	"github.com/closeloop/closeloop/services/customer/internal/analytics/domain"
)

// HTTP serves the analytics.
type HTTP struct{ Svc *app.Service }

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *HTTP) Routes(v1 *gin.RouterGroup) {
	v1.GET("/analytics/customers", h.customers)
	v1.GET("/analytics/care-coverage", h.careCoverage)
}

func filter(c *gin.Context) app.Filter {
	return app.Filter{Team: c.Query("team"), OwnerID: c.Query("owner_id")}
}

func (h *HTTP) customers(c *gin.Context) {
	v, err := h.Svc.Customers(c.Request.Context(), filter(c))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) careCoverage(c *gin.Context) {
	v, err := h.Svc.CareCoverage(c.Request.Context(), filter(c))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// Ops documents the endpoints for the customer service's OpenAPI document.
func Ops() []openapi.Op {
	params := []openapi.Param{{Name: "team", In: "query", Description: "only this team's customers (within your scope)"},
		{Name: "owner_id", In: "query", Description: "only this owner's customers (within your scope)"}}
	read := string(auth.PermCustomersRead)
	return []openapi.Op{
		{Method: "GET", Path: "/v1/analytics/customers", Tag: "analytics", Summary: "Customers by value class, the Pareto series, and by lifecycle and relationship stage",
			Description: "Of the live customers in your scope (a rep: its own; a manager: its teams'; analysts and admins: all), narrowed by team or owner: per ABC class (A, B, C, none) the customers and their value (sum of value_score) with their shares of the whole; the Pareto series — customers ranked by value, highest first, in twenty equal parts: after each, the cumulative share of customers and of value (the 80/20 rule: where 20% of customers reach); customers per lifecycle stage and per relationship stage (none: not set). Shares are rounded to four decimals. A team or owner outside your scope gives empty figures.",
			Permission:  read, Params: params, Response: domain.CustomerAnalytics{}, Errors: []int{403, 422}},
		{Method: "GET", Path: "/v1/analytics/care-coverage", Tag: "analytics", Summary: "Care coverage per value class: customers in care contacted within their cadence",
			Description: "Of the customers in care in your scope (transacting or service, with an owner and a class), narrowed by team or owner, per class: how many, how many were contacted within their care cadence now (their last logged contact is recent enough that their next care contact is still ahead, under the care.cadence version and business calendar that apply to them), and the share. Computed with the care terms of the latest care sweep (terms_as_of); customers whose cadence the terms do not give — all of them before the first sweep — are counted in cadence_unknown, left out of the share, and notes say why.",
			Permission:  read, Params: params, Response: domain.CareCoverage{}, Errors: []int{403, 422}},
	}
}
