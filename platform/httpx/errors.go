// Package httpx holds the HTTP conventions every Closeloop service shares: one
// error body, strict JSON binding, a body size limit, request logging and
// tracing, health endpoints and graceful serving. Handlers stay small because
// everything cross-cutting lives here.
package httpx

import (
	"database/sql/driver"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
)

// ErrorBody is the one error shape of every endpoint.
type ErrorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// Status maps an error kind to its HTTP status. It is the only such mapping.
func Status(k apperr.Kind) int {
	switch k {
	case apperr.KindInvalid:
		return http.StatusBadRequest
	case apperr.KindUnauthenticated:
		return http.StatusUnauthorized
	case apperr.KindForbidden:
		return http.StatusForbidden
	case apperr.KindNotFound:
		return http.StatusNotFound
	case apperr.KindConflict:
		return http.StatusConflict
	case apperr.KindRule:
		return http.StatusUnprocessableEntity
	case apperr.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.KindUnavailable:
		return http.StatusServiceUnavailable
	case apperr.KindMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case apperr.KindTooManyRequests:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// Body renders err as the client sees it. Internal errors carry a fixed message.
func Body(err error) (int, ErrorBody) {
	e := apperr.From(err)
	status := Status(e.Kind)
	if e.Kind == apperr.KindInternal && Unreachable(err) {
		return http.StatusServiceUnavailable, ErrorBody{Code: "dependency_unavailable",
			Message: "a database or service this one needs cannot be reached right now; retry (with the same Idempotency-Key for a create)"}
	}
	if e.Kind == apperr.KindInternal {
		return status, ErrorBody{Code: "internal", Message: "an internal error occurred; it has been logged"}
	}
	body := ErrorBody{Code: e.Code, Message: e.Message}
	if len(e.Fields) > 0 || len(e.Meta) > 0 {
		body.Details = map[string]any{}
		for k, v := range e.Meta {
			body.Details[k] = v
		}
		if len(e.Fields) > 0 {
			body.Details["fields"] = e.Fields
		}
	}
	return status, body
}

// WriteError writes err with its status and aborts the gin chain. Internal
// errors are logged with their cause; clients never see it.
func WriteError(c *gin.Context, err error) {
	status, body := Body(err)
	if status >= 500 {
		slog.Default().ErrorContext(c.Request.Context(), "request failed",
			"method", c.Request.Method, "path", c.Request.URL.Path, "status", status, "error", err)
	}
	var e *apperr.Error
	if errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated {
		c.Header("WWW-Authenticate", `Bearer realm="closeloop"`)
	}
	closeIfBodyUnread(c)
	c.AbortWithStatusJSON(status, body)
}

// Unreachable reports whether an unexpected error is a dependency that could
// not be reached — the database down or restarting, a connection refused or
// reset — rather than a fault of this code: answered 503 (the client may
// retry), not 500. A PostgreSQL error says so by its SQLSTATE: class 08
// (connection exception) or 57P01–57P03 (the server shutting down or not
// yet accepting connections).
func Unreachable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return true
	}
	var state interface{ SQLState() string }
	if errors.As(err, &state) {
		code := state.SQLState()
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03"
	}
	return false
}
