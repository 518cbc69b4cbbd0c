package devissuer_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

const (
	serviceID     = "closeloop-sales"
	serviceSecret = "a-secret-of-the-sales-service"
)

// TestServiceClientGetsAToken: a service client registered with its secret
// obtains an access token with the client credentials grant, through
// golang.org/x/oauth2's clientcredentials with the secret sent either way
// (HTTP Basic, form-encoded; or in the body). The token is an access token
// of the issuer's audience for the service account — client_id the client,
// the role "service", no team, the issuer's access lifetime — and comes with
// no refresh or ID token. The services' verifier takes it for the service,
// never for a user.
func TestServiceClientGetsAToken(t *testing.T) {
	r := newRig(t)
	r.iss.RegisterServiceClient(serviceID, serviceSecret)
	r.iss.SetTokenTTL(10*time.Minute, time.Hour)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := clientcredentials.Config{ClientID: serviceID, ClientSecret: serviceSecret, TokenURL: r.url + devissuer.TokenPath, AuthStyle: style}
		tok, err := cfg.Token(context.Background())
		if err != nil {
			t.Fatalf("auth style %v: %v", style, err)
		}
		if tok.TokenType != "Bearer" || tok.RefreshToken != "" || tok.Extra("id_token") != nil {
			t.Errorf("auth style %v: type %q, refresh %q, id token %v; want a Bearer access token alone", style, tok.TokenType, tok.RefreshToken, tok.Extra("id_token"))
		}
		if left := time.Until(tok.Expiry); left < 9*time.Minute || left > 10*time.Minute {
			t.Errorf("auth style %v: expires in %v, want the access lifetime of 10 minutes", style, left)
		}
		parsed, err := jwt.ParseSigned(tok.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		if typ := parsed.Headers[0].ExtraHeaders["typ"]; typ != "at+jwt" {
			t.Errorf("header typ %v, want at+jwt", typ)
		}
		var reg jwt.Claims
		var c struct {
			Roles    []string `json:"roles"`
			Teams    []string `json:"teams"`
			ClientID string   `json:"client_id"`
		}
		if err := parsed.UnsafeClaimsWithoutVerification(&reg, &c); err != nil {
			t.Fatal(err)
		}
		if reg.Subject != devissuer.ServiceSubject(serviceID) || reg.Subject != "service-account-"+serviceID || reg.Issuer != r.url ||
			!slices.Equal([]string(reg.Audience), []string{devissuer.Audience}) || c.ClientID != serviceID ||
			!slices.Equal(c.Roles, []string{devissuer.ServiceRole}) || len(c.Teams) != 0 {
			t.Errorf("claims %+v %+v, want the service account of %s with the role service and no team", reg, c, serviceID)
		}
		v, err := auth.NewOIDCVerifier(context.Background(), r.url, devissuer.Audience)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), tok.AccessToken); err == nil || !strings.Contains(err.Error(), "service's") {
			t.Errorf("a service token verified as a user's (%v); want it refused", err)
		}
		sp, err := v.VerifyService(context.Background(), tok.AccessToken, []string{"closeloop-customer", serviceID})
		if err != nil || sp.Client != serviceID || sp.Subject != devissuer.ServiceSubject(serviceID) {
			t.Errorf("VerifyService: %+v, %v; want the service %s", sp, err, serviceID)
		}
	}
}

