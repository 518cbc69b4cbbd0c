package campaigns_test

import (
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/marketing"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// TestCampaignInTheBrowser is a campaign's whole loop in Chromium, against
// the whole stack as the console runs on it (the services — the marketing
// service among them — the workflow worker, the Temporal dev server):
// mkt-ivy, a marketer, plans a cross-sell campaign to a region of three
// customers from the form, its email written too, and sees them in its
// segment; mgr-jo, the
// marketing manager, approves and launches it in Chinese; the launch
// enrols the three; mkt-ivy records a cost and one customer's opt-out,
// and finds the campaign in the list with its figures; an analyst reads it
// and is offered nothing. The list, the form, the campaign page before and
// after its launch and the win-back candidates pass axe-core, in English
// and Chinese and at phone width.
func TestCampaignInTheBrowser(t *testing.T) {
	s, mkt := stackWithMarketing(t)
	b := s.Browser(t)
	n := strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	name, region := "Spring cross-sell "+n, "Region-"+n
	var customers []string
	for range 3 {
		customers = append(customers, s.Create("rep-ana", stacktest.Company(map[string]any{"region": region})))
	}
	today := time.Now().Format(time.DateOnly)
	ends := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)

	ivy := b.SignIn("mkt-ivy", "en")
	ivy.Open("/campaigns")
	ivy.Accessible("the list")
	ivy.Do("follow the link to the form", chromedp.Click(chromedp.CSS("#new-link")), chromedp.WaitVisible(chromedp.CSS("#campaign-form")))
	ivy.Accessible("the planning form")
	ivy.Screenshot("campaign-new")
	ivy.Do("plan a campaign to the region",
		chromedp.SendKeys(chromedp.CSS("#c-name"), name),
		chromedp.SendKeys(chromedp.CSS("#c-objective"), "Sell the service plan."),
		chromedp.SetValue(chromedp.CSS("#c-type"), "cross_sell"),
		chromedp.SetValue(chromedp.CSS("#c-channel"), "phone_call"),
		chromedp.Click(chromedp.CSS("#c-ch-email")),
		chromedp.SendKeys(chromedp.CSS("#c-regions"), region),
		chromedp.SendKeys(chromedp.CSS("#c-email-subject"), "Your 2027 service plan"),
		chromedp.SendKeys(chromedp.CSS("#c-email-body"), "Dear customer,\n\nthe plan is ready."),
		chromedp.SendKeys(chromedp.CSS("#c-budget"), "5,000"),
		chromedp.SetValue(chromedp.CSS("#c-starts"), today),
		chromedp.SetValue(chromedp.CSS("#c-ends"), ends),
		chromedp.Click(chromedp.CSS("#save")),
	)
	waitFor(t, ivy, "saved", ".notice", "The draft is saved.")
	path := ivy.Location()[len(s.URL):]
	if i := strings.IndexByte(path, '?'); i > 0 {
		path = path[:i]
	}
	if got := ivy.Text("#segment"); got != "region "+region {
		t.Fatalf("the segment reads %q", got)
	}
	if got := ivy.Text("#email-subject"); got != "Your 2027 service plan" {
		t.Fatalf("the email's subject reads %q", got)
	}
	waitFor(t, ivy, "the segment now", "#preview-part", "3 customers match the segment now")
	ivy.Accessible("a draft's page")
	ivy.Screenshot("campaign-draft")
	if has(ivy, "#f-approve") || !has(ivy, "#edit-link") {
		t.Fatal("the marketer is offered to approve her draft, or not to edit it")
	}

	jo := b.SignIn("mgr-jo", "zh-CN,zh;q=0.9")
	jo.Open(path)
	jo.Accessible("a draft's page in Chinese")
	jo.Do("approve", chromedp.Click(chromedp.CSS("#f-approve button[type=submit]")))
	waitFor(t, jo, "approved", ".notice", "营销活动已批准")
	jo.Do("launch", chromedp.Click(chromedp.CSS("#f-launch button[type=submit]")))
	waitFor(t, jo, "launched", ".notice", "营销活动已启动")

	deadline := time.Now().Add(60 * time.Second)
	for ivy.Open(path); rows(ivy, "#enrolment-rows tbody tr") < 3; ivy.Open(path) {
		if time.Now().After(deadline) {
			t.Fatalf("the launch never enrolled the three customers; the page says:\n%s", ivy.Text("main"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	if got := ivy.Text("#groups"); !strings.Contains(got, "Enrolled") {
		t.Fatalf("the evaluation reads:\n%s", got)
	}
	ivy.Accessible("a running campaign's page")
	ivy.Screenshot("campaign-running")

	ivy.Do("record a cost", chromedp.SendKeys(chromedp.CSS("#cost-amount"), "1,500"), chromedp.SendKeys(chromedp.CSS("#cost-note"), "Call lists"),
		chromedp.Click(chromedp.CSS("#f-cost button[type=submit]")))
	waitFor(t, ivy, "cost recorded", ".notice", "The cost is recorded.")
	if got := ivy.Text("#cost-total"); !strings.Contains(got, "1,500 of a budget of 5,000") {
		t.Fatalf("the costs read %q", got)
	}
	row := "#enrolment-" + customers[0]
	ivy.Do("record an opt-out", chromedp.Click(chromedp.CSS(row+" summary")), chromedp.SendKeys(chromedp.CSS("#optout-"+customers[0]), "Asked not to be called"),
		chromedp.Click(chromedp.CSS(row+" button[type=submit]")))
	waitFor(t, ivy, "opt-out recorded", ".notice", "The opt-out is recorded")
	if r := stacktest.Send(t, "GET", mkt+"/v1/opt-outs/"+customers[0], s.Tokens["mkt-ivy"], nil); r.Status != 200 ||
		r.JSON(t)["reason"] != "Asked not to be called" {
		t.Fatalf("the marketing service has the opt-out as %d %s", r.Status, r.Body)
	}

	ivy.Open("/campaigns")
	if got := ivy.Text("#campaigns"); !strings.Contains(got, name) || !strings.Contains(got, "Running") {
		t.Fatalf("the list reads:\n%s", got)
	}
	ivy.Screenshot("campaigns")
	ivy.Open("/campaigns/winback/candidates")
	ivy.Accessible("the win-back candidates")

	ali := b.SignIn("analyst-ali", "en")
	ali.Open(path)
	if has(ali, "#act") || has(ali, "#f-cost") || !has(ali, "#evaluation") {
		t.Fatal("the analyst is offered to change the campaign, or not shown its evaluation")
	}

	ivy.Viewport(375, 812, true)
	ivy.Open(path)
	ivy.Accessible("a campaign's page at phone width")
	ivy.Open("/campaigns")
	ivy.Accessible("the list at phone width")
	ivy.Open("/campaigns/new")
	ivy.Accessible("the form at phone width")

	jo.Open("/campaigns")
	if got := jo.Text("h1"); got != "营销活动" {
		t.Fatalf("the Chinese list's heading: %q", got)
	}
	jo.Accessible("the list in Chinese")
	jo.Open(path)
	jo.Accessible("a running campaign's page in Chinese")
	jo.Screenshot("campaign-zh")
	jo.Open("/campaigns/new")
	jo.Accessible("the form in Chinese")
	jo.Open("/campaigns/winback/candidates")
	jo.Accessible("the candidates in Chinese")
}

// stackWithMarketing is the console's whole stack (webtest.New) with the
// marketing service beside it, which webtest does not run: the console is
// told a proxy's address, which forwards to the service once it runs (the
// service needs the stack's issuer and namespace before it starts).
func stackWithMarketing(t *testing.T) (*webtest.Stack, string) {
	t.Helper()
	var target atomic.Pointer[url.URL]
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		if u := target.Load(); u != nil {
			r.SetURL(u)
		}
	}})
	t.Cleanup(proxy.Close)
	s := webtest.New(t, webtest.Opts{WebEnv: map[string]string{"MARKETING_API_URL": proxy.URL}})
	hostPort, _ := testenv.Temporal(t)
	m := servicetest.Start(t, marketing.Spec(), map[string]string{"OIDC_ISSUER_URL": s.Issuer.URL(), "TEMPORAL_ADDRESS": hostPort,
		"TEMPORAL_NAMESPACE": s.Namespace, "DATABASE_URL": testenv.Postgres(t), "LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s",
		"MARKETING_TEAMS": "marketing", "LAUNCH_START_INTERVAL": "1s", "PREVIEW_WAIT": "20s"}, service.Options{})
	u, err := url.Parse(m.Base)
	if err != nil {
		t.Fatal(err)
	}
	target.Store(u)
	return s, m.Base
}

// has reports whether the page has an element matching sel.
func has(tab *webtest.Tab, sel string) bool {
	return webtest.Get(tab, "look for "+sel, chromedp.Evaluate[bool](`!!document.querySelector(`+strconv.Quote(sel)+`)`))
}

// rows counts the elements matching sel.
func rows(tab *webtest.Tab, sel string) int {
	return webtest.Get(tab, "count "+sel, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
}

// waitFor waits until the element sel (of the page the last step loaded)
// says want.
func waitFor(t *testing.T, tab *webtest.Tab, what, sel, want string) {
	t.Helper()
	js := `(function(){var e=document.querySelector(` + strconv.Quote(sel) + `);return !!e && e.textContent.indexOf(` + strconv.Quote(want) + `)>=0;})()`
	deadline := time.Now().Add(30 * time.Second)
	for !webtest.Get(tab, what, chromedp.Evaluate[bool](js)) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never said %q; the page says:\n%s", what, sel, want, tab.Text("main"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
