package devissuer_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// TestLogout: the end-session endpoint shows the signed-out page or sends the
// browser to a post-logout URI on the host of a registered redirect URI, and
// never anywhere else; an id_token_hint ends the refresh tokens of that user
// at that client.
func TestLogout(t *testing.T) {
	r := newRig(t)
	r.iss.RegisterClient("other", "http://localhost:8080/cb")
	signedIn := func(sub string) (idToken, refresh string) {
		verifier := oauth2.GenerateVerifier()
		tok := r.postToken(t, exchangeForm(r.code(t, verifier, sub, callback), verifier), nil)
		return tok.str("id_token"), tok.str("refresh_token")
	}
	anaID, _ := signedIn("rep-ana")
	r.iss.SetTokenTTL(-time.Second, time.Hour)
	expiredID, _ := signedIn("rep-ana")
	r.iss.SetTokenTTL(15*time.Minute, 12*time.Hour)
	accessToken, err := r.iss.Mint(devissuer.DevUsers()[0], devissuer.Audience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := devissuer.New("http://elsewhere.example")
	if err != nil {
		t.Fatal(err)
	}
	forged, err := foreign.Mint(devissuer.DevUsers()[0], clientID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		params   url.Values
		redirect string // expected Location; "" for a page
		status   int
		page     string
	}{
		{"nothing", url.Values{}, "", 200, "You are signed out"},
		{"back to the console", url.Values{"post_logout_redirect_uri": {"https://console.example/bye?x=1"}, "state": {"s1"}},
			"https://console.example/bye?state=s1&x=1", 303, ""},
		{"explicit default port", url.Values{"post_logout_redirect_uri": {"https://CONSOLE.example:443/"}, "client_id": {clientID}},
			"https://CONSOLE.example:443/", 303, ""},
		{"the other client's host", url.Values{"post_logout_redirect_uri": {"http://localhost:8080/"}}, "http://localhost:8080/", 303, ""},
		{"another port", url.Values{"post_logout_redirect_uri": {"https://console.example:8443/bye"}}, "", 400, "is not on the host"},
		{"another scheme", url.Values{"post_logout_redirect_uri": {"http://console.example/bye"}}, "", 400, "is not on the host"},
		{"another host", url.Values{"post_logout_redirect_uri": {"https://evil.example/bye"}}, "", 400, "is not on the host"},
		{"not a URL", url.Values{"post_logout_redirect_uri": {"/bye"}}, "", 400, "is not on the host"},
		{"another client's host for this client", url.Values{"post_logout_redirect_uri": {"http://localhost:8080/"}, "client_id": {clientID}}, "", 400, "is not on the host"},
		{"unknown client", url.Values{"client_id": {"nobody"}}, "", 400, "is not registered"},
		{"hint from another issuer", url.Values{"id_token_hint": {forged}}, "", 400, "not an ID token of this issuer"},
		{"hint that is no token", url.Values{"id_token_hint": {"abc"}}, "", 400, "not an ID token of this issuer"},
		{"hint for another client", url.Values{"id_token_hint": {anaID}, "client_id": {"other"}}, "", 400, "not issued to client_id"},
		{"access token as hint", url.Values{"id_token_hint": {accessToken}}, "", 400, "is not registered"},
		{"expired hint", url.Values{"id_token_hint": {expiredID}, "post_logout_redirect_uri": {"https://console.example/bye"}},
			"https://console.example/bye", 303, ""},
		{"hint names the client", url.Values{"id_token_hint": {anaID}, "post_logout_redirect_uri": {"http://localhost:8080/"}}, "", 400, "is not on the host"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := noRedirects.Get(r.url + devissuer.LogoutPath + "?" + tc.params.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.redirect || !strings.Contains(body, tc.page) {
				t.Errorf("%s Location %q, want %d %q with %q:\n%s", resp.Status, resp.Header.Get("Location"), tc.status, tc.redirect, tc.page, body)
			}
		})
	}

	// Signing out with a hint ends that user's refresh tokens at the console,
	// not another user's.
	miaID, miaRefresh := signedIn("mgr-mia")
	_, boRefresh := signedIn("rep-bo")
	form := url.Values{"id_token_hint": {miaID}, "post_logout_redirect_uri": {"https://console.example/"}, "state": {"z"}}
	resp, err := noRedirects.PostForm(r.url+devissuer.LogoutPath, form)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://console.example/?state=z" {
		t.Errorf("POST logout: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	expectError(t, r.postToken(t, refreshForm(miaRefresh), nil), 400, "invalid_grant")
	if tr := r.postToken(t, refreshForm(boRefresh), nil); tr.status != 200 {
		t.Errorf("another user's refresh token ended: %v", tr.body)
	}
}

// TestRegisterClientPanics: a client without id or with an unusable redirect
// URI is a programming error caught at start-up.
func TestRegisterClientPanics(t *testing.T) {
	iss, err := devissuer.New("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		id   string
		uris []string
	}{
		{"no id", "", []string{callback}},
		{"no redirect URI", "c", nil},
		{"relative", "c", []string{"/cb"}},
		{"fragment", "c", []string{"https://a.example/cb#x"}},
		{"custom scheme", "c", []string{"myapp://cb"}},
		{"one bad among good", "c", []string{callback, "ftp://a.example/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			iss.RegisterClient(tc.id, tc.uris...)
		})
	}
	// A failed registration registers nothing.
	resp := httptestGet(t, iss, devissuer.AuthorizePath+"?client_id=c&redirect_uri="+url.QueryEscape(callback))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("client c after failed registrations: %s", resp.Status)
	}
}

// httptestGet serves GET path from iss's handler without a server.
func httptestGet(t *testing.T, iss *devissuer.Issuer, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	iss.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}
