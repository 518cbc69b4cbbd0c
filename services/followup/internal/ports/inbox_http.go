package ports

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/followup/internal/app"
)

// InboxHTTP serves the signed-in caller's in-app inbox and notification
// preferences.
type InboxHTTP struct {
	Inbox       *app.Inbox
	Preferences *app.NotificationPreferences
}

// Routes mounts the inbox on the authenticated /v1 group.
func (h *InboxHTTP) Routes(v1 *gin.RouterGroup) {
	v1.GET("/notifications", h.list)
	v1.GET("/notifications/unread-count", h.unread)
	v1.POST("/notifications/read-all", h.readAll)
	v1.POST("/notifications/:id/read", h.read)
	v1.GET("/me/notification-preferences", h.preferences)
	v1.PUT("/me/notification-preferences", h.setPreferences)
}

func (h *InboxHTTP) preferences(c *gin.Context) {
	v, err := h.Preferences.Mine(c.Request.Context())
	respond(c, http.StatusOK, v, err)
}

func (h *InboxHTTP) setPreferences(c *gin.Context) {
	var req app.PreferencesView
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.Preferences.SetMine(c.Request.Context(), req)
	respond(c, http.StatusOK, v, err)
}

func (h *InboxHTTP) list(c *gin.Context) {
	limit, err := httpx.ParseLimit(c.Query("limit"))
	if err != nil {
		httpx.WriteError(c, err)
		return
	}
	unread := false
	if raw := c.Query("unread"); raw != "" {
		if unread, err = strconv.ParseBool(raw); err != nil {
			var v apperr.Validation
			v.Add("unread", "invalid", "true or false")
			httpx.WriteError(c, v.Err())
			return
		}
	}
	var cur *app.InboxCursor
	if raw := c.Query("cursor"); raw != "" {
		cur = &app.InboxCursor{}
		if err := httpx.DecodeCursor(raw, cur); err != nil {
			httpx.WriteError(c, err)
			return
		}
	}
	page, err := h.Inbox.List(c.Request.Context(), unread, cur, limit, httpx.EncodeCursor)
	respond(c, http.StatusOK, page, err)
}

func (h *InboxHTTP) unread(c *gin.Context) {
	n, err := h.Inbox.Unread(c.Request.Context())
	respond(c, http.StatusOK, n, err)
}

func (h *InboxHTTP) read(c *gin.Context) {
	if err := h.Inbox.MarkRead(c.Request.Context(), c.Param("id")); err != nil {
		httpx.WriteError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *InboxHTTP) readAll(c *gin.Context) {
	n, err := h.Inbox.MarkAllRead(c.Request.Context())
	respond(c, http.StatusOK, n, err)
}

func inboxOps() []openapi.Op {
	const who = "Everyone signed in has an inbox: the messages sent to them, and for a manager also those sent to the managers of their teams " +
		"(each manager reads them on their own)."
	return []openapi.Op{
		{Method: "GET", Path: "/v1/notifications", Tag: "inbox", Summary: "Your in-app messages, newest first",
			Description: who + " A follow-up's ladder step sends them as it is recorded: a reminder to the owner; an escalation, a hand-over by the ladder " +
				"or a return to the pool to the owner and the team's managers (urgent); a win-back touch to the owner; a reassignment by a person to the new " +
				"owner. Each is sent once however often its step is recorded. follow_up_state says whether the follow-up is still open. " +
				"A marketing campaign's event (kind campaign: approval_requested to the managers of its team; approved, cancelled, launch_finished, " +
				"completed to its owner) has no follow-up: it carries campaign_id, link (its console page), counts (a launch's totals) and note.",
			Params:   []openapi.Param{{Name: "unread", In: "query", Type: "boolean", Description: "only the unread ones"}, limitParam, cursorParam},
			Response: app.InboxPage{}, Errors: []int{400, 422}},
		{Method: "GET", Path: "/v1/notifications/unread-count", Tag: "inbox", Summary: "How many of your messages are unread (up to 99; more says there are more)",
			Response: app.UnreadCount{}},
		{Method: "POST", Path: "/v1/notifications/:id/read", Tag: "inbox", Summary: "Mark one of your messages read (again: no change)",
			Params: []openapi.Param{{Name: "id", In: "path", Description: "message id"}}, Status: http.StatusNoContent, Errors: []int{404}},
		{Method: "POST", Path: "/v1/notifications/read-all", Tag: "inbox", Summary: "Mark all your unread messages read",
			Response: app.MarkedRead{}},
		{Method: "GET", Path: "/v1/me/notification-preferences", Tag: "inbox", Summary: "Your notification preferences (the defaults until you choose)",
			Description: "default is true until you save them: English, NOTIFY_DEFAULT_TIME_ZONE, every event kind by email once an email address is set, " +
				"no quiet hours, and for managers a digest at 08:00.",
			Response: app.PreferencesView{}},
		{Method: "PUT", Path: "/v1/me/notification-preferences", Tag: "inbox", Summary: "Replace your notification preferences",
			Description: "language en or zh-Hans; time_zone an IANA zone; email an address or empty; email_kinds a subset of reminder, escalation, " +
				"handover, winback, campaign; quiet_hours {from, to} as HH:MM (from after to spans midnight) or null — non-urgent messages wait until they end, " +
				"escalations to managers go through; digest_hour 0–23 or null. Any bad field is a 422 naming it, and nothing changes. default and " +
				"updated_at are ignored.",
			Request: app.PreferencesView{}, Response: app.PreferencesView{}, Errors: []int{422}},
	}
}
