package deliveries_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// browse is the dead-letter list in Chromium, on the stack of
// TestDeliveries while delivery id is failed: the admin clicks its Retry
// and, without a page load, its row says "retrying" and has no Retry any
// more. The page passes axe-core at 1280 px and at phone width, in
// English and Chinese.
func browse(t *testing.T, s *webtest.Stack, id string) {
	b := s.Browser(t)
	tab := b.SignIn(stacktest.Admin, "en")
	tab.Open("/admin/deliveries?channel=webhook")
	tab.Accessible("the dead-letter list")
	tab.Screenshot("deliveries")

	row := "#d-" + id
	processed(t, tab, row+" form")
	tab.Do("retry one delivery",
		chromedp.Evaluate[chromedp.Void](`window.deliveriesStayed = true`),
		chromedp.Click(chromedp.CSS(row+" form button[type=submit]")),
	)
	// Read with script: htmx replaces the row while chromedp may hold it.
	text := `(function(){var e=document.querySelector("` + row + `");return e ? e.textContent : "";})()`
	deadline := time.Now().Add(20 * time.Second)
	for got := ""; !strings.Contains(got, "retrying"); got = webtest.Get(tab, "the row", chromedp.Evaluate[string](text)) {
		if time.Now().After(deadline) {
			t.Fatalf("the retried row reads %q", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !webtest.Get(tab, "no page load", chromedp.Evaluate[bool](`window.deliveriesStayed === true`)) {
		t.Fatal("retrying loaded a page")
	}
	if webtest.Get(tab, "the row's form", chromedp.Evaluate[bool](`!!document.querySelector("`+row+` form")`)) {
		t.Fatal("the retried row still offers Retry")
	}
	tab.Accessible("the list after a retry")

	tab.Viewport(375, 812, true)
	tab.Open("/admin/deliveries")
	tab.Accessible("the deliveries at phone width")

	zh := b.SignIn(stacktest.Admin, "zh-CN,zh;q=0.9")
	zh.Open("/admin/deliveries?status=sent")
	if h := zh.Text("h1"); h != "通知投递" {
		t.Fatalf("the Chinese page's heading: %q", h)
	}
	zh.Accessible("the deliveries in Chinese")
	zh.Screenshot("deliveries-zh")
}

// processed waits until htmx has bound the element sel (it keeps its state
// in the element's htmx-internal-data property).
func processed(t *testing.T, tab *webtest.Tab, sel string) {
	t.Helper()
	js := `(function(){var e=document.querySelector(` + "`" + sel + "`" + `);return !!(e && e["htmx-internal-data"] && !document.querySelector(".htmx-settling, .htmx-request"));})()`
	deadline := time.Now().Add(10 * time.Second)
	for !webtest.Get(tab, "htmx bound "+sel, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			t.Fatalf("htmx did not bind %s", sel)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
