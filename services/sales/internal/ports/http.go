// Package ports adapts the sales service to the outside: gin HTTP handlers
// (this file), Temporal activities (activities.go), the workflow client
// (engine.go) and the customer-service client (customers.go). Handlers only
// translate; every rule lives in app and domain, every status code in httpx.
package ports

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/app"
)

// HTTP serves the sales API.
type HTTP struct{ App *app.App }

// Routes mounts every endpoint on the authenticated /v1 group.
func (h *HTTP) Routes(v1 *gin.RouterGroup) {
	g := v1.Group("", forwardBearer)
	g.POST("/territories", h.createTerritory)
	g.GET("/territories", h.listTerritories)
	g.GET("/territories/:id", h.getTerritory)
	g.PATCH("/territories/:id", h.updateTerritory)
	g.DELETE("/territories/:id", h.deleteTerritory)
	g.PUT("/territories/:id/reps/:repId", h.putRep)
	g.DELETE("/territories/:id/reps/:repId", h.removeRep)
	g.POST("/leads", h.createLead)
	g.GET("/leads", h.listLeads)
	g.GET("/leads/:id", h.getLead)
	g.GET("/leads/:id/escalation", h.leadEscalation)
	g.GET("/leads/:id/timeline", h.leadTimeline)
	g.POST("/leads/:id/contacts", h.logContact)
	g.POST("/leads/:id/qualify", h.qualify)
	g.POST("/leads/:id/disqualify", h.disqualify)
	g.POST("/leads/:id/convert", h.convert)
	g.POST("/leads/:id/reassign", h.reassign)
	g.POST("/opportunities", h.createOpportunity)
	g.GET("/opportunities", h.listOpportunities)
	g.GET("/opportunities/:id", h.getOpportunity)
	g.PATCH("/opportunities/:id", h.patchOpportunity)
	g.POST("/opportunities/:id/stage", h.changeStage)
	g.POST("/opportunities/:id/won", h.win)
	g.POST("/opportunities/:id/lost", h.lose)
	g.GET("/opportunities/:id/timeline", h.opportunityTimeline)
	g.GET("/funnel", h.funnel)
	g.GET("/timeline", h.customerTimeline)
}

// RepRequest is a rep in a territory request.
type RepRequest struct {
	RepID    string `json:"rep_id"`
	Capacity int    `json:"capacity"`
	Active   *bool  `json:"active"`
}

// TerritoryRequest is the body of POST /v1/territories.
type TerritoryRequest struct {
	Name      string       `json:"name"`
	Region    string       `json:"region"`
	Industry  string       `json:"industry"`
	Team      string       `json:"team"`
	ManagerID string       `json:"manager_id"`
	Strategy  string       `json:"strategy"`
	Reps      []RepRequest `json:"reps"`
}

// TerritoryPatchRequest is the body of PATCH /v1/territories/{id}.
type TerritoryPatchRequest struct {
	Name      *string `json:"name"`
	Region    *string `json:"region"`
	Industry  *string `json:"industry"`
	Team      *string `json:"team"`
	ManagerID *string `json:"manager_id"`
	Strategy  *string `json:"strategy"`
}

// PutRepRequest is the body of PUT /v1/territories/{id}/reps/{repId}.
type PutRepRequest struct {
	Capacity int   `json:"capacity"`
	Active   *bool `json:"active"`
}

// TerritoryList is the body of GET /v1/territories.
type TerritoryList struct {
	Items []app.TerritoryView `json:"items"`
}

// LeadRequest is the body of POST /v1/leads.
type LeadRequest struct {
	Source       string     `json:"source"`
	CustomerID   string     `json:"customer_id"`
	CompanyName  string     `json:"company_name"`
	TaxID        string     `json:"tax_id"`
	ContactName  string     `json:"contact_name"`
	ContactEmail string     `json:"contact_email"`
	ContactPhone string     `json:"contact_phone"`
	Region       string     `json:"region"`
	Industry     string     `json:"industry"`
	Interest     string     `json:"interest"`
	Notes        string     `json:"notes"`
	ReceivedAt   *time.Time `json:"received_at"`
	// Import: received_at counts for the first-contact SLA (leads:assign).
	Import bool `json:"import"`
}

// ContactRequest is the body of POST /v1/leads/{id}/contacts.
type ContactRequest struct {
	Channel string     `json:"channel"`
	Summary string     `json:"summary"`
	At      *time.Time `json:"at"`
}

// ReasonRequest is a body with a reason.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// OpportunityRequest is an opportunity to create.
type OpportunityRequest struct {
	CustomerID    string `json:"customer_id"`
	Name          string `json:"name"`
	OwnerID       string `json:"owner_id"`
	Stage         int    `json:"stage"`
	AmountMinor   int64  `json:"amount_minor"`
	Currency      string `json:"currency"`
	ExpectedClose string `json:"expected_close"`
	Probability   int    `json:"probability"`
}

