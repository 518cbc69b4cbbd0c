package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/singleflight"
)

// Check is one readiness dependency.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// ReadyCacheFor is how long one evaluation of the readiness checks answers
// /readyz. Probes of every kubelet, load balancer and monitor (and anyone on
// the network) then cost the database, Temporal and the issuer at most one
// round of checks a second per replica, however often they come.
const ReadyCacheFor = time.Second

// readyTimeout bounds one evaluation of the checks.
const readyTimeout = 3 * time.Second

// Health serves /healthz (the process is alive) and /readyz (every check passes
// and the server is not draining). The checks' result is kept for
// ReadyCacheFor; callers that arrive while they run wait for that one
// evaluation instead of starting their own. Draining is reported at once,
// whatever is cached.
type Health struct {
	checks   []Check
	draining atomic.Bool
	cacheFor time.Duration
	group    singleflight.Group

	mu     sync.Mutex
	last   readiness
	lastAt time.Time // when last was evaluated; zero: never
}

// readiness is one evaluation of the checks.
type readiness struct {
	ok     bool
	checks map[string]string // name → "ok" or "unavailable"; read-only once made
}

// NewHealth returns a Health over checks.
func NewHealth(checks ...Check) *Health { return &Health{checks: checks, cacheFor: ReadyCacheFor} }

// Drain makes /readyz fail so load balancers stop sending traffic before shutdown.
func (h *Health) Drain() { h.draining.Store(true) }

// Register mounts the endpoints.
func (h *Health) Register(e *gin.Engine) {
	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", func(c *gin.Context) {
		if h.draining.Load() {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "draining"})
			return
		}
		r := h.ready(c.Request.Context())
		if h.draining.Load() { // began draining while the checks ran
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "draining"})
			return
		}
		status, state := http.StatusOK, "ready"
		if !r.ok {
			status, state = http.StatusServiceUnavailable, "not_ready"
		}
		c.JSON(status, gin.H{"status": state, "checks": r.checks})
	})
}

// ready returns the cached evaluation while it is fresh, else evaluates the
// checks once for every caller waiting at the time.
func (h *Health) ready(ctx context.Context) readiness {
	if r, ok := h.cached(); ok {
		return r
	}
	v, _, _ := h.group.Do("readyz", func() (any, error) {
		// A caller that missed the cache just as another evaluation ended
		// takes that one.
		if r, ok := h.cached(); ok {
			return r, nil
		}
		// The first caller's request may end (its client gives up) while the
		// others still wait for the result: the checks run on their own
		// deadline, keeping the caller's values (its trace).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
		defer cancel()
		r := h.evaluate(cctx)
		h.mu.Lock()
		h.last, h.lastAt = r, time.Now()
		h.mu.Unlock()
		return r, nil
	})
	return v.(readiness)
}

func (h *Health) cached() (readiness, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lastAt.IsZero() || time.Since(h.lastAt) >= h.cacheFor {
		return readiness{}, false
	}
	return h.last, true
}

func (h *Health) evaluate(ctx context.Context) readiness {
	r := readiness{ok: true, checks: make(map[string]string, len(h.checks))}
	for _, chk := range h.checks {
		if err := chk.Fn(ctx); err != nil {
			r.ok = false
			r.checks[chk.Name] = "unavailable"
			slog.Default().WarnContext(ctx, "readiness check failed", "check", chk.Name, "error", err)
			continue
		}
		r.checks[chk.Name] = "ok"
	}
	return r
}
