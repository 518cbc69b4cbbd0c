package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// The console's pages run under its Content-Security-Policy (no inline
// script or style, scripts and styles only from /static) in a real browser
// without a single violation or uncaught exception, and htmx still works
// there: every page loads its inbox badge through htmx, and the customers'
// filter swaps the list in place. A script injected into a page is blocked
// and reported, so the test sees violations when there are any.
func TestBrowserPagesKeepTheConsoleCSP(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	valve := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Ana Valve Works"}))
	s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Ana Pump Works"}))
	b := s.Browser(t)

	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 20s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	rep := b.SignIn("rep-ana", "en")
	w := rep.Watch()

	// The watch sees a violation: an inline script is refused.
	rep.Open("/customers")
	if ran := webtest.Get(rep, "inject an inline script", chromedp.Evaluate[bool](
		`(() => { const s = document.createElement("script"); s.textContent = "window.cspCanary = 1"; document.body.appendChild(s); return window.cspCanary === 1 })()`)); ran {
		t.Fatal("an inline script ran: the page has no CSP forbidding it")
	}
	// Both the page's securitypolicyviolation event and the browser's own
	// report (its console log) are seen.
	var seen []string
	eventually("the injected script reported as a CSP violation, by the page and by the browser", func() bool {
		v, _ := w.Take()
		seen = append(seen, v...)
		all := strings.Join(seen, "\n")
		return strings.Contains(all, "script-src-elem blocked inline") && strings.Contains(all, "browser log")
	})
	time.Sleep(500 * time.Millisecond) // anything else the canary caused
	w.Take()

	type watched struct {
		tab   *webtest.Tab
		watch *webtest.Watch
		paths []string
	}
	mgr := b.SignIn("mgr-mia", "en")
	admin := b.SignIn("admin-ada", "zh-CN")
	pages := []watched{
		{rep, w, []string{"/my-day", "/customers", "/customers/" + valve, "/leads", "/cases", "/slips", "/notices", "/campaigns",
			"/visits", "/import", "/inbox"}},
		{mgr, mgr.Watch(), []string{"/board", "/analytics", "/policies", "/calendars", "/customers?owner_id=rep-ana"}},
		{admin, admin.Watch(), []string{"/admin/webhooks", "/admin/deliveries", "/customers"}},
	}
	for _, p := range pages {
		for _, path := range p.paths {
			p.watch.HTMX()
			p.tab.Open(path)
			// htmx loads the badge of the inbox once the page shows.
			eventually(path+": htmx loads the inbox badge", func() bool { return p.watch.AnsweredHTMX("/inbox/count") })
			p.watch.Check(path)
		}
	}

	// The filter of the customers' list: htmx sends it and swaps the rows
	// in place (the page is not reloaded), and the address follows.
	rep.Open("/customers")
	w.HTMX()
	rep.Do("filter the customers in place",
		chromedp.Evaluate[chromedp.Void](`window.samePage = true`),
		chromedp.SetValue(chromedp.CSS("#f-q"), "Valve"),
		chromedp.Click(chromedp.CSS("form.filters button[type=submit]")),
	)
	eventually("the filtered rows", func() bool {
		rows := rep.Text("#customer-rows")
		return strings.Contains(rows, "Ana Valve Works") && !strings.Contains(rows, "Ana Pump Works")
	})
	if !w.AnsweredHTMX("/customers?") {
		t.Errorf("the filter was not sent by htmx: %v", w.HTMX())
	}
	if same := webtest.Get(rep, "same page", chromedp.Evaluate[bool](`window.samePage === true`)); !same {
		t.Error("filtering reloaded the page instead of swapping the rows")
	}
	if loc := rep.Location(); !strings.Contains(loc, "q=Valve") {
		t.Errorf("the address did not follow the filter: %s", loc)
	}
	w.Check("the customers' filter")
}
