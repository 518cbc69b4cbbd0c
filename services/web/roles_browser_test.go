package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// Every role signs in in a real browser and lands on its own start page with
// only its pages in the navigation (the administration only for admins); a
// rep who opens a manager's, an analyst's or an admin's page is told whom it
// is for; a second rep's customer never appears in a rep's list, nor behind
// its address; a form posted without the session's anti-CSRF token is
// refused and changes nothing.
func TestBrowserRolesScopeAndRefusals(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	mine := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Ana Own Works"}))
	theirs := s.Create("rep-cy", stacktest.Company(map[string]any{"name": "Cy Other Works"}))
	b := s.Browser(t)

	for _, c := range []struct {
		user, home   string
		sees, hidden []string
	}{
		{"rep-ana", "/my-day", []string{"/my-day", "/customers", "/leads", "/visits", "/import", "/notices"}, []string{"/board", "/policies", "/analytics", "/admin/webhooks"}},
		{"mgr-mia", "/board", []string{"/board", "/customers", "/leads", "/visits", "/analytics", "/policies", "/calendars", "/import", "/notices"}, []string{"/my-day", "/admin/webhooks"}},
		{"analyst-ali", "/customers", []string{"/customers", "/leads", "/analytics", "/policies", "/calendars", "/notices"}, []string{"/my-day", "/board", "/import", "/visits", "/admin/webhooks"}},
		{"admin-ada", "/board", []string{"/board", "/customers", "/policies", "/import", "/admin/webhooks", "/notices"}, []string{"/my-day"}},
	} {
		tab := b.SignIn(c.user, "en")
		tab.Open("/")
		if loc := tab.Location(); !strings.HasSuffix(strings.SplitN(loc, "?", 2)[0], c.home) {
			t.Errorf("%s lands on %s, want %s", c.user, loc, c.home)
		}
		nav := webtest.Get(tab, "nav", chromedp.OuterHTML(chromedp.CSS("header nav")))
		for _, p := range c.sees {
			if !strings.Contains(nav, `href="`+p+`"`) {
				t.Errorf("%s's navigation lacks %s", c.user, p)
			}
		}
		for _, p := range c.hidden {
			if strings.Contains(nav, `href="`+p+`"`) {
				t.Errorf("%s's navigation offers %s", c.user, p)
			}
		}
	}

	rep := b.SignIn("rep-ana", "en")
	for _, path := range []string{"/board", "/policies"} {
		rep.Open(path)
		if h := rep.Text("main h1"); !strings.Contains(h, "not for your role") {
			t.Errorf("a rep opening %s reads %q", path, h)
		}
		if why := rep.Text("main p"); !strings.Contains(why, "manager") || !strings.Contains(why, "Ana") {
			t.Errorf("the refusal of %s does not say whom it is for and who the rep is: %q", path, why)
		}
	}
	// The administration names its role.
	for _, path := range []string{"/admin/webhooks", "/admin/deliveries"} {
		rep.Open(path)
		if h, why := rep.Text("main h1"), rep.Text("main p"); !strings.Contains(h, "not for your role") || !strings.Contains(why, "administrator") {
			t.Errorf("a rep opening %s reads %q: %q", path, h, why)
		}
	}
	rep.Open("/customers")
	list := webtest.Get(rep, "list", chromedp.OuterHTML(chromedp.CSS("main")))
	if !strings.Contains(list, "Ana Own Works") || strings.Contains(list, "Cy Other Works") {
		t.Fatalf("the rep's list: own customer shown=%v, second rep's shown=%v", strings.Contains(list, "Ana Own Works"), strings.Contains(list, "Cy Other Works"))
	}
	rep.Open("/customers/" + theirs)
	if body := webtest.Get(rep, "other's customer", chromedp.OuterHTML(chromedp.CSS("main"))); strings.Contains(body, "Cy Other Works") {
		t.Fatal("the second rep's customer is shown behind its address")
	}
	_ = mine

	// A post without the anti-CSRF token (a forged cross-site form) is
	// refused: the browser stays signed in.
	rep.Open("/customers")
	rep.Do("forge a sign-out without the token",
		chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector("form[action='/auth/logout']"); f.querySelector("input[name=_csrf]").value = ""; f.submit(); })()`),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	)
	if msg := rep.Text("main"); !strings.Contains(msg, "security token") {
		t.Fatalf("a post without the token reads %q", msg)
	}
	rep.Open("/customers")
	if who := rep.Text("header .who"); !strings.Contains(who, "Ana") {
		t.Fatal("the refused post signed the user out")
	}

	// And over plain HTTP: the refusal is a 403.
	c := s.Client(t, "rep-ana")
	if p := c.Post("/auth/logout", map[string][]string{"_csrf": {""}}); p.Status != http.StatusForbidden {
		t.Fatalf("logout without token: %d", p.Status)
	}
}
