package board_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// browse is the board's main interaction in Chromium, on the stack of
// TestOverdueBoard: the manager filters by owner, opens an item in the
// panel, cancels it with a reason, and the list refreshes itself without a
// page load — the item leaves, the filter stays. The board and its panel
// pass axe-core at 1280 px and at phone width, in English and Chinese.
func browse(t *testing.T, s *webtest.Stack, item, other seeded) {
	b := s.Browser(t)
	tab := b.SignIn("mgr-mia", "en")
	tab.Open("/board")
	tab.Accessible("the board")
	tab.Screenshot("board")

	tab.Do("filter by owner",
		chromedp.SetValue(chromedp.CSS("#f-owner"), "rep-ana"),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		// The filtered board polls with the filter.
		chromedp.WaitReady(chromedp.CSS(`#board-list[hx-get*="owner_id=rep-ana"]`)),
	)
	if loc := tab.Location(); !strings.Contains(loc, "owner_id=rep-ana") {
		t.Fatalf("the filter is not in the address: %s", loc)
	}
	// htmx binds the swapped-in link a moment after the swap; a click
	// before that would follow the link as a page.
	processed(t, tab, `#board-list a[href^="/board/items/`+item.ID+`"]`)
	tab.Do("open the item in the panel",
		chromedp.Click(chromedp.CSS(`#board-list a[href^="/board/items/`+item.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#board-panel #cancel-reason")),
	)
	tab.Accessible("the board with an item open")
	tab.Screenshot("board-item")
	processed(t, tab, `#board-panel form[action*="/cancel"]`)
	tab.Do("cancel it with a reason",
		chromedp.SendKeys(chromedp.CSS("#cancel-reason"), "duplicate of another call-back"),
		chromedp.Click(chromedp.CSS(`#board-panel form[action*="/cancel"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#board-panel .notice")),
	)
	// The answer's event refreshes the list: the item leaves, the others
	// of the filter stay.
	deadline := time.Now().Add(20 * time.Second)
	for strings.Contains(tab.Text("#board-list"), item.Title) {
		if time.Now().After(deadline) {
			t.Fatal("the cancelled item is still on the board")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if list := tab.Text("#board-list"); !strings.Contains(list, other.Title) {
		t.Fatalf("the refreshed list lost the filter's other items:\n%s", list)
	}
	if loc := tab.Location(); !strings.Contains(loc, "owner_id=rep-ana") {
		t.Fatalf("the refresh lost the filter: %s", loc)
	}

	tab.Viewport(375, 812, true)
	tab.Open("/board")
	tab.Accessible("the board at phone width")
	tab.Screenshot("board-phone")

	zh := b.SignIn("mgr-mia", "zh-CN,zh;q=0.9")
	zh.Open("/board?group=owner")
	if h := zh.Text("h1"); h != "逾期看板" {
		t.Fatalf("the Chinese board's heading: %q", h)
	}
	zh.Accessible("the board in Chinese")
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
