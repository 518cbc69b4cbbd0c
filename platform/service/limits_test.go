package service_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/config"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/ratelimit"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
)

// subjectToken authenticates "Bearer <subject>"; "Bearer bad" is refused.
type subjectToken struct{}

func (subjectToken) Verify(_ context.Context, raw string) (auth.Principal, error) {
	if raw == "bad" {
		return auth.Principal{}, apperr.Unauthenticated("unauthenticated", "the token is not valid")
	}
	return auth.Principal{Subject: raw, Roles: []auth.Role{auth.RoleRep}}, nil
}

// limitsApp is a service without database or Temporal: GET /v1/things/:id,
// and POST /v1/things, which binds its body (and counts the bodies it got).
func limitsApp(t *testing.T, env map[string]string) (*servicetest.Running, *atomic.Int64) {
	t.Helper()
	var bodies atomic.Int64
	spec := service.Spec{
		Name: "demo", NoDatabase: true, NoTemporal: true,
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			return &service.Module{Routes: func(v1 *gin.RouterGroup) {
				v1.GET("/things/:id", func(c *gin.Context) { c.JSON(200, gin.H{"id": c.Param("id")}) })
				v1.POST("/things", func(c *gin.Context) {
					var body map[string]any
					if err := httpx.Bind(c, &body); err != nil {
						httpx.WriteError(c, err)
						return
					}
					bodies.Add(1)
					c.JSON(201, body)
				})
			}}, nil
		},
	}
	base := map[string]string{"LOG_LEVEL": "error", "OIDC_ISSUER_URL": "http://127.0.0.1:1"}
	for k, v := range env {
		base[k] = v
	}
	return servicetest.Start(t, spec, base, service.Options{Verifier: subjectToken{}}), &bodies
}

