package myday_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browse is My day's main interaction in Chromium, on the stack of
// TestMyDay: the rep logs a call on an overdue follow-up with one click;
// the row is replaced by a notice without a page load. The page passes
// axe-core at 1280 px and at phone width, in English and Chinese.
func browse(t *testing.T, d seed, customer string) {
	due := time.Now().Add(2 * time.Second)
	id := d.followUp("rep-ana", customer, "Confirm the delivery date", due)
	time.Sleep(time.Until(due.Add(500 * time.Millisecond)))

	b := d.s.Browser(t)
	tab := b.SignIn("rep-ana", "en")
	tab.Open("/my-day")
	tab.Accessible("my day")
	tab.Screenshot("my-day")

	row := "#fu-" + id
	tab.Do("log the call with one click",
		chromedp.SendKeys(chromedp.CSS(row+` input[name=note]`), "delivery moves to the 20th"),
		chromedp.Click(chromedp.CSS(row+` button[value=call]`)),
		chromedp.WaitVisible(chromedp.CSS(row+` .notice`)),
	)
	if msg := tab.Text(row); !strings.Contains(msg, "Call logged with") || !strings.Contains(msg, "Confirm the delivery date") {
		t.Fatalf("the row reads %q", msg)
	}
	if tab.Location() != d.s.URL+"/my-day" {
		t.Fatalf("the click left the page: %s", tab.Location())
	}
	tab.Accessible("my day after a one-click log")

	tab.Viewport(375, 812, true)
	tab.Open("/my-day")
	tab.Accessible("my day at phone width")
	tab.Screenshot("my-day-phone")

	zh := b.SignIn("rep-ana", "zh-CN,zh;q=0.9")
	zh.Open("/my-day")
	if h := zh.Text("h1"); h != "我的今天" {
		t.Fatalf("the Chinese page's heading: %q", h)
	}
	zh.Accessible("my day in Chinese")
}
