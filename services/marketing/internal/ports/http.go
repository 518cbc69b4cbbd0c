// Package ports holds the marketing service's HTTP API (campaigns,
// previews, evaluation, enrolments, opt-outs, win-back candidates), its
// OpenAPI document, the Temporal activities its workflows call, and how it
// starts and signals those workflows.
package ports

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/app"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// HTTP serves the marketing API.
type HTTP struct{ App *app.App }

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *HTTP) Routes(v1 *gin.RouterGroup) {
	v1.POST("/campaigns", h.create)
	v1.GET("/campaigns", h.list)
	v1.GET("/campaigns/compare", h.compare)
	v1.POST("/campaigns/preview", h.preview)
	v1.GET("/campaigns/:id", h.get)
	v1.PUT("/campaigns/:id", h.edit)
	v1.POST("/campaigns/:id/request-approval", h.requestApproval)
	v1.POST("/campaigns/:id/approve", h.move(domain.StateApproved))
	v1.POST("/campaigns/:id/launch", h.move(domain.StateRunning))
	v1.POST("/campaigns/:id/complete", h.move(domain.StateCompleted))
	v1.POST("/campaigns/:id/cancel", h.move(domain.StateCancelled))
	v1.GET("/campaigns/:id/preview", h.previewCampaign)
	v1.GET("/campaigns/:id/evaluation", h.evaluation)
	v1.GET("/campaigns/:id/costs", h.costs)
	v1.POST("/campaigns/:id/costs", h.addCost)
	v1.GET("/campaigns/:id/enrolments", h.enrolments)
	v1.POST("/campaigns/:id/enrolments", h.enrol)
	v1.GET("/opt-outs/:customer_id", h.getOptOut)
	v1.PUT("/opt-outs/:customer_id", h.optOut)
	v1.DELETE("/opt-outs/:customer_id", h.optIn)
	v1.GET("/winback/candidates", h.candidates)
}

// CampaignRequest is the body of POST /v1/campaigns (and, with
// expected_version, of PUT /v1/campaigns/{id}).
type CampaignRequest struct {
	// Name: one line, 1 to 200 characters.
	Name string `json:"name"`
	// Objective: what the campaign is for, at most 2,000 characters.
	Objective string `json:"objective"`
	// Type: winback, cross_sell, event, visit_drive, mailing, other.
	Type string `json:"type"`
	// Channels: at least one of email, phone_call, visit, event; the
	// first is how a one-touch campaign touches each customer.
	Channels []string `json:"channels"`
	// Segment: the saved filter over customers — value_classes,
	// lifecycle_stages, relationship_stages, regions, industries,
	// owner_ids, teams (any-of lists), min_days_since_contact,
	// max_days_since_contact. Unknown fields are refused. A win-back
	// campaign's segment is lost customers only.
	Segment json.RawMessage `json:"segment"`
	// Holdout: the share of the segment kept out as control group, 0 to
	// 0.5 (absent: 0.1).
	Holdout         *float64 `json:"holdout"`
	Budget          float64  `json:"budget"`
	ExpectedCost    float64  `json:"expected_cost"`
	ExpectedRevenue float64  `json:"expected_revenue"`
	// StartsOn and EndsOn: dates (YYYY-MM-DD), starts_on ≤ ends_on.
	StartsOn string `json:"starts_on"`
	EndsOn   string `json:"ends_on"`
	// OwnerID: who runs it (absent: you).
	OwnerID string `json:"owner_id"`
	// Team: a marketing team (absent: your first marketing team).
	Team string `json:"team"`
	// EnrolNewcomers: customers who enter the segment while it runs are
	// enrolled too (win-back: newly lost customers, by the daily sweep).
	EnrolNewcomers bool `json:"enrol_newcomers"`
	// EmailSubject: the subject of the campaign's email, one line of at
	// most 200 characters; required when the campaign emails (its first
	// channel is email, or a win-back campaign has the email channel).
	EmailSubject string `json:"email_subject"`
	// EmailBody: the campaign's email, plain text of at most 10,000
	// characters (a footer with the unsubscribe link is added); required
	// with EmailSubject.
	EmailBody string `json:"email_body"`
}

// EditCampaignRequest is the body of PUT /v1/campaigns/{id}.
type EditCampaignRequest struct {
	CampaignRequest
	// ExpectedVersion: the version you read; 0 does not check.
	ExpectedVersion int `json:"expected_version"`
}

// MoveRequest is the (optional) body of approve, launch, complete, cancel.
type MoveRequest struct {
	// ExpectedVersion: the version you read; 0 does not check.
	ExpectedVersion int `json:"expected_version"`
	// Reason: why (complete, cancel), at most 500 characters.
	Reason string `json:"reason"`
}

// PreviewRequest is the body of POST /v1/campaigns/preview.
type PreviewRequest struct {
	// Type: the campaign's type (a win-back segment is lost customers only).
	Type    string          `json:"type"`
	Segment json.RawMessage `json:"segment"`
	Holdout *float64        `json:"holdout"`
}

// CostRequest is the body of POST /v1/campaigns/{id}/costs.
type CostRequest struct {
	// Amount: more than 0, at most 1e12.
	Amount float64 `json:"amount"`
	// Note: at most 500 characters.
	Note string `json:"note"`
	// SpentOn: a date (YYYY-MM-DD).
	SpentOn string `json:"spent_on"`
}

// EnrolRequest is the body of POST /v1/campaigns/{id}/enrolments.
type EnrolRequest struct {
	CustomerID string `json:"customer_id"`
}

// OptOutRequest is the (optional) body of PUT /v1/opt-outs/{customer_id}.
type OptOutRequest struct {
	// Reason: at most 500 characters.
	Reason string `json:"reason"`
}

