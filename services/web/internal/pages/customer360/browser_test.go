package customer360_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// browserChecks runs on TestCustomer360's stack: in headless Chromium a rep
// opens the customer page and loads older timeline entries with htmx (the
// page is not reloaded); the page passes axe-core's WCAG 2 A/AA rules at
// 1280 px and at phone width, in English and Chinese; screenshots for
// docs/console/customers.md.
func browserChecks(t *testing.T, s *webtest.Stack, id string) {
	b := s.Browser(t)
	tab := b.SignIn("rep-ana", "en")
	tab.Open("/customers/" + id)
	tab.Accessible("the customer page")
	tab.Screenshot("customer360-en")
	count := `document.querySelectorAll('#timeline-pages li').length`
	if n := webtest.Get(tab, "count entries", chromedp.Evaluate[int](count)); n != 50 {
		t.Fatalf("the first page shows %d entries", n)
	}
	tab.Do("load older entries",
		chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`),
		chromedp.Click(chromedp.CSS(`#timeline-older a`)),
	)
	webtest.Get(tab, "wait for older entries", chromedp.Poll[bool](count+` > 50`))
	if !webtest.Get(tab, "same page", chromedp.Evaluate[bool](`window.__notReloaded === true`)) {
		t.Fatal("loading older entries reloaded the page")
	}
	if n := webtest.Get(tab, "count entries", chromedp.Evaluate[int](count)); n != 100 {
		t.Fatalf("after loading older entries the timeline shows %d", n)
	}
	tab.Accessible("the customer page with older entries")
	tab.Viewport(375, 812, true)
	tab.Open("/customers/" + id)
	tab.Accessible("the customer page at phone width")
	tab.Screenshot("customer360-phone")

	zh := b.SignIn("mgr-mia", "zh-CN,zh;q=0.9")
	zh.Open("/customers/" + id)
	if lang := zh.Lang(); lang != "zh-Hans" {
		t.Fatalf("the page's language is %q", lang)
	}
	zh.Accessible("the customer page in Chinese")
	zh.Screenshot("customer360-zh")
	zh.Viewport(375, 812, true)
	zh.Accessible("the customer page in Chinese at phone width")
}
