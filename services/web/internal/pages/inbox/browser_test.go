package inbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// browse is the inbox in Chromium, on the stack of TestInbox while mgr-mia
// has two unread escalations and rep-ana four messages: the header's badge
// loads by itself; the manager clicks "Mark read" on one message and, without
// a page load, the message shows as read and the badge's count drops from 2
// to 1 (and its live region says so). The page passes axe-core at 1280 px
// and at phone width, in English and Chinese.
func browse(t *testing.T, s *webtest.Stack, id string) {
	b := s.Browser(t)
	tab := b.SignIn(stacktest.MgrMia, "en")
	tab.Open("/inbox")
	waitText(t, tab, "#inbox-badge .count", "2")
	tab.Accessible("the inbox")
	tab.Screenshot("inbox")

	msg := "#msg-" + id
	processed(t, tab, msg+" form")
	tab.Do("mark one message read",
		// A page load would lose this.
		chromedp.Evaluate[chromedp.Void](`window.inboxStayed = true`),
		chromedp.Click(chromedp.CSS(msg+" form button[type=submit]")),
	)
	waitText(t, tab, "#inbox-badge .count", "1")
	waitText(t, tab, "#inbox-badge-live", "1 unread message")
	if !webtest.Get(tab, "no page load", chromedp.Evaluate[bool](`window.inboxStayed === true`)) {
		t.Fatal("marking a message read loaded a page")
	}
	if webtest.Get(tab, "the read message", chromedp.Evaluate[bool](`!!document.querySelector("`+msg+` .unread-mark, `+msg+` form")`)) {
		t.Fatalf("the message still shows as unread: %s", tab.Text(msg))
	}
	if sum := tab.Text("#inbox-summary"); !strings.Contains(sum, "You have 1 unread message.") {
		t.Fatalf("the summary reads %q", sum)
	}
	tab.Accessible("the inbox after marking one read")

	tab.Viewport(375, 812, true)
	tab.Open("/inbox")
	waitText(t, tab, "#inbox-badge .count", "1")
	tab.Accessible("the inbox at phone width")

	zh := b.SignIn(stacktest.RepAna, "zh-CN,zh;q=0.9")
	zh.Open("/inbox")
	if h := zh.Text("h1"); h != "收件箱" {
		t.Fatalf("the Chinese inbox's heading: %q", h)
	}
	waitText(t, zh, "#inbox-badge .count", "4")
	zh.Accessible("the inbox in Chinese")
	zh.Screenshot("inbox-zh")
}

// waitText waits until the text of sel is want.
func waitText(t *testing.T, tab *webtest.Tab, sel, want string) {
	t.Helper()
	js := `(function(){var e=document.querySelector("` + sel + `");return e ? e.textContent.trim() : "";})()`
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := webtest.Get(tab, "read "+sel, chromedp.Evaluate[string](js))
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s reads %q, want %q", sel, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processed waits until htmx has bound the element sel (it keeps its state
// in the element's htmx-internal-data property).
func processed(t *testing.T, tab *webtest.Tab, sel string) {
	t.Helper()
	js := `(function(){var e=document.querySelector("` + sel + `");return !!(e && e["htmx-internal-data"] && !document.querySelector(".htmx-settling, .htmx-request"));})()`
	deadline := time.Now().Add(10 * time.Second)
	for !webtest.Get(tab, "htmx bound "+sel, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			t.Fatalf("htmx did not bind %s", sel)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
