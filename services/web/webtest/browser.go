package webtest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// axe-core, vendored from its npm package (MPL-2.0): the accessibility
// checker run inside the pages the browser tests visit.
//
//go:embed axe/axe-4.14.1.min.js
var axeSource string

// ChromiumEnv names the Chromium binary when it is not on PATH.
const ChromiumEnv = "CHROMIUM"

// ScreenshotsEnv, when set to 1, makes Screenshot write into
// docs/console/screenshots (make screenshots); otherwise screenshots go to
// the test's temporary directory, so a plain `make test` leaves the
// repository as it was.
const ScreenshotsEnv = "UPDATE_SCREENSHOTS"

// chromium finds the browser: $CHROMIUM, else chromium on PATH.
func chromium(t testing.TB) string {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("the browser tests need Chromium: `make test` installs it (apt-get install chromium, as root on Debian); or set %s to a Chromium binary", ChromiumEnv)
	return ""
}

// Browser is a headless Chromium for one test.
type Browser struct {
	t     testing.TB
	s     *Stack
	alloc context.Context
	root  context.Context
}

// Browser starts headless Chromium; it stops with the test.
func (s *Stack) Browser(t testing.TB) *Browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // root in CI containers
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	if err := chromedp.Do(root); err != nil {
		cancelRoot()
		cancelAlloc()
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	return &Browser{t: t, s: s, alloc: alloc, root: root}
}

// Tab is one signed-in user's browser context (its own cookies).
type Tab struct {
	T   testing.TB
	Ctx context.Context
	s   *Stack
}

// SignIn opens a fresh browser context (no cookies shared with other
// users), asks for pages in lang ("en" or "zh-CN" as Accept-Language), and
// signs user in through the issuer's login page.
func (b *Browser) SignIn(user, lang string) *Tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	// The first run opens the tab and binds its life to the context it is
	// given: that must be ctx itself, not a context with a deadline.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a browser context: %v", err)
	}
	tab := &Tab{T: b.t, Ctx: ctx, s: b.s}
	button := chromedp.CSS(`button[name=sub][value="` + user + `"]`)
	tab.Do("sign in as "+user,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if lang == "" {
				return nil
			}
			if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}})
			return err
		}),
		chromedp.Navigate(b.s.URL+"/auth/login"),
		chromedp.WaitVisible(button),
		chromedp.Click(button),
		chromedp.WaitVisible(chromedp.CSS(`header .who`)),
	)
	return tab
}

// Do runs steps with a deadline; what names them in a failure, which also
// shows where the browser was and what its page said.
func (tab *Tab) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tab.T.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tab.fail(what, err)
	}
}

// Get runs one step that returns a value, with a deadline.
func Get[T any](tab *Tab, what string, a chromedp.Action[T]) T {
	tab.T.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tab.fail(what, err)
	}
	return v
}

func (tab *Tab) fail(what string, err error) {
	tab.T.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	tab.T.Fatalf("%s: %v\n(at %s)\n%s", what, err, loc, truncate(body, 4000))
}

// Open navigates to path and waits for the page body.
func (tab *Tab) Open(path string) {
	tab.T.Helper()
	tab.Do("open "+path, chromedp.Navigate(tab.s.URL+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// Text returns the text of the first element matching sel.
//
// It reads the live document each time (document.querySelector), waiting up
// to 60 s for a match: reading through a node id found first failed with "No
// node with given id found" whenever htmx swapped the element in between.
func (tab *Tab) Text(sel string) string {
	tab.T.Helper()
	quoted, err := json.Marshal(sel)
	if err != nil {
		tab.T.Fatal(err)
	}
	expr := `(() => { const e = document.querySelector(` + string(quoted) + `); return e ? e.innerText : null })()`
	deadline := time.Now().Add(60 * time.Second)
	for {
		if v := Get(tab, "read "+sel, chromedp.Evaluate[*string](expr)); v != nil {
			return *v
		}
		if time.Now().After(deadline) {
			tab.fail("read "+sel, fmt.Errorf("no element matches %s", sel))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Location is the current URL.
func (tab *Tab) Location() string {
	return Get(tab, "location", chromedp.Location())
}

// Viewport sets the window to width×height (mobile: a phone's touch screen).
func (tab *Tab) Viewport(width, height int64, mobile bool) {
	tab.T.Helper()
	if mobile {
		tab.Do("viewport", chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateTouch))
		return
	}
	tab.Do("viewport", chromedp.EmulateViewport(width, height))
}

// Screenshot saves the whole page as a PNG named name (docs/console/
// screenshots/<name>.png under UPDATE_SCREENSHOTS=1, else the test's
// temporary directory) and returns its path.
func (tab *Tab) Screenshot(name string) string {
	tab.T.Helper()
	png := Get(tab, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := tab.T.TempDir()
	if os.Getenv(ScreenshotsEnv) == "1" {
		dir = filepath.Join(repoRoot(), "docs", "console", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tab.T.Fatal(err)
		}
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tab.T.Fatal(err)
	}
	return p
}

// AxeViolation is one rule axe-core found broken on a page.
type AxeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	}
}

// Accessible runs axe-core (WCAG 2 A and AA rules) on the current page and
// fails the test with every violation it finds.
func (tab *Tab) Accessible(what string) {
	tab.T.Helper()
	run := `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r => JSON.stringify(r.violations))`
	tab.Do("load axe on "+what, chromedp.Evaluate[chromedp.Void](axeSource))
	out := Get(tab, "axe on "+what, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		tab.T.Fatalf("axe on %s: %v (%s)", what, err, truncate(out, 500))
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+" "+truncate(n.HTML, 160))
		}
		tab.T.Errorf("accessibility (%s) on %s: %s — %s\n  %s", v.Impact, what, v.ID, v.Help, strings.Join(where, "\n  "))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// repoRoot is the repository root (this file's directory, three up).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Lang is the lang attribute of the page's html element.
func (tab *Tab) Lang() string {
	tab.T.Helper()
	return Get(tab, "lang", chromedp.Evaluate[string](`document.documentElement.lang`))
}
