package slips_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// TestSlipInTheBrowser is a slip's whole loop in Chromium, against the real
// services, the InfoSlip workflow and the Temporal dev server: rep-ana
// opens her customer's page and follows "Send an info slip" (the customer
// is chosen for her), sends a slip to rep-bo; rep-bo finds it under "To
// act on", acknowledges it and reports it done with what he did; rep-ana
// confirms and the slip is closed, every step on its timeline. The form,
// the slip page with its forms and the list pass axe-core, in English and
// Chinese and at phone width.
func TestSlipInTheBrowser(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	name := fmt.Sprintf("Wuxi Pumps %d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	cust := s.Create("rep-ana", stacktest.Company(map[string]any{"name": name}))
	b := s.Browser(t)

	ana := b.SignIn("rep-ana", "en")
	ana.Open("/customers/" + cust)
	ana.Do("follow the customer's link", chromedp.Click(chromedp.CSS("#send-slip")), chromedp.WaitVisible(chromedp.CSS("#send")))
	if got := webtest.Get(ana, "the chosen customer", chromedp.Value(chromedp.CSS("#s-customer"))); got != cust {
		t.Fatalf("the form chose customer %q, want %q", got, cust)
	}
	ana.Accessible("the sending form")
	ana.Screenshot("slip-new")
	ana.Do("send a slip to rep-bo",
		chromedp.SendKeys(chromedp.CSS("#s-subject"), "Competitor offered 10% off"),
		chromedp.SendKeys(chromedp.CSS("#s-body"), "Heard on the visit today."),
		chromedp.SetValue(chromedp.CSS("#s-category"), "competitor"),
		chromedp.SetValue(chromedp.CSS("#s-urgency"), "high"),
		chromedp.SendKeys(chromedp.CSS("#r0-user"), "rep-bo"),
		chromedp.Click(chromedp.CSS("#send-submit")),
	)
	waitFor(t, ana, "the slip is sent", ".notice", "The slip is sent.")
	path := ana.Location()[len(s.URL):]
	if i := strings.IndexByte(path, '?'); i > 0 {
		path = path[:i]
	}
	if got := ana.Text("#part-1"); !strings.Contains(got, "Bo (rep, south)") || !strings.Contains(got, "Not acknowledged") {
		t.Fatalf("the new slip's part reads: %s", got)
	}
	if has(ana, "#f-confirm") || has(ana, "#attachments") {
		t.Fatal("the sender is offered to close a slip nobody has acted on, or shown attachments it has none of")
	}

	bo := b.SignIn("rep-bo", "en")
	bo.Open("/slips")
	if got := bo.Text("main table"); !strings.Contains(got, "Competitor offered 10% off") || !strings.Contains(got, "Not acknowledged") {
		t.Fatalf("rep-bo's list reads:\n%s", got)
	}
	bo.Accessible("the list to act on")
	bo.Screenshot("slips-list")
	bo.Open(path)
	bo.Accessible("the slip page with a recipient's forms")
	bo.Screenshot("slip-recipient")
	bo.Do("acknowledge", chromedp.Click(chromedp.CSS("#f-acknowledge-1 button[type=submit]")))
	waitFor(t, bo, "acknowledged", ".notice", "You have acknowledged your part.")
	if has(bo, "#f-acknowledge-1") || !has(bo, "#f-done-1") {
		t.Fatal("after acknowledging, the page offers acknowledging again or no report")
	}
	bo.Do("report done",
		chromedp.SendKeys(chromedp.CSS("#done-1-note"), "Called the customer back; matched the offer."),
		chromedp.Click(chromedp.CSS("#f-done-1 button[type=submit]")),
	)
	waitFor(t, bo, "done", ".notice", "Your part is reported done.")
	if has(bo, "#act") {
		t.Fatal("a done part still offers its recipient forms")
	}

	ana.Open(path)
	if got := ana.Text("#part-1"); !strings.Contains(got, "Called the customer back") {
		t.Fatalf("the sender's page shows the part as: %s", got)
	}
	ana.Accessible("the slip page with the sender's forms")
	ana.Do("confirm", chromedp.Click(chromedp.CSS("#f-confirm button[type=submit]")))
	waitFor(t, ana, "closed", ".notice", "The slip is closed.")
	if got := ana.Text("#slip-state"); got != "Closed" {
		t.Fatalf("the slip's state reads %q", got)
	}
	if has(ana, "#act") {
		t.Fatal("a closed slip offers forms")
	}
	tl := ana.Text("#timeline")
	for _, want := range []string{"Sent", "Acknowledged", "Done", "Called the customer back", "Closed"} {
		if !strings.Contains(tl, want) {
			t.Fatalf("the timeline lacks %q:\n%s", want, tl)
		}
	}
	if got := s.ServiceCall(t, 200, "GET", "/v1/slips/"+path[len("/slips/"):], "rep-ana", nil); got["state"] != "closed" {
		t.Fatalf("the service has the slip %v", got["state"])
	}
	ana.Viewport(375, 812, true)
	ana.Open(path)
	ana.Accessible("the closed slip at phone width")

	zh := b.SignIn("rep-bo", "zh-CN,zh;q=0.9")
	zh.Open("/slips?role=received&state=closed")
	if got := zh.Text("h1"); got != "信息流转单" {
		t.Fatalf("the Chinese list's heading: %q", got)
	}
	zh.Accessible("the list in Chinese")
	zh.Open("/slips/new")
	zh.Accessible("the sending form in Chinese")
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
