package webtest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// cspMarker starts the console line the page's securitypolicyviolation
// listener writes.
const cspMarker = "closeloop-csp-violation: "

// cspListener runs in every document the tab opens from Watch on, before
// the page's own scripts (DevTools adds it: the page's CSP does not apply to
// it). Every violation the browser reports to the page becomes one console
// line: the directive, what was blocked ("inline", "eval" or a URL), where,
// and the start of the blocked code.
const cspListener = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("` + cspMarker + `" + e.effectiveDirective + " blocked " + (e.blockedURI || "?") +
    " at " + e.sourceFile + ":" + e.lineNumber + ":" + e.columnNumber + " " + JSON.stringify(e.sample || ""));
}, true);`

// Watch is what the browser reported on a tab's pages since Watch began:
// Content-Security-Policy violations (the pages' securitypolicyviolation
// events, the browser's own console reports and resources it blocked for
// the CSP), uncaught exceptions, and the requests htmx sent (HX-Request)
// with their answers' statuses.
type Watch struct {
	tab        *Tab
	mu         sync.Mutex
	violations []string
	exceptions []string
	htmx       map[network.RequestID]*htmxRequest
	order      []network.RequestID
}

type htmxRequest struct {
	method, url string
	status      int64 // 0: no answer yet
	failed      string
}

// Watch starts recording; pages opened from now on are watched from their
// first byte.
func (tab *Tab) Watch() *Watch {
	tab.T.Helper()
	w := &Watch{tab: tab, htmx: map[network.RequestID]*htmxRequest{}}
	if err := chromedp.Listen(tab.Ctx, w.event); err != nil {
		tab.T.Fatalf("watch the tab: %v", err)
	}
	tab.Do("add the CSP violation listener", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener})
		return err
	}))
	return w
}

// event runs in chromedp's read loop: it only records.
func (w *Watch) event(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			if a.Value != nil {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			} else {
				parts = append(parts, a.Description)
			}
		}
		text := strings.Join(parts, " ")
		if strings.Contains(text, cspMarker) || mentionsCSP(text) {
			w.violations = append(w.violations, strings.ReplaceAll(text, cspMarker, ""))
		}
	case *log.EventEntryAdded:
		if e.Entry != nil && mentionsCSP(e.Entry.Text) {
			w.violations = append(w.violations, fmt.Sprintf("browser log (%s): %s", e.Entry.Source, e.Entry.Text))
		}
	case *runtime.EventExceptionThrown:
		if d := e.ExceptionDetails; d != nil {
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			w.exceptions = append(w.exceptions, fmt.Sprintf("%s at %s:%d", text, d.URL, d.LineNumber))
		}
	case *network.EventLoadingFailed:
		if e.BlockedReason == network.BlockedReasonCsp {
			w.violations = append(w.violations, "a resource blocked by the CSP: request "+string(e.RequestID))
		}
		if r := w.htmx[e.RequestID]; r != nil {
			r.failed = e.ErrorText
		}
	case *network.EventRequestWillBeSent:
		if e.Request != nil && isHTMX(e.Request.Headers) {
			w.htmx[e.RequestID] = &htmxRequest{method: e.Request.Method, url: e.Request.URL}
			w.order = append(w.order, e.RequestID)
		}
	case *network.EventResponseReceived:
		if r := w.htmx[e.RequestID]; r != nil && e.Response != nil {
			r.status = e.Response.Status
		}
	}
}

func mentionsCSP(s string) bool {
	return strings.Contains(s, "Content Security Policy") || strings.Contains(s, "Content-Security-Policy")
}

func isHTMX(h network.Headers) bool {
	for k, v := range h {
		if strings.EqualFold(k, "HX-Request") && fmt.Sprint(v) == "true" {
			return true
		}
	}
	return false
}

// Take returns the CSP violations and uncaught exceptions recorded since
// the last Take or Check, and forgets them.
func (w *Watch) Take() (violations, exceptions []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	violations, exceptions = w.violations, w.exceptions
	w.violations, w.exceptions = nil, nil
	return violations, exceptions
}

// Check fails the test with every CSP violation and uncaught exception
// recorded since the last Take or Check (on what: a page's name).
func (w *Watch) Check(what string) {
	w.tab.T.Helper()
	vs, xs := w.Take()
	for _, v := range vs {
		w.tab.T.Errorf("CSP violation on %s: %s", what, v)
	}
	for _, x := range xs {
		w.tab.T.Errorf("uncaught exception on %s: %s", what, x)
	}
}

// HTMX returns the requests htmx sent since the last call, as "METHOD URL
// status" (status 0: not answered yet; "failed: …" when the request
// failed), and forgets them.
func (w *Watch) HTMX() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, id := range w.order {
		r := w.htmx[id]
		s := fmt.Sprintf("%s %s %d", r.method, r.url, r.status)
		if r.failed != "" {
			s += " failed: " + r.failed
		}
		out = append(out, s)
	}
	w.htmx, w.order = map[network.RequestID]*htmxRequest{}, nil
	return out
}

// AnsweredHTMX reports whether htmx sent a request whose path starts with
// prefix since the last HTMX call, and it was answered with a 2xx status.
func (w *Watch) AnsweredHTMX(prefix string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range w.order {
		r := w.htmx[id]
		if r.status >= 200 && r.status < 300 && strings.HasPrefix(r.url, w.tab.s.URL+prefix) {
			return true
		}
	}
	return false
}
