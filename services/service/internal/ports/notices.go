package ports

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// NoticesHTTP serves notices (bulletins): drafts, publication, revocation,
// the readers' boxes, reading and acknowledging, and the receipts.
type NoticesHTTP struct {
	Notices *app.Notices
}

// Routes mounts the endpoints on the authenticated /v1 group.
func (h *NoticesHTTP) Routes(v1 *gin.RouterGroup) {
	v1.POST("/notices", h.create)
	v1.GET("/notices", h.list)
	v1.GET("/notices/:id", h.get)
	v1.PUT("/notices/:id", h.edit)
	v1.POST("/notices/:id/publish", h.publish)
	v1.POST("/notices/:id/revoke", h.revoke)
	v1.POST("/notices/:id/read", h.read)
	v1.POST("/notices/:id/acknowledge", h.acknowledge)
	v1.GET("/notices/:id/receipts", h.receipts)
}

// NoticeRequest is the body of POST /v1/notices: a new draft.
type NoticeRequest struct {
	// Title: one line, 1 to 200 characters.
	Title string `json:"title"`
	// Body: at most 20,000 characters.
	Body     string          `json:"body"`
	Audience AudienceRequest `json:"audience"`
	// ValidFrom: when readers start seeing it (absent: when it is
	// published); may be in the future.
	ValidFrom *time.Time `json:"valid_from"`
	// ValidUntil: when readers stop seeing it; required, in the future,
	// after valid_from.
	ValidUntil *time.Time `json:"valid_until"`
	// Pinned notices come first in their readers' lists.
	Pinned bool `json:"pinned"`
	// MustAcknowledge: each reader acknowledges it by ack_deadline, which
	// is then required, after valid_from and no later than valid_until.
	MustAcknowledge bool       `json:"must_acknowledge"`
	AckDeadline     *time.Time `json:"ack_deadline"`
}

// AudienceRequest is who a notice is addressed to: everyone, or at least
// one department, role or team (their union), not both.
type AudienceRequest struct {
	Everyone bool `json:"everyone"`
	// Departments: of those configured (sales, service, marketing).
	Departments []string `json:"departments"`
	// Roles: rep, manager, analyst, admin.
	Roles []string `json:"roles"`
	// Teams: at most 50.
	Teams []string `json:"teams"`
}

// EditNoticeRequest is the body of PUT /v1/notices/{id}: the whole draft.
type EditNoticeRequest struct {
	NoticeRequest
	Versioned
}

// RevokeNoticeRequest is the (optional) body of POST /v1/notices/{id}/revoke.
type RevokeNoticeRequest struct {
	// Reason: optional, at most 2,000 characters; shown to readers who open it.
	Reason string `json:"reason"`
}

func (r NoticeRequest) input() domain.NoticeInput {
	return domain.NoticeInput{Title: r.Title, Body: r.Body, Audience: domain.Audience{Everyone: r.Audience.Everyone,
		Departments: r.Audience.Departments, Roles: r.Audience.Roles, Teams: r.Audience.Teams},
		ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, Pinned: r.Pinned, MustAcknowledge: r.MustAcknowledge, AckDeadline: r.AckDeadline}
}

func (h *NoticesHTTP) create(c *gin.Context) {
	var req NoticeRequest
	raw, err := httpx.BindRaw(c, &req)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	res, err := h.Notices.CreateNotice(c.Request.Context(), req.input(), c.GetHeader(idem.Header), raw)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	if res.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", "/v1/notices/"+res.ID)
	c.Data(res.Status, "application/json; charset=utf-8", res.Body)
}

func (h *NoticesHTTP) get(c *gin.Context) {
	v, err := h.Notices.GetNotice(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *NoticesHTTP) edit(c *gin.Context) {
	var req EditNoticeRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Notices.EditNotice(c.Request.Context(), c.Param("id"), req.input(), req.expected())
	respond(c, v, err)
}

func (h *NoticesHTTP) publish(c *gin.Context) {
	v, err := h.Notices.Publish(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *NoticesHTTP) revoke(c *gin.Context) {
	var req RevokeNoticeRequest
	if err := httpx.BindOptional(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Notices.Revoke(c.Request.Context(), c.Param("id"), req.Reason)
	respond(c, v, err)
}

func (h *NoticesHTTP) read(c *gin.Context) {
	v, err := h.Notices.Read(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *NoticesHTTP) acknowledge(c *gin.Context) {
	v, err := h.Notices.Acknowledge(c.Request.Context(), c.Param("id"))
	respond(c, v, err)
}

func (h *NoticesHTTP) list(c *gin.Context) {
	cur, limit, err := noticePageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.Notices.ListNotices(c.Request.Context(), c.Query("box"), cur, limit, httpx.EncodeCursor)
	respond(c, page, err)
}

func (h *NoticesHTTP) receipts(c *gin.Context) {
	cur, limit, err := noticePageArgs(c)
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	page, err := h.Notices.Receipts(c.Request.Context(), c.Param("id"), c.Query("state"), cur, limit, httpx.EncodeCursor)
	respond(c, page, err)
}

func noticePageArgs(c *gin.Context) (*adapters.NoticeCursor, int, error) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		return nil, 0, err
	}
	var cur *adapters.NoticeCursor
	if raw := c.Query("cursor"); raw != "" {
		cur = &adapters.NoticeCursor{}
		if err := httpx.DecodeCursor(raw, cur); err != nil {
			return nil, 0, err
		}
	}
	return cur, limit, nil
}