type reply struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, method, url, token string, header ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// Through the real engine: a user over its limit gets 429 with Retry-After
// and the JSON error body; another user is unaffected; unauthenticated
// requests are limited per client address (the proxy's X-Forwarded-For is
// believed only because TRUSTED_PROXIES names it), another address is
// unaffected; health, readiness and metrics are never limited; refusals are
// in /metrics by limit and route.
func TestRateLimitsThroughTheServiceEngine(t *testing.T) {
	app, _ := limitsApp(t, map[string]string{
		"RATE_LIMIT_USER_RPS": "0.1", "RATE_LIMIT_USER_BURST": "2",
		"RATE_LIMIT_IP_RPS": "0.1", "RATE_LIMIT_IP_BURST": "3",
		"TRUSTED_PROXIES": "127.0.0.1/32",
	})
	base := app.Base
	for range 2 {
		if r := call(t, "GET", base+"/v1/things/1", "ana"); r.status != 200 {
			t.Fatalf("within the burst: %d %s", r.status, r.body)
		}
	}
	r := call(t, "GET", base+"/v1/things/1", "ana")
	secs, _ := strconv.Atoi(r.header.Get("Retry-After"))
	var eb httpx.ErrorBody
	_ = json.Unmarshal([]byte(r.body), &eb)
	if r.status != 429 || secs < 9 || secs > 10 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") ||
		eb.Code != "rate_limited" || eb.Details["limit"] != "user" || eb.Details["retry_after_seconds"] != float64(secs) {
		t.Fatalf("over the user limit: %d Retry-After %q %s; want 429, Retry-After 10 (one token at 0.1/s), code rate_limited",
			r.status, r.header.Get("Retry-After"), r.body)
	}
	if r := call(t, "GET", base+"/v1/things/1", "bo"); r.status != 200 {
		t.Fatalf("another user: %d %s", r.status, r.body)
	}

	from := func(addr string) []string { return []string{"X-Forwarded-For", addr} }
	for range 3 {
		if r := call(t, "GET", base+"/v1/things/1", "", from("198.51.100.1")...); r.status != 401 {
			t.Fatalf("no token: %d %s", r.status, r.body)
		}
	}
	r = call(t, "GET", base+"/v1/things/1", "bad", from("198.51.100.1")...)
	if r.status != 429 || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, `"limit":"ip"`) {
		t.Fatalf("fourth unauthenticated request from one address: %d %s, want 429 limit ip", r.status, r.body)
	}
	if r := call(t, "GET", base+"/v1/things/1", "", from("198.51.100.2")...); r.status != 401 {
		t.Fatalf("another address: %d %s, want 401", r.status, r.body)
	}
	if r := call(t, "GET", base+"/v1/things/1", "cy", from("198.51.100.2")...); r.status != 200 {
		t.Fatalf("a user from another address: %d %s", r.status, r.body)
	}
	for range 30 {
		for _, path := range []string{"/healthz", "/readyz"} {
			if r := call(t, "GET", base+path, "", from("198.51.100.1")...); r.status != 200 {
				t.Fatalf("%s limited: %d %s", path, r.status, r.body)
			}
		}
	}
	metrics := call(t, "GET", app.Metrics+"/metrics", "").body
	for _, want := range []string{
		`closeloop_http_rate_limited_total{http_route="/v1/things/:id",limit="user"`,
		`closeloop_http_rate_limited_total{http_route="/v1/things/:id",limit="ip"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, leak := range []string{`"ana"`, "198.51.100.1"} {
		if strings.Contains(metrics, leak) {
			t.Errorf("/metrics names %s", leak)
		}
	}
}

// Without TRUSTED_PROXIES, X-Forwarded-For is not believed: a client cannot
// get a fresh allowance by naming another address.
func TestForwardedForIsIgnoredByDefault(t *testing.T) {
	base := must(limitsApp(t, map[string]string{"RATE_LIMIT_IP_RPS": "0.1", "RATE_LIMIT_IP_BURST": "2"})).Base
	for i := range 2 {
		if r := call(t, "GET", base+"/v1/things/1", "", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)); r.status != 401 {
			t.Fatalf("no token: %d %s", r.status, r.body)
		}
	}
	if r := call(t, "GET", base+"/v1/things/1", "", "X-Forwarded-For", "198.51.100.99"); r.status != 429 {
		t.Fatalf("a forged X-Forwarded-For got a fresh allowance: %d %s", r.status, r.body)
	}
}

func TestBadLimitSettingsStopTheStart(t *testing.T) {
	for name, value := range map[string]string{
		"RATE_LIMIT_USER_BURST": "0", "TRUSTED_PROXIES": "not-an-address", "HTTP_READ_TIMEOUT": "-1s",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			t.Setenv("HTTP_ADDR", "127.0.0.1:0")
			spec := service.Spec{Name: "demo", NoDatabase: true, NoTemporal: true,
				Setup: func(context.Context, *service.Deps) (*service.Module, error) { return &service.Module{}, nil }}
			cfg, err := service.LoadConfig(spec)
			if err == nil {
				var app *service.App
				app, err = service.Build(context.Background(), spec, cfg, service.Options{Verifier: subjectToken{}})
				if app != nil {
					app.Close()
				}
			}
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: %v, want an error naming it", name, value, err)
			}
		})
	}
}

func must[T any](v T, _ any) T { return v }

// rawRequest opens a connection and sends head (request line and header
// fields, without the blank line) and then the start of a body.
func rawRequest(t *testing.T, base, head, body string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readAnswer reads a response's status line and header fields within d, and
// whether the server then closed the connection within d (0: not waited for).
func readAnswer(t *testing.T, conn net.Conn, d, closeWithin time.Duration) (status string, header http.Header, closed bool, took time.Duration) {
	t.Helper()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(d))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer within %s: %v", d, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	took = time.Since(start)
	if resp.Close { // net/http takes "Connection: close" out of the header and says so here
		resp.Header.Set("Connection", "close")
	}
	if closeWithin == 0 {
		return resp.Status, resp.Header, false, took
	}
	_ = conn.SetReadDeadline(time.Now().Add(closeWithin))
	_, err = br.ReadByte()
	return resp.Status, resp.Header, err == io.EOF, took
}

// An unauthenticated request with a slowly trickled body gets its 401 at
// once, without its body being read, and its connection is closed — not
// after the body arrives or a timeout passes.
func TestUnauthenticatedSlowBodyIsAnsweredAndClosedAtOnce(t *testing.T) {
	app, bodies := limitsApp(t, nil)
	base := app.Base
	for _, length := range []int{1_000_000, 1000} {
		t.Run(strconv.Itoa(length), func(t *testing.T) {
			conn := rawRequest(t, base, fmt.Sprintf("POST /v1/things HTTP/1.1\nHost: demo\nContent-Type: application/json\nContent-Length: %d", length), `{"name":"`)
			status, header, closed, took := readAnswer(t, conn, time.Second, time.Second)
			if !strings.HasPrefix(status, "401") || header.Get("Connection") != "close" || !closed {
				t.Fatalf("answer %q, Connection %q, closed %v after %s; want 401, Connection: close, closed", status, header.Get("Connection"), closed, took)
			}
			t.Logf("Content-Length %d: 401 and closed in %s", length, took)
		})
	}
	if bodies.Load() != 0 {
		t.Fatalf("%d bodies reached the handler", bodies.Load())
	}
}

