package ports

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// EngineHTTP serves the policies, calendars and follow-ups API.
type EngineHTTP struct {
	Policies  *app.Policies
	FollowUps *app.FollowUps
	// OpenWait is how long POST /v1/follow-ups waits for the workflow to
	// store the new follow-up before answering 202.
	OpenWait time.Duration
}

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *EngineHTTP) Routes(v1 *gin.RouterGroup) {
	v1.GET("/policies", h.listPolicies)
	v1.GET("/policies/:name", h.getPolicy)
	v1.GET("/policies/:name/versions", h.versions)
	v1.POST("/policies/:name/versions", h.propose)
	v1.GET("/policies/:name/versions/:version", h.version)
	v1.POST("/policies/:name/versions/:version/withdraw", h.withdraw)
	v1.POST("/policies/:name/rollback", h.rollback)
	v1.POST("/policies/:name/dry-run", h.dryRun)
	v1.GET("/policies/:name/diff", h.diff)
	v1.GET("/policies/:name/audit", h.policyAudit)
	v1.GET("/calendars", h.listCalendars)
	v1.GET("/calendars/assigned", h.assignedCalendar)
	v1.GET("/resolution", h.resolution)
	v1.GET("/calendars/:name", h.getCalendar)
	v1.PUT("/calendars/:name", h.putCalendar)
	v1.GET("/calendars/:name/audit", h.calendarAudit)
	v1.GET("/calendars/:name/deadline", h.deadline)
	v1.POST("/follow-ups", h.openFollowUp)
	v1.GET("/follow-ups", h.listFollowUps)
	v1.GET("/follow-ups/overdue", h.overdue)
	v1.GET("/follow-ups/overdue/counts", h.overdueCounts)
	v1.GET("/follow-ups/stats/on-time", h.onTimeStats)
	v1.GET("/follow-ups/:id", h.getFollowUp)
	v1.POST("/follow-ups/:id/complete", h.finish(domain.StateDone))
	v1.POST("/follow-ups/:id/cancel", h.finish(domain.StateCancelled))
	v1.POST("/follow-ups/:id/reassign", h.reassign)
}

// ProposeRequest is the body of POST /v1/policies/{name}/versions.
type ProposeRequest struct {
	Value         json.RawMessage `json:"value"`
	EffectiveFrom *time.Time      `json:"effective_from"`
	Reason        string          `json:"reason"`
}

// RollbackRequest is the body of POST /v1/policies/{name}/rollback.
type RollbackRequest struct {
	ToVersion     int64      `json:"to_version"`
	EffectiveFrom *time.Time `json:"effective_from"`
	Reason        string     `json:"reason"`
}

// DryRunRequest is the body of POST /v1/policies/{name}/dry-run.
type DryRunRequest struct {
	Value json.RawMessage `json:"value"`
}

// WithdrawRequest is the body of POST …/versions/{version}/withdraw.
type WithdrawRequest struct {
	Reason string `json:"reason"`
}

// OpenFollowUpRequest is the body of POST /v1/follow-ups.
type OpenFollowUpRequest struct {
	Kind       string     `json:"kind"`
	CustomerID string     `json:"customer_id"`
	Title      string     `json:"title"`
	OwnerID    string     `json:"owner_id"`
	PolicyKey  string     `json:"policy_key"`
	DueAt      *time.Time `json:"due_at"`
}

// NoteRequest is the optional body of complete and cancel.
type NoteRequest struct {
	Note string `json:"note"`
}

// PoliciesPage is the body of GET /v1/policies.
type PoliciesPage struct {
	Items []app.PolicyView `json:"items"`
}

// VersionsPage is the body of GET /v1/policies/{name}/versions.
type VersionsPage struct {
	Items []app.VersionView `json:"items"`
}

// AuditPage is the body of the policy and calendar audit trails.
type AuditPage struct {
	Items []app.AuditView `json:"items"`
}

// CalendarsPage is the body of GET /v1/calendars.
type CalendarsPage struct {
	Items []app.CalendarView `json:"items"`
}

func respond[T any](c *gin.Context, status int, v T, err error) {
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(status, v)
}

