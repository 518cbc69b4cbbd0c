package devissuer_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// authParams is a valid authorization request for the console.
func authParams() url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback},
		"scope": {"openid profile offline_access"}, "state": {"s t&8"}, "nonce": {"n-1"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"},
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLoginPage: the page lists every development user with name, role and
// team, repeats the request in hidden fields, and loads and runs nothing: no
// script, no external asset, a CSP that allows only its own inline style.
func TestLoginPage(t *testing.T) {
	r := newRig(t)
	params := authParams()
	action, fields, users, page := loginForm(t, r.url+devissuer.AuthorizePath+"?"+params.Encode())
	if action != r.url+devissuer.AuthorizePath {
		t.Errorf("form posts to %s", action)
	}
	for name := range params {
		if fields.Get(name) != params.Get(name) {
			t.Errorf("hidden %s = %q, want %q", name, fields.Get(name), params.Get(name))
		}
	}
	dev := devissuer.DevUsers()
	if len(users) != len(dev) {
		t.Errorf("page offers %v", users)
	}
	for n, u := range dev {
		if n >= len(users) || users[n] != u.Subject {
			t.Errorf("button %d is not %s", n, u.Subject)
		}
		team := "no team"
		if len(u.Teams) > 0 {
			team = "team " + u.Teams[0]
		}
		want := html.EscapeString(u.Name) + `</span><span class="meta">role ` + string(u.Roles[0]) + " · " + team
		if !strings.Contains(page, want) {
			t.Errorf("page does not show %q", want)
		}
	}
	lower := strings.ToLower(page)
	for _, banned := range []string{"<script", "src=", "href=", "@import", "url(", "javascript:"} {
		if strings.Contains(lower, banned) {
			t.Errorf("page contains %q", banned)
		}
	}
	if handler := regexp.MustCompile(`\son[a-z]+\s*=`).FindString(lower); handler != "" {
		t.Errorf("page has an event handler attribute %q", handler)
	}

	resp, err := http.Get(r.url + devissuer.AuthorizePath + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	csp := resp.Header.Get("Content-Security-Policy")
	style := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindStringSubmatch(page)
	if style == nil {
		t.Fatal("no style")
	}
	sum := sha256.Sum256([]byte(style[1]))
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q does not allow exactly the inline style", csp)
	}
	if resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", resp.Header)
	}
}

// TestAuthorizeErrors: a request whose client or redirect URI is not
// registered gets an error page and is never redirected; any other fault is
// sent back to the redirect URI with the RFC 6749 error code and the state.
// The login form's POST is checked the same way, since its hidden fields come
// from the browser.
func TestAuthorizeErrors(t *testing.T) {
	r := newRig(t)
	r.iss.RegisterClient("other", "https://other.example/cb")
	type want struct {
		page string // text the error page shows; "" for a redirect
		code string // error in the redirect
	}
	cases := []struct {
		name    string
		edit    func(url.Values)
		getOnly bool
		want    want
	}{
		{"no client", func(v url.Values) { v.Del("client_id") }, false, want{page: "client_id is missing"}},
		{"unknown client", func(v url.Values) { v.Set("client_id", "nobody") }, false, want{page: "&#34;nobody&#34; is not registered"}},
		{"two clients", func(v url.Values) { v.Add("client_id", "other") }, false, want{page: "client_id is given more than once"}},
		{"no redirect URI", func(v url.Values) { v.Del("redirect_uri") }, false, want{page: "redirect_uri is missing"}},
		{"unregistered redirect URI", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, false, want{page: "is not registered for client"}},
		{"same host, other path", func(v url.Values) { v.Set("redirect_uri", callback+"/x") }, false, want{page: "is not registered for client"}},
		{"trailing slash", func(v url.Values) { v.Set("redirect_uri", callback+"/") }, false, want{page: "is not registered for client"}},
		{"another client's redirect URI", func(v url.Values) { v.Set("redirect_uri", "https://other.example/cb") }, false, want{page: "is not registered for client"}},
		{"two redirect URIs", func(v url.Values) { v.Add("redirect_uri", callback) }, false, want{page: "redirect_uri is given more than once"}},
		{"implicit flow", func(v url.Values) { v.Set("response_type", "token") }, false, want{code: "unsupported_response_type"}},
		{"no response type", func(v url.Values) { v.Del("response_type") }, false, want{code: "invalid_request"}},
		{"no openid scope", func(v url.Values) { v.Set("scope", "profile") }, false, want{code: "invalid_scope"}},
		{"unknown scope", func(v url.Values) { v.Set("scope", "openid email") }, false, want{code: "invalid_scope"}},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge") }, false, want{code: "invalid_request"}},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, false, want{code: "invalid_request"}},
		{"no challenge method", func(v url.Values) { v.Del("code_challenge_method") }, false, want{code: "invalid_request"}},
		{"malformed challenge", func(v url.Values) { v.Set("code_challenge", "short") }, false, want{code: "invalid_request"}},
		{"two states", func(v url.Values) { v.Add("state", "x") }, false, want{code: "invalid_request"}},
		{"prompt none", func(v url.Values) { v.Set("prompt", "none") }, true, want{code: "login_required"}},
	}
	for _, tc := range cases {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			if tc.getOnly && method == http.MethodPost {
				continue
			}
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				params := authParams()
				tc.edit(params)
				var resp *http.Response
				var err error
				if method == http.MethodGet {
					resp, err = noRedirects.Get(r.url + devissuer.AuthorizePath + "?" + params.Encode())
				} else {
					params.Set("sub", "rep-ana")
					resp, err = noRedirects.PostForm(r.url+devissuer.AuthorizePath, params)
				}
				if err != nil {
					t.Fatal(err)
				}
				body := readBody(t, resp)
				if tc.want.page != "" {
					if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, tc.want.page) {
						t.Fatalf("%s Location %q, want an error page saying %q:\n%s", resp.Status, resp.Header.Get("Location"), tc.want.page, body)
					}
					if strings.Contains(body, "<form") || strings.Contains(body, "<script") {
						t.Error("error page has a form or a script")
					}
					return
				}
				loc, err := url.Parse(resp.Header.Get("Location"))
				if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), callback+"?") {
					t.Fatalf("%s Location %q, want a redirect to %s", resp.Status, resp.Header.Get("Location"), callback)
				}
				q := loc.Query()
				if q.Get("error") != tc.want.code || q.Get("error_description") == "" || q.Get("state") != params.Get("state") || q.Has("code") {
					t.Errorf("redirect query %v, want error %s and state", q, tc.want.code)
				}
			})
		}
	}
}

