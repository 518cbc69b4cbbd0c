package devissuer_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

const (
	clientID = "console"
	callback = "https://console.example/auth/callback"
)

// rig is an issuer with the console client registered, and an oauth2
// configuration for that client found through discovery.
type rig struct {
	iss *devissuer.Issuer
	url string
	cfg *oauth2.Config
}

func newRig(t *testing.T) *rig {
	t.Helper()
	iss, u := serve(t, devissuer.New)
	iss.RegisterClient(clientID, callback)
	provider, err := oidc.NewProvider(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	return &rig{iss: iss, url: u, cfg: &oauth2.Config{
		ClientID: clientID, Endpoint: endpoint, RedirectURL: callback,
		Scopes: []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess},
	}}
}

// noRedirects is a client that reports redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	userButton  = regexp.MustCompile(`<button type="submit" name="sub" value="([^"]*)">`)
)

// loginForm fetches the login page of authURL and returns what a browser
// would submit from it: the form's action, its hidden fields, and the users
// it offers.
func loginForm(t *testing.T, authURL string) (action string, fields url.Values, users []string, page string) {
	t.Helper()
	resp, err := noRedirects.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page = string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", authURL, resp.Status, page)
	}
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no login form in\n%s", page)
	}
	fields = url.Values{}
	for _, f := range hiddenInput.FindAllStringSubmatch(page, -1) {
		fields.Add(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	for _, b := range userButton.FindAllStringSubmatch(page, -1) {
		users = append(users, html.UnescapeString(b[1]))
	}
	return html.UnescapeString(m[1]), fields, users, page
}

// signIn plays the browser: it opens authURL, chooses the user sub on the
// login page and returns the query of the redirect to the client.
func signIn(t *testing.T, authURL, sub string) url.Values {
	t.Helper()
	action, fields, users, _ := loginForm(t, authURL)
	if !slices.Contains(users, sub) {
		t.Fatalf("login page offers %v, not %s", users, sub)
	}
	fields.Set("sub", sub)
	resp, err := noRedirects.PostForm(action, fields)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %s", action, resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != callback {
		t.Fatalf("redirected to %s, want %s", loc, callback)
	}
	return loc.Query()
}

// login runs the browser part for sub and exchanges the code.
func (r *rig) login(t *testing.T, sub string) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	q := signIn(t, r.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n0")), sub)
	tok, err := r.cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// profileClaims are the ID token claims the console reads.
type profileClaims struct {
	Nonce    string   `json:"nonce"`
	Name     string   `json:"name"`
	ZoneInfo string   `json:"zoneinfo"`
	Roles    []string `json:"roles"`
	Teams    []string `json:"teams"`
	AuthTime int64    `json:"auth_time"`
}

// TestAuthorizationCodeFlowWithPKCE signs each development user in the way the
// web console does (golang.org/x/oauth2 with PKCE, go-oidc for the ID token),
// checks that the services' verifier accepts the access token as that user, and
// refreshes through a TokenSource. Each of golang.org/x/oauth2's ways of sending
// the client id works.
func TestAuthorizationCodeFlowWithPKCE(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, r.url)
	if err != nil {
		t.Fatal(err)
	}
	idVerifier := provider.Verifier(&oidc.Config{ClientID: clientID})
	services, err := auth.NewOIDCVerifier(ctx, r.url, devissuer.Audience)
	if err != nil {
		t.Fatal(err)
	}
	styles := []oauth2.AuthStyle{oauth2.AuthStyleInParams, oauth2.AuthStyleInHeader, oauth2.AuthStyleAutoDetect}
	for n, user := range devissuer.DevUsers() {
		t.Run(user.Subject, func(t *testing.T) {
			cfg := *r.cfg
			cfg.Endpoint.AuthStyle = styles[n%len(styles)]
			verifier, state, nonce := oauth2.GenerateVerifier(), "state-"+user.Subject, "nonce-"+user.Subject
			q := signIn(t, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), user.Subject)
			if q.Get("state") != state || len(q.Get("code")) != 43 {
				t.Fatalf("callback query %v", q)
			}
			before := time.Now()
			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Extra("scope") != "openid profile offline_access" {
				t.Errorf("token %+v scope %v", tok, tok.Extra("scope"))
			}
			if ttl := tok.Expiry.Sub(before); ttl < 14*time.Minute || ttl > 15*time.Minute+time.Second {
				t.Errorf("access token lives %v, want 15 min", ttl)
			}
			claims := verifyIDToken(t, idVerifier, tok, user)
			if claims.Nonce != nonce {
				t.Errorf("nonce %q, want %q", claims.Nonce, nonce)
			}
			p, err := services.Verify(ctx, tok.AccessToken)
			if err != nil {
				t.Fatalf("services refuse the access token: %v", err)
			}
			if p.Subject != user.Subject || p.Name != user.Name || !slices.Equal(p.Roles, user.Roles) || !slices.Equal(p.Teams, user.Teams) {
				t.Errorf("access token principal %+v, want %+v", p, user)
			}

			// An expired access token is refreshed by the TokenSource: new
			// tokens, a rotated refresh token, an ID token without nonce.
			tok.Expiry = time.Now().Add(-time.Second)
			fresh, err := cfg.TokenSource(ctx, tok).Token()
			if err != nil {
				t.Fatal(err)
			}
			if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == tok.RefreshToken || fresh.RefreshToken == "" {
				t.Errorf("refresh did not issue new tokens")
			}
			again := verifyIDToken(t, idVerifier, fresh, user)
			if again.Nonce != "" || again.AuthTime != claims.AuthTime {
				t.Errorf("refreshed ID token nonce %q auth_time %d (was %d)", again.Nonce, again.AuthTime, claims.AuthTime)
			}
			if _, err := services.Verify(ctx, fresh.AccessToken); err != nil {
				t.Errorf("services refuse the refreshed access token: %v", err)
			}
		})
	}
}