func versionParam(c *gin.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v < 1 {
		return 0, apperr.Invalid("invalid_version", "a version is a positive whole number")
	}
	return v, nil
}

func (h *EngineHTTP) listPolicies(c *gin.Context) {
	items, err := h.Policies.List(c.Request.Context())
	respond(c, http.StatusOK, PoliciesPage{Items: items}, err)
}

func (h *EngineHTTP) getPolicy(c *gin.Context) {
	v, err := h.Policies.Get(c.Request.Context(), c.Param("name"))
	respond(c, http.StatusOK, v, err)
}

func (h *EngineHTTP) versions(c *gin.Context) {
	items, err := h.Policies.Versions(c.Request.Context(), c.Param("name"))
	respond(c, http.StatusOK, VersionsPage{Items: items}, err)
}

func (h *EngineHTTP) version(c *gin.Context) {
	v, err := versionParam(c, "version")
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	out, err := h.Policies.Version(c.Request.Context(), c.Param("name"), v)
	respond(c, http.StatusOK, out, err)
}

func (h *EngineHTTP) propose(c *gin.Context) {
	var req ProposeRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Policies.Propose(c.Request.Context(), c.Param("name"), app.Proposal{Value: req.Value, EffectiveFrom: req.EffectiveFrom, Reason: req.Reason})
	if err == nil {
		c.Header("Location", "/v1/policies/"+v.Policy+"/versions/"+strconv.FormatInt(v.Version, 10))
	}
	respond(c, http.StatusCreated, v, err)
}

func (h *EngineHTTP) rollback(c *gin.Context) {
	var req RollbackRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	if req.ToVersion < 1 {
		var v apperr.Validation
		v.Add("to_version", "required", "the version whose value comes back")
		httpx.WriteError(c, v.Err())
		return
	}
	v, err := h.Policies.Rollback(c.Request.Context(), c.Param("name"), req.ToVersion, app.Proposal{EffectiveFrom: req.EffectiveFrom, Reason: req.Reason})
	respond(c, http.StatusCreated, v, err)
}

func (h *EngineHTTP) withdraw(c *gin.Context) {
	v, err := versionParam(c, "version")
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	var req WithdrawRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	out, err := h.Policies.Withdraw(c.Request.Context(), c.Param("name"), v, req.Reason)
	respond(c, http.StatusOK, out, err)
}

func (h *EngineHTTP) dryRun(c *gin.Context) {
	var req DryRunRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	out, err := h.FollowUps.DryRunPolicy(c.Request.Context(), c.Param("name"), req.Value)
	respond(c, http.StatusOK, out, err)
}

func (h *EngineHTTP) diff(c *gin.Context) {
	from, err := versionQuery(c, "from")
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	to, err := versionQuery(c, "to")
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	out, err := h.Policies.Diff(c.Request.Context(), c.Param("name"), from, to)
	respond(c, http.StatusOK, out, err)
}

func versionQuery(c *gin.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Query(name), 10, 64)
	if err != nil || v < 1 {
		var val apperr.Validation
		val.Add(name, "invalid", "a version number (?from=1&to=2)")
		return 0, val.Err()
	}
	return v, nil
}

func (h *EngineHTTP) policyAudit(c *gin.Context) {
	items, err := h.Policies.Audit(c.Request.Context(), "policy", c.Param("name"))
	respond(c, http.StatusOK, AuditPage{Items: items}, err)
}

func (h *EngineHTTP) listCalendars(c *gin.Context) {
	items, err := h.Policies.Calendars(c.Request.Context())
	respond(c, http.StatusOK, CalendarsPage{Items: items}, err)
}

func (h *EngineHTTP) assignedCalendar(c *gin.Context) {
	v, err := h.Policies.AssignedCalendar(c.Request.Context(), c.Query("team"), c.Query("region"))
	respond(c, http.StatusOK, v, err)
}

func (h *EngineHTTP) resolution(c *gin.Context) {
	v, err := h.Policies.Resolution(c.Request.Context(), c.QueryArray("policy"), c.Query("team"), c.Query("region"))
	respond(c, http.StatusOK, v, err)
}

