package devissuer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// header returns the typ header and the claims of a JWT, unverified.
func header(t *testing.T, raw string) (string, map[string]any) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	typ, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string)
	return typ, claims
}

// TestAccessTokensPassTheServicesRules: the dev issuer's access tokens (Mint's,
// those of the token endpoint, and the 12-hour ones `make token` prints) are
// RFC 9068 access tokens the services' verifier accepts with its default
// rules; the token endpoint's name their client, so OIDC_ALLOWED_CLIENTS can
// be tried with `make run`; ID tokens are refused as bearer tokens.
func TestAccessTokensPassTheServicesRules(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	services, err := auth.NewOIDCVerifier(ctx, r.url, devissuer.Audience)
	if err != nil {
		t.Fatal(err)
	}
	onlyConsole := auth.DefaultOIDCOptions()
	onlyConsole.AllowedClients = []string{clientID}
	strict, err := auth.NewOIDCVerifierWith(ctx, r.url, devissuer.Audience, onlyConsole)
	if err != nil {
		t.Fatal(err)
	}

	minted, err := r.iss.Mint(devissuer.DevUsers()[0], devissuer.Audience, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if typ, c := header(t, minted); typ != "at+jwt" || c["client_id"] != nil || c["iat"] == nil {
		t.Errorf("Mint: typ %q, claims %v; want at+jwt with iat and no client_id", typ, c)
	}
	if _, err := services.Verify(ctx, minted); err != nil {
		t.Errorf("a 12-hour token from Mint: %v", err)
	}
	if _, err := strict.Verify(ctx, minted); reason(err) != "client_not_allowed" {
		t.Errorf("Mint's token names no client, so OIDC_ALLOWED_CLIENTS refuses it: %v", err)
	}

	tok := r.login(t, "rep-bo")
	if typ, c := header(t, tok.AccessToken); typ != "at+jwt" || c["client_id"] != clientID {
		t.Errorf("access token: typ %q, claims %v; want at+jwt with client_id %s", typ, c, clientID)
	}
	for name, v := range map[string]*auth.OIDCVerifier{"default": services, "allowed clients": strict} {
		if p, err := v.Verify(ctx, tok.AccessToken); err != nil || p.Subject != "rep-bo" {
			t.Errorf("%s: access token from the token endpoint: %v %v", name, p, err)
		}
	}
	id, _ := tok.Extra("id_token").(string)
	if typ, _ := header(t, id); typ != "JWT" {
		t.Errorf("ID token typ %q, want JWT", typ)
	}
	if _, err := services.Verify(ctx, id); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Errorf("an ID token as bearer token: %v", err)
	}
}

func reason(err error) any {
	e, ok := err.(*apperr.Error)
	if !ok {
		return nil
	}
	return e.Meta["reason"]
}
