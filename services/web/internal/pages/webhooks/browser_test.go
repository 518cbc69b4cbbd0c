package webhooks_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// browse is the webhooks page in Chromium, on the stack of TestWebhooks
// (no webhooks left): the admin reaches it from the header's Admin entry,
// registers a webhook, reads its secret once (the copy button appears with
// script) and, after a reload, no longer sees it; a private address is
// refused next to the URL field. The pages pass axe-core at 1280 px and at
// phone width, in English and Chinese.
func browse(t *testing.T, s *webtest.Stack) {
	b := s.Browser(t)
	tab := b.SignIn(stacktest.Admin, "en")
	tab.Open("/board")
	tab.Do("open the administration from the header",
		chromedp.Click(chromedp.CSS(`header nav a[href="/admin/webhooks"]`)),
		chromedp.WaitVisible(chromedp.CSS("form.webhook-form")),
	)
	if cur := tab.Text(`header nav a[aria-current="page"]`); cur != "Admin" {
		t.Fatalf("the header's current entry reads %q", cur)
	}
	tab.Accessible("the empty webhooks page")

	tab.Do("register a private address",
		chromedp.SendKeys(chromedp.CSS("#wh-url"), "https://192.168.10.4/hooks/closeloop"),
		chromedp.Click(chromedp.CSS("#wh-kind-escalation")),
		chromedp.Click(chromedp.CSS(`form.webhook-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#e-url")),
	)
	if msg := tab.Text("#e-url"); !strings.Contains(msg, "non-public address") {
		t.Fatalf("the URL's refusal reads %q", msg)
	}
	tab.Accessible("the form with a refused URL")

	tab.Do("register a chat's webhook",
		chromedp.SetValue(chromedp.CSS("#wh-url"), "https://chat.example.com/hooks/3f9a7c2e1b?token=do-not-show"),
		chromedp.SetValue(chromedp.CSS("#wh-desc"), "North team's chat: escalations"),
		chromedp.Click(chromedp.CSS(`form.webhook-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".secret-box")),
		// Script shows the copy button.
		chromedp.WaitVisible(chromedp.CSS(`.secret-box button[data-copy]`)),
	)
	secret := webtest.Get(tab, "the secret", chromedp.Value(chromedp.CSS("#wh-secret")))
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the secret shown is %q", secret)
	}
	if body := tab.Text("main"); strings.Contains(body, "do-not-show") || !strings.Contains(body, "https://chat.example.com/…") {
		t.Fatalf("the list shows the URL as:\n%s", body)
	}
	tab.Accessible("the secret shown once")
	tab.Screenshot("webhooks-secret")

	tab.Open("/admin/webhooks")
	if html := webtest.Get(tab, "main", chromedp.OuterHTML(chromedp.CSS("main"))); strings.Contains(html, secret) || strings.Contains(html, "secret-box") {
		t.Fatal("the secret is shown again after a reload")
	}
	tab.Screenshot("webhooks")
	tab.Do("open the webhook's page",
		chromedp.Click(chromedp.CSS(`table.webhooks a[href^="/admin/webhooks/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/rotate"]`)),
	)
	tab.Accessible("a webhook's page")

	tab.Viewport(375, 812, true)
	tab.Open("/admin/webhooks")
	tab.Accessible("the webhooks at phone width")

	zh := b.SignIn(stacktest.Admin, "zh-CN,zh;q=0.9")
	zh.Open("/admin/webhooks")
	if h := zh.Text("h1"); h != "Webhook 订阅" {
		t.Fatalf("the Chinese page's heading: %q", h)
	}
	zh.Accessible("the webhooks in Chinese")
	zh.Screenshot("webhooks-zh")
}
