package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// serviceToken registers a service client with the issuer and returns a
// token it obtains with the client credentials grant.
func serviceToken(t *testing.T, iss *devissuer.Issuer, issuerURL, client string) string {
	t.Helper()
	secret := "secret-of-" + client + "-0123456789"
	iss.RegisterServiceClient(client, secret)
	cfg := clientcredentials.Config{ClientID: client, ClientSecret: secret, TokenURL: issuerURL + devissuer.TokenPath}
	tok, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// serviceAPI is a route for services behind ServiceMiddleware, answering
// with the calling service, and a user route behind Middleware.
func serviceAPI(v *auth.OIDCVerifier, callers ...string) *gin.Engine {
	r := gin.New()
	r.POST("/internal/v1/thing", auth.ServiceMiddleware(v, callers, writeErr), func(c *gin.Context) {
		s, ok := auth.ServiceFromContext(c.Request.Context())
		if !ok {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusOK, gin.H{"client": s.Client, "subject": s.Subject})
	})
	r.GET("/v1/me", auth.Middleware(v, writeErr), func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"subject": auth.MustFromContext(c.Request.Context()).Subject})
	})
	return r
}

func call(t *testing.T, h http.Handler, method, path, token string) result {
	t.Helper()
	a := &api{router: h.(*gin.Engine)}
	auth := ""
	if token != "" {
		auth = "Bearer " + token
	}
	return a.do(t, method, path, auth)
}

// TestServiceRoutes: a route for services lets through a service's token
// from one of its callers, with the service in the request context; it
// refuses a user's token (not_a_service), another service's
// (caller_not_allowed), a token with the role service and a user role, and
// everything a user route refuses (expired, no token); a route naming no
// caller refuses every token. A user route refuses a service's token
// (service_token) whatever role it has beside. OIDC_ALLOWED_CLIENTS, which
// names the users' clients, does not decide which services may call.
func TestServiceRoutes(t *testing.T) {
	iss, u := startIssuer(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts := auth.DefaultOIDCOptions()
	opts.AllowedClients = []string{"console"}
	v, err := auth.NewOIDCVerifierWith(ctx, u, audience, opts)
	if err != nil {
		t.Fatal(err)
	}
	h := serviceAPI(v, "closeloop-sales")
	sales := serviceToken(t, iss, u, "closeloop-sales")
	marketing := serviceToken(t, iss, u, "closeloop-marketing")

	r := call(t, h, http.MethodPost, "/internal/v1/thing", sales)
	if r.status != http.StatusOK || r.body["client"] != "closeloop-sales" || r.body["subject"] != devissuer.ServiceSubject("closeloop-sales") {
		t.Fatalf("the sales service's token: %d %s", r.status, r.raw)
	}

	rep := mint(t, iss, devUser(t, "rep-ana"), audience, time.Minute)
	mixed := mint(t, iss, auth.Principal{Subject: "service-account-closeloop-sales", Roles: []auth.Role{auth.RoleService, auth.RoleAdmin}}, audience, time.Minute)
	expired := mint(t, iss, auth.Principal{Subject: "service-account-closeloop-sales", Roles: []auth.Role{auth.RoleService}}, audience, -time.Minute)
	noClient := mint(t, iss, auth.Principal{Subject: "service-account-closeloop-sales", Roles: []auth.Role{auth.RoleService}}, audience, time.Minute)
	for _, tc := range []struct {
		name, token, reason string
	}{
		{"a user's token", rep, "not_a_service"},
		{"another service", marketing, "caller_not_allowed"},
		{"service and admin in one token", mixed, "not_a_service"},
		{"a service token naming no client", noClient, "caller_not_allowed"},
		{"expired", expired, "token_expired"},
		{"no token", "", "token_missing"},
		{"a forged token", sales[:len(sales)-4] + "AAAA", "signature"},
	} {
		r := call(t, h, http.MethodPost, "/internal/v1/thing", tc.token)
		if r.status != http.StatusUnauthorized || r.body["reason"] != tc.reason {
			t.Errorf("%s: %d %s, want 401 %s", tc.name, r.status, r.raw, tc.reason)
		}
	}

	// A user route of a service that accepts any client's token (no
	// OIDC_ALLOWED_CLIENTS) still takes no service's for a user's.
	open := serviceAPI(newVerifier(t, u), "closeloop-sales")
	if r := call(t, open, http.MethodGet, "/v1/me", rep); r.status != http.StatusOK {
		t.Fatalf("user route, a rep: %d %s", r.status, r.raw)
	}
	for name, tok := range map[string]string{"a service token": sales, "a service token with a user role": mixed} {
		if r := call(t, open, http.MethodGet, "/v1/me", tok); r.status != http.StatusUnauthorized || r.body["reason"] != "service_token" {
			t.Errorf("user route, %s: %d %s, want 401 service_token", name, r.status, r.raw)
		}
	}
	// The user route still takes the console's users.
	if _, err := v.Verify(ctx, rep); err == nil || !strings.Contains(err.Error(), "client") {
		t.Errorf("a minted user token without the console's client: %v, want client_not_allowed (OIDC_ALLOWED_CLIENTS holds)", err)
	}

	none := serviceAPI(v)
	if r := call(t, none, http.MethodPost, "/internal/v1/thing", sales); r.status != http.StatusUnauthorized || r.body["reason"] != "caller_not_allowed" {
		t.Errorf("a route naming no caller: %d %s", r.status, r.raw)
	}
}

// TestServiceMiddlewareUnavailableIssuer: with the issuer unreachable a
// service's call gets 503, as a user's does.
func TestServiceMiddlewareUnavailableIssuer(t *testing.T) {
	srvURL := "http://127.0.0.1:1" // nothing listens on port 1
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := auth.NewOIDCVerifier(ctx, srvURL, audience)
	if err != nil {
		t.Fatal(err)
	}
	tok := "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
	if r := call(t, serviceAPI(v, "closeloop-sales"), http.MethodPost, "/internal/v1/thing", tok); r.status != http.StatusServiceUnavailable {
		t.Errorf("issuer down: %d %s, want 503", r.status, r.raw)
	}
}
