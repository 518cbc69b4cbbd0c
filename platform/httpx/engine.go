package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/closeloop/closeloop/platform/apperr"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// EngineOptions configures NewEngine.
type EngineOptions struct {
	Logger       *slog.Logger
	MaxBodyBytes int64
}

// NewEngine returns a gin engine with security headers (headers.go), recovery,
// request logging, route naming for traces and metrics, a body size limit, and
// JSON 404/405 bodies.
func NewEngine(o EngineOptions) *gin.Engine {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(SecurityHeaders(), recovery(o.Logger), routeName(), accessLog(o.Logger), BodyLimit(o.MaxBodyBytes))
	e.NoRoute(func(c *gin.Context) {
		WriteError(c, apperr.NotFound("route_not_found", fmt.Sprintf("no route %s %s", c.Request.Method, c.Request.URL.Path)))
	})
	e.NoMethod(func(c *gin.Context) {
		WriteError(c, apperr.New(apperr.KindMethodNotAllowed, "method_not_allowed", fmt.Sprintf("method %s is not allowed on %s", c.Request.Method, c.Request.URL.Path)))
	})
	return e
}

// Instrument wraps the engine with OpenTelemetry HTTP server tracing and metrics.
// Health and metrics scrapes are not traced.
func Instrument(h http.Handler, service string, tp trace.TracerProvider, mp metric.MeterProvider) http.Handler {
	return otelhttp.NewHandler(h, service,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithMeterProvider(mp),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// routeName names the server span after the matched route ("GET /v1/customers/:id")
// and labels HTTP metrics with it, so ids never explode cardinality.
func routeName() gin.HandlerFunc {
	return func(c *gin.Context) {
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		span := trace.SpanFromContext(c.Request.Context())
		span.SetName(c.Request.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
		if l, ok := otelhttp.LabelerFromContext(c.Request.Context()); ok {
			l.Add(attribute.String("http.route", route))
		}
		c.Next()
	}
}

func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		switch c.Request.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			return
		}
		log.InfoContext(c.Request.Context(), "http request",
			"method", c.Request.Method, "route", c.FullPath(), "status", c.Writer.Status(),
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	}
}

func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				log.ErrorContext(c.Request.Context(), "panic in handler", "panic", fmt.Sprint(r), "route", c.FullPath())
				WriteError(c, apperr.Internal(fmt.Errorf("panic: %v", r)))
			}
		}()
		c.Next()
	}
}

// Serve runs h on addr until ctx is cancelled, then stops accepting, drains
// in-flight requests for up to grace, and returns. ready (may be nil) receives
// the bound address once listening. The server's timeouts and header limit
// are limits[0] when given, else DefaultServerConfig.
func Serve(ctx context.Context, addr string, h http.Handler, grace time.Duration, ready func(net.Addr), limits ...ServerConfig) error {
	sc := DefaultServerConfig()
	if len(limits) > 0 {
		sc = limits[0]
	}
	if err := sc.Validate(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	var active sync.Map // net.Conn → struct{} while a request is in flight on it
	srv := &http.Server{Handler: h,
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateActive {
				active.Store(c, struct{}{})
			} else {
				active.Delete(c)
			}
		}}
	sc.apply(srv)
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// The grace period is over. Connections a client opened but never used
		// count as busy for five seconds; closing them loses nothing. Requests
		// still running are cut off: report that.
		n := 0
		active.Range(func(any, any) bool { n++; return true })
		_ = srv.Close()
		if n > 0 {
			return fmt.Errorf("http shutdown: %d requests still running after %s were cut off", n, grace)
		}
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
