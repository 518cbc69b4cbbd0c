package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// Signing in goes through the issuer's login page and lands on the user's
// start page; the session cookie is HttpOnly and SameSite=Lax; every page
// carries the security headers; a post without the session's anti-CSRF
// token is refused and changes nothing; signing out ends the session.
func TestSignInSessionAndCSRF(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})

	// Signed out, a page sends the user to sign in and back.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := anon.Get(s.URL + "/customers?q=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/auth/login?next="+url.QueryEscape("/customers?q=x") {
		t.Fatalf("signed-out page: %d to %q", resp.StatusCode, loc)
	}

	// A page that answers signed-out users with a message (the start page
	// here) links to sign in and back to it; the link's next survives the
	// round trip through the sign-in (escaped once, not twice).
	resp, err = anon.Get(s.URL + "/?from=mail")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`href="(/auth/login\?next=[^"]*)"`).FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("the signed-out start page has no sign-in link:\n%s", body)
	}
	login, _ := url.Parse(html.UnescapeString(m[1]))
	if next := login.Query().Get("next"); next != "/?from=mail" {
		t.Fatalf("the sign-in link's next is %q, want /?from=mail (%s)", next, m[1])
	}

	c := s.Client(t, "mgr-mia")
	if c.CSRF == "" {
		t.Fatal("the start page carries no anti-CSRF token")
	}
	u, _ := url.Parse(s.URL)
	var sess *http.Cookie
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "closeloop_session" {
			sess = ck
		}
	}
	if sess == nil {
		t.Fatal("no session cookie after sign-in")
	}
	p := c.Get("/")
	for h, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	} {
		if got := p.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", h, got, want)
		}
	}
	if strings.Contains(p.Header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("the CSP allows inline code")
	}
	if !strings.Contains(p.Body, "Mia") {
		t.Errorf("the page does not name the signed-in user:\n%s", p.Body)
	}

	// A post without the token (or with another) is refused.
	for _, tok := range []string{"", "forged"} {
		r := c.Post("/auth/logout", url.Values{"_csrf": {tok}})
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "security token") {
			t.Fatalf("logout with _csrf=%q: %d\n%s", tok, r.Status, r.Body)
		}
	}
	if r := c.Get("/"); !strings.Contains(r.Body, "Mia") {
		t.Fatal("a refused post ended the session")
	}
	// With it, the session ends (and the issuer's with it).
	if r := c.Post("/auth/logout", nil); r.Status != http.StatusOK {
		t.Fatalf("logout: %d %s\n%s", r.Status, r.URL, r.Body)
	}
	resp, err = c.HTTP.Get(s.URL + "/customers")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Request.URL.String(), s.Issuer.URL()) {
		t.Fatalf("after sign-out a page did not send the user to sign in (ended at %s)", resp.Request.URL)
	}
}
