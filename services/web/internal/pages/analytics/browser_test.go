package analytics_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// browserChecks runs on TestAnalyticsPage's stack (one stack per test
// function): in headless Chromium the manager switches the follow-ups to
// months and the page's body is replaced in place (the address keeps the
// filter); the page passes axe-core's WCAG 2 A/AA rules at 1280 px and at
// phone width, in English and Chinese; screenshots for
// docs/console/analytics.md.
func browserChecks(t *testing.T, s *webtest.Stack) {
	b := s.Browser(t)
	tab := b.SignIn("mgr-mia", "en")
	tab.Open("/analytics")
	tab.Accessible("the analytics page")
	tab.Screenshot("analytics-en")
	tab.Do("show months",
		chromedp.SetValue(chromedp.CSS("#f-bucket"), "month"),
		chromedp.Click(chromedp.CSS(`#analytics-body form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#analytics-body[data-bucket=month] table`)),
	)
	if got := tab.Text("#analytics-body"); !strings.Contains(got, "12 months") || !strings.Contains(got, "Team north") {
		t.Fatalf("after choosing months the page reads:\n%s", got)
	}
	if loc := tab.Location(); !strings.Contains(loc, "bucket=month") {
		t.Errorf("the address does not keep the filter: %s", loc)
	}
	tab.Accessible("the analytics page by month")
	tab.Viewport(375, 812, true)
	tab.Accessible("the analytics page at phone width")
	tab.Screenshot("analytics-phone")

	zh := b.SignIn("analyst-ali", "zh-CN,zh;q=0.9")
	zh.Open("/analytics")
	if zh.Lang() != "zh-Hans" {
		t.Errorf("the Chinese page's lang is %q", zh.Lang())
	}
	zh.Accessible("the analytics page in Chinese")
	zh.Screenshot("analytics-zh")
	zh.Viewport(375, 812, true)
	zh.Accessible("the analytics page in Chinese at phone width")
}