func (h *EngineHTTP) getCalendar(c *gin.Context) {
	v, err := h.Policies.Calendar(c.Request.Context(), c.Param("name"))
	respond(c, http.StatusOK, v, err)
}

func (h *EngineHTTP) putCalendar(c *gin.Context) {
	var req domain.CalendarInput
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Policies.PutCalendar(c.Request.Context(), c.Param("name"), req)
	respond(c, http.StatusOK, v, err)
}

func (h *EngineHTTP) calendarAudit(c *gin.Context) {
	items, err := h.Policies.Audit(c.Request.Context(), "calendar", c.Param("name"))
	respond(c, http.StatusOK, AuditPage{Items: items}, err)
}

func (h *EngineHTTP) deadline(c *gin.Context) {
	var from time.Time
	if raw := c.Query("from"); raw != "" {
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			var v apperr.Validation
			v.Add("from", "invalid", "an RFC 3339 instant, such as 2026-09-30T16:00:00+08:00")
			httpx.WriteError(c, v.Err())
			return
		}
		from = t
	}
	out, err := h.Policies.Deadline(c.Request.Context(), c.Param("name"), from, c.Query("duration"))
	respond(c, http.StatusOK, out, err)
}

func (h *EngineHTTP) openFollowUp(c *gin.Context) {
	var req OpenFollowUpRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, stored, err := h.FollowUps.Open(c.Request.Context(), app.OpenInput{
		Kind: req.Kind, CustomerID: req.CustomerID, Title: req.Title, OwnerID: req.OwnerID, PolicyKey: req.PolicyKey, DueAt: req.DueAt,
	}, c.GetHeader(idem.Header), h.OpenWait)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Header("Location", v.Links.Self)
	status := http.StatusCreated
	if !stored {
		status = http.StatusAccepted
	}
	c.JSON(status, v)
}

func (h *EngineHTTP) filter(c *gin.Context) domain.Filter {
	return domain.Filter{Team: c.Query("team"), OwnerID: c.Query("owner_id"), Kind: c.Query("kind"), Territory: c.Query("territory"),
		CustomerID: c.Query("customer_id"), Lateness: c.Query("lateness"), State: c.Query("state")}
}

func (h *EngineHTTP) pageArgs(c *gin.Context) (*app.Cursor, int, error) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		return nil, 0, err
	}
	var cur *app.Cursor
	if raw := c.Query("cursor"); raw != "" {
		cur = &app.Cursor{}
		if err := httpx.DecodeCursor(raw, cur); err != nil {
			return nil, 0, err
		}
	}
	return cur, limit, nil
}

func (h *EngineHTTP) listFollowUps(c *gin.Context) {
	cur, limit, err := h.pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	f := h.filter(c)
	if f.DueBefore, err = instantQuery(c, "due_before"); err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.FollowUps.List(c.Request.Context(), f, cur, limit, httpx.EncodeCursor)
	respond(c, http.StatusOK, page, err)
}

func (h *EngineHTTP) overdue(c *gin.Context) {
	cur, limit, err := h.pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.FollowUps.Overdue(c.Request.Context(), h.filter(c), cur, limit, httpx.EncodeCursor)
	respond(c, http.StatusOK, page, err)
}

func (h *EngineHTTP) overdueCounts(c *gin.Context) {
	out, err := h.FollowUps.OverdueCounts(c.Request.Context(), h.filter(c))
	respond(c, http.StatusOK, out, err)
}

func (h *EngineHTTP) getFollowUp(c *gin.Context) {
	v, err := h.FollowUps.Get(c.Request.Context(), c.Param("id"))
	respond(c, http.StatusOK, v, err)
}

func (h *EngineHTTP) finish(state string) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req NoteRequest
		if err := httpx.BindOptional(c, &req); err != nil {
			httpx.WriteError(c, err)
			return
		}
		v, err := h.FollowUps.Finish(c.Request.Context(), c.Param("id"), state, req.Note)
		respond(c, http.StatusOK, v, err)
	}
}
