// Package ports adapts the customer service to the outside: gin HTTP handlers
// (this file) and Temporal activities (activities.go). Handlers only translate:
// request JSON into app commands, app results into JSON; every rule lives in app
// and domain, every status code in httpx.
package ports

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/customer/internal/app"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// HTTP serves the customer API.
type HTTP struct {
	app *app.App
}

// NewHTTP returns the handlers over app.
func NewHTTP(a *app.App) *HTTP { return &HTTP{app: a} }

// Routes mounts every endpoint on the authenticated /v1 group. It first
// adds the middleware that records every verified caller in the user
// directory, so it must be mounted before the service's other routes.
func (h *HTTP) Routes(v1 *gin.RouterGroup) {
	v1.Use(h.seen)
	v1.POST("/customers", h.create)
	h.importRoutes(v1)
	v1.GET("/customers", h.list)
	v1.GET("/customers/:id", h.get)
	v1.PATCH("/customers/:id", h.update)
	v1.DELETE("/customers/:id", h.delete)
	v1.POST("/customers/:id/restore", h.restore)
	v1.POST("/customers/:id/lifecycle", h.lifecycle)
	v1.POST("/customers/:id/move", h.move)
	v1.GET("/customers/:id/tree", h.tree)
	v1.GET("/customers/:id/stage-history", h.stageHistory)
	v1.GET("/customers/:id/audit", h.audit)
	v1.POST("/customers/:id/contacts", h.addContact)
	v1.GET("/customers/:id/contacts", h.listContacts)
	v1.GET("/customers/:id/contacts/:contactId", h.getContact)
	v1.PATCH("/customers/:id/contacts/:contactId", h.updateContact)
	v1.DELETE("/customers/:id/contacts/:contactId", h.deleteContact)
	v1.POST("/abc/reclassifications", h.reclassify)
	v1.GET("/abc/reclassifications/:workflowId", h.reclassification)
	v1.GET("/abc/settings", h.abcSettings)
	v1.POST("/abc/trials", h.trial)
	v1.GET("/users", h.listUsers)
	v1.PUT("/users/:userId", h.putUser)
	v1.POST("/users/:userId/disable", h.disableUser)
	v1.POST("/users/:userId/enable", h.enableUser)
	h.peopleRoutes(v1)
}

// seen records the verified caller in the user directory. A failure is
// logged and the request goes on: the directory is refreshed on a later call.
func (h *HTTP) seen(c *gin.Context) {
	if p, ok := auth.FromContext(c.Request.Context()); ok {
		if err := h.app.Seen(c.Request.Context(), p); err != nil {
			slog.WarnContext(c.Request.Context(), "user directory: recording the caller failed", "error", err)
		}
	}
	c.Next()
}

// ContactRequest is a contact in a request body.
type ContactRequest struct {
	Name          string `json:"name"`
	Title         string `json:"title"`
	Department    string `json:"department"`
	Email         string `json:"email"`
	Phone         string `json:"phone"`
	Mobile        string `json:"mobile"`
	Birthday      string `json:"birthday"`
	PersonalNotes string `json:"personal_notes"`
	DecisionRole  string `json:"decision_role"`
	IsPrimary     bool   `json:"is_primary"`
}

func (r ContactRequest) input() app.ContactInput {
	return app.ContactInput{Name: r.Name, Title: r.Title, Department: r.Department, Email: r.Email, Phone: r.Phone, Mobile: r.Mobile,
		Birthday: r.Birthday, PersonalNotes: r.PersonalNotes, DecisionRole: r.DecisionRole, IsPrimary: r.IsPrimary}
}

