package policies_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// browse is the flow in Chromium, on the stack of
// TestPoliciesAndCalendars: the analyst opens the call-back SLA, types a
// shorter value, previews its per-team impact (htmx, no page load), saves
// it and finds it in force in the version list; the calendar's year and
// its deadline calculator work the same way. Every page passes axe-core at
// 1280 px and at phone width, in English and Chinese.
func browse(t *testing.T, s *webtest.Stack) {
	b := s.Browser(t)
	tab := b.SignIn("analyst-ali", "en")
	tab.Open("/policies")
	tab.Accessible("the policy list")
	tab.Screenshot("policies")

	tab.Open("/policies/" + callback)
	tab.Do("type a shorter value and preview it",
		chromedp.SetValue(chromedp.CSS("#ed-duration"), "30m"),
		chromedp.SetValue(chromedp.CSS("#ed-reason"), "customers wait too long"),
		chromedp.Click(chromedp.CSS(`button[formaction$="/preview"]`)),
		chromedp.WaitVisible(chromedp.CSS("#impact table.impact")),
	)
	if impact := tab.Text("#impact"); !strings.Contains(impact, "north") || !strings.Contains(impact, "8 business hours → 30 business minutes") || !strings.Contains(tab.Text("#editor"), "30 business minutes") {
		t.Fatalf("the preview:\n%s", impact)
	}
	if v := tab.Text("#ed-reason"); v != "" && !strings.Contains(v, "customers wait") {
		t.Fatalf("the preview lost the reason: %q", v)
	}
	tab.Accessible("the policy editor with its impact")
	tab.Screenshot("policy-preview")
	tab.Do("save it now",
		chromedp.Click(chromedp.CSS(`button[name=when][value=now]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if now := tab.Text(".policy-now"); !strings.Contains(now, "30 business minutes") {
		t.Fatalf("the value in force after saving:\n%s", now)
	}
	if row := tab.Text("#versions-h + .table-wrap tbody tr"); !strings.Contains(row, "in force") || !strings.Contains(row, "customers wait too long") {
		t.Fatalf("the newest version:\n%s", row)
	}

	tab.Open("/calendars/cn-mainland-2026?year=2026")
	tab.Do("ask the calculator",
		chromedp.SetValue(chromedp.CSS("#calc-from"), "2026-09-30T16:00"),
		chromedp.SetValue(chromedp.CSS("#calc-dur"), "20h"),
		chromedp.Click(chromedp.CSS(`#calc button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#calc .stat")),
	)
	if due := tab.Text("#calc .stat"); !strings.Contains(due, "2026-10-10 12:00") {
		t.Fatalf("the calculator: %q", due)
	}
	tab.Accessible("the calendar")
	tab.Screenshot("calendar")

	tab.Viewport(375, 812, true)
	for _, p := range []struct{ path, name string }{{"/policies/lead.escalation_ladder", "policy-phone"}, {"/calendars/cn-mainland-2026?year=2026", "calendar-phone"}, {"/calendars", ""}} {
		tab.Open(p.path)
		tab.Accessible(p.path + " at phone width")
		if p.name != "" {
			tab.Screenshot(p.name)
		}
	}

	zh := b.SignIn("analyst-ali", "zh-CN,zh;q=0.9")
	for _, p := range []string{"/policies", "/calendars/cn-mainland-2026?year=2026", "/policies/care.cadence"} {
		zh.Open(p)
		if zh.Lang() != "zh-Hans" {
			t.Fatalf("%s is not in Chinese", p)
		}
		zh.Accessible(p + " in Chinese")
	}
	zh.Screenshot("policy-zh")
	mgr := b.SignIn("mgr-mia", "en")
	mgr.Open("/policies/" + callback)
	mgr.Accessible("the manager's policy page")
}
