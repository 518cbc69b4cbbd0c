package cases_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// browse is a case's life in Chromium, on TestWorkACase's stack: a rep
// files a case through the list's form, replies to the customer, waits for
// the customer (the resolution target pauses) and takes the case back up,
// tries to resolve without a reason and reads the refusal next to the
// field, resolves with one and closes at the customer's request. The case
// page, its refusal and the list pass axe-core at 1280 px and at phone
// width, in English and Chinese.
func browse(t *testing.T, s *webtest.Stack, cust, name string) {
	b := s.Browser(t)
	tab := b.SignIn("rep-ana", "en")
	tab.Open("/cases")
	tab.Do("file a case",
		chromedp.SetValue(chromedp.CSS("#c-customer"), cust),
		chromedp.SetValue(chromedp.CSS("#c-type"), "complaint"),
		chromedp.SendKeys(chromedp.CSS("#c-subject"), "Conveyor belt slips"),
		chromedp.Click(chromedp.CSS(`#file button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	path := tab.Location()[len(s.URL):]
	if i := strings.IndexByte(path, '?'); i > 0 {
		path = path[:i]
	}
	deadline := time.Now().Add(30 * time.Second)
	for !has(tab, "#sla-resolution") {
		if time.Now().After(deadline) {
			t.Fatal("the case's targets did not show")
		}
		time.Sleep(300 * time.Millisecond)
		tab.Open(path)
	}
	tab.Accessible("the case page with its forms")
	tab.Screenshot("case")

	submit := func(what, form, notice string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tab.Do(what, append(steps, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))...)
		waitFor(t, tab, what, `.notice`, notice)
	}
	submit("reply to the customer", "#f-reply", "Your reply to the customer is on the case.",
		chromedp.SendKeys(chromedp.CSS("#reply-body"), "We are on our way."))
	if got := tab.Text("#sla-first_response"); !strings.Contains(got, "Met") {
		t.Fatalf("the reply did not meet the first response: %s", got)
	}
	submit("wait for the customer", "#f-state", "The case is now: Waiting for the customer.",
		chromedp.SetValue(chromedp.CSS("#state-to"), "pending_customer"),
		chromedp.SendKeys(chromedp.CSS("#state-reason"), "asked for the belt's serial number"))
	if got := tab.Text("#sla-resolution"); !strings.Contains(got, "Paused") {
		t.Fatalf("waiting for the customer did not pause the resolution: %s", got)
	}
	submit("take it back up", "#f-state", "The case is now: Open.",
		chromedp.SetValue(chromedp.CSS("#state-to"), "open"))
	if got := tab.Text("#sla-resolution"); strings.Contains(got, "Paused") {
		t.Fatalf("opening the case again did not resume the resolution: %s", got)
	}

	tab.Do("resolve without a reason",
		chromedp.SetValue(chromedp.CSS("#state-to"), "resolved"),
		chromedp.Click(chromedp.CSS(`#f-state button[type=submit]`)),
	)
	waitFor(t, tab, "the refusal", "#state-problem", "Some fields need attention.")
	if got := tab.Text("#state-reason-err"); got != "This is required." {
		t.Fatalf("the reason's message: %q", got)
	}
	tab.Accessible("the case page with a refusal")
	tab.Screenshot("case-refused")
	submit("resolve with a reason", "#f-state", "The case is now: Resolved.",
		chromedp.SetValue(chromedp.CSS("#state-to"), "resolved"),
		chromedp.SendKeys(chromedp.CSS("#state-reason"), "belt tensioned"))
	submit("close at the customer's request", "#f-state", "The case is now: Closed.",
		chromedp.SetValue(chromedp.CSS("#state-to"), "closed"),
		chromedp.Click(chromedp.CSS("#state-customer")))
	if has(tab, "#f-state") || has(tab, "#f-reply") || !has(tab, "#f-note") {
		t.Fatal("a closed case offers more than a note")
	}
	if got := tab.Text("#timeline"); !strings.Contains(got, "belt tensioned") || !strings.Contains(got, "We are on our way.") {
		t.Fatalf("the timeline reads:\n%s", got)
	}

	tab.Open("/cases")
	if got := tab.Text("main table"); !strings.Contains(got, "Conveyor belt slips") || !strings.Contains(got, name) {
		t.Fatalf("the list reads:\n%s", got)
	}
	tab.Accessible("the list with its SLA column")
	tab.Screenshot("cases-list")
	tab.Viewport(375, 812, true)
	tab.Open(path)
	tab.Accessible("the case page at phone width")
	tab.Screenshot("case-phone")

	zh := b.SignIn("rep-ana", "zh-CN,zh;q=0.9")
	zh.Open(path)
	if got := zh.Text("#h-sla"); got != "服务时限" {
		t.Fatalf("the Chinese SLA panel's heading: %q", got)
	}
	zh.Accessible("the case page in Chinese")
	zh.Open("/cases")
	zh.Accessible("the list in Chinese")
}

// has reports whether the page has an element matching sel.
func has(tab *webtest.Tab, sel string) bool {
	return webtest.Get(tab, "look for "+sel, chromedp.Evaluate[bool](`!!document.querySelector(`+strconv.Quote(sel)+`)`))
}

// waitFor waits until the element sel (of the page the last step loaded)
// says want.
func waitFor(t *testing.T, tab *webtest.Tab, what, sel, want string) {
	t.Helper()
	js := `(function(){var e=document.querySelector(` + strconv.Quote(sel) + `);return !!e && e.textContent.indexOf(` + strconv.Quote(want) + `)>=0;})()`
	deadline := time.Now().Add(30 * time.Second)
	for !webtest.Get(tab, what, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never said %q; the page says:\n%s", what, sel, want, tab.Text("main"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
