package customer360_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// must is a page that answered status and contains every one of texts,
// with no message id of this page untranslated.
func must(t *testing.T, what string, p webtest.Page, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.Status, status, p.Body)
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page does not contain %q\n%s", what, s, p.Body)
		}
	}
	if m := regexp.MustCompile(`customer360\.[a-z_]+[a-z0-9_.]*`).FindString(p.Body); m != "" {
		t.Fatalf("%s shows the message id %q untranslated", what, m)
	}
}

var (
	entryRE = regexp.MustCompile(`<li>\s*<time datetime`)
	olderRE = regexp.MustCompile(`<a href="([^"]+)" hx-get="([^"]+)" hx-target="#timeline-older"`)
	logRE   = regexp.MustCompile(`<strong>(Briefing \d+)</strong>`)
)

// The customer page as reps, managers and analysts use it, against the
// real services and workflows (a lead on the customer needs its workflow).
func TestCustomer360(t *testing.T) {
	svc := newServiceProxy(t)
	s := webtest.New(t, webtest.Opts{WebEnv: map[string]string{"SERVICE_API_URL": svc.URL}})
	svc.to(t, s.ServiceBase)
	group := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Anhui Group 360"}))
	cust := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Anhui Pumps 360", "parent_id": group, "annual_revenue": 5e6,
		"tax_id": "91340100MA2N0X360", "contacts": []map[string]any{
			{"name": "Wang Fang", "title": "Buyer", "email": "wang.fang@anhui-pumps.example", "decision_role": "decision_maker", "is_primary": true},
			{"name": "Li Lei", "phone": "+86 551 5555 0101"}}}))
	branch := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Anhui Pumps Hefei Branch 360", "parent_id": cust}))
	if r := s.Call("POST", "/v1/customers/"+cust+"/lifecycle", "rep-ana", map[string]any{"to": "prospect", "reason": "asked for a quote"}); r.Status != 200 {
		t.Fatalf("lifecycle: %d %s", r.Status, r.Body)
	}
	if r := s.Call("POST", "/v1/actions", "rep-ana", map[string]any{"kind": "log", "category": "phone_call", "department": "sales",
		"title": "Call about the pumps", "summary": "they want three pumps in May", "customer_ids": []string{cust}}); r.Status != 201 {
		t.Fatalf("log a call: %d %s", r.Status, r.Body)
	}
	lead := s.SalesCall(t, 201, "POST", "/v1/leads", "rep-ana", map[string]any{"source": "referral", "customer_id": cust,
		"interest": "a second site"})
	leadID := lead["id"].(string)

	rep := s.Client(t, "rep-ana")
	page := "/customers/" + cust

	t.Run("a rep sees its customer whole", func(t *testing.T) {
		p := rep.Get(page)
		must(t, "the customer page", p, 200, "<h1>Anhui Pumps 360</h1>", "91340100MA2N0X360",
			// contacts
			"Wang Fang", "Buyer", "wang.fang@anhui-pumps.example", "Decision maker", "Primary contact", "Li Lei",
			// the tree: the group above, the branch below, the customer itself marked
			`href="/customers/`+group+`">Anhui Group 360</a>`, `href="/customers/`+branch+`">Anhui Pumps Hefei Branch 360</a>`,
			`<strong aria-current="page">Anhui Pumps 360</strong>`,
			// stage history, owner and team, care (a prospect is not in care)
			"Lead → Prospect", "asked for a quote", "rep-ana", "north", "Last contact",
			"care is for transacting and in-service customers, and this one is in stage Prospect",
			// the timeline: the logged call and the lead's events, linked
			"Call about the pumps", "they want three pumps in May", `href="/leads/`+leadID+`"`, "Open the lead",
			// the stage form a rep may use
			`action="/customers/`+cust+`/lifecycle"`)
		if strings.Index(p.Body, "Anhui Group 360") > strings.Index(p.Body, `aria-current="page">Anhui Pumps 360`) ||
			strings.Index(p.Body, `aria-current="page">Anhui Pumps 360`) > strings.Index(p.Body, "Anhui Pumps Hefei Branch 360") {
			t.Fatal("the tree is not group, customer, branch from the top")
		}
		if strings.Contains(p.Body, "Older entries") {
			t.Fatal("a short timeline offers older entries")
		}
		// The list links to the page.
		must(t, "the list", rep.Get("/customers?q=Anhui+Pumps+360"), 200, `href="/customers/`+cust+`"`)
	})

	t.Run("another rep learns nothing of it", func(t *testing.T) {
		bo := s.Client(t, "rep-bo")
		for _, p := range []webtest.Page{bo.Get(page), bo.Get(page + "?cursor=abc"),
			bo.Get(page+"/timeline?cursor=", "HX-Request", "true", "HX-Target", "timeline-older")} {
			path := p.URL
			if p.Status != http.StatusNotFound || !strings.Contains(p.Body, "There is no such page") {
				t.Fatalf("rep-bo at %s: %d\n%s", path, p.Status, p.Body)
			}
			for _, secret := range []string{"Anhui Pumps 360", "Wang Fang", "Call about the pumps", "91340100MA2N0X360", leadID} {
				if strings.Contains(p.Body, secret) {
					t.Fatalf("rep-bo at %s sees %q", path, secret)
				}
			}
		}
		// The north manager and the analyst read it; the analyst is offered no stage change.
		must(t, "the manager", s.Client(t, "mgr-mia").Get(page), 200, "Anhui Pumps 360", "Call about the pumps", "/lifecycle")
		p := s.Client(t, stacktest.Analyst).Get(page)
		must(t, "the analyst", p, 200, "Anhui Pumps 360", "Wang Fang")
		if strings.Contains(p.Body, "/lifecycle") {
			t.Fatal("an analyst is offered the stage change")
		}
	})

	t.Run("the lifecycle stage changes with a reason; refusals stand next to their field", func(t *testing.T) {
		p := rep.Post(page+"/lifecycle", url.Values{"to": {"lead"}, "reason": {"mistake"}})
		must(t, "a move the stage table refuses", p, http.StatusUnprocessableEntity, `id="s-to-err"`,
			"A customer in stage Prospect can move to: Transacting, Lost.")
		if !regexp.MustCompile(`id="s-to"[^>]*aria-invalid="true"[^>]*aria-describedby="s-to-err"`).MatchString(p.Body) {
			t.Fatalf("the stage field is not marked invalid:\n%s", p.Body)
		}
		p = rep.Post(page+"/lifecycle", url.Values{"to": {"transacting"}, "reason": {"  "}})
		must(t, "no reason", p, http.StatusUnprocessableEntity, `id="s-reason-err"`, "Say why the stage changes.")
		if r := s.Call("GET", "/v1/customers/"+cust, "rep-ana", nil); r.JSON(t)["lifecycle_stage"] != "prospect" {
			t.Fatalf("a refused change moved the customer to %v", r.JSON(t)["lifecycle_stage"])
		}
		p = rep.Post(page+"/lifecycle", url.Values{"to": {"transacting"}, "reason": {"first order signed"}})
		must(t, "the change", p, 200, "The lifecycle stage was changed.", "Prospect → Transacting", "first order signed",
			"the customer has no ABC class")
	})

	t.Run("care status: when the next care contact is due", func(t *testing.T) {
		// A classification gives the customer its class, and the care sweep
		// it starts hands over the care terms.
		if r := s.Call("POST", "/v1/abc/reclassifications", stacktest.Analyst, map[string]any{"reason": "test"}); r.Status != http.StatusAccepted {
			t.Fatalf("reclassify: %d %s", r.Status, r.Body)
		}
		stacktest.Eventually(t, "the care status's due time", 90*time.Second, func() bool {
			care, _ := s.Call("GET", "/v1/customers/"+cust, "rep-ana", nil).JSON(t)["care"].(map[string]any)
			return care["due_at"] != nil
		})
		must(t, "the page in care", rep.Get(page), 200, "Next care contact due", "a contact at least every 30 days (class A)")
	})

	t.Run("satisfaction and loyalty, and the service cases on the timeline", func(t *testing.T) {
		// Nothing surveyed yet: one neutral line.
		p := rep.Get(page)
		must(t, "before any survey", p, 200, "Satisfaction and loyalty", "No satisfaction answers yet.")
		if strings.Contains(p.Body, "Latest answers") || strings.Contains(p.Body, "Loyalty not known yet") {
			t.Fatal("a customer never surveyed shows figures")
		}
		// Surveys go out as soon as a case closes.
		if r := s.Call("POST", "/v1/policies/service.survey_delay/versions", stacktest.Analyst, map[string]any{
			"value": map[string]any{"timer": map[string]any{"duration": "0m", "clock": "calendar"}}, "reason": "customer page test"}); r.Status != 201 {
			t.Fatalf("survey delay: %d %s", r.Status, r.Body)
		}
		c := s.ServiceCall(t, 201, "POST", "/v1/cases", "rep-ana", map[string]any{"customer_id": cust, "type": "repair",
			"channel": "phone", "subject": "Pump seal leaks 360", "description": "Leaks at the shaft."})
		caseID := c["id"].(string)
		s.ServiceCall(t, 200, "POST", "/v1/cases/"+caseID+"/replies", "rep-ana", map[string]any{"direction": "outbound", "body": "A technician comes today."})
		s.ServiceCall(t, 200, "POST", "/v1/cases/"+caseID+"/state", "rep-ana", map[string]any{"state": "resolved", "reason": "seal replaced"})
		s.ServiceCall(t, 200, "POST", "/v1/cases/"+caseID+"/state", "rep-ana", map[string]any{"state": "closed"})
		token := surveyToken(t, s, caseID)
		if r := stacktest.Send(t, "POST", s.ServiceBase+"/public/v1/surveys/"+token, "", map[string]any{"csat": 5, "nps": 10,
			"comment": "Fixed the same day."}); r.Status != 200 {
			t.Fatalf("answer the survey: %d %s", r.Status, r.Body)
		}

		caseLink := `href="/cases/` + caseID + `"`
		stacktest.Eventually(t, "the case's close on the timeline", 60*time.Second, func() bool {
			p = rep.Get(page)
			return strings.Contains(timelineOf(p.Body), ">Closed</span>")
		})
		// One answer, 5 and 10, but the first case this month: satisfied,
		// not yet loyal.
		must(t, "the satisfaction", p, 200, "Neutral", "Satisfied enough not to be at risk (recent CSAT 5, latest NPS 10)",
			"months with cases 1, months as a customer 0", "5 / 5 from the one answer of the last 12 months", "0 months (first case ", "response rate 100.0%", "Fixed the same day.",
			caseLink+`>Pump seal leaks 360</a>`)
		sat := sectionOf(p.Body, "satisfaction")
		for _, want := range []string{"<dt>Sent</dt><dd>1</dd>", "<dt>NPS</dt><dd>100 <span class=\"hint\">from 1 answer</span>", "<td data-label=\"NPS\">10</td>"} {
			if !strings.Contains(sat, want) {
				t.Fatalf("the satisfaction section lacks %q:\n%s", want, sat)
			}
		}
		// Every change of the case is on the timeline, linked to it, in words.
		tl := timelineOf(p.Body)
		for _, want := range []string{caseLink, "Open the case", "Service case", ">Filed</span>", ">First response</span>",
			">Resolved</span>", "<strong>Pump seal leaks 360</strong>", "team "} {
			if !strings.Contains(tl, want) {
				t.Fatalf("the timeline lacks %q:\n%s", want, tl)
			}
		}
		zh := rep.Get(page, "Accept-Language", "zh-CN,zh;q=0.9")
		must(t, "in Chinese", zh, 200, "满意度与忠诚度", "中立", "满意度足以排除流失风险", "回复率 100.0%", "服务工单", "打开工单",
			">已提交</span>", ">已解决</span>", ">已关闭</span>")

		// A customer without cases: nothing surveyed.
		must(t, "no cases", rep.Get("/customers/"+branch), 200, "No satisfaction answers yet.")

		// The service failing: the section says so in place, the rest shows.
		svc.failSatisfaction.Store(true)
		defer svc.failSatisfaction.Store(false)
		p = rep.Get(page)
		must(t, "the service failing", p, 200, "The satisfaction figures could not be read just now.",
			"A service the console needs is not answering right now.", caseLink+`>Pump seal leaks 360</a>`, "Call about the pumps")
		if strings.Contains(p.Body, "Fixed the same day.") {
			t.Fatal("the failed section still shows answers")
		}
	})

	// Enough entries for three pages: 120 briefings over the last days.
	for i := range 120 {
		if r := s.Call("POST", "/v1/actions", "rep-ana", map[string]any{"kind": "log", "category": "briefing_report", "department": "service",
			"title": fmt.Sprintf("Briefing %03d", i), "summary": "weekly report", "customer_ids": []string{cust},
			"done_at": time.Now().Add(-time.Duration(i+1) * 17 * time.Minute)}); r.Status != 201 {
			t.Fatalf("log briefing %d: %d %s", i, r.Status, r.Body)
		}
	}

	t.Run("the timeline pages with older entries", func(t *testing.T) {
		p := rep.Get(page)
		must(t, "first page", p, 200, "Older entries")
		if n := len(entryRE.FindAllString(timelineOf(p.Body), -1)); n != 50 {
			t.Fatalf("the first page has %d entries, want 50", n)
		}
		seen := map[string]int{}
		for _, m := range logRE.FindAllStringSubmatch(p.Body, -1) {
			seen[m[1]]++
		}
		// The newest briefing comes first among them.
		if m := logRE.FindStringSubmatch(p.Body); m == nil || m[1] != "Briefing 000" {
			t.Fatalf("the first briefing shown is %v", m)
		}
		pages := 1
		for {
			m := olderRE.FindStringSubmatch(p.Body)
			if m == nil {
				break
			}
			pages++
			p = rep.Get(html.UnescapeString(m[2]), "HX-Request", "true", "HX-Target", "timeline-older")
			must(t, fmt.Sprintf("htmx page %d", pages), p, 200)
			if strings.Contains(p.Body, "<html") {
				t.Fatal("the htmx answer is a whole page")
			}
			for _, m := range logRE.FindAllStringSubmatch(p.Body, -1) {
				seen[m[1]]++
			}
			if pages == 2 {
				// Without htmx the same page opens as the customer page.
				full := rep.Get(html.UnescapeString(m[1]))
				must(t, "the second page without htmx", full, 200, "Back to the newest entries", "<h1>Anhui Pumps 360</h1>")
				if a, b := logRE.FindAllString(full.Body, -1), logRE.FindAllString(p.Body, -1); strings.Join(a, ",") != strings.Join(b, ",") {
					t.Fatal("the page without htmx shows other entries than the part")
				}
			}
		}
		if pages != 3 {
			t.Fatalf("%d pages of the timeline, want 3", pages)
		}
		for i := range 120 {
			if n := seen[fmt.Sprintf("Briefing %03d", i)]; n != 1 {
				t.Fatalf("Briefing %03d appears %d times over the pages", i, n)
			}
		}
		must(t, "a damaged cursor", rep.Get(page+"?cursor=bm9wZQ"), http.StatusBadRequest, "This timeline link is damaged")
	})

	t.Run("both languages", func(t *testing.T) {
		zh := rep.Get(page, "Accept-Language", "zh-CN,zh;q=0.9")
		must(t, "Chinese", zh, 200, `lang="zh-Hans"`, "时间线", "联系人", "组织层级", "阶段历史", "决策者", "更早的记录")
		must(t, "English", rep.Get(page), 200, `lang="en"`, "Timeline")
	})

	t.Run("in a browser", func(t *testing.T) { browserChecks(t, s, cust) })
}

