package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// TestServiceTokens: a service's token source gets its tokens from the
// issuer's token endpoint (found through discovery) with the client
// credentials grant; the services' verifier takes them for that service;
// a token is reused while it has more than ten seconds left and renewed
// after; a refused secret is an error naming the client, not the secret.
func TestServiceTokens(t *testing.T) {
	iss, u := startIssuer(t)
	const secret = "the-secret-of-closeloop-sales"
	iss.RegisterServiceClient("closeloop-sales", secret)
	ts, err := auth.NewServiceTokens(u, auth.ServiceClient{ID: "closeloop-sales", Secret: secret}, auth.DefaultOIDCOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h1, err := ts.Authorization(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h1, "Bearer ") {
		t.Fatalf("Authorization %q", h1)
	}
	s, err := newVerifier(t, u).VerifyService(ctx, strings.TrimPrefix(h1, "Bearer "), []string{"closeloop-sales"})
	if err != nil || s.Client != "closeloop-sales" {
		t.Fatalf("the service's own token: %+v, %v", s, err)
	}
	if h2, err := ts.Authorization(ctx); err != nil || h2 != h1 {
		t.Errorf("a second call got another token (%v): a token with 15 minutes left must be reused", err)
	}

	// Tokens that expire within ten seconds are renewed on every call.
	iss.SetTokenTTL(5*time.Second, time.Hour)
	short, err := auth.NewServiceTokens(u, auth.ServiceClient{ID: "closeloop-sales", Secret: secret}, auth.DefaultOIDCOptions())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := short.Authorization(ctx)
	b, err := short.Authorization(ctx)
	if err != nil || a == b {
		t.Errorf("a token about to expire was reused (%v)", err)
	}

	wrong, err := auth.NewServiceTokens(u, auth.ServiceClient{ID: "closeloop-sales", Secret: "not-the-secret-at-all"}, auth.DefaultOIDCOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Token(ctx)
	if err == nil || !strings.Contains(err.Error(), "closeloop-sales") || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "not-the-secret") {
		t.Errorf("a refused secret: %v; want an error naming the client and invalid_client, without the secret", err)
	}
}

// TestServiceTokensIssuerLater: while the issuer's discovery fails, Token
// fails; once it answers, the next call finds the endpoint and gets a
// token — the source does not keep the failure.
func TestServiceTokensIssuerLater(t *testing.T) {
	var up atomic.Bool
	srv := httptest.NewUnstartedServer(nil)
	u := "http://" + srv.Listener.Addr().String()
	iss, err := devissuer.New(u)
	if err != nil {
		t.Fatal(err)
	}
	iss.RegisterServiceClient("closeloop-sales", "the-secret-of-closeloop-sales")
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		iss.Handler().ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	ts, err := auth.NewServiceTokens(u, auth.ServiceClient{ID: "closeloop-sales", Secret: "the-secret-of-closeloop-sales"}, auth.DefaultOIDCOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(context.Background()); err == nil {
		t.Fatal("a token while the issuer is away")
	}
	up.Store(true)
	if _, err := ts.Token(context.Background()); err != nil {
		t.Errorf("the issuer is up, yet: %v", err)
	}
}

// TestNewServiceTokensValidates: a client without id or secret, or an
// issuer CheckIssuerURL refuses, is a configuration error at start.
func TestNewServiceTokensValidates(t *testing.T) {
	for name, tc := range map[string]struct {
		issuer string
		client auth.ServiceClient
	}{
		"no id":                {"http://127.0.0.1:8089", auth.ServiceClient{Secret: "s"}},
		"no secret":            {"http://127.0.0.1:8089", auth.ServiceClient{ID: "closeloop-sales"}},
		"http on another host": {"http://issuer.example", auth.ServiceClient{ID: "closeloop-sales", Secret: "s"}},
		"not a URL":            {"::", auth.ServiceClient{ID: "closeloop-sales", Secret: "s"}},
	} {
		if _, err := auth.NewServiceTokens(tc.issuer, tc.client, auth.DefaultOIDCOptions()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