// verifyIDToken checks tok's ID token with go-oidc for the console and that it
// describes user.
func verifyIDToken(t *testing.T, v *oidc.IDTokenVerifier, tok *oauth2.Token, user auth.Principal) profileClaims {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt, err := v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var c profileClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, r := range user.Roles {
		roles = append(roles, string(r))
	}
	if idt.Subject != user.Subject || c.Name != user.Name || c.ZoneInfo != "Asia/Shanghai" ||
		!slices.Equal(c.Roles, roles) || !slices.Equal(c.Teams, user.Teams) {
		t.Errorf("ID token sub %s claims %+v, want %+v", idt.Subject, c, user)
	}
	if time.Since(time.Unix(c.AuthTime, 0)) > time.Minute {
		t.Errorf("auth_time %d", c.AuthTime)
	}
	return c
}

// TestSetTokenTTL: tests can force access and refresh tokens to be expired.
func TestSetTokenTTL(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	services, err := auth.NewOIDCVerifier(ctx, r.url, devissuer.Audience)
	if err != nil {
		t.Fatal(err)
	}

	r.iss.SetTokenTTL(-time.Second, time.Hour)
	tok := r.login(t, "rep-ana")
	if _, err := services.Verify(ctx, tok.AccessToken); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("an access token issued with a negative TTL: %v", err)
	}
	r.iss.SetTokenTTL(time.Minute, -time.Second)
	fresh, err := r.cfg.TokenSource(ctx, tok).Token() // the access token is expired: refresh
	if err != nil {
		t.Fatalf("refresh with a live refresh token: %v", err)
	}
	if _, err := services.Verify(ctx, fresh.AccessToken); err != nil {
		t.Errorf("refreshed access token: %v", err)
	}
	if ttl := time.Until(fresh.Expiry); ttl < 50*time.Second || ttl > time.Minute {
		t.Errorf("refreshed access token lives %v, want 1 min", ttl)
	}
	fresh.Expiry = time.Now().Add(-time.Second)
	_, err = r.cfg.TokenSource(ctx, fresh).Token()
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); !ok || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh with an expired refresh token: %v", err)
	}
}

// fakeClock returns a clock that starts now and moves when advance is called.
func fakeClock() (now func() time.Time, advance func(time.Duration)) {
	start := time.Now()
	var offset atomic.Int64
	return func() time.Time { return start.Add(time.Duration(offset.Load())) },
		func(d time.Duration) { offset.Add(int64(d)) }
}
