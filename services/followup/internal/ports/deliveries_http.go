package ports

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/followup/internal/app"
)

// DeliveriesHTTP serves admins the deliveries of notifications: the
// dead-letter list (status=failed) and its retry.
type DeliveriesHTTP struct {
	Deliveries *app.Deliveries
}

// Routes mounts the deliveries on the authenticated /v1 group.
func (h *DeliveriesHTTP) Routes(v1 *gin.RouterGroup) {
	v1.GET("/deliveries", h.list)
	v1.POST("/deliveries/:id/retry", h.retry)
}

func (h *DeliveriesHTTP) list(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	var cur *app.DeliveryCursor
	if raw := c.Query("cursor"); raw != "" {
		cur = &app.DeliveryCursor{}
		if err := httpx.DecodeCursor(raw, cur); err != nil {
			httpx.WriteError(c, err)
			return
		}
	}
	status := c.DefaultQuery("status", "failed")
	page, err := h.Deliveries.List(c.Request.Context(), status, c.Query("channel"), cur, limit, httpx.EncodeCursor)
	respond(c, http.StatusOK, page, err)
}

func (h *DeliveriesHTTP) retry(c *gin.Context) {
	v, err := h.Deliveries.RetryFailed(c.Request.Context(), c.Param("id"))
	respond(c, http.StatusAccepted, v, err)
}

func deliveryOps() []openapi.Op {
	return []openapi.Op{
		{Method: "GET", Path: "/v1/deliveries", Tag: "notifications", Summary: "Email and webhook deliveries by status (admins): failed is the dead-letter list",
			Description: "A delivery is one message (or one person's daily digest) on one channel to one target: a person's email address or a webhook " +
				"subscription. status failed (the default) lists those whose retries ran out or that the receiver refused for good, with the last error; " +
				"the others (pending, held, retrying, sent, suppressed) show the queue. The latest change first.",
			Params: []openapi.Param{{Name: "status", In: "query", Description: "pending, held, retrying, sent, failed (default) or suppressed"},
				{Name: "channel", In: "query", Description: "email or webhook; both when absent"}, limitParam, cursorParam},
			Response: app.DeliveryPage{}, Errors: []int{400, 403, 422}},
		{Method: "POST", Path: "/v1/deliveries/:id/retry", Tag: "notifications", Summary: "Retry a failed delivery (admins)",
			Description: "Hands the delivery back to its workflow with a new retry period; it is sent unless its follow-up closed meanwhile (then it is " +
				"suppressed). 409 unless the delivery is failed (not_failed), and for a webhook delivery whose subscription is disabled " +
				"(subscription_disabled: re-enable it first) or deleted (subscription_deleted).",
			Params: []openapi.Param{{Name: "id", In: "path", Description: "delivery id"}}, Status: http.StatusAccepted,
			Response: app.DeliveryView{}, Errors: []int{403, 404, 409, 503}},
	}
}