// TestLoginForm: choosing a user redirects with a code and the state (keeping
// the redirect URI's own query); a user who does not exist gets the page again;
// a cross-site post of the form is refused.
func TestLoginForm(t *testing.T) {
	r := newRig(t)
	withQuery := "https://console.example/cb?tenant=a"
	r.iss.RegisterClient(clientID, withQuery)

	params := authParams()
	params.Set("redirect_uri", withQuery)
	params.Set("sub", "mgr-max")
	resp, err := noRedirects.PostForm(r.url+devissuer.AuthorizePath, params)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Host != "console.example" || loc.Path != "/cb" ||
		loc.Query().Get("tenant") != "a" || loc.Query().Get("state") != params.Get("state") || len(loc.Query().Get("code")) != 43 {
		t.Fatalf("%s Location %s", resp.Status, loc)
	}

	// Without state the redirect carries none.
	params.Del("state")
	resp, err = noRedirects.PostForm(r.url+devissuer.AuthorizePath, params)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Has("state") || !loc.Query().Has("code") {
		t.Errorf("Location %s", resp.Header.Get("Location"))
	}

	for _, sub := range [][]string{{"rep-nobody"}, nil, {"rep-ana", "rep-bo"}} {
		params := authParams()
		params["sub"] = sub
		resp, err := noRedirects.PostForm(r.url+devissuer.AuthorizePath, params)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" ||
			!strings.Contains(body, `class="error"`) || !strings.Contains(body, `value="rep-ana"`) {
			t.Errorf("sub %v: %s %s\n%s", sub, resp.Status, resp.Header.Get("Location"), body)
		}
	}

	params = authParams()
	params.Set("sub", "admin-ada")
	req, _ := http.NewRequest(http.MethodPost, r.url+devissuer.AuthorizePath, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
		t.Errorf("cross-site login post: %s %s", resp.Status, resp.Header.Get("Location"))
	}
}

// TestDiscoveryAnnouncesCodeFlow: what a client library reads to find the
// endpoints and what they support (the client credentials grant and the
// secrets of service clients too: service_test.go).
func TestDiscoveryAnnouncesCodeFlow(t *testing.T) {
	_, u := serve(t, devissuer.New)
	var d map[string]any
	getJSON(t, u+devissuer.DiscoveryPath, &d)
	want := map[string]any{
		"authorization_endpoint":                u + "/authorize",
		"token_endpoint":                        u + "/token",
		"end_session_endpoint":                  u + "/logout",
		"response_types_supported":              []any{"code"},
		"grant_types_supported":                 []any{"authorization_code", "refresh_token", "client_credentials"},
		"token_endpoint_auth_methods_supported": []any{"none", "client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []any{"S256"},
		"scopes_supported":                      []any{"openid", "profile", "offline_access"},
	}
	for k, v := range want {
		if got := d[k]; !reflect.DeepEqual(got, v) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
}
