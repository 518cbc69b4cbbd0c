package ports

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// ReassignRequest is the body of POST /v1/follow-ups/{id}/reassign.
type ReassignRequest struct {
	// OwnerID is the user id of the new owner: an enabled rep or manager of
	// the team.
	OwnerID string `json:"owner_id"`
	// Team is the follow-up's team from now on; absent: it keeps its team.
	Team string `json:"team"`
	// Reason is required and kept in the follow-up's history.
	Reason string `json:"reason"`
}

func (h *EngineHTTP) reassign(c *gin.Context) {
	var req ReassignRequest
	if err := httpx.Bind(c, &req); err != nil {
		httpx.WriteError(c, err)
		return
	}
	v, err := h.FollowUps.Reassign(c.Request.Context(), c.Param("id"), app.ReassignInput{OwnerID: req.OwnerID, Team: req.Team, Reason: req.Reason})
	respond(c, http.StatusOK, v, err)
}

func (h *EngineHTTP) onTimeStats(c *gin.Context) {
	out, err := h.FollowUps.OnTimeStats(c.Request.Context(), domain.StatsInput{
		From: plusQuery(c, "from"), To: plusQuery(c, "to"), Bucket: c.Query("bucket"), TZ: c.Query("tz"), Team: c.Query("team")})
	respond(c, http.StatusOK, out, err)
}

// plusQuery reads a query parameter that may hold an RFC 3339 instant: an
// offset's "+" sent unencoded arrives as a space, and is read back as "+".
func plusQuery(c *gin.Context, name string) string {
	return strings.ReplaceAll(c.Query(name), " ", "+")
}

// instantQuery reads an optional RFC 3339 instant from the query (nil when
// absent); anything else is a field error (422).
func instantQuery(c *gin.Context, name string) (*time.Time, error) {
	raw := plusQuery(c, name)
	if raw == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		var v apperr.Validation
		v.Add(name, "invalid", "an RFC 3339 instant, such as 2026-04-01T18:00:00+08:00")
		return nil, v.Err()
	}
	t = t.UTC()
	return &t, nil
}
