package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

const audience = "closeloop"

func init() { gin.SetMode(gin.TestMode) }

// writeErr is the tests' error writer: the Closeloop body shape, with the few
// statuses auth produces.
func writeErr(c *gin.Context, err error) {
	e := apperr.From(err)
	status := map[apperr.Kind]int{
		apperr.KindUnauthenticated: http.StatusUnauthorized,
		apperr.KindForbidden:       http.StatusForbidden,
		apperr.KindUnavailable:     http.StatusServiceUnavailable,
	}[e.Kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	c.AbortWithStatusJSON(status, gin.H{"code": e.Code, "message": e.Message, "reason": e.Meta["reason"]})
}

// startIssuer serves a fresh dev issuer on an httptest server.
func startIssuer(t *testing.T) (*devissuer.Issuer, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	iss, err := devissuer.New(url)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return iss, url
}

func newVerifier(t *testing.T, issuerURL string) *auth.OIDCVerifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := auth.NewOIDCVerifier(ctx, issuerURL, audience)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// api is a small API behind the middleware; reached counts handler calls.
type api struct {
	router  *gin.Engine
	mu      sync.Mutex
	reached int
}

func newAPI(v auth.Verifier, before ...gin.HandlerFunc) *api {
	a := &api{router: gin.New()}
	a.router.Use(before...)
	g := a.router.Group("/v1", auth.Middleware(v, writeErr))
	g.GET("/me", auth.Require(auth.PermCustomersRead, writeErr), func(c *gin.Context) {
		a.hit()
		p := auth.MustFromContext(c.Request.Context())
		c.JSON(http.StatusOK, gin.H{"subject": p.Subject, "name": p.Name, "roles": p.Roles, "teams": p.Teams})
	})
	g.DELETE("/customers/:id", auth.Require(auth.PermCustomersDelete, writeErr), func(c *gin.Context) {
		a.hit()
		c.Status(http.StatusNoContent)
	})
	return a
}

func (a *api) hit() {
	a.mu.Lock()
	a.reached++
	a.mu.Unlock()
}

func (a *api) hits() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reached
}

type result struct {
	status int
	raw    string
	body   map[string]any
}

func (a *api) do(t *testing.T, method, path, authorization string) result {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	a.router.ServeHTTP(rec, req)
	r := result{status: rec.Code, raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &r.body); err != nil {
			t.Fatalf("body is not JSON: %q", r.raw)
		}
	}
	return r
}

