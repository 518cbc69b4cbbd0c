package httpx

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
)

type sqlStateErr string

func (e sqlStateErr) Error() string    { return "pg: " + string(e) }
func (e sqlStateErr) SQLState() string { return string(e) }

// TestUnreachableDependenciesAnswer503: a database that is down or
// restarting is not a fault of the service: the client is told to retry
// (503 dependency_unavailable), not that an internal error happened (500).
func TestUnreachableDependenciesAnswer503(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"connection refused", fmt.Errorf("store: create customer: %w", refused), http.StatusServiceUnavailable, "dependency_unavailable"},
		{"bad connection", fmt.Errorf("query: %w", driver.ErrBadConn), http.StatusServiceUnavailable, "dependency_unavailable"},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), http.StatusServiceUnavailable, "dependency_unavailable"},
		{"admin shutdown 57P01", fmt.Errorf("tx: %w", sqlStateErr("57P01")), http.StatusServiceUnavailable, "dependency_unavailable"},
		{"cannot connect now 57P03", sqlStateErr("57P03"), http.StatusServiceUnavailable, "dependency_unavailable"},
		{"connection failure 08006", sqlStateErr("08006"), http.StatusServiceUnavailable, "dependency_unavailable"},
		{"unique violation 23505", sqlStateErr("23505"), http.StatusInternalServerError, "internal"},
		{"a bug", errors.New("nil map"), http.StatusInternalServerError, "internal"},
		{"a typed refusal is kept", apperr.Conflict("duplicate", "exists"), http.StatusConflict, "duplicate"},
	}
	for _, c := range cases {
		status, body := Body(c.err)
		if status != c.status || body.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, body.Code, c.status, c.code)
		}
	}
}