func (r CampaignRequest) input() app.CampaignInput {
	return app.CampaignInput{Name: r.Name, Objective: r.Objective, Type: r.Type, Channels: r.Channels, Segment: r.Segment, Holdout: r.Holdout,
		Budget: r.Budget, ExpectedCost: r.ExpectedCost, ExpectedRevenue: r.ExpectedRevenue, StartsOn: r.StartsOn, EndsOn: r.EndsOn,
		OwnerID: r.OwnerID, Team: r.Team, EnrolNewcomers: r.EnrolNewcomers, EmailSubject: r.EmailSubject, EmailBody: r.EmailBody}
}

func (h *HTTP) create(c *gin.Context) {
	var req CampaignRequest
	raw, err := httpx.BindRaw(c, &req)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	res, err := h.App.CreateCampaign(c.Request.Context(), req.input(), c.GetHeader(idem.Header), raw)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	if res.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", "/v1/campaigns/"+res.ID)
	c.Data(res.Status, "application/json; charset=utf-8", res.Body)
}

func (h *HTTP) list(c *gin.Context) {
	limit, err := limitOf(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.ListCampaigns(c.Request.Context(), c.Query("state"), c.Query("type"), c.Query("cursor"), limit)
	respond(c, v, err)
}

func (h *HTTP) compare(c *gin.Context) {
	var ids []string
	for _, v := range c.QueryArray("id") {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	v, err := h.App.Compare(c.Request.Context(), ids)
	if err != nil {
		err = badQuery(err) // a bad id list; a campaign out of sight stays 404
	}
	respond(c, app.Comparison{Items: v}, err)
}

func (h *HTTP) preview(c *gin.Context) {
	var req PreviewRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Preview(c.Request.Context(), app.PreviewInput{Type: req.Type, Segment: req.Segment, Holdout: req.Holdout})
	respond(c, v, err)
}

func (h *HTTP) get(c *gin.Context) {
	v, err := h.App.GetCampaign(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *HTTP) edit(c *gin.Context) {
	var req EditCampaignRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.EditCampaign(c.Request.Context(), c.Param("id"), req.input(), req.ExpectedVersion)
	respond(c, v, err)
}

func (h *HTTP) move(to domain.State) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req MoveRequest
		if err := httpx.BindOptional(c, &req); err != nil {
			httpx.WriteError(c, err)
			return
		}
		v, err := h.App.MoveCampaign(c.Request.Context(), c.Param("id"), app.MoveInput{To: to, ExpectedVersion: req.ExpectedVersion, Reason: req.Reason})
		respond(c, v, err)
	}
}

// RequestApprovalRequest is the (optional) body of request-approval.
type RequestApprovalRequest struct {
	// ExpectedVersion: the version you read; 0 does not check.
	ExpectedVersion int `json:"expected_version"`
}

func (h *HTTP) requestApproval(c *gin.Context) {
	var req RequestApprovalRequest
	if err := httpx.BindOptional(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.RequestApproval(c.Request.Context(), c.Param("id"), req.ExpectedVersion)
	respond(c, v, err)
}

func (h *HTTP) previewCampaign(c *gin.Context) {
	v, err := h.App.PreviewCampaign(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *HTTP) evaluation(c *gin.Context) {
	v, err := h.App.Evaluation(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *HTTP) costs(c *gin.Context) {
	v, err := h.App.Costs(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *HTTP) addCost(c *gin.Context) {
	var req CostRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.AddCost(c.Request.Context(), c.Param("id"), app.CostInput{Amount: req.Amount, Note: req.Note, SpentOn: req.SpentOn})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

func (h *HTTP) enrolments(c *gin.Context) {
	limit, err := limitOf(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	f := adapters.EnrolmentFilter{Group: c.Query("group"), State: c.Query("state"), Outcome: c.Query("outcome")}
	v, err := h.App.Enrolments(c.Request.Context(), c.Param("id"), f, c.Query("cursor"), limit)
	respond(c, v, err)
}

func (h *HTTP) enrol(c *gin.Context) {
	var req EnrolRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Enrol(c.Request.Context(), c.Param("id"), strings.TrimSpace(req.CustomerID))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

func (h *HTTP) getOptOut(c *gin.Context) {
	v, err := h.App.GetOptOut(c.Request.Context(), c.Param("customer_id"))
	respond(c, v, err)
}

func (h *HTTP) optOut(c *gin.Context) {
	var req OptOutRequest
	if err := httpx.BindOptional(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.OptOut(c.Request.Context(), c.Param("customer_id"), req.Reason)
	respond(c, v, err)
}

func (h *HTTP) optIn(c *gin.Context) {
	if err := h.App.OptIn(c.Request.Context(), c.Param("customer_id")); err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *HTTP) candidates(c *gin.Context) {
	limit, err := limitOf(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Candidates(c.Request.Context(), c.Query("cursor"), limit)
	respond(c, v, err)
}

func limitOf(c *gin.Context) (int, error) {
	s := c.Query("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 200 {
		e := apperr.Invalid("invalid_query", "limit: a number from 1 to 200")
		e.Fields = []apperr.FieldError{{Field: "limit", Code: "invalid", Message: "a number from 1 to 200"}}
		return 0, e
	}
	return n, nil
}

func badQuery(err error) error {
	e := apperr.From(err)
	if len(e.Fields) == 0 {
		return err
	}
	out := apperr.Invalid("invalid_query", "a query parameter has a value it does not take: "+e.Fields[0].Field+": "+e.Fields[0].Message)
	out.Fields = e.Fields
	return out
}

func respond[T any](c *gin.Context, v T, err error) {
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}
