package settings_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, what string, p webtest.Page, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: %d, want %d\n%s", what, p.Status, status, p.Body)
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page lacks %q\n%s", what, s, p.Body)
		}
	}
	if strings.Contains(p.Body, "settings.") {
		t.Fatalf("%s shows a message id", what)
	}
}

// Everyone opens their notification settings (the defaults at first, a
// manager's with the morning digest), saves them, and a bad value is shown
// next to its field with what was typed kept and nothing saved; Chinese;
// a post without the anti-CSRF token is refused; the page passes axe-core.
func TestNotificationSettings(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	ana, mia := s.Client(t, "rep-ana"), s.Client(t, "mgr-mia")
	must(t, "the rep's defaults", ana.Get("/settings/notifications"), http.StatusOK, "These are the defaults", `value="UTC"`)
	if p := mia.Get("/settings/notifications"); !strings.Contains(p.Body, `id="s-digest" name="digest" checked`) || !strings.Contains(p.Body, `<option value="8" selected>08:00</option>`) {
		t.Fatalf("the manager's default digest is not shown:\n%s", p.Body)
	}

	good := url.Values{"language": {"zh-Hans"}, "time_zone": {"Asia/Shanghai"}, "email": {"ana@example.com"}, "kind": {"escalation", "handover"},
		"quiet": {"on"}, "quiet_from": {"21:30"}, "quiet_to": {"08:00"}, "digest": {"on"}, "digest_hour": {"7"}}
	p := ana.Post("/settings/notifications", good)
	must(t, "after saving", p, http.StatusOK, "Your settings are saved.", `value="ana@example.com"`, `value="21:30"`, `<option value="7" selected>07:00</option>`)
	if !strings.HasSuffix(p.URL, "/settings/notifications?saved=1") || strings.Contains(p.Body, `id="s-kind-reminder" name="kind" value="reminder" checked`) ||
		!strings.Contains(p.Body, `id="s-kind-escalation" name="kind" value="escalation" checked`) {
		t.Fatalf("the saved settings (at %s):\n%s", p.URL, p.Body)
	}
	r := s.Call("GET", "/v1/me/notification-preferences", "rep-ana", nil).JSON(t)
	if r["language"] != "zh-Hans" || r["email"] != "ana@example.com" || r["digest_hour"] != float64(7) {
		t.Fatalf("the service has %v", r)
	}

	bad := url.Values{"language": {"en"}, "time_zone": {"Mars/Olympus"}, "email": {"not-an-address"}, "quiet": {"on"}, "quiet_from": {"21:00"}, "quiet_to": {"21:00"}}
	p = ana.Post("/settings/notifications", bad, "Accept-Language", "en")
	must(t, "refused", p, http.StatusUnprocessableEntity, `id="e-tz"`, `id="e-email"`, `id="e-qto"`, `value="Mars/Olympus"`, `value="not-an-address"`)
	if r := s.Call("GET", "/v1/me/notification-preferences", "rep-ana", nil).JSON(t); r["time_zone"] != "Asia/Shanghai" || r["email"] != "ana@example.com" {
		t.Fatalf("a refused form changed the preferences: %v", r)
	}
	if s.Call("GET", "/v1/me/notification-preferences", "mgr-mia", nil).JSON(t)["default"] != true {
		t.Fatal("rep-ana's settings changed mgr-mia's")
	}
	// Without the anti-CSRF token: refused, nothing saved.
	forged := url.Values{"_csrf": {""}, "language": {"en"}, "time_zone": {"UTC"}}
	if p := ana.Post("/settings/notifications", forged); p.Status != http.StatusForbidden {
		t.Fatalf("a forged post: %d", p.Status)
	}
	if r := s.Call("GET", "/v1/me/notification-preferences", "rep-ana", nil).JSON(t); r["time_zone"] != "Asia/Shanghai" {
		t.Fatalf("a forged post changed the preferences: %v", r)
	}

	b := s.Browser(t)
	tab := b.SignIn("mgr-mia", "en")
	tab.Open("/settings/notifications")
	tab.Accessible("the notification settings")
	tab.Screenshot("settings")
	tab.Do("turn on quiet hours and save",
		chromedp.Click(chromedp.CSS("#s-quiet")),
		chromedp.SetValue(chromedp.CSS("#s-quiet-from"), "22:00"),
		chromedp.SetValue(chromedp.CSS("#s-quiet-to"), "07:30"),
		chromedp.Click(chromedp.CSS(`form.settings button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if q := s.Call("GET", "/v1/me/notification-preferences", "mgr-mia", nil).JSON(t)["quiet_hours"]; q == nil || q.(map[string]any)["from"] != "22:00" {
		t.Fatalf("quiet hours after the browser saved them: %v", q)
	}
	tab.Viewport(375, 812, true)
	tab.Open("/settings/notifications")
	tab.Accessible("the settings at phone width")
	zh := b.SignIn("rep-ana", "zh-CN,zh;q=0.9")
	zh.Open("/settings/notifications")
	zh.Accessible("the settings in Chinese")
	zh.Screenshot("settings-zh")
}
