package visits_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// browse is the visits page's main interaction in Chromium, on the stack
// of TestVisitWeekAndRequests: an administrator asks marketing's visit for a day
// another department has, reads the offer, books the offered day with one
// click, and the week refreshes itself with the new visit — no page load.
// The week and the visit's page pass axe-core at 1280 px and at phone
// width, in English and Chinese.
func browse(t *testing.T, s *webtest.Stack, customer, taken, offered string) {
	b := s.Browser(t)
	tab := b.SignIn("admin-ada", "en")
	tab.Open("/visits?week=" + taken)
	tab.Accessible("the week")
	tab.Screenshot("visits")

	tab.Do("ask for the taken day",
		chromedp.SetValue(chromedp.CSS("#r-customer"), customer),
		chromedp.SetValue(chromedp.CSS("#r-day"), taken),
		chromedp.SetValue(chromedp.CSS("#r-department"), "marketing"),
		chromedp.SendKeys(chromedp.CSS("#r-purpose"), "invite to the trade fair"),
		chromedp.Click(chromedp.CSS(`form.request button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#request-result .notice, #request .problem")),
	)
	if msg := tab.Text("#request-result .notice"); !strings.Contains(msg, "That day is taken by") {
		t.Fatalf("the answer reads %q", msg)
	}
	tab.Accessible("the week with an offer")
	tab.Screenshot("visits-offered")

	// Mark the week as it is now: the refreshed one comes without the mark.
	tab.Do("mark the week", chromedp.Evaluate[chromedp.Void](`document.getElementById("week").dataset.before = "1"`))
	tab.Do("book the offered day", chromedp.Click(chromedp.CSS(`#request-result .notice form button`)))
	waitText(t, tab, "#request-result", "Booked for")
	tab.Do("the week refreshes itself", chromedp.Poll[chromedp.Void](`!document.getElementById("week").dataset.before`, chromedp.WithPollingTimeout(20*time.Second)))
	// The week lists a visit by time, customer and department (its purpose
	// is on its page): the offered day now has marketing's visit.
	if weekOf(offered) == weekOf(taken) {
		waitText(t, tab, "#d-"+offered+" ~ ul", "marketing")
	}

	tab.Do("open a visit", chromedp.Click(chromedp.CSS(`#d-`+taken+` ~ ul a[href^="/visits/"]`)), chromedp.WaitVisible(chromedp.CSS("dl.facts")))
	tab.Accessible("a visit's page")
	tab.Screenshot("visits-visit")

	tab.Viewport(375, 812, true)
	tab.Open("/visits?week=" + taken)
	tab.Accessible("the week at phone width")
	tab.Screenshot("visits-phone")

	zh := b.SignIn("rep-ana", "zh-CN,zh;q=0.9")
	zh.Open("/visits?week=" + taken)
	if h := zh.Text("h1"); h != "拜访" {
		t.Fatalf("the Chinese page's heading: %q", h)
	}
	zh.Accessible("the week in Chinese")
}

func waitText(t *testing.T, tab *webtest.Tab, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(tab.Text(sel), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed %q: %q", sel, want, tab.Text(sel))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func weekOf(day string) string {
	d, _ := time.Parse("2006-01-02", day)
	return d.AddDate(0, 0, -int((d.Weekday()+6)%7)).Format("2006-01-02")
}