// TestServiceClientRefusals: a service client must authenticate with its
// secret, once, and may use the client credentials grant only; the grant
// takes no scope; a wrong secret, a missing one or an unknown client is
// refused as invalid_client (401 with a Basic challenge when the request
// tried HTTP Basic authentication), a public client asking the grant as
// unauthorized_client. A refusal leaves the client able to get its token.
func TestServiceClientRefusals(t *testing.T) {
	r := newRig(t)
	r.iss.RegisterServiceClient(serviceID, serviceSecret)
	grant := func() url.Values { return url.Values{"grant_type": {"client_credentials"}} }
	inBody := func(id, secret string) url.Values {
		f := grant()
		f.Set("client_id", id)
		f.Set("client_secret", secret)
		return f
	}
	basic := func(user, pass string) func(*http.Request) {
		return func(req *http.Request) { req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass)) }
	}
	verifier := oauth2.GenerateVerifier()
	code := r.code(t, verifier, "rep-ana", callback)
	codeForm := exchangeForm(code, verifier)
	codeForm.Set("client_id", serviceID)
	codeForm.Set("client_secret", serviceSecret)
	cases := []struct {
		name   string
		form   url.Values
		req    func(*http.Request)
		status int
		code   string
	}{
		{"wrong secret in the body", inBody(serviceID, "not-the-secret-at-all"), nil, 400, "invalid_client"},
		{"wrong secret by Basic", grant(), basic(serviceID, "not-the-secret-at-all"), 401, "invalid_client"},
		{"no secret", func() url.Values { f := grant(); f.Set("client_id", serviceID); return f }(), nil, 400, "invalid_client"},
		{"no secret by Basic", grant(), basic(serviceID, ""), 401, "invalid_client"},
		{"unknown client with a secret", inBody("closeloop-nobody", serviceSecret), nil, 400, "invalid_client"},
		{"both Basic and client_secret", inBody(serviceID, serviceSecret), basic(serviceID, serviceSecret), 400, "invalid_request"},
		{"a scope", func() url.Values { f := inBody(serviceID, serviceSecret); f.Set("scope", "openid"); return f }(), nil, 400, "invalid_scope"},
		{"the code grant", codeForm, nil, 400, "unauthorized_client"},
		{"the refresh grant", func() url.Values {
			f := inBody(serviceID, serviceSecret)
			f.Set("grant_type", "refresh_token")
			f.Set("refresh_token", "x")
			return f
		}(), nil, 400, "unauthorized_client"},
		{"a public client", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}}, nil, 400, "unauthorized_client"},
		{"the password grant", func() url.Values { f := inBody(serviceID, serviceSecret); f.Set("grant_type", "password"); return f }(), nil, 400, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := r.postToken(t, tc.form, tc.req)
			expectError(t, tr, tc.status, tc.code)
			if tc.status == 401 && !strings.HasPrefix(tr.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without WWW-Authenticate: %v", tr.header)
			}
			if strings.Contains(tr.str("error_description"), serviceSecret) {
				t.Errorf("the answer repeats the secret: %v", tr.body)
			}
		})
	}
	if ok := r.postToken(t, inBody(serviceID, serviceSecret), nil); ok.status != 200 || ok.str("access_token") == "" {
		t.Errorf("after the refusals the client gets no token: %d %v", ok.status, ok.body)
	}
	// The code the service client tried to redeem is still the console's.
	if ok := r.postToken(t, exchangeForm(code, verifier), nil); ok.status != 200 {
		t.Errorf("the console's code no longer works: %d %v", ok.status, ok.body)
	}
}

// TestServiceClientRegistration: registering a service client with no id,
// a short secret or the id of a public client (or the other way round) is a
// programming error, and panics; registering it again replaces the secret.
func TestServiceClientRegistration(t *testing.T) {
	r := newRig(t)
	for name, f := range map[string]func(){
		"empty id":             func() { r.iss.RegisterServiceClient("", serviceSecret) },
		"short secret":         func() { r.iss.RegisterServiceClient(serviceID, "short") },
		"a public client's id": func() { r.iss.RegisterServiceClient(clientID, serviceSecret) },
		"public after service": func() { r.iss.RegisterServiceClient("svc", serviceSecret); r.iss.RegisterClient("svc", callback) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	r.iss.RegisterServiceClient(serviceID, serviceSecret)
	r.iss.RegisterServiceClient(serviceID, "a-new-secret-of-sales")
	old := url.Values{"grant_type": {"client_credentials"}, "client_id": {serviceID}, "client_secret": {serviceSecret}}
	expectError(t, r.postToken(t, old, nil), 400, "invalid_client")
	old.Set("client_secret", "a-new-secret-of-sales")
	if ok := r.postToken(t, old, nil); ok.status != 200 {
		t.Errorf("the new secret gets no token: %d %v", ok.status, ok.body)
	}
}
