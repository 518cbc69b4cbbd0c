package ratelimit

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
)

// clock is a settable time for a Limiter.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// tokenIsSubject authenticates "Bearer <subject>"; "Bearer bad" is refused.
type tokenIsSubject struct{}

func (tokenIsSubject) Verify(_ context.Context, raw string) (auth.Principal, error) {
	if raw == "bad" {
		return auth.Principal{}, apperr.Unauthenticated("unauthenticated", "the token is not valid")
	}
	return auth.Principal{Subject: raw, Roles: []auth.Role{auth.RoleRep}}, nil
}

// tokenIsService authenticates "Bearer svc-<client>" as that service, from
// any caller listed; anything else is refused.
type tokenIsService struct{}

func (tokenIsService) VerifyService(_ context.Context, raw string, callers []string) (auth.ServicePrincipal, error) {
	client, ok := strings.CutPrefix(raw, "svc-")
	if !ok || !slices.Contains(callers, client) {
		return auth.ServicePrincipal{}, apperr.Unauthenticated("unauthenticated", "not a service's token")
	}
	return auth.ServicePrincipal{Subject: "service-account-" + client, Client: client}, nil
}

// engine is a service's engine in miniature: the limits around a bearer-token
// API, a page outside it and the health endpoint.
func engine(t *testing.T, cfg Config, o Options) (*gin.Engine, *clock) {
	t.Helper()
	clk := &clock{now: t0}
	o.Now = clk.Now
	l, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	e := httpx.NewEngine(httpx.EngineOptions{Logger: slog.New(slog.DiscardHandler)})
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		t.Fatal(err)
	}
	e.Use(l.ByIP())
	e.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	e.GET("/page", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	v1 := e.Group("/v1", auth.Middleware(tokenIsSubject{}, httpx.WriteError), l.ByUser())
	v1.GET("/things/:id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	v1.POST("/things", func(c *gin.Context) { c.Status(http.StatusCreated) })
	e.POST("/internal/v1/calls", auth.ServiceMiddleware(tokenIsService{}, []string{"sales"}, httpx.WriteError),
		func(c *gin.Context) { c.Status(http.StatusOK) })
	return e, clk
}

type answer struct {
	status     int
	retryAfter string
	body       httpx.ErrorBody
}

func send(e *gin.Engine, method, path, token, from string, header ...string) answer {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = from + ":40000"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	a := answer{status: w.Code, retryAfter: w.Header().Get("Retry-After")}
	_ = json.Unmarshal(w.Body.Bytes(), &a.body)
	return a
}

func TestConfigDefaultsAreValidAndBadValuesNamed(t *testing.T) {
	ok := Config{IPRPS: 100, IPBurst: 200, UserRPS: 50, UserBurst: 300, UserWriteRPS: 20, UserWriteBurst: 200, MaxKeys: 20000}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	off := Config{MaxKeys: 1}
	if err := off.Validate(); err != nil {
		t.Fatalf("everything off: %v", err)
	}
	bad := Config{IPRPS: -1, UserRPS: 5, UserBurst: 0, MaxKeys: 0, TrustedProxies: []string{"10.0.0.0/8", "proxy.local"}}
	err := bad.Validate()
	for _, want := range []string{"RATE_LIMIT_IP_RPS", "RATE_LIMIT_USER_BURST", "RATE_LIMIT_MAX_KEYS", `"proxy.local"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "10.0.0.0/8") {
		t.Errorf("a CIDR refused: %v", err)
	}
}

// Over the user's limit: 429, Retry-After in whole seconds from the bucket's
// refill, the JSON error body naming the limit; other users go on, and the
// refusals are counted by limit and route without user ids.
func TestUserLimitAnswers429WithRetryAfter(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	e, clk := engine(t, Config{UserRPS: 0.4, UserBurst: 2, MaxKeys: 100}, Options{Meter: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	for range 2 {
		if a := send(e, "GET", "/v1/things/1", "ana", "192.0.2.1"); a.status != 204 {
			t.Fatalf("within the burst: %d", a.status)
		}
	}
	a := send(e, "GET", "/v1/things/1", "ana", "192.0.2.1")
	if a.status != 429 || a.retryAfter != "3" || a.body.Code != "rate_limited" || a.body.Details["limit"] != LimitUser ||
		a.body.Details["retry_after_seconds"] != float64(3) {
		t.Fatalf("over the limit: %+v, want 429, Retry-After 3 (2.5 s rounded up), code rate_limited, limit user", a)
	}
	if a := send(e, "GET", "/v1/things/1", "bo", "192.0.2.1"); a.status != 204 {
		t.Fatalf("another user, same address: %d", a.status)
	}
	clk.Add(2 * time.Second)
	if a := send(e, "GET", "/v1/things/1", "ana", "192.0.2.1"); a.status != 429 || a.retryAfter != "1" {
		t.Fatalf("0.5 s before the token: %+v, want 429 with Retry-After 1", a)
	}
	clk.Add(500 * time.Millisecond)
	if a := send(e, "GET", "/v1/things/1", "ana", "192.0.2.1"); a.status != 204 {
		t.Fatalf("after Retry-After: %d", a.status)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != MetricRefused {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				for _, kv := range dp.Attributes.ToSlice() {
					if kv.Key != "limit" && kv.Key != "http.route" {
						t.Errorf("unexpected label %s=%s", kv.Key, kv.Value.Emit())
					}
				}
				limit, _ := dp.Attributes.Value(attribute.Key("limit"))
				route, _ := dp.Attributes.Value(attribute.Key("http.route"))
				got = append(got, limit.AsString()+" "+route.AsString()+" "+strings.Repeat("|", int(dp.Value)))
			}
		}
	}
	if len(got) != 1 || got[0] != "user /v1/things/:id ||" {
		t.Fatalf("refusals counted %q, want [user /v1/things/:id ||]", got)
	}
}

// Writes have their own, tighter bucket on top of the user's; reads go on
// when writes are refused.
func TestWritesHaveATighterLimit(t *testing.T) {
	e, _ := engine(t, Config{UserRPS: 10, UserBurst: 10, UserWriteRPS: 1, UserWriteBurst: 2, MaxKeys: 100}, Options{})
	for range 2 {
		if a := send(e, "POST", "/v1/things", "ana", "192.0.2.1"); a.status != 201 {
			t.Fatalf("write within the burst: %d", a.status)
		}
	}
	if a := send(e, "POST", "/v1/things", "ana", "192.0.2.1"); a.status != 429 || a.body.Details["limit"] != LimitUserWrite || a.retryAfter != "1" {
		t.Fatalf("third write: %+v, want 429 limit user_write", a)
	}
	for range 8 { // 10 - 2 writes: the refused write took nothing
		if a := send(e, "GET", "/v1/things/1", "ana", "192.0.2.1"); a.status != 204 {
			t.Fatalf("read: %d", a.status)
		}
	}
	if a := send(e, "GET", "/v1/things/1", "ana", "192.0.2.1"); a.status != 429 || a.body.Details["limit"] != LimitUser {
		t.Fatalf("eleventh request: %+v, want 429 limit user", a)
	}
}

// Per address: unauthenticated requests and pages count; API requests that
// authenticate do not (they have the user limits); refused tokens do, and
// once the address has spent its allowance everything from it is refused
// until it refills. Another address is unaffected; health is never limited.
func TestAddressLimitCountsWhatDoesNotAuthenticate(t *testing.T) {
	e, clk := engine(t, Config{IPRPS: 1, IPBurst: 3, MaxKeys: 100}, Options{})
	for range 20 {
		if a := send(e, "GET", "/v1/things/1", "ana", "192.0.2.1"); a.status != 204 {
			t.Fatalf("authenticated requests spent the address's allowance: %d", a.status)
		}
	}
	if a := send(e, "GET", "/page", "", "192.0.2.1"); a.status != 204 {
		t.Fatalf("page: %d", a.status)
	}
	if a := send(e, "GET", "/v1/things/1", "", "192.0.2.1"); a.status != 401 {
		t.Fatalf("no token: %d", a.status)
	}
	if a := send(e, "GET", "/v1/things/1", "bad", "192.0.2.1"); a.status != 401 {
		t.Fatalf("bad token: %d", a.status)
	}
	for _, who := range []string{"", "bad", "ana"} {
		if a := send(e, "GET", "/v1/things/1", who, "192.0.2.1"); a.status != 429 || a.retryAfter != "1" || a.body.Details["limit"] != LimitIP {
			t.Fatalf("token %q after three refusals: %+v, want 429 limit ip", who, a)
		}
	}
	if a := send(e, "GET", "/page", "", "192.0.2.1"); a.status != 429 {
		t.Fatalf("page: %d, want 429", a.status)
	}
	for range 50 {
		if a := send(e, "GET", "/healthz", "", "192.0.2.1"); a.status != 204 {
			t.Fatalf("healthz limited: %d", a.status)
		}
	}
	if a := send(e, "GET", "/v1/things/1", "", "192.0.2.2"); a.status != 401 {
		t.Fatalf("another address: %d, want 401", a.status)
	}
	clk.Add(time.Second)
	if a := send(e, "GET", "/v1/things/1", "ana", "192.0.2.1"); a.status != 204 {
		t.Fatalf("after a second: %d", a.status)
	}
}

// TestServiceCallsAreNotCountedPerAddress: a route for services counts a
// call per address only when the token does not authenticate a service:
// one calling service, one pod address, is never throttled there, while
// refused tokens spend the address's allowance as on the API.
func TestServiceCallsAreNotCountedPerAddress(t *testing.T) {
	e, _ := engine(t, Config{IPRPS: 1, IPBurst: 3, MaxKeys: 100}, Options{})
	for range 20 {
		if a := send(e, "POST", "/internal/v1/calls", "svc-sales", "192.0.2.1"); a.status != 200 {
			t.Fatalf("a service's calls spent the address's allowance: %d", a.status)
		}
	}
	for _, tok := range []string{"svc-marketing", "ana", ""} {
		if a := send(e, "POST", "/internal/v1/calls", tok, "192.0.2.1"); a.status != 401 {
			t.Fatalf("token %q: %d, want 401", tok, a.status)
		}
	}
	if a := send(e, "POST", "/internal/v1/calls", "svc-sales", "192.0.2.1"); a.status != 429 {
		t.Fatalf("after three refused tokens: %d, want 429", a.status)
	}
}

// X-Forwarded-For is believed only from a trusted proxy; from anyone else
// it changes nothing (a client cannot pick a fresh address per request).
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		fresh   bool // does a new X-Forwarded-For get a fresh bucket?
	}{
		{"trust none", nil, false},
		{"trust the proxy", []string{"10.0.0.0/8"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := engine(t, Config{IPRPS: 1, IPBurst: 1, MaxKeys: 100, TrustedProxies: tc.trusted}, Options{})
			if a := send(e, "GET", "/page", "", "10.1.2.3", "X-Forwarded-For", "198.51.100.7"); a.status != 204 {
				t.Fatalf("first: %d", a.status)
			}
			a := send(e, "GET", "/page", "", "10.1.2.3", "X-Forwarded-For", "198.51.100.8")
			if fresh := a.status == 204; fresh != tc.fresh {
				t.Fatalf("another X-Forwarded-For through 10.1.2.3: %d", a.status)
			}
			// A client that is not the proxy cannot claim an address either way.
			if a := send(e, "GET", "/page", "", "192.0.2.9", "X-Forwarded-For", "198.51.100.9"); a.status != 204 {
				t.Fatalf("first from 192.0.2.9: %d", a.status)
			}
			if a := send(e, "GET", "/page", "", "192.0.2.9", "X-Forwarded-For", "198.51.100.10"); a.status != 429 {
				t.Fatalf("192.0.2.9 claiming another address: %d, want 429", a.status)
			}
		})
	}
}

// An IPv6 client is limited by its /64: it cannot step through its addresses.
func TestIPv6ClientsAreLimitedByTheirSlash64(t *testing.T) {
	e, _ := engine(t, Config{IPRPS: 1, IPBurst: 1, MaxKeys: 100}, Options{})
	r := func(addr string) int {
		req := httptest.NewRequest("GET", "/page", nil)
		req.RemoteAddr = "[" + addr + "]:40000"
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w.Code
	}
	if s := r("2001:db8:1:2::1"); s != 204 {
		t.Fatalf("first: %d", s)
	}
	if s := r("2001:db8:1:2:ffff::9"); s != 429 {
		t.Fatalf("same /64: %d, want 429", s)
	}
	if s := r("2001:db8:1:3::1"); s != 204 {
		t.Fatalf("another /64: %d", s)
	}
}

func TestLimitsOffLetEverythingThrough(t *testing.T) {
	e, _ := engine(t, Config{MaxKeys: 1}, Options{})
	for range 1000 {
		if a := send(e, "POST", "/v1/things", "ana", "192.0.2.1"); a.status != 201 {
			t.Fatalf("%d", a.status)
		}
		if a := send(e, "GET", "/v1/things/1", "", "192.0.2.1"); a.status != 401 {
			t.Fatalf("%d", a.status)
		}
	}
}
