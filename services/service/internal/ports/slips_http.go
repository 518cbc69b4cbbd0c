package ports

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// SlipsHTTP serves information routing slips: send one, read them, act on
// one — each change an update of the slip's workflow (app.Slips.Change).
type SlipsHTTP struct {
	Slips *app.Slips
}

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *SlipsHTTP) Routes(v1 *gin.RouterGroup) {
	v1.POST("/slips", h.send)
	v1.GET("/slips", h.list)
	v1.GET("/slips/:id", h.get)
	v1.GET("/slips/:id/timeline", h.timeline)
	v1.GET("/customers/:customerId/slips", h.customerSlips)
	// What a recipient does with its part.
	v1.POST("/slips/:id/recipients/:n/acknowledge", slipChange(h, infoslip.OpAcknowledge, func(r *SlipNoteRequest) app.SlipChange {
		return app.SlipChange{}
	}))
	v1.POST("/slips/:id/recipients/:n/done", slipChange(h, infoslip.OpDone, func(r *SlipNoteRequest) app.SlipChange {
		return app.SlipChange{Text: r.Note}
	}))
	v1.POST("/slips/:id/recipients/:n/reject", slipChange(h, infoslip.OpReject, func(r *SlipReasonRequest) app.SlipChange {
		return app.SlipChange{Text: r.Reason}
	}))
	v1.POST("/slips/:id/recipients/:n/forward", slipChange(h, infoslip.OpForward, func(r *SlipForwardRequest) app.SlipChange {
		return app.SlipChange{Text: r.Note, To: r.To.input()}
	}))
	v1.POST("/slips/:id/recipients/:n/route", slipChange(h, infoslip.OpRoute, func(r *SlipRouteRequest) app.SlipChange {
		return app.SlipChange{UserID: r.UserID}
	}))
	// What the originator (or their manager) decides.
	v1.POST("/slips/:id/recipients/:n/reroute", slipChange(h, infoslip.OpReroute, func(r *SlipForwardRequest) app.SlipChange {
		return app.SlipChange{Text: r.Note, To: r.To.input()}
	}))
	v1.POST("/slips/:id/recipients/:n/dismiss", slipChange(h, infoslip.OpDismiss, func(r *SlipReasonRequest) app.SlipChange {
		return app.SlipChange{Text: r.Reason}
	}))
	v1.POST("/slips/:id/recipients/:n/object", slipChange(h, infoslip.OpObject, func(r *SlipReasonRequest) app.SlipChange {
		return app.SlipChange{Text: r.Reason}
	}))
	v1.POST("/slips/:id/recipients", slipChange(h, infoslip.OpAdd, func(r *SlipAddRequest) app.SlipChange {
		ch := app.SlipChange{Text: r.Note}
		for _, x := range r.Recipients {
			ch.Adds = append(ch.Adds, *x.input())
		}
		return ch
	}))
	v1.POST("/slips/:id/confirm", slipChange(h, infoslip.OpConfirm, func(r *SlipNoteRequest) app.SlipChange {
		return app.SlipChange{Text: r.Note}
	}))
	v1.POST("/slips/:id/withdraw", slipChange(h, infoslip.OpWithdraw, func(r *SlipReasonRequest) app.SlipChange {
		return app.SlipChange{Text: r.Reason}
	}))
}

// SendSlipRequest is the body of POST /v1/slips.
type SendSlipRequest struct {
	// CustomerID: the customer it is about (one you see).
	CustomerID string `json:"customer_id"`
	// What else it is about (optional, UUIDs).
	ContactID     string `json:"contact_id"`
	LeadID        string `json:"lead_id"`
	OpportunityID string `json:"opportunity_id"`
	CaseID        string `json:"case_id"`
	VisitID       string `json:"visit_id"`
	Subject       string `json:"subject"`
	Body          string `json:"body"`
	// Category: complaint, market_intelligence, competitor, quality,
	// customer_change or other.
	Category string `json:"category"`
	// Urgency: urgent, high, normal (the default) or low.
	Urgency     string              `json:"urgency"`
	Attachments []AttachmentRequest `json:"attachments"`
	// DueAt: when the whole slip should be closed (in the future; optional).
	DueAt *time.Time `json:"due_at"`
	// Recipients: 1 to 49 departments or people.
	Recipients []RecipientRequest `json:"recipients"`
}

// AttachmentRequest is an attachment's metadata; the file stays where URL
// points (no file is uploaded here).
type AttachmentRequest struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"`
}

// RecipientRequest names a recipient.
type RecipientRequest struct {
	// Kind: department or person.
	Kind string `json:"kind"`
	// Department (kind department): sales, service or marketing.
	Department string `json:"department"`
	// Team (kind department, optional): one of the department's teams; its
	// first team by default.
	Team string `json:"team"`
	// UserID (kind person): a person of the organisation.
	UserID string `json:"user_id"`
}

