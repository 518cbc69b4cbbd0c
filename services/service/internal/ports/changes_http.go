package ports

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/servicecase"
)

// changeRoutes mounts the changes of a case: each is an update of the
// case's workflow (app.Cases.Change).
func (h *CasesHTTP) changeRoutes(v1 *gin.RouterGroup) {
	v1.POST("/cases/:id/state", change(h, func(r *StateRequest) domain.Command {
		return domain.Command{Op: servicecase.OpState, To: r.State, Reason: r.Reason, CustomerRequest: r.CustomerRequest}
	}))
	v1.POST("/cases/:id/reopen", change(h, func(r *ReopenRequest) domain.Command {
		return domain.Command{Op: servicecase.OpReopen, Reason: r.Reason}
	}))
	v1.POST("/cases/:id/replies", change(h, func(r *ReplyRequest) domain.Command {
		return domain.Command{Op: servicecase.OpReply, Direction: r.Direction, Body: r.Body}
	}))
	v1.POST("/cases/:id/notes", change(h, func(r *NoteRequest) domain.Command {
		return domain.Command{Op: servicecase.OpNote, Body: r.Body}
	}))
	v1.POST("/cases/:id/assignment", change(h, func(r *AssignRequest) domain.Command {
		return domain.Command{Op: servicecase.OpAssign, AssigneeID: r.AssigneeID, Team: r.Team, Reason: r.Reason}
	}))
	v1.POST("/cases/:id/priority", change(h, func(r *PriorityRequest) domain.Command {
		return domain.Command{Op: servicecase.OpPriority, Priority: r.Priority, Reason: r.Reason}
	}))
}

// Versioned is the optimistic-concurrency field every change may carry.
type Versioned struct {
	// ExpectedVersion, when not 0, is the case version you read: a case
	// changed since answers 409 version_conflict.
	ExpectedVersion int64 `json:"expected_version"`
}

func (v Versioned) expected() int64 { return v.ExpectedVersion }

// StateRequest is the body of POST /v1/cases/{id}/state.
type StateRequest struct {
	// State: open, pending_customer, pending_internal, resolved or closed.
	State string `json:"state"`
	// Reason: required to resolve (what was done).
	Reason string `json:"reason"`
	// CustomerRequest: closing because the customer asked (no survey is sent).
	CustomerRequest bool `json:"customer_request"`
	Versioned
}

// ReopenRequest is the body of POST /v1/cases/{id}/reopen.
type ReopenRequest struct {
	// Reason is required.
	Reason string `json:"reason"`
	Versioned
}

// ReplyRequest is the body of POST /v1/cases/{id}/replies: a public reply.
type ReplyRequest struct {
	// Direction: outbound (to the customer) or inbound (the customer's, recorded by staff).
	Direction string `json:"direction"`
	Body      string `json:"body"`
	Versioned
}

// NoteRequest is the body of POST /v1/cases/{id}/notes: an internal note.
type NoteRequest struct {
	Body string `json:"body"`
	Versioned
}

// AssignRequest is the body of POST /v1/cases/{id}/assignment.
type AssignRequest struct {
	// AssigneeID: empty puts the case in the team's queue.
	AssigneeID string `json:"assignee_id"`
	// Team: empty keeps the case's team.
	Team   string `json:"team"`
	Reason string `json:"reason"`
	Versioned
}

// PriorityRequest is the body of POST /v1/cases/{id}/priority.
type PriorityRequest struct {
	// Priority: P1 to P4.
	Priority string `json:"priority"`
	// Reason is required: the SLA targets move with the priority.
	Reason string `json:"reason"`
	Versioned
}

type versioned interface{ expected() int64 }

// change is the handler of one change: bind the body strictly, carry the
// Idempotency-Key to the workflow update, answer the case.
func change[R any, P interface {
	*R
	versioned
}](h *CasesHTTP, cmd func(P) domain.Command) gin.HandlerFunc {
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
		ctx := WithIdempotencyKey(c.Request.Context(), key)
		ans, err := h.Cases.ChangeKeyed(ctx, c.Param("id"), cmd(&req), P(&req).expected(),
			app.Keyed{Key: key, Scope: c.Request.Method + " " + c.Request.URL.Path, Body: raw})
		switch {
		case err != nil:
			httpx.WriteError(c, err)
		case ans.Replayed != nil:
			c.Header("Idempotent-Replayed", "true")
			c.Data(http.StatusOK, "application/json; charset=utf-8", ans.Replayed)
		default:
			c.JSON(http.StatusOK, ans.Case)
		}
	}
}