// CreateCustomerRequest is the body of POST /v1/customers.
type CreateCustomerRequest struct {
	Name                string           `json:"name"`
	TaxID               string           `json:"tax_id"`
	ParentID            *string          `json:"parent_id"`
	Region              string           `json:"region"`
	Industry            string           `json:"industry"`
	OwnerID             string           `json:"owner_id"`
	Team                string           `json:"team"`
	Website             string           `json:"website"`
	Phone               string           `json:"phone"`
	Address             string           `json:"address"`
	LifecycleStage      string           `json:"lifecycle_stage"`
	RelationshipStage   string           `json:"relationship_stage"`
	AnnualRevenue       float64          `json:"annual_revenue"`
	AnnualMarketingCost float64          `json:"annual_marketing_cost"`
	YearsOfBusiness     int              `json:"years_of_business"`
	Contacts            []ContactRequest `json:"contacts"`
}

// UpdateCustomerRequest is the body of PATCH /v1/customers/{id}; absent fields stay.
type UpdateCustomerRequest struct {
	Name                *string  `json:"name"`
	TaxID               *string  `json:"tax_id"`
	Region              *string  `json:"region"`
	Industry            *string  `json:"industry"`
	OwnerID             *string  `json:"owner_id"`
	Team                *string  `json:"team"`
	Website             *string  `json:"website"`
	Phone               *string  `json:"phone"`
	Address             *string  `json:"address"`
	RelationshipStage   *string  `json:"relationship_stage"`
	AnnualRevenue       *float64 `json:"annual_revenue"`
	AnnualMarketingCost *float64 `json:"annual_marketing_cost"`
	YearsOfBusiness     *int     `json:"years_of_business"`
	Reason              string   `json:"reason"`
}

// LifecycleRequest is the body of POST /v1/customers/{id}/lifecycle.
type LifecycleRequest struct {
	To     string `json:"to"`
	Reason string `json:"reason"`
	// Competitor names the competitor a customer lost went to (optional,
	// to lost only, at most 100 characters).
	Competitor string `json:"competitor"`
}

// MoveRequest is the body of POST /v1/customers/{id}/move; a null parent makes a root.
type MoveRequest struct {
	ParentID *string `json:"parent_id"`
	Reason   string  `json:"reason"`
}

// ReasonRequest is an optional body with a reason (delete, restore).
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// UpdateContactRequest is the body of PATCH …/contacts/{contactId}.
type UpdateContactRequest struct {
	Name          *string `json:"name"`
	Title         *string `json:"title"`
	Department    *string `json:"department"`
	Email         *string `json:"email"`
	Phone         *string `json:"phone"`
	Mobile        *string `json:"mobile"`
	Birthday      *string `json:"birthday"`
	PersonalNotes *string `json:"personal_notes"`
	DecisionRole  *string `json:"decision_role"`
	IsPrimary     *bool   `json:"is_primary"`
}

// ReclassifyRequest is the body of POST /v1/abc/reclassifications. A run
// uses the configured thresholds; a_share and b_share, when sent, must equal
// them (other values: POST /v1/abc/trials).
type ReclassifyRequest struct {
	AShare *float64 `json:"a_share"`
	BShare *float64 `json:"b_share"`
	Reason string   `json:"reason"`
}

// TrialRequest is the body of POST /v1/abc/trials; absent shares are the configured ones.
type TrialRequest struct {
	AShare *float64 `json:"a_share"`
	BShare *float64 `json:"b_share"`
}

// UserRequest is the body of PUT /v1/users/{userId}.
type UserRequest struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
	Teams []string `json:"teams"`
}

// optionalBind decodes a body when there is one.
func optionalBind(c *gin.Context, dst any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return httpx.Bind(c, dst)
}

func writeCreated(c *gin.Context, res app.Created, location string) {
	if res.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	if location != "" {
		c.Header("Location", location)
	}
	c.Data(res.Status, "application/json; charset=utf-8", res.Body)
}