func (r *RecipientRequest) input() *domain.RecipientInput {
	if r == nil {
		return nil
	}
	return &domain.RecipientInput{Kind: r.Kind, Department: r.Department, Team: r.Team, UserID: r.UserID}
}

// SlipNoteRequest is the body of acknowledge, done and confirm.
type SlipNoteRequest struct {
	// Note: what was done (required to report a part done).
	Note string `json:"note"`
	Versioned
}

// SlipReasonRequest is the body of reject, dismiss, object and withdraw.
type SlipReasonRequest struct {
	// Reason: required to reject and to object.
	Reason string `json:"reason"`
	Versioned
}

// SlipForwardRequest is the body of forward (a recipient hands its part on)
// and reroute (the originator sends a rejected part elsewhere).
type SlipForwardRequest struct {
	To   *RecipientRequest `json:"to"`
	Note string            `json:"note"`
	Versioned
}

// SlipRouteRequest is the body of route: a department's part to a person
// of its team (a manager of the team; themselves too).
type SlipRouteRequest struct {
	UserID string `json:"user_id"`
	Versioned
}

// SlipAddRequest is the body of POST /v1/slips/{id}/recipients.
type SlipAddRequest struct {
	Recipients []RecipientRequest `json:"recipients"`
	Note       string             `json:"note"`
	Versioned
}

func (h *SlipsHTTP) send(c *gin.Context) {
	var req SendSlipRequest
	raw, err := httpx.BindRaw(c, &req)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	in := app.SendSlip{CustomerID: req.CustomerID, ContactID: req.ContactID, LeadID: req.LeadID, OpportunityID: req.OpportunityID,
		CaseID: req.CaseID, VisitID: req.VisitID, Subject: req.Subject, Body: req.Body, Category: req.Category, Urgency: req.Urgency,
		DueAt: req.DueAt}
	for _, a := range req.Attachments {
		in.Attachments = append(in.Attachments, domain.SlipAttachment{Name: a.Name, Size: a.Size, ContentType: a.ContentType, URL: a.URL})
	}
	for i := range req.Recipients {
		in.Recipients = append(in.Recipients, *req.Recipients[i].input())
	}
	res, err := h.Slips.Send(c.Request.Context(), in, c.GetHeader(idem.Header), raw)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	if res.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", "/v1/slips/"+res.ID)
	c.Data(res.Status, "application/json; charset=utf-8", res.Body)
}

func (h *SlipsHTTP) get(c *gin.Context) {
	v, err := h.Slips.Get(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *SlipsHTTP) list(c *gin.Context) {
	cur, limit, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	f := domain.SlipFilter{Role: c.Query("role"), State: c.Query("state"), RecipientState: c.Query("recipient_state"),
		CustomerID: c.Query("customer_id")}
	page, err := h.Slips.List(c.Request.Context(), f, cur, limit, httpx.EncodeCursor)
	respond(c, page, err)
}

func (h *SlipsHTTP) customerSlips(c *gin.Context) {
	cur, limit, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.Slips.List(c.Request.Context(), domain.SlipFilter{CustomerID: c.Param("customerId")}, cur, limit, httpx.EncodeCursor)
	respond(c, page, err)
}

func (h *SlipsHTTP) timeline(c *gin.Context) {
	cur, limit, err := pageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.Slips.Timeline(c.Request.Context(), c.Param("id"), cur, limit, httpx.EncodeCursor)
	respond(c, page, err)
}

// slipChange is the handler of one change: bind the body strictly, carry
// the Idempotency-Key to the workflow update, answer the slip.
func slipChange[R any, P interface {
	*R
	versioned
}](h *SlipsHTTP, op string, change func(P) app.SlipChange) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req R
		raw, err := httpx.BindRaw(c, &req)
		if err != nil {
			httpx.WriteError(c, err)
			return
		}
		key := c.GetHeader(idem.Header)
		if err := idem.ValidateKey(key); err != nil {
			httpx.WriteError(c, err)
			return
		}
		ch := change(&req)
		ch.Op = op
		if n := c.Param("n"); n != "" {
			r, err := recipientNumber(n)
			if err != nil {
				httpx.WriteError(c, err)
				return
			}
			ch.Recipient = r
		}
		ctx := WithIdempotencyKey(c.Request.Context(), key)
		ans, err := h.Slips.ChangeKeyed(ctx, c.Param("id"), ch, P(&req).expected(),
			app.Keyed{Key: key, Scope: c.Request.Method + " " + c.Request.URL.Path, Body: raw})
		switch {
		case err != nil:
			httpx.WriteError(c, err)
		case ans.Replayed != nil:
			c.Header("Idempotent-Replayed", "true")
			c.Data(http.StatusOK, "application/json; charset=utf-8", ans.Replayed)
		default:
			c.JSON(http.StatusOK, ans.Slip)
		}
	}
}