// sectionOf is the section with id of a page.
func sectionOf(body, id string) string {
	i := strings.Index(body, `<section id="`+id+`"`)
	if i < 0 {
		return ""
	}
	body = body[i:]
	if j := strings.Index(body, "</section>"); j >= 0 {
		body = body[:j]
	}
	return body
}

// surveyToken is the token of a closed case's survey link, once its
// workflow has sent it: without a mail relay the link is an internal entry
// on the case's timeline, for who works the case.
func surveyToken(t *testing.T, s *webtest.Stack, caseID string) string {
	t.Helper()
	var link string
	stacktest.Eventually(t, "the survey link on the case", 60*time.Second, func() bool {
		items, _ := s.ServiceCall(t, 200, "GET", "/v1/cases/"+caseID+"/timeline", "rep-ana", nil)["items"].([]any)
		for _, it := range items {
			if e, _ := it.(map[string]any); e["kind"] == "survey_sent" && e["visibility"] == "internal" {
				link, _ = e["body"].(string)
			}
		}
		return link != ""
	})
	return link[strings.LastIndex(link, "/")+1:]
}

// serviceProxy stands between the console and the after-sales service, so
// a test can have the service fail its customers' satisfaction answers.
type serviceProxy struct {
	URL              string
	target           atomic.Pointer[url.URL]
	failSatisfaction atomic.Bool
}

func newServiceProxy(t *testing.T) *serviceProxy {
	p := &serviceProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(p.target.Load())
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.target.Load() == nil || (p.failSatisfaction.Load() && strings.HasSuffix(r.URL.Path, "/satisfaction")) {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// to points the proxy at the service's base URL.
func (p *serviceProxy) to(t *testing.T, base string) {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	p.target.Store(u)
}

// timelineOf is the timeline section of a page.
func timelineOf(body string) string {
	if i := strings.Index(body, `id="timeline"`); i >= 0 {
		return body[i:]
	}
	return ""
}
