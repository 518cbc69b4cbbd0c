package ports

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/followup/internal/app"
)

// WebhooksHTTP serves the administrators' webhook subscriptions.
type WebhooksHTTP struct {
	Webhooks *app.Webhooks
}

// WebhooksPage is every webhook subscription, oldest first.
type WebhooksPage struct {
	Items []app.WebhookView `json:"items"`
}

// Routes mounts the webhook subscriptions on the authenticated /v1 group.
func (h *WebhooksHTTP) Routes(v1 *gin.RouterGroup) {
	v1.GET("/webhooks", h.list)
	v1.POST("/webhooks", h.create)
	v1.GET("/webhooks/:id", h.get)
	v1.PATCH("/webhooks/:id", h.update)
	v1.DELETE("/webhooks/:id", h.delete)
	v1.POST("/webhooks/:id/rotate-secret", h.rotate)
}

func (h *WebhooksHTTP) list(c *gin.Context) {
	items, err := h.Webhooks.List(c.Request.Context())
	respond(c, http.StatusOK, WebhooksPage{Items: items}, err)
}

func (h *WebhooksHTTP) create(c *gin.Context) {
	var req app.WebhookInput
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Webhooks.Create(c.Request.Context(), req)
	if err == nil {
		c.Header("Location", "/v1/webhooks/"+v.ID)
	}
	respond(c, http.StatusCreated, v, err)
}

func (h *WebhooksHTTP) get(c *gin.Context) {
	v, err := h.Webhooks.Get(c.Request.Context(), c.Param("id"))
	respond(c, http.StatusOK, v, err)
}

func (h *WebhooksHTTP) update(c *gin.Context) {
	var req app.WebhookPatch
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Webhooks.Update(c.Request.Context(), c.Param("id"), req)
	respond(c, http.StatusOK, v, err)
}

func (h *WebhooksHTTP) delete(c *gin.Context) {
	if err := h.Webhooks.Delete(c.Request.Context(), c.Param("id")); err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *WebhooksHTTP) rotate(c *gin.Context) {
	var req app.WebhookRotateInput
	if err := httpx.BindOptional(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Webhooks.RotateSecret(c.Request.Context(), c.Param("id"), req)
	respond(c, http.StatusOK, v, err)
}

func webhookOps() []openapi.Op {
	const admins = "Admins only (403 for every other role). "
	id := openapi.Param{Name: "id", In: "path", Description: "subscription id (UUID)"}
	return []openapi.Op{
		{Method: "GET", Path: "/v1/webhooks", Tag: "webhooks", Summary: "Every webhook subscription, oldest first (admins)",
			Description: admins + "Secrets are never shown here: secret_hint is whsec_… and the secret's last four characters. A subscription " +
				"switched off after too many failed deliveries in a row says why in disabled_reason.",
			Response: WebhooksPage{}, Errors: []int{403}},
		{Method: "POST", Path: "/v1/webhooks", Tag: "webhooks", Summary: "Register a webhook subscription (admins)",
			Description: admins + "url must be https and a public address unless the administrator's settings allow plain http or private " +
				"addresses; event_kinds one or more of reminder, escalation, handover, winback, campaign; description up to 300 characters. secret is the " +
				"receiver's whsec_<base64> secret (24 to 64 bytes) if it hands one out; leave it out and one is generated. The answer carries the " +
				"secret, the only time it is shown. Deliveries are signed the Standard Webhooks way (webhook-id, webhook-timestamp, " +
				"webhook-signature). Every bad field is a 422 naming it (url: invalid_url, not_https, private_address; secret: invalid_secret, " +
				"secret_too_short, secret_too_long), and nothing is stored.",
			Request: app.WebhookInput{}, Status: http.StatusCreated, Response: app.WebhookSecretView{}, Errors: []int{400, 403, 422}},
		{Method: "GET", Path: "/v1/webhooks/:id", Tag: "webhooks", Summary: "A webhook subscription, without its secret (admins)",
			Description: admins, Params: []openapi.Param{id}, Response: app.WebhookView{}, Errors: []int{403, 404}},
		{Method: "PATCH", Path: "/v1/webhooks/:id", Tag: "webhooks", Summary: "Change a webhook subscription; switch it off or on again (admins)",
			Description: admins + "Absent fields stay as they are. The result is checked as on registration, unless the change only switches " +
				"it off. enabled true switches a disabled subscription on again with its failure count and reason cleared. The secret changes " +
				"only by rotation.",
			Params: []openapi.Param{id}, Request: app.WebhookPatch{}, Response: app.WebhookView{}, Errors: []int{400, 403, 404, 422}},
		{Method: "DELETE", Path: "/v1/webhooks/:id", Tag: "webhooks", Summary: "Remove a webhook subscription (admins)",
			Description: admins + "Nothing more is sent to it.", Params: []openapi.Param{id}, Status: http.StatusNoContent, Errors: []int{403, 404}},
		{Method: "POST", Path: "/v1/webhooks/:id/rotate-secret", Tag: "webhooks", Summary: "Give a webhook subscription a new signing secret (admins)",
			Description: admins + "The body is optional: {\"secret\": \"whsec_…\"} to use the receiver's own, else one is generated. The answer " +
				"carries the new secret, the only time it is shown. The old secret keeps signing deliveries too for 24 hours " +
				"(previous_secret_until), so the receiver can be switched over without missing one; a second rotation within them drops the first " +
				"secret at once.",
			Params: []openapi.Param{id}, Request: app.WebhookRotateInput{}, Response: app.WebhookSecretView{}, Errors: []int{400, 403, 404, 422}},
	}
}
