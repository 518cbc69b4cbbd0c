package service

import (
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/ratelimit"
	"github.com/closeloop/closeloop/platform/telemetry"
)

// useLimits puts the rate limits on e (docs/operations.md, "Rate limits and
// timeouts") and checks the HTTP server's limits, which Run passes to
// httpx.Serve. It must run before any route is added.
//
//   - The client address is the connection's: e trusts no proxy's
//     X-Forwarded-For unless TRUSTED_PROXIES names the proxy (gin trusts
//     every proxy by default).
//   - Per client address, on every request but health, readiness and
//     metrics, before authentication (ratelimit.Limiter.ByIP).
//   - Per user, after authentication: the returned handler, which the /v1
//     group runs right after the bearer-token check.
//
// Services call each other's APIs, and the console calls them, with the
// signed-in user's own token: there is no service identity to exempt, and
// such calls are that user's requests, counted against that user in the
// service called (the defaults leave room for the console's largest fan-out).
// They come from a few pod addresses, which the per-address limit therefore
// does not count once they authenticate.
func useLimits(e *gin.Engine, cfg Config, tel *telemetry.Telemetry) (gin.HandlerFunc, error) {
	if err := errors.Join(cfg.RateLimit.Validate(), cfg.HTTPServer.Validate()); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if err := e.SetTrustedProxies(cfg.RateLimit.TrustedProxies); err != nil {
		return nil, fmt.Errorf("configuration: TRUSTED_PROXIES: %w", err)
	}
	l, err := ratelimit.New(cfg.RateLimit, ratelimit.Options{Meter: tel.MeterProvider()})
	if err != nil {
		return nil, err
	}
	e.Use(l.ByIP())
	return l.ByUser(), nil
}
