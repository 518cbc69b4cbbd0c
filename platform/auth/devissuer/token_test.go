package devissuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// code signs sub in for the console through the login form and returns the
// authorization code, bound to verifier's challenge and redirect.
func (r *rig) code(t *testing.T, verifier, sub, redirect string) string {
	t.Helper()
	code, err := r.tryCode(verifier, sub, redirect)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (r *rig) tryCode(verifier, sub, redirect string) (string, error) {
	params := authParams()
	params.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	params.Set("redirect_uri", redirect)
	params.Set("sub", sub)
	resp, err := noRedirects.PostForm(r.url+devissuer.AuthorizePath, params)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", fmt.Errorf("login: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), nil
}

type tokenReply struct {
	status int
	header http.Header
	body   map[string]any
}

func (tr tokenReply) str(key string) string { s, _ := tr.body[key].(string); return s }

// postToken posts form to the token endpoint; edit may change the request.
func (r *rig) postToken(t *testing.T, form url.Values, edit func(*http.Request)) tokenReply {
	t.Helper()
	reply, err := r.tryPostToken(form, edit)
	if err != nil {
		t.Fatal(err)
	}
	return reply
}

func (r *rig) tryPostToken(form url.Values, edit func(*http.Request)) (tokenReply, error) {
	req, _ := http.NewRequest(http.MethodPost, r.url+devissuer.TokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return tokenReply{}, err
	}
	defer resp.Body.Close()
	reply := tokenReply{status: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&reply.body); err != nil {
		return reply, fmt.Errorf("token endpoint answered %s with no JSON: %v", resp.Status, err)
	}
	if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "no-store" {
		return reply, fmt.Errorf("token endpoint headers %v", resp.Header)
	}
	return reply, nil
}

func exchangeForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}, "client_id": {clientID}, "code_verifier": {verifier}}
}

func refreshForm(refresh string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {clientID}}
}

// otherFirst returns code with its first character changed (a code starting
// with "x" would otherwise stay the same one time in 64).
func otherFirst(code string) string {
	if strings.HasPrefix(code, "x") {
		return "y" + code[1:]
	}
	return "x" + code[1:]
}

// expectError checks an RFC 6749 error answer.
func expectError(t *testing.T, tr tokenReply, status int, code string) {
	t.Helper()
	if tr.status != status || tr.str("error") != code || tr.str("error_description") == "" || tr.str("access_token") != "" {
		t.Errorf("got %d %v, want %d %s", tr.status, tr.body, status, code)
	}
}

// TestTokenEndpointErrors: every malformed or unacceptable request is refused
// with the RFC 6749 error, and a refused exchange leaves the code usable.
func TestTokenEndpointErrors(t *testing.T) {
	r := newRig(t)
	other := "https://console.example/other"
	r.iss.RegisterClient(clientID, other)
	r.iss.RegisterClient("other", callback)
	basic := func(user, pass string) func(*http.Request) {
		return func(req *http.Request) { req.SetBasicAuth(user, pass) }
	}
	cases := []struct {
		name   string
		edit   func(form url.Values)
		req    func(*http.Request)
		status int
		code   string
	}{
		{"JSON body", nil, func(req *http.Request) { req.Header.Set("Content-Type", "application/json") }, 400, "invalid_request"},
		{"no grant type", func(f url.Values) { f.Del("grant_type") }, nil, 400, "invalid_request"},
		{"password grant", func(f url.Values) { f.Set("grant_type", "password") }, nil, 400, "unsupported_grant_type"},
		{"client credentials for a public client", func(f url.Values) { f.Set("grant_type", "client_credentials") }, nil, 400, "unauthorized_client"},
		{"a secret in the body for a public client", func(f url.Values) { f.Set("client_secret", "s3cret-s3cret-s3cret") }, nil, 400, "invalid_client"},
		{"no client", func(f url.Values) { f.Del("client_id") }, nil, 400, "invalid_request"},
		{"unknown client", func(f url.Values) { f.Set("client_id", "nobody") }, nil, 400, "invalid_client"},
		{"Basic with a secret", func(f url.Values) { f.Del("client_id") }, basic(clientID, "s3cret"), 401, "invalid_client"},
		{"Basic for an unknown client", func(f url.Values) { f.Del("client_id") }, basic("nobody", ""), 401, "invalid_client"},
		{"Basic and body disagree", nil, basic("other", ""), 400, "invalid_request"},
		{"no code", func(f url.Values) { f.Del("code") }, nil, 400, "invalid_request"},
		{"no redirect URI", func(f url.Values) { f.Del("redirect_uri") }, nil, 400, "invalid_request"},
		{"no verifier", func(f url.Values) { f.Del("code_verifier") }, nil, 400, "invalid_request"},
		{"malformed verifier", func(f url.Values) { f.Set("code_verifier", "too-short") }, nil, 400, "invalid_request"},
		{"verifier with a space", func(f url.Values) { f.Set("code_verifier", strings.Repeat("a", 42)+" ") }, nil, 400, "invalid_request"},
		{"wrong verifier", func(f url.Values) { f.Set("code_verifier", oauth2.GenerateVerifier()) }, nil, 400, "invalid_grant"},
		{"unknown code", func(f url.Values) { f.Set("code", otherFirst(f.Get("code"))) }, nil, 400, "invalid_grant"},
		{"another registered redirect URI", func(f url.Values) { f.Set("redirect_uri", other) }, nil, 400, "invalid_grant"},
		{"another client", func(f url.Values) { f.Set("client_id", "other") }, nil, 400, "invalid_grant"},
		{"a parameter twice", func(f url.Values) { f.Add("code_verifier", f.Get("code_verifier")) }, nil, 400, "invalid_request"},
		{"refresh without token", func(f url.Values) { f.Set("grant_type", "refresh_token") }, nil, 400, "invalid_request"},
		{"unknown refresh token", func(f url.Values) { f.Set("grant_type", "refresh_token"); f.Set("refresh_token", "nope") }, nil, 400, "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			code := r.code(t, verifier, "rep-ana", callback)
			form := exchangeForm(code, verifier)
			if tc.edit != nil {
				tc.edit(form)
			}
			tr := r.postToken(t, form, tc.req)
			expectError(t, tr, tc.status, tc.code)
			if tc.status == 401 && !strings.HasPrefix(tr.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without WWW-Authenticate: %v", tr.header)
			}
			if ok := r.postToken(t, exchangeForm(code, verifier), nil); ok.status != 200 || ok.str("access_token") == "" {
				t.Errorf("the code no longer works after a refused exchange: %v", ok.body)
			}
		})
	}
	resp, err := http.Get(r.url + devissuer.TokenPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /token: %s", resp.Status)
	}
}

