package leads_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// browserChecks runs on TestLeadsAndFunnel's stack (one stack per test
// function): a manager logs a contact through the lead page's form in
// headless Chromium and sees it in the timeline; the lead page, the list
// and the funnel pass axe-core's WCAG 2 A/AA rules at 1280 px and at phone
// width, in English and Chinese; screenshots for docs/console/leads.md.
func browserChecks(t *testing.T, s *webtest.Stack, leadID string) {
	b := s.Browser(t)
	tab := b.SignIn("mgr-mia", "en")
	tab.Open("/leads/" + leadID)
	tab.Accessible("the lead page")
	tab.Screenshot("leads-lead")
	tab.Do("log a contact",
		chromedp.SetValue(chromedp.CSS("#c-channel"), "visit"),
		chromedp.SendKeys(chromedp.CSS("#c-summary"), "met the buyer on site"),
		chromedp.Click(chromedp.CSS(`form[action$="/contacts"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if got := tab.Text(".timeline"); !strings.Contains(got, "met the buyer on site") {
		t.Fatalf("the timeline after logging a contact reads:\n%s", got)
	}
	tab.Open("/leads")
	tab.Accessible("the lead list")
	tab.Screenshot("leads-list")
	tab.Open("/leads/funnel")
	tab.Accessible("the funnel")
	tab.Screenshot("leads-funnel")
	tab.Viewport(375, 812, true)
	tab.Accessible("the funnel at phone width")
	tab.Screenshot("leads-funnel-phone")
	tab.Open("/leads/" + leadID)
	tab.Accessible("the lead page at phone width")

	zh := b.SignIn("analyst-ali", "zh-CN,zh;q=0.9")
	zh.Open("/leads")
	zh.Accessible("the lead list in Chinese")
	zh.Open("/leads/funnel")
	zh.Accessible("the funnel in Chinese")
	zh.Screenshot("leads-funnel-zh")
}
