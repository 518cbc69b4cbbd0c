package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
)

// Config is the limits of one service, from the environment. A limit whose
// RPS is 0 is off. The defaults are generous — a guard against floods,
// runaway scripts and stolen tokens, not a quota people notice — and sized
// for the console, whose pages call the APIs with the signed-in user's token
// (a CSV export reads up to 501 pages of customers in a row), and for the
// load generator at its documented rates (docs/operations.md, "Rate limits
// and timeouts").
type Config struct {
	IPRPS          float64  `env:"RATE_LIMIT_IP_RPS" default:"100" help:"requests a second per client address, before authentication (API requests that authenticate are not counted: they have the user limits); 0: no limit"`
	IPBurst        int      `env:"RATE_LIMIT_IP_BURST" default:"200" help:"requests a client address may send at once before RATE_LIMIT_IP_RPS applies"`
	UserRPS        float64  `env:"RATE_LIMIT_USER_RPS" default:"50" help:"API requests a second per user (the token's subject), reads and writes; 0: no limit"`
	UserBurst      int      `env:"RATE_LIMIT_USER_BURST" default:"300" help:"API requests a user may send at once before RATE_LIMIT_USER_RPS applies"`
	UserWriteRPS   float64  `env:"RATE_LIMIT_USER_WRITE_RPS" default:"20" help:"API writes (POST, PUT, PATCH, DELETE: what starts or signals workflows) a second per user, on top of RATE_LIMIT_USER_RPS; 0: no limit"`
	UserWriteBurst int      `env:"RATE_LIMIT_USER_WRITE_BURST" default:"200" help:"API writes a user may send at once before RATE_LIMIT_USER_WRITE_RPS applies"`
	MaxKeys        int      `env:"RATE_LIMIT_MAX_KEYS" default:"20000" help:"most client addresses, and most users, whose buckets are kept (each); beyond it the least recently seen start afresh"`
	TrustedProxies []string `env:"TRUSTED_PROXIES" help:"comma-separated addresses or CIDRs of the proxies (ingress controller, load balancer) whose X-Forwarded-For names the client; empty: trust none, the client is the connection's address"`
}

// Validate reports every inconsistent value at once.
func (c Config) Validate() error {
	var errs []error
	for _, r := range []struct {
		name  string
		rps   float64
		burst int
	}{{"IP", c.IPRPS, c.IPBurst}, {"USER", c.UserRPS, c.UserBurst}, {"USER_WRITE", c.UserWriteRPS, c.UserWriteBurst}} {
		switch {
		case r.rps < 0 || math.IsNaN(r.rps) || math.IsInf(r.rps, 0):
			errs = append(errs, fmt.Errorf("RATE_LIMIT_%s_RPS must be a number, 0 or above", r.name))
		case r.rps > 0 && r.burst < 1:
			errs = append(errs, fmt.Errorf("RATE_LIMIT_%s_BURST must be 1 or more while RATE_LIMIT_%s_RPS is set", r.name, r.name))
		}
	}
	if c.MaxKeys < 1 {
		errs = append(errs, errors.New("RATE_LIMIT_MAX_KEYS must be 1 or more"))
	}
	for _, p := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an address nor a CIDR", p))
		}
	}
	return errors.Join(errs...)
}

// The limits, as the metric's label "limit" and the error's details name them.
const (
	LimitIP        = "ip"
	LimitUser      = "user"
	LimitUserWrite = "user_write"
)

// MetricRefused counts refused requests by limit and route (Prometheus:
// closeloop_http_rate_limited_total{limit, http_route}). It carries no user
// ids and no addresses.
const MetricRefused = "closeloop.http.rate_limited"

// ErrRateLimited is the error of a refused request: 429, code rate_limited,
// details limit and retry_after_seconds.
var ErrRateLimited = apperr.New(apperr.KindTooManyRequests, "rate_limited", "too many requests")

// Rules of the user buckets.
const (
	ruleUser = iota
	ruleUserWrite
)

// Limiter applies a Config to requests.
type Limiter struct {
	ip, user   *Keyed
	ipOn       bool
	userOn     bool
	refused    metric.Int64Counter
	now        func() time.Time
	unlimited  map[string]bool
	apiPrefix  string
	internal   string
	userLimits []string // limit name by rule
}