// TestWrongVerifierRefused: golang.org/x/oauth2 exchanging with a verifier
// other than the one the challenge came from is refused.
func TestWrongVerifierRefused(t *testing.T) {
	r := newRig(t)
	verifier := oauth2.GenerateVerifier()
	q := signIn(t, r.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "rep-bo")
	_, err := r.cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); !ok || re.ErrorCode != "invalid_grant" {
		t.Fatalf("wrong verifier: %v", err)
	}
	_, err = r.cfg.Exchange(context.Background(), q.Get("code"))
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); !ok || re.ErrorCode != "invalid_request" {
		t.Fatalf("no verifier: %v", err)
	}
}

// TestCodeReplayRevokes: a code is exchanged once; a second exchange is
// refused and revokes the refresh tokens descending from the first, rotated
// ones included. Another sign-in of the same user is untouched.
func TestCodeReplayRevokes(t *testing.T) {
	r := newRig(t)
	verifier := oauth2.GenerateVerifier()
	code := r.code(t, verifier, "mgr-mia", callback)
	first := r.postToken(t, exchangeForm(code, verifier), nil)
	if first.status != 200 {
		t.Fatalf("first exchange: %v", first.body)
	}
	rotated := r.postToken(t, refreshForm(first.str("refresh_token")), nil)
	if rotated.status != 200 {
		t.Fatalf("refresh: %v", rotated.body)
	}
	bystander := r.postToken(t, exchangeForm(r.code(t, verifier, "mgr-mia", callback), verifier), nil)

	expectError(t, r.postToken(t, exchangeForm(code, verifier), nil), 400, "invalid_grant")
	expectError(t, r.postToken(t, refreshForm(rotated.str("refresh_token")), nil), 400, "invalid_grant")
	if tr := r.postToken(t, refreshForm(bystander.str("refresh_token")), nil); tr.status != 200 {
		t.Errorf("another sign-in was revoked: %v", tr.body)
	}
}

// TestRefreshRotation: each refresh returns a new refresh token; presenting a
// rotated one is refused and ends the sign-in it belongs to.
func TestRefreshRotation(t *testing.T) {
	r := newRig(t)
	verifier := oauth2.GenerateVerifier()
	first := r.postToken(t, exchangeForm(r.code(t, verifier, "rep-cy", callback), verifier), nil)
	second := r.postToken(t, refreshForm(first.str("refresh_token")), nil)
	if second.status != 200 || second.str("refresh_token") == first.str("refresh_token") || second.str("id_token") == "" ||
		second.str("scope") != "openid profile offline_access" {
		t.Fatalf("refresh: %v", second.body)
	}
	expectError(t, r.postToken(t, refreshForm(first.str("refresh_token")), nil), 400, "invalid_grant")
	expectError(t, r.postToken(t, refreshForm(second.str("refresh_token")), nil), 400, "invalid_grant")

	// A refresh token is bound to its client.
	r.iss.RegisterClient("other", callback)
	third := r.postToken(t, exchangeForm(r.code(t, verifier, "rep-cy", callback), verifier), nil)
	form := refreshForm(third.str("refresh_token"))
	form.Set("client_id", "other")
	expectError(t, r.postToken(t, form, nil), 400, "invalid_grant")
}