func mint(t *testing.T, iss *devissuer.Issuer, p auth.Principal, aud string, ttl time.Duration) string {
	t.Helper()
	tok, err := iss.Mint(p, aud, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func devUser(t *testing.T, subject string) auth.Principal {
	t.Helper()
	for _, u := range devissuer.DevUsers() {
		if u.Subject == subject {
			return u
		}
	}
	t.Fatalf("no dev user %s", subject)
	return auth.Principal{}
}

func TestValidTokenYieldsPrincipal(t *testing.T) {
	iss, url := startIssuer(t)
	a := newAPI(newVerifier(t, url))

	r := a.do(t, "GET", "/v1/me", "Bearer "+mint(t, iss, devUser(t, "mgr-mia"), audience, time.Hour))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if r.body["subject"] != "mgr-mia" || r.body["name"] != "Mia (manager, north)" {
		t.Errorf("principal = %v", r.body)
	}
	if got := r.body["roles"].([]any); len(got) != 1 || got[0] != "manager" {
		t.Errorf("roles = %v", got)
	}
	if got := r.body["teams"].([]any); len(got) != 1 || got[0] != "north" {
		t.Errorf("teams = %v", got)
	}
	// The scheme is case-insensitive.
	if r := a.do(t, "GET", "/v1/me", "bearer "+mint(t, iss, devUser(t, "rep-ana"), audience, time.Hour)); r.status != http.StatusOK {
		t.Errorf("lower-case scheme: status %d", r.status)
	}
}

func TestVerifyMapsClaims(t *testing.T) {
	iss, url := startIssuer(t)
	v := newVerifier(t, url)
	tok := mint(t, iss, auth.Principal{
		Subject: "u-1", Name: "Una",
		Roles: []auth.Role{"guest", auth.RoleRep, auth.RoleManager, auth.RoleRep},
		Teams: []string{"north", "", "south", "north"},
	}, audience, time.Hour)
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "u-1" || p.Name != "Una" ||
		!slices.Equal(p.Roles, []auth.Role{auth.RoleRep, auth.RoleManager}) ||
		!slices.Equal(p.Teams, []string{"north", "south"}) {
		t.Errorf("principal = %+v (unknown roles dropped, duplicates and empty teams removed)", p)
	}
}

func TestRejectedTokens(t *testing.T) {
	iss, url := startIssuer(t)
	a := newAPI(newVerifier(t, url))
	rep := devUser(t, "rep-ana")

	// Same issuer URL, different key.
	forger, err := devissuer.New(url)
	if err != nil {
		t.Fatal(err)
	}
	// A different issuer (its own discovery is never consulted).
	other, _ := startIssuer(t)

	valid := mint(t, iss, rep, audience, time.Hour)
	parts := strings.Split(valid, ".")
	adminClaims, _ := json.Marshal(map[string]any{"iss": url, "sub": "rep-ana", "aud": audience,
		"exp": time.Now().Add(time.Hour).Unix(), "roles": []string{"admin"}})
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(adminClaims) + "." + parts[2]

	const (
		missing   = "a bearer token is required"
		malformed = "the Authorization header must be of the form 'Bearer <token>'"
		invalid   = "the bearer token is invalid"
		expired   = "the bearer token has expired"
		noRole    = "the bearer token grants no Closeloop role"
	)
	cases := []struct {
		name, header, message string
	}{
		{"missing header", "", missing},
		{"basic scheme", "Basic dXNlcjpwYXNz", malformed},
		{"bearer without token", "Bearer ", malformed},
		{"token without scheme", valid, malformed},
		{"garbage", "Bearer not-a-jwt-SECRETSTUFF", invalid},
		{"garbage three parts", "Bearer aaa.bbb.ccc", invalid},
		{"forged: other key, same issuer URL", "Bearer " + mint(t, forger, auth.Principal{Subject: "rep-ana", Roles: []auth.Role{auth.RoleAdmin}}, audience, time.Hour), invalid},
		{"tampered payload", "Bearer " + tampered, invalid},
		{"HS256 with a guessable secret", "Bearer " + hs256(t, url), invalid},
		{"other issuer", "Bearer " + mint(t, other, rep, audience, time.Hour), invalid},
		{"expired", "Bearer " + mint(t, iss, rep, audience, -time.Minute), expired},
		{"wrong audience", "Bearer " + mint(t, iss, rep, "someone-else", time.Hour), invalid},
		{"no known role", "Bearer " + mint(t, iss, auth.Principal{Subject: "x", Roles: []auth.Role{"guest", "superuser"}}, audience, time.Hour), noRole},
		{"no roles at all", "Bearer " + mint(t, iss, auth.Principal{Subject: "x"}, audience, time.Hour), noRole},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.do(t, "GET", "/v1/me", c.header)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", r.status, r.raw)
			}
			if r.body["code"] != "unauthenticated" || r.body["message"] != c.message {
				t.Errorf("body = %s, want code unauthenticated, message %q", r.raw, c.message)
			}
			if tok := strings.TrimPrefix(c.header, "Bearer "); len(tok) > 8 && strings.Contains(r.raw, tok[:8]) ||
				strings.Contains(r.raw, "SECRET") {
				t.Errorf("body echoes the token: %s", r.raw)
			}
		})
	}
	if a.hits() != 0 {
		t.Errorf("handler ran %d times for rejected requests", a.hits())
	}
}

