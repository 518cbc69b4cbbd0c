package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/services/web/webtest"
)

// A real browser signs in through the issuer's login page, in Chinese when
// it asks for it, and the console's frame (header, navigation, language
// switch, sign-out) passes axe-core's WCAG 2 A/AA rules.
func TestBrowserSignInLanguageAndAccessibility(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	b := s.Browser(t)

	zh := b.SignIn("analyst-ali", "zh-CN,zh;q=0.9")
	if lang := zh.Lang(); lang != "zh-Hans" {
		t.Fatalf("a browser asking for zh-CN got lang=%q", lang)
	}
	if who := zh.Text("header .who"); !strings.Contains(who, "Ali") {
		t.Fatalf("header names %q", who)
	}
	if out := zh.Text("header form[action='/auth/logout'] button"); out != "退出登录" {
		t.Fatalf("sign-out button reads %q in Chinese", out)
	}
	zh.Accessible("the frame in Chinese")

	en := b.SignIn("rep-ana", "en")
	if who := en.Text("header .who"); !strings.Contains(who, "Ana") {
		t.Fatalf("the second user's header names %q: sessions are not separate", who)
	}
	// Switching the language sticks for the user.
	en.Do("switch to Chinese",
		chromedp.SetValue(chromedp.CSS("#lang-select"), "zh-Hans"),
		chromedp.Submit(chromedp.CSS("form.lang")),
		chromedp.WaitVisible(chromedp.CSS("header .who")),
	)
	if lang := en.Lang(); lang != "zh-Hans" {
		t.Fatalf("after switching, lang=%q", lang)
	}
	en.Viewport(375, 812, true)
	en.Accessible("the frame at phone width")
}