// An authenticated client that trickles its body is cut off when
// HTTP_READ_TIMEOUT has passed since its request began.
func TestAuthenticatedSlowBodyIsCutOffAfterTheReadTimeout(t *testing.T) {
	app, bodies := limitsApp(t, map[string]string{"HTTP_READ_TIMEOUT": "1s"})
	base := app.Base
	conn := rawRequest(t, base, "POST /v1/things HTTP/1.1\nHost: demo\nAuthorization: Bearer ana\nContent-Type: application/json\nContent-Length: 1000", `{"name":"`)
	start := time.Now()
	go func() { // a byte every 100 ms: the whole body would take 100 s
		for range 990 {
			time.Sleep(100 * time.Millisecond)
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	status, _, closed, _ := readAnswer(t, conn, 5*time.Second, 5*time.Second)
	took := time.Since(start)
	if !closed || took > 3*time.Second || strings.HasPrefix(status, "2") {
		t.Fatalf("answer %q after %s, closed %v; want the connection cut off after about 1 s", status, took, closed)
	}
	if bodies.Load() != 0 {
		t.Fatal("the trickled body reached the handler whole")
	}
	t.Logf("cut off after %s with %q", took.Round(time.Millisecond), status)
}

// A request header above HTTP_MAX_HEADER_BYTES (64 KiB by default) is
// answered 431; one of 32 KiB (a large session cookie) is fine.
func TestOversizedHeaderGets431(t *testing.T) {
	base := must(limitsApp(t, nil)).Base
	for _, tc := range []struct {
		size int
		want string
	}{{32 << 10, "200"}, {100 << 10, "431"}} {
		conn := rawRequest(t, base, "GET /v1/things/1 HTTP/1.1\nHost: demo\nAuthorization: Bearer ana\nX-Pad: "+strings.Repeat("p", tc.size), "")
		status, _, _, _ := readAnswer(t, conn, 5*time.Second, 0)
		if !strings.HasPrefix(status, tc.want) {
			t.Errorf("header of %d KiB: %q, want %s", tc.size>>10, status, tc.want)
		}
	}
}

// docs/configuration.md lists every variable of the rate limits, the
// server's timeouts and the service identity (`<binary> env` prints them
// from the code).
func TestLimitVariablesAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	vars := append(config.Describe(&ratelimit.Config{}), config.Describe(&httpx.ServerConfig{})...)
	vars = append(vars, config.Describe(&service.IdentityConfig{})...)
	for _, v := range vars {
		if !strings.Contains(string(doc), "`"+v.Name+"`") {
			t.Errorf("docs/configuration.md does not list %s", v.Name)
		}
		if v.Help == "" {
			t.Errorf("%s has no help text", v.Name)
		}
	}
}