// hs256 signs an admin token with HMAC: verifiers must accept only RS256/ES256.
func hs256(t *testing.T, issuerURL string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(map[string]any{
		"iss": issuerURL, "sub": "admin-ada", "aud": audience,
		"exp": time.Now().Add(time.Hour).Unix(), "roles": []string{"admin"},
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRequire(t *testing.T) {
	iss, url := startIssuer(t)
	a := newAPI(newVerifier(t, url))

	r := a.do(t, "DELETE", "/v1/customers/c1", "Bearer "+mint(t, iss, devUser(t, "rep-ana"), audience, time.Hour))
	if r.status != http.StatusForbidden || r.body["code"] != "forbidden" {
		t.Fatalf("rep deleting: %d %s, want 403 forbidden", r.status, r.raw)
	}
	if !strings.Contains(r.body["message"].(string), "customers:delete") {
		t.Errorf("message should name the permission: %s", r.raw)
	}
	if a.hits() != 0 {
		t.Fatal("handler ran despite 403")
	}
	for _, who := range []string{"mgr-mia", "admin-ada"} {
		if r := a.do(t, "DELETE", "/v1/customers/c1", "Bearer "+mint(t, iss, devUser(t, who), audience, time.Hour)); r.status != http.StatusNoContent {
			t.Errorf("%s deleting: status %d: %s", who, r.status, r.raw)
		}
	}
	if r := a.do(t, "DELETE", "/v1/customers/c1", "Bearer "+mint(t, iss, devUser(t, "analyst-ali"), audience, time.Hour)); r.status != http.StatusForbidden {
		t.Errorf("analyst deleting: status %d", r.status)
	}

	// Without Middleware in front, Require refuses with 401.
	bare := gin.New()
	bare.GET("/x", auth.Require(auth.PermCustomersRead, writeErr), func(c *gin.Context) { c.Status(http.StatusOK) })
	rec := httptest.NewRecorder()
	bare.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("Require without principal: status %d", rec.Code)
	}
}

func TestMiddlewareRecordsSubjectOnSpan(t *testing.T) {
	iss, url := startIssuer(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	startSpan := func(c *gin.Context) {
		ctx, span := tp.Tracer("test").Start(c.Request.Context(), "request")
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
	a := newAPI(newVerifier(t, url), startSpan)
	if r := a.do(t, "GET", "/v1/me", "Bearer "+mint(t, iss, devUser(t, "rep-bo"), audience, time.Hour)); r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	found := false
	for _, kv := range spans[0].Attributes() {
		if kv.Key == "enduser.id" {
			found = kv.Value.AsString() == "rep-bo"
		}
	}
	if !found {
		t.Errorf("span attributes %v lack enduser.id=rep-bo", spans[0].Attributes())
	}
}

// The service must start while the issuer is unreachable and work once it is up.
func TestIssuerComingUpLater(t *testing.T) {
	// Reserve an address, then free it so nothing listens there yet.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "http://" + addr

	v := newVerifier(t, url) // must not fail although the issuer is down
	a := newAPI(v)
	iss, err := devissuer.New(url)
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, iss, devUser(t, "admin-ada"), audience, time.Hour)

	r := a.do(t, "GET", "/v1/me", "Bearer "+tok)
	if r.status != http.StatusServiceUnavailable || r.body["code"] != "identity_provider_unavailable" {
		t.Fatalf("issuer down: %d %s, want 503 identity_provider_unavailable", r.status, r.raw)
	}
	_, err = v.Verify(context.Background(), tok)
	if e, ok := errors.AsType[*apperr.Error](err); !ok || e.Kind != apperr.KindUnavailable {
		t.Fatalf("Verify with issuer down = %v, want KindUnavailable", err)
	}

	// Bring the issuer up on that address.
	var l2 net.Listener
	for i := 0; ; i++ {
		if l2, err = net.Listen("tcp", addr); err == nil {
			break
		}
		if i == 50 {
			t.Fatalf("cannot listen on %s again: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv := httptest.NewUnstartedServer(iss.Handler())
	srv.Listener.Close()
	srv.Listener = l2
	srv.Start()
	t.Cleanup(srv.Close)

	// Concurrent first requests share one discovery and all succeed.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			p, err := v.Verify(context.Background(), tok)
			if err == nil && p.Subject != "admin-ada" {
				err = errors.New("wrong subject " + p.Subject)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("after the issuer came up: %v", err)
		}
	}
	if r := a.do(t, "GET", "/v1/me", "Bearer "+tok); r.status != http.StatusOK {
		t.Fatalf("after the issuer came up: %d %s", r.status, r.raw)
	}

	// Once discovered, the verifier keeps working from its cached keys.
	srv.Close()
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Errorf("after the issuer went away again: %v", err)
	}
}

func TestNewOIDCVerifierValidatesConfig(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ url, aud string }{
		{"", audience}, {"issuer.example", audience}, {"ftp://issuer.example", audience}, {"http://issuer.example", ""},
	} {
		if _, err := auth.NewOIDCVerifier(ctx, c.url, c.aud); err == nil {
			t.Errorf("NewOIDCVerifier(%q, %q) accepted", c.url, c.aud)
		}
	}
}

// A verifier that is not an OIDCVerifier and returns plain errors still yields 401.
type plainErrVerifier struct{}

func (plainErrVerifier) Verify(context.Context, string) (auth.Principal, error) {
	return auth.Principal{}, errors.New("boom: token abc.def.ghi")
}

func TestMiddlewareTurnsOtherErrorsInto401(t *testing.T) {
	a := newAPI(plainErrVerifier{})
	r := a.do(t, "GET", "/v1/me", "Bearer abc.def.ghi")
	if r.status != http.StatusUnauthorized || r.body["code"] != "unauthenticated" || strings.Contains(r.raw, "abc.def") {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}