func (r OpportunityRequest) input() app.OpportunityInput {
	return app.OpportunityInput{CustomerID: r.CustomerID, Name: r.Name, OwnerID: r.OwnerID, Stage: r.Stage, AmountMinor: r.AmountMinor,
		Currency: r.Currency, ExpectedClose: r.ExpectedClose, Probability: r.Probability}
}

// ConvertRequest is the body of POST /v1/leads/{id}/convert.
type ConvertRequest struct {
	Reason      string                     `json:"reason"`
	Opportunity *ConvertOpportunityRequest `json:"opportunity"`
}

// ConvertOpportunityRequest is the opportunity a conversion creates; its
// customer and owner are the lead's.
type ConvertOpportunityRequest struct {
	Name          string `json:"name"`
	Stage         int    `json:"stage"`
	AmountMinor   int64  `json:"amount_minor"`
	Currency      string `json:"currency"`
	ExpectedClose string `json:"expected_close"`
	Probability   int    `json:"probability"`
}

// ReassignRequest is the body of POST /v1/leads/{id}/reassign.
type ReassignRequest struct {
	ToOwnerID string `json:"to_owner_id"`
	ToPool    bool   `json:"to_pool"`
	Reason    string `json:"reason"`
	// MoveCustomer moves the lead's customer to the new owner too.
	MoveCustomer bool `json:"move_customer"`
}

// OpportunityPatchRequest is the body of PATCH /v1/opportunities/{id}.
type OpportunityPatchRequest struct {
	Name          *string `json:"name"`
	AmountMinor   *int64  `json:"amount_minor"`
	Currency      *string `json:"currency"`
	ExpectedClose *string `json:"expected_close"`
	Probability   *int    `json:"probability"`
	Version       int64   `json:"version"`
}

// StageRequest is the body of POST /v1/opportunities/{id}/stage.
type StageRequest struct {
	Stage  int    `json:"stage"`
	Reason string `json:"reason"`
}

// CloseRequest is the body of …/won and …/lost.
type CloseRequest struct {
	Reason     string `json:"reason"`
	Competitor string `json:"competitor"`
}

func reply[T any](c *gin.Context, status int, v T, err error) {
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(status, v)
}

func (h *HTTP) createTerritory(c *gin.Context) {
	var r TerritoryRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	in := app.TerritoryInput{Name: r.Name, Region: r.Region, Industry: r.Industry, Team: r.Team, ManagerID: r.ManagerID, Strategy: r.Strategy}
	for _, rep := range r.Reps {
		in.Reps = append(in.Reps, app.RepInput{RepID: rep.RepID, Capacity: rep.Capacity, Active: rep.Active})
	}
	v, err := h.App.CreateTerritory(c.Request.Context(), in)
	if err == nil {
		c.Header("Location", "/v1/territories/"+v.ID)
	}
	reply(c, http.StatusCreated, v, err)
}

func (h *HTTP) listTerritories(c *gin.Context) {
	v, err := h.App.Territories(c.Request.Context())
	reply(c, http.StatusOK, TerritoryList{Items: v}, err)
}

