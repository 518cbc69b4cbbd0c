package notices_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// TestNoticeInTheBrowser is a notice's whole loop in Chromium, against the
// whole stack as the console runs on it (the services, the workflow worker,
// the Temporal dev server): mgr-mia writes a notice to her team north that
// must be acknowledged and publishes it from the form; rep-ana finds it
// unread, opens it — which marks it read — and acknowledges it; rep-bo of
// team south never sees it; mgr-mia, herself one of the three readers (she
// is in team north, and opening her notice read it too), sees two who read
// it and one who acknowledged it: rep-ana, the only one among the
// acknowledged. The form, the boxes and both sides of the notice page pass
// axe-core, in English and Chinese and at phone width.
func TestNoticeInTheBrowser(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	b := s.Browser(t)
	title := "New price list " + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	// Far enough ahead that the browser's time zone does not matter.
	until := time.Now().AddDate(0, 0, 30).Format("2006-01-02T15:04")
	deadline := time.Now().AddDate(0, 0, 7).Format("2006-01-02T15:04")

	mia := b.SignIn("mgr-mia", "en")
	mia.Open("/notices")
	mia.Do("follow the link to the form", chromedp.Click(chromedp.CSS("#new-link")), chromedp.WaitVisible(chromedp.CSS("#notice-form")))
	mia.Accessible("the writing form")
	mia.Screenshot("notice-new")
	mia.Do("write and publish a notice to team north",
		chromedp.SendKeys(chromedp.CSS("#n-title"), title),
		chromedp.SendKeys(chromedp.CSS("#n-body"), "The 2026 price list replaces the old one.\nFor every quote."),
		chromedp.SendKeys(chromedp.CSS("#n-teams"), "north"),
		chromedp.SetValue(chromedp.CSS("#n-until"), until),
		chromedp.Click(chromedp.CSS("#n-must-ack")),
		chromedp.SetValue(chromedp.CSS("#n-deadline"), deadline),
		chromedp.Click(chromedp.CSS("#publish")),
	)
	waitFor(t, mia, "published", ".notice", "The notice is published")
	path := mia.Location()[len(s.URL):]
	if i := strings.IndexByte(path, '?'); i > 0 {
		path = path[:i]
	}
	if got := count(mia, "readers"); got != "3" {
		t.Fatalf("the new notice has %s readers, want 3:\n%s", got, mia.Text("#counts"))
	}
	if got := mia.Text("#readers"); !strings.Contains(got, "Ana (rep, north)") || !strings.Contains(got, "Cy (rep, north)") || strings.Contains(got, "Bo") {
		t.Fatalf("the readers are:\n%s", got)
	}
	mia.Accessible("the publisher's notice page")
	mia.Screenshot("notice-publisher")

	ana := b.SignIn("rep-ana", "en")
	ana.Open("/notices?box=unread")
	if got := ana.Text("main table"); !strings.Contains(got, title) || !strings.Contains(got, "Unread") || !strings.Contains(got, "Required") {
		t.Fatalf("rep-ana's unread notices read:\n%s", got)
	}
	ana.Accessible("the unread box")
	ana.Screenshot("notices-unread")
	ana.Do("open the notice", chromedp.Click(chromedp.CSS("#notices tbody a")), chromedp.WaitVisible(chromedp.CSS("#notice-body")))
	waitFor(t, ana, "read on opening", "#read-done time", "")
	if got := ana.Text("#notice-body"); !strings.Contains(got, "For every quote.") {
		t.Fatalf("the notice's text reads %q", got)
	}
	ana.Accessible("the reader's notice page")
	ana.Screenshot("notice-reader")
	ana.Do("acknowledge", chromedp.Click(chromedp.CSS("#f-acknowledge button[type=submit]")))
	waitFor(t, ana, "acknowledged", ".notice", "You have acknowledged this notice.")
	if has(ana, "#f-acknowledge") || !strings.Contains(ana.Text("#ack"), "Acknowledged") {
		t.Fatal("after acknowledging, the page offers to acknowledge again or does not say it is")
	}
	ana.Open("/notices?box=unacknowledged")
	if strings.Contains(ana.Text("main"), title) {
		t.Fatal("an acknowledged notice is still to acknowledge")
	}

	bo := b.SignIn("rep-bo", "en")
	bo.Open("/notices")
	if strings.Contains(bo.Text("main"), title) {
		t.Fatal("team south's rep is shown team north's notice")
	}
	bo.Open(path)
	if h := bo.Text("main h1"); !strings.Contains(h, "no such page") {
		t.Fatalf("rep-bo opening the notice reads %q", h)
	}

	// mgr-mia is in team north too: opening her notice read it.
	mia.Open(path)
	for k, want := range map[string]string{"readers": "3", "read": "2", "unread": "1", "acknowledged": "1", "unacknowledged": "2", "overdue": "0"} {
		if got := count(mia, k); got != want {
			t.Fatalf("the notice counts %s %s, want %s:\n%s", got, k, want, mia.Text("#counts"))
		}
	}
	if got := mia.Text("#reader-rep-ana"); !strings.Contains(got, "Acknowledged") {
		t.Fatalf("rep-ana's receipt reads %q", got)
	}
	mia.Do("show the acknowledged readers", chromedp.Click(chromedp.CSS(`a[href$="readers=acknowledged#receipts"]`)),
		chromedp.WaitVisible(chromedp.CSS("#readers")))
	if got := mia.Text("#readers"); !strings.Contains(got, "Ana (rep, north)") || strings.Contains(got, "Cy (rep, north)") {
		t.Fatalf("the acknowledged readers are:\n%s", got)
	}
	if got := s.ServiceCall(t, 200, "GET", "/v1/notices/"+path[len("/notices/"):]+"/receipts", "mgr-mia", nil)["counts"].(map[string]any); got["acknowledged"] != float64(1) || got["read"] != float64(2) {
		t.Fatalf("the service counts %v", got)
	}
	mia.Viewport(375, 812, true)
	mia.Open(path)
	mia.Accessible("the publisher's page at phone width")

	zh := b.SignIn("rep-cy", "zh-CN,zh;q=0.9")
	zh.Open("/notices")
	if got := zh.Text("h1"); got != "公告" {
		t.Fatalf("the Chinese boxes' heading: %q", got)
	}
	zh.Accessible("the inbox in Chinese")
	zh.Open(path)
	waitFor(t, zh, "read on opening, in Chinese", "#read-done time", "")
	zh.Accessible("the notice page in Chinese")
	mzh := b.SignIn("mgr-mia", "zh-CN,zh;q=0.9")
	mzh.Open("/notices/new")
	mzh.Accessible("the writing form in Chinese")
}

// count is the figure of the receipts' count k (readers, read, …).
func count(tab *webtest.Tab, k string) string {
	return strings.TrimSpace(tab.Text("#count-" + k + " .stat"))
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
