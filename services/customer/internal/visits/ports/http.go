// Package ports is the visits context's doors: the HTTP API (http.go,
// documented by Ops in openapi.go), the Visit workflow's activities on the
// customer task queue (activities.go) and the Temporal client that sends
// requests, cancellations and logs to Visit workflows as updates
// (temporal.go). It translates bodies, query strings and activity payloads
// into the app's inputs and the app's errors into answers; it holds no rule
// and no storage.
package ports

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/customer/internal/visits/app"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/visit"
)

// HTTP serves the visit API.
type HTTP struct{ Svc *app.Visits }

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *HTTP) Routes(v1 *gin.RouterGroup) {
	v1.POST("/customers/:id/visits", h.request)
	v1.GET("/customers/:id/visits", h.forCustomer)
	v1.GET("/visits", h.list)
	v1.GET("/visits/:id", h.get)
	v1.POST("/visits/:id/cancel", h.cancel)
	v1.POST("/visits/:id/reschedule", h.reschedule)
	v1.POST("/visits/:id/log", h.log)
}

// RequestBody is the body of POST /v1/customers/{id}/visits.
type RequestBody struct {
	Day             string `json:"day"`
	Department      string `json:"department"`
	Purpose         string `json:"purpose"`
	StartTime       string `json:"start_time"`
	DurationMinutes int    `json:"duration_minutes"`
	Join            bool   `json:"join"`
	// AllowNonWorkingDay books a day without working time in the customer's
	// calendar: managers and admins, where the operator allows it; recorded.
	AllowNonWorkingDay bool `json:"allow_non_working_day"`
}

// CancelBody is the body of POST /v1/visits/{id}/cancel.
type CancelBody struct {
	Reason string `json:"reason"`
}

// RescheduleBody is the body of POST /v1/visits/{id}/reschedule.
type RescheduleBody struct {
	Day             string `json:"day"`
	StartTime       string `json:"start_time"`
	DurationMinutes int    `json:"duration_minutes"`
	Join            bool   `json:"join"`
	Reason          string `json:"reason"`
	// AllowNonWorkingDay: as in a request.
	AllowNonWorkingDay bool `json:"allow_non_working_day"`
}

// LogBody is the body of POST /v1/visits/{id}/log.
type LogBody struct {
	Summary  string `json:"summary"`
	Outcome  string `json:"outcome"`
	NextStep string `json:"next_step"`
}

func respond[T any](c *gin.Context, status int, v T, err error) {
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(status, v)
}

// statusOf: 201 only when the request created the booking; a repeat by the
// booker changes nothing (200).
func statusOf(a app.Answer) int {
	if a.Outcome == visit.OutcomeBooked && !a.Repeat {
		return http.StatusCreated
	}
	return http.StatusOK
}

func (h *HTTP) request(c *gin.Context) {
	var b RequestBody
	if err := httpx.Bind(c, &b); err != nil {
		httpx.WriteError(c, err)
		return
	}
	a, err := h.Svc.Request(c.Request.Context(), c.Param("id"), app.RequestInput{Day: b.Day, Department: b.Department, Purpose: b.Purpose,
		StartTime: b.StartTime, DurationMinutes: b.DurationMinutes, Join: b.Join, AllowNonWorkingDay: b.AllowNonWorkingDay}, c.GetHeader(idem.Header))
	respond(c, statusOf(a), a, err)
}

func filterOf(c *gin.Context) (domain.Filter, error) {
	f := domain.Filter{Department: c.Query("department"), UserID: c.Query("user_id"), From: c.Query("from"), To: c.Query("to"), Status: c.Query("status")}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return f, apperr.Invalid("invalid_limit", "limit is a whole number")
		}
		f.Limit = n
	}
	return f, nil
}

func (h *HTTP) list(c *gin.Context) {
	f, err := filterOf(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	p, err := h.Svc.List(c.Request.Context(), f)
	respond(c, http.StatusOK, p, err)
}

func (h *HTTP) forCustomer(c *gin.Context) {
	f, err := filterOf(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	p, err := h.Svc.ForCustomer(c.Request.Context(), c.Param("id"), f)
	respond(c, http.StatusOK, p, err)
}

func (h *HTTP) get(c *gin.Context) {
	v, err := h.Svc.Get(c.Request.Context(), c.Param("id"))
	respond(c, http.StatusOK, v, err)
}

func (h *HTTP) cancel(c *gin.Context) {
	var b CancelBody
	if err := httpx.Bind(c, &b); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Svc.Cancel(c.Request.Context(), c.Param("id"), b.Reason, c.GetHeader(idem.Header))
	respond(c, http.StatusOK, v, err)
}

func (h *HTTP) reschedule(c *gin.Context) {
	var b RescheduleBody
	if err := httpx.Bind(c, &b); err != nil {
		httpx.WriteError(c, err)
		return
	}
	a, err := h.Svc.Reschedule(c.Request.Context(), c.Param("id"), app.RescheduleInput{Day: b.Day, StartTime: b.StartTime,
		DurationMinutes: b.DurationMinutes, Join: b.Join, Reason: b.Reason, AllowNonWorkingDay: b.AllowNonWorkingDay}, c.GetHeader(idem.Header))
	respond(c, statusOf(a), a, err)
}

func (h *HTTP) log(c *gin.Context) {
	var b LogBody
	if err := httpx.Bind(c, &b); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Svc.Log(c.Request.Context(), c.Param("id"), app.LogInput{Summary: b.Summary, Outcome: b.Outcome, NextStep: b.NextStep}, c.GetHeader(idem.Header))
	respond(c, http.StatusOK, v, err)
}