// TestScopes: the profile claims (name, zoneinfo) are in the ID token only when
// the profile scope is granted; a refresh may narrow the scope but not widen
// it, and a refused refresh does not use the refresh token up.
func TestScopes(t *testing.T) {
	r := newRig(t)
	verifier := oauth2.GenerateVerifier()
	tok := r.postToken(t, exchangeForm(r.code(t, verifier, "analyst-ali", callback), verifier), nil)
	if c := idClaims(t, r, tok.str("id_token")); c["name"] != "Ali (analyst)" || c["zoneinfo"] != "Asia/Shanghai" || c["nonce"] != "n-1" || c["azp"] != clientID {
		t.Errorf("ID token with profile: %v", c)
	}

	wider := refreshForm(tok.str("refresh_token"))
	wider.Set("scope", "openid profile email")
	expectError(t, r.postToken(t, wider, nil), 400, "invalid_scope")

	narrower := refreshForm(tok.str("refresh_token"))
	narrower.Set("scope", "openid")
	narrow := r.postToken(t, narrower, nil)
	if narrow.status != 200 || narrow.str("scope") != "openid" {
		t.Fatalf("narrowing refresh: %v", narrow.body)
	}
	c := idClaims(t, r, narrow.str("id_token"))
	if _, has := c["name"]; has || c["zoneinfo"] != nil || c["nonce"] != nil || c["roles"] == nil {
		t.Errorf("ID token without profile: %v", c)
	}
	// The new refresh token keeps the scope of the sign-in.
	if again := r.postToken(t, refreshForm(narrow.str("refresh_token")), nil); again.str("scope") != "openid profile offline_access" {
		t.Errorf("refresh after narrowing: %v", again.body)
	}
}

// idClaims returns the claims of an ID token after checking its signature.
func idClaims(t *testing.T, r *rig, raw string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var jwks jose.JSONWebKeySet
	getJSON(t, r.url+devissuer.JWKSPath, &jwks)
	var c map[string]any
	if err := tok.Claims(jwks.Keys[0].Key, &c); err != nil {
		t.Fatal(err)
	}
	if c["aud"] != clientID && !(len(c["aud"].([]any)) == 1 && c["aud"].([]any)[0] == clientID) {
		t.Errorf("aud %v", c["aud"])
	}
	return c
}

// TestDeadlines: a code can be exchanged for 60 s, a refresh token used for
// 12 h after it was issued, and each refresh starts a new 12 h.
func TestDeadlines(t *testing.T) {
	cases := []struct {
		name   string
		steps  []time.Duration // clock moves before each use: code exchange, then refreshes
		status int             // of the last use
	}{
		{"code just before 60 s", []time.Duration{59*time.Second + 999*time.Millisecond}, 200},
		{"code at 60 s", []time.Duration{60 * time.Second}, 400},
		{"refresh just before 12 h", []time.Duration{0, 12*time.Hour - time.Millisecond}, 200},
		{"refresh at 12 h", []time.Duration{0, 12 * time.Hour}, 400},
		{"rotated token just before 12 h after its refresh", []time.Duration{0, 11 * time.Hour, 12*time.Hour - time.Millisecond}, 200},
		{"rotated token at 12 h after its refresh", []time.Duration{0, 11 * time.Hour, 12 * time.Hour}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			now, advance := fakeClock()
			devissuer.SetClock(r.iss, now)
			verifier := oauth2.GenerateVerifier()
			code := r.code(t, verifier, "rep-di", callback)
			var last tokenReply
			for n, d := range tc.steps {
				advance(d)
				if n == 0 {
					last = r.postToken(t, exchangeForm(code, verifier), nil)
				} else {
					last = r.postToken(t, refreshForm(last.str("refresh_token")), nil)
				}
				if n < len(tc.steps)-1 && last.status != 200 {
					t.Fatalf("step %d: %v", n, last.body)
				}
			}
			if tc.status == 200 && last.status != 200 {
				t.Errorf("refused: %v", last.body)
			}
			if tc.status == 400 {
				expectError(t, last, 400, "invalid_grant")
			}
		})
	}
}

// TestConcurrentSignIns: clients registering and users signing in and
// refreshing at the same time (run with -race).
func TestConcurrentSignIns(t *testing.T) {
	r := newRig(t)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for n := range 10 {
		wg.Go(func() {
			r.iss.RegisterClient(clientID, fmt.Sprintf("%s/%d", callback, n))
			r.iss.SetTokenTTL(15*time.Minute, 12*time.Hour)
			verifier := oauth2.GenerateVerifier()
			user := devissuer.DevUsers()[n%len(devissuer.DevUsers())].Subject
			code, err := r.tryCode(verifier, user, callback)
			if err != nil {
				errs <- err
				return
			}
			tok, err := r.tryPostToken(exchangeForm(code, verifier), nil)
			if err != nil || tok.status != 200 {
				errs <- fmt.Errorf("exchange: %v %v", err, tok.body)
				return
			}
			if again, err := r.tryPostToken(refreshForm(tok.str("refresh_token")), nil); err != nil || again.status != 200 {
				errs <- fmt.Errorf("refresh: %v %v", err, again.body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