func (h *HTTP) create(c *gin.Context) {
	var req CreateCustomerRequest
	raw, err := httpx.BindRaw(c, &req)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	contacts := make([]app.ContactInput, len(req.Contacts))
	for i, ct := range req.Contacts {
		contacts[i] = ct.input()
	}
	res, err := h.app.Create(c.Request.Context(), app.CreateCustomer{
		Name: req.Name, TaxID: req.TaxID, ParentID: req.ParentID, Region: req.Region, Industry: req.Industry, OwnerID: req.OwnerID,
		Team: req.Team, Website: req.Website, Phone: req.Phone, Address: req.Address, LifecycleStage: req.LifecycleStage,
		RelationshipStage: req.RelationshipStage, AnnualRevenue: req.AnnualRevenue, AnnualMarketingCost: req.AnnualMarketingCost,
		YearsOfBusiness: req.YearsOfBusiness, Contacts: contacts,
	}, c.GetHeader(idem.Header), raw)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	writeCreated(c, res, "")
}

func (h *HTTP) list(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	deleted, err := parseBool(c, "deleted")
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.app.List(c.Request.Context(), app.ListParams{
		Region: c.Query("region"), Industry: c.Query("industry"), OwnerID: c.Query("owner_id"), Team: c.Query("team"),
		Stage: c.Query("lifecycle_stage"), Class: c.Query("value_class"), ParentID: c.Query("parent_id"), Q: c.Query("q"),
		IDs: c.Query("ids"), Sort: c.Query("sort"), Cursor: c.Query("cursor"), Deleted: deleted, Limit: limit,
	}, httpx.DecodeCursor, httpx.EncodeCursor)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func parseBool(c *gin.Context, name string) (bool, error) {
	raw := c.Query(name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		e := apperr.Invalid("invalid_query", name+" must be true or false")
		e.Fields = []apperr.FieldError{{Field: name, Code: "invalid", Message: "must be true or false"}}
		return false, e
	}
	return b, nil
}

func (h *HTTP) get(c *gin.Context) {
	v, err := h.app.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) update(c *gin.Context) {
	var req UpdateCustomerRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.app.Update(c.Request.Context(), c.Param("id"), app.UpdateCustomer{
		Name: req.Name, TaxID: req.TaxID, Region: req.Region, Industry: req.Industry, OwnerID: req.OwnerID, Team: req.Team,
		Website: req.Website, Phone: req.Phone, Address: req.Address, RelationshipStage: req.RelationshipStage,
		AnnualRevenue: req.AnnualRevenue, AnnualMarketingCost: req.AnnualMarketingCost, YearsOfBusiness: req.YearsOfBusiness, Reason: req.Reason,
	})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) delete(c *gin.Context) {
	var req ReasonRequest
	if err := optionalBind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	if err := h.app.Delete(c.Request.Context(), c.Param("id"), req.Reason); err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *HTTP) restore(c *gin.Context) {
	var req ReasonRequest
	if err := optionalBind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.app.Restore(c.Request.Context(), c.Param("id"), req.Reason)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) lifecycle(c *gin.Context) {
	var req LifecycleRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.app.ChangeLifecycle(c.Request.Context(), c.Param("id"), app.LifecycleChange{To: req.To, Reason: req.Reason, Competitor: req.Competitor})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) move(c *gin.Context) {
	var req MoveRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.app.Move(c.Request.Context(), c.Param("id"), req.ParentID, req.Reason)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) tree(c *gin.Context) {
	depth := domain.MaxDepth
	if raw := c.Query("depth"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > domain.MaxDepth {
			e := apperr.Invalid("invalid_query", "depth must be a whole number from 0 to "+strconv.Itoa(domain.MaxDepth))
			e.Fields = []apperr.FieldError{{Field: "depth", Code: "out_of_range", Message: "0.." + strconv.Itoa(domain.MaxDepth)}}
			httpx.WriteError(c, e)
			return
		}
		depth = n
	}
	t, err := h.app.Tree(c.Request.Context(), c.Param("id"), depth)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (h *HTTP) stageHistory(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.app.StageHistory(c.Request.Context(), c.Param("id"), c.Query("cursor"), limit)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func (h *HTTP) audit(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.app.Audit(c.Request.Context(), c.Param("id"), c.Query("cursor"), limit)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func (h *HTTP) addContact(c *gin.Context) {
	var req ContactRequest
	raw, err := httpx.BindRaw(c, &req)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	res, err := h.app.AddContact(c.Request.Context(), c.Param("id"), req.input(), c.GetHeader(idem.Header), raw)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	writeCreated(c, res, "")
}

func (h *HTTP) listContacts(c *gin.Context) {
	v, err := h.app.ListContacts(c.Request.Context(), c.Param("id"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": v})
}

func (h *HTTP) getContact(c *gin.Context) {
	v, err := h.app.GetContact(c.Request.Context(), c.Param("id"), c.Param("contactId"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) updateContact(c *gin.Context) {
	var req UpdateContactRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.app.UpdateContact(c.Request.Context(), c.Param("id"), c.Param("contactId"), app.UpdateContact{
		Name: req.Name, Title: req.Title, Department: req.Department, Email: req.Email, Phone: req.Phone, Mobile: req.Mobile,
		Birthday: req.Birthday, PersonalNotes: req.PersonalNotes, DecisionRole: req.DecisionRole, IsPrimary: req.IsPrimary,
	})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) deleteContact(c *gin.Context) {
	if err := h.app.DeleteContact(c.Request.Context(), c.Param("id"), c.Param("contactId")); err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *HTTP) reclassify(c *gin.Context) {
	var req ReclassifyRequest
	if err := optionalBind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	var t *domain.Thresholds
	if req.AShare != nil || req.BShare != nil {
		th := h.app.Thresholds()
		if req.AShare != nil {
			th.AShare = *req.AShare
		}
		if req.BShare != nil {
			th.BShare = *req.BShare
		}
		t = &th
	}
	ref, err := h.app.Reclassify(c.Request.Context(), t, req.Reason)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Header("Location", "/v1/abc/reclassifications/"+ref.WorkflowID)
	c.JSON(http.StatusAccepted, ref)
}

func (h *HTTP) reclassification(c *gin.Context) {
	st, err := h.app.ReclassificationStatus(c.Request.Context(), c.Param("workflowId"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (h *HTTP) abcSettings(c *gin.Context) {
	t, err := h.app.Settings(c.Request.Context())
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, ABCSettings{
		AShare: t.AShare, BShare: t.BShare,
		Rule:       "customers are ordered by value score; a customer is A while less than a_share of the total value ranks above it, B while less than b_share, otherwise C",
		ValueScore: "max(0, annual_revenue - annual_marketing_cost) * (1 + 0.02 * min(years_of_business, 25))",
	})
}

func (h *HTTP) trial(c *gin.Context) {
	var req TrialRequest
	if err := optionalBind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	t := h.app.Thresholds()
	if req.AShare != nil {
		t.AShare = *req.AShare
	}
	if req.BShare != nil {
		t.BShare = *req.BShare
	}
	v, err := h.app.Trial(c.Request.Context(), t)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) listUsers(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.app.ListUsers(c.Request.Context(), c.Query("team"), c.Query("role"), c.Query("cursor"), limit)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func (h *HTTP) putUser(c *gin.Context) {
	var req UserRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.app.PutUser(c.Request.Context(), c.Param("userId"), app.RegisterUser{Name: req.Name, Roles: req.Roles, Teams: req.Teams})
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *HTTP) disableUser(c *gin.Context) { h.setDisabled(c, true) }
func (h *HTTP) enableUser(c *gin.Context)  { h.setDisabled(c, false) }

func (h *HTTP) setDisabled(c *gin.Context, disabled bool) {
	v, err := h.app.SetUserDisabled(c.Request.Context(), c.Param("userId"), disabled)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}