func (h *HTTP) getTerritory(c *gin.Context) {
	v, err := h.App.Territory(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) updateTerritory(c *gin.Context) {
	var r TerritoryPatchRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.UpdateTerritory(c.Request.Context(), c.Param("id"), app.TerritoryPatch{Name: r.Name, Region: r.Region, Industry: r.Industry,
		Team: r.Team, ManagerID: r.ManagerID, Strategy: r.Strategy})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) deleteTerritory(c *gin.Context) {
	if err := h.App.DeleteTerritory(c.Request.Context(), c.Param("id")); err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *HTTP) putRep(c *gin.Context) {
	var r PutRepRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.PutRep(c.Request.Context(), c.Param("id"), app.RepInput{RepID: c.Param("repId"), Capacity: r.Capacity, Active: r.Active})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) removeRep(c *gin.Context) {
	if err := h.App.RemoveRep(c.Request.Context(), c.Param("id"), c.Param("repId")); err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *HTTP) createLead(c *gin.Context) {
	var r LeadRequest
	raw, err := httpx.BindRaw(c, &r)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, stored, err := h.App.CreateLead(c.Request.Context(), app.LeadInput{Source: r.Source, CustomerID: r.CustomerID, CompanyName: r.CompanyName,
		TaxID: r.TaxID, ContactName: r.ContactName, ContactEmail: r.ContactEmail, ContactPhone: r.ContactPhone, Region: r.Region,
		Industry: r.Industry, Interest: r.Interest, Notes: r.Notes, ReceivedAt: r.ReceivedAt, Import: r.Import}, app.Keyed{Key: c.GetHeader(idem.Header), Body: raw})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Header("Location", "/v1/leads/"+v.ID)
	status := http.StatusCreated
	if !stored {
		status = http.StatusAccepted
	}
	c.JSON(status, v)
}

func (h *HTTP) listLeads(c *gin.Context) {
	limit, cur, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Leads(c.Request.Context(), adapters.LeadFilter{State: c.Query("state"), OwnerID: c.Query("owner_id"), Team: c.Query("team"),
		TerritoryID: c.Query("territory_id"), CustomerID: c.Query("customer_id"), Pool: c.Query("pool") == "true", Limit: limit, After: cur})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) getLead(c *gin.Context) {
	v, err := h.App.Lead(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) leadEscalation(c *gin.Context) {
	v, err := h.App.LeadEscalation(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) leadTimeline(c *gin.Context) {
	limit, cur, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.LeadTimeline(c.Request.Context(), c.Param("id"), limit, cur)
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) logContact(c *gin.Context) {
	var r ContactRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.LogContact(c.Request.Context(), c.Param("id"), app.ContactInput{Channel: r.Channel, Summary: r.Summary, At: r.At})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) qualify(c *gin.Context) {
	var r ReasonRequest
	if err := bindOptional(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Qualify(c.Request.Context(), c.Param("id"), r.Reason)
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) disqualify(c *gin.Context) {
	var r ReasonRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Disqualify(c.Request.Context(), c.Param("id"), r.Reason)
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) convert(c *gin.Context) {
	var r ConvertRequest
	if err := bindOptional(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	in := app.CloseInput{Reason: r.Reason}
	if o := r.Opportunity; o != nil {
		in.Opportunity = &app.OpportunityInput{Name: o.Name, Stage: o.Stage, AmountMinor: o.AmountMinor, Currency: o.Currency,
			ExpectedClose: o.ExpectedClose, Probability: o.Probability}
	}
	v, err := h.App.Convert(c.Request.Context(), c.Param("id"), in)
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) reassign(c *gin.Context) {
	var r ReassignRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Reassign(c.Request.Context(), c.Param("id"), app.ReassignInput{ToOwnerID: r.ToOwnerID, ToPool: r.ToPool, Reason: r.Reason, MoveCustomer: r.MoveCustomer})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) createOpportunity(c *gin.Context) {
	var r OpportunityRequest
	raw, err := httpx.BindRaw(c, &r)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, stored, err := h.App.CreateOpportunity(c.Request.Context(), r.input(), app.Keyed{Key: c.GetHeader(idem.Header), Body: raw})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Header("Location", "/v1/opportunities/"+v.ID)
	status := http.StatusCreated
	if !stored {
		status = http.StatusAccepted
	}
	c.JSON(status, v)
}

func (h *HTTP) listOpportunities(c *gin.Context) {
	limit, cur, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	stage, err := intQuery(c, "stage")
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Opportunities(c.Request.Context(), adapters.OppFilter{Status: c.Query("status"), OwnerID: c.Query("owner_id"),
		Team: c.Query("team"), CustomerID: c.Query("customer_id"), Stage: stage, Limit: limit, After: cur})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) getOpportunity(c *gin.Context) {
	v, err := h.App.Opportunity(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) patchOpportunity(c *gin.Context) {
	var r OpportunityPatchRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.PatchOpportunity(c.Request.Context(), c.Param("id"), app.OpportunityPatch{Name: r.Name, AmountMinor: r.AmountMinor,
		Currency: r.Currency, ExpectedClose: r.ExpectedClose, Probability: r.Probability, Version: r.Version})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) changeStage(c *gin.Context) {
	var r StageRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.ChangeStage(c.Request.Context(), c.Param("id"), app.StageInput{Stage: r.Stage, Reason: r.Reason})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) win(c *gin.Context) {
	var r CloseRequest
	if err := bindOptional(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Win(c.Request.Context(), c.Param("id"), app.StageInput{Reason: r.Reason, Competitor: r.Competitor})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) lose(c *gin.Context) {
	var r CloseRequest
	if err := httpx.Bind(c, &r); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.Lose(c.Request.Context(), c.Param("id"), app.StageInput{Reason: r.Reason, Competitor: r.Competitor})
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) opportunityTimeline(c *gin.Context) {
	limit, cur, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.OpportunityTimeline(c.Request.Context(), c.Param("id"), limit, cur)
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) customerTimeline(c *gin.Context) {
	limit, cur, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.App.CustomerTimeline(c.Request.Context(), c.Query("customer_id"), limit, cur)
	reply(c, http.StatusOK, v, err)
}

func (h *HTTP) funnel(c *gin.Context) {
	v, err := h.App.Funnel(c.Request.Context(), adapters.FunnelFilter{Team: c.Query("team"), OwnerID: c.Query("owner_id")})
	reply(c, http.StatusOK, v, err)
}

func pageArgs(c *gin.Context) (int, *adapters.Cursor, error) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		return 0, nil, err
	}
	var cur *adapters.Cursor
	if raw := c.Query("cursor"); raw != "" {
		cur = &adapters.Cursor{}
		if err := httpx.DecodeCursor(raw, cur); err != nil {
			return 0, nil, err
		}
	}
	return limit, cur, nil
}

// bindOptional binds a body that may be absent.
func bindOptional(c *gin.Context, dst any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return httpx.Bind(c, dst)
}

func intQuery(c *gin.Context, name string) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		e := apperr.Invalid("invalid_query", name+" must be a whole number")
		e.Fields = []apperr.FieldError{{Field: name, Code: "invalid_type", Message: "a whole number"}}
		return 0, e
	}
	return n, nil
}