// Options complete New.
type Options struct {
	// Meter counts refusals (MetricRefused); nil: not counted.
	Meter metric.MeterProvider
	// Unlimited are paths never limited (default /healthz, /readyz, /metrics).
	Unlimited []string
	// API is the path prefix of the bearer-token API (default "/v1/").
	API string
	// Internal is the path prefix of the routes for services, whose tokens
	// are services' own (default "/internal/"): counted per address as the
	// API is, only when the token does not authenticate.
	Internal string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// New returns the limiter of cfg; cfg must be valid.
func New(cfg Config, o Options) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Unlimited == nil {
		o.Unlimited = []string{"/healthz", "/readyz", "/metrics"}
	}
	if o.API == "" {
		o.API = "/v1/"
	}
	if o.Internal == "" {
		o.Internal = "/internal/"
	}
	l := &Limiter{now: o.Now, unlimited: map[string]bool{}, apiPrefix: o.API, internal: o.Internal, userLimits: []string{LimitUser, LimitUserWrite}}
	for _, p := range o.Unlimited {
		l.unlimited[p] = true
	}
	ipRule := Rule{cfg.IPRPS, cfg.IPBurst}
	userRule, writeRule := Rule{cfg.UserRPS, cfg.UserBurst}, Rule{cfg.UserWriteRPS, cfg.UserWriteBurst}
	l.ipOn, l.userOn = ipRule.On(), userRule.On() || writeRule.On()
	l.ip = NewKeyed(cfg.MaxKeys, ipRule)
	l.user = NewKeyed(cfg.MaxKeys, userRule, writeRule)
	if o.Meter != nil {
		c, err := o.Meter.Meter("github.com/closeloop/closeloop/platform/ratelimit").Int64Counter(MetricRefused,
			metric.WithUnit("{request}"),
			metric.WithDescription("Requests refused with 429 by a rate limit: limit ip (per client address, before authentication), user (per user) or user_write (per user, writes); by route."))
		if err != nil {
			return nil, err
		}
		l.refused = c
	}
	return l, nil
}

// IsWrite reports whether method changes something: the requests that start
// or signal workflows.
func IsWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// ByIP limits requests per client address (gin's ClientIP: the connection's
// address unless the engine trusts the proxy it came through). It runs before
// authentication, so unauthenticated floods are refused before their tokens
// are looked at. A request to the API that carries an Authorization header is
// only checked, not counted, and is counted once it turns out not to
// authenticate (no principal when the chain returns): authenticated API
// traffic has the per-user limits instead — the console and the services
// calling each other as the user come from a few addresses. The routes for
// services (Options.Internal) are treated alike: a call a service's own token
// authenticates is not counted (the calling service is trusted, and its pod is
// one address). An address that
// spent its allowance on refused tokens is refused everything until it
// refills. Every other request (the console's pages, unknown paths) counts.
func (l *Limiter) ByIP() gin.HandlerFunc {
	if !l.ipOn {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		if l.unlimited[c.Request.URL.Path] {
			c.Next()
			return
		}
		key, now := clientKey(c.ClientIP()), l.now()
		path := c.Request.URL.Path
		if (strings.HasPrefix(path, l.apiPrefix) || strings.HasPrefix(path, l.internal)) && c.GetHeader("Authorization") != "" {
			if wait, _ := l.ip.Wait(now, key, 0); wait > 0 {
				l.refuse(c, LimitIP, wait)
				return
			}
			c.Next()
			_, user := auth.FromContext(c.Request.Context())
			_, service := auth.ServiceFromContext(c.Request.Context())
			if !user && !service {
				l.ip.Charge(l.now(), key, 0)
			}
			return
		}
		if wait, _ := l.ip.Take(now, key, 0); wait > 0 {
			l.refuse(c, LimitIP, wait)
			return
		}
		c.Next()
	}
}

// ByUser limits authenticated requests per user, the token's subject: every
// request takes from the user's bucket, a write also from the user's write
// bucket. It runs after authentication; without a principal it lets the
// request through.
func (l *Limiter) ByUser() gin.HandlerFunc {
	if !l.userOn {
		return func(c *gin.Context) { c.Next() }
	}
	read, write := []int{ruleUser}, []int{ruleUser, ruleUserWrite}
	return func(c *gin.Context) {
		p, ok := auth.FromContext(c.Request.Context())
		if !ok {
			c.Next()
			return
		}
		rules := read
		if IsWrite(c.Request.Method) {
			rules = write
		}
		if wait, rule := l.user.Take(l.now(), p.Subject, rules...); wait > 0 {
			l.refuse(c, l.userLimits[rule], wait)
			return
		}
		c.Next()
	}
}

// refuse answers 429 with Retry-After in whole seconds (rounded up, at least 1).
func (l *Limiter) refuse(c *gin.Context, limit string, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	if l.refused != nil {
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		l.refused.Add(context.WithoutCancel(c.Request.Context()), 1, metric.WithAttributes(
			attribute.String("limit", limit), attribute.String("http.route", route)))
	}
	c.Header("Retry-After", strconv.Itoa(secs))
	httpx.WriteError(c, ErrRateLimited.Withf("too many requests; retry in %d s", secs).
		With("limit", limit).With("retry_after_seconds", secs))
}

// clientKey is the bucket key of a client address: the address itself, or
// for IPv6 its /64 network (one host usually has a whole /64 to pick from).
func clientKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
