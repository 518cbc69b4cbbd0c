package leads_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func company(prefix string) string {
	return fmt.Sprintf("%s %d-%d", prefix, os.Getpid(), time.Now().UnixNano()%1e6)
}

// noLeak fails when a page shows a message id instead of its text.
func noLeak(t *testing.T, what string, p webtest.Page) {
	t.Helper()
	if m := regexp.MustCompile(`leads\.[a-z_]+\.[a-z0-9_.]*`).FindString(p.Body); m != "" {
		t.Errorf("%s shows the message id %q untranslated", what, m)
	}
}

// must is a page that answered status and contains every one of texts.
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
	noLeak(t, what, p)
}

// The lead pages as reps and managers use them, against the real services
// and workflows: scope, logging a contact, reassigning, refusals shown next
// to their fields, the funnel's totals, and both languages.
func TestLeadsAndFunnel(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	s.SalesCall(t, 201, "POST", "/v1/territories", "mgr-mia", map[string]any{"name": "North steel", "region": "north",
		"industry": "steel", "team": "north", "strategy": "round_robin",
		"reps": []map[string]any{{"rep_id": "rep-ana", "capacity": 25}, {"rep_id": "rep-cy", "capacity": 25}}})
	// Round-robin: two leads go to the two reps, one each.
	leads := map[string]map[string]any{}
	for i := 0; i < 2; i++ {
		l := s.SalesCall(t, 201, "POST", "/v1/leads", "mgr-mia", map[string]any{"source": "web", "company_name": company("Granite"),
			"region": "north", "industry": "steel", "contact_name": "Li Wei", "interest": "crane rental"})
		leads[l["owner_id"].(string)] = l
	}
	ana, cy := leads["rep-ana"], leads["rep-cy"]
	if ana == nil || cy == nil {
		t.Fatalf("round-robin did not give one lead each to rep-ana and rep-cy: %v", leads)
	}
	anaID, anaCo, cyID, cyCo := ana["id"].(string), ana["company_name"].(string), cy["id"].(string), cy["company_name"].(string)

	rep := s.Client(t, "rep-ana")
	mgr := s.Client(t, "mgr-mia")

	t.Run("a rep sees its own leads only", func(t *testing.T) {
		p := rep.Get("/leads")
		must(t, "rep's list", p, 200, anaCo, "/leads/"+anaID, "Due in")
		if strings.Contains(p.Body, cyCo) || strings.Contains(p.Body, cyID) {
			t.Fatalf("rep-ana's list shows rep-cy's lead %s", cyCo)
		}
		if strings.Contains(p.Body, `id="f-owner"`) {
			t.Error("a rep is offered an owner filter")
		}
		if p := rep.Get("/leads/" + cyID); p.Status != http.StatusNotFound || strings.Contains(p.Body, cyCo) {
			t.Fatalf("rep-ana reads rep-cy's lead: %d", p.Status)
		}
		// The manager sees both, each with its owner's name.
		p = mgr.Get("/leads")
		must(t, "manager's list", p, 200, anaCo, cyCo, "Ana (rep, north)", "Cy (rep, north)")
		p = mgr.Get("/leads?owner=rep-cy")
		must(t, "manager's list of rep-cy", p, 200, cyCo)
		// Nothing is overdue yet (the deadline is hours away), nothing pooled.
		must(t, "overdue first contacts", mgr.Get("/leads?escalation=overdue"), 200, "No first contact is overdue.")
		must(t, "the pool", mgr.Get("/leads?escalation=pool"), 200, "No leads match these filters.")
		if strings.Contains(p.Body, anaCo) {
			t.Fatal("the owner filter shows another rep's lead")
		}
	})

	t.Run("the lead page shows the live escalation, and a contact lands in the timeline", func(t *testing.T) {
		p := rep.Get("/leads/" + anaID)
		must(t, "lead page", p, 200, anaCo, "First contact due", "reminder to the owner", `action="/leads/`+anaID+`/contacts"`,
			`action="/leads/`+anaID+`/disqualify"`, "Assigned")
		if strings.Contains(p.Body, "/reassign") {
			t.Fatal("a rep is offered the reassign form")
		}
		p = rep.Post("/leads/"+anaID+"/contacts", url.Values{"channel": {"call"}, "summary": {"needs 3 cranes in May"}})
		must(t, "after logging a contact", p, 200, "The contact is logged.", "needs 3 cranes in May", "First contact")
		if !strings.HasSuffix(strings.SplitN(p.URL, "?", 2)[0], "/leads/"+anaID) {
			t.Fatalf("after the post the browser is at %s", p.URL)
		}
		// The workflow takes the contact's signal on its own time; the
		// section refreshes itself until it shows it, as this does.
		stacktest.Eventually(t, "the escalation to show the contact", 20*time.Second, func() bool {
			return strings.Contains(rep.Get("/leads/"+anaID+"/escalation", "HX-Request", "true").Body, "first contact has been made")
		})
		must(t, "escalation after contact", rep.Get("/leads/"+anaID+"/escalation", "HX-Request", "true"), 200,
			"first contact has been made")
		p = rep.Get("/leads?state=contacted")
		must(t, "contacted leads", p, 200, anaCo, "Contacted")
	})

	t.Run("a rep's reassign is refused readably and changes nothing", func(t *testing.T) {
		p := rep.Post("/leads/"+anaID+"/reassign", url.Values{"to": {"rep-cy"}, "reason": {"forged"}})
		must(t, "forged reassign", p, http.StatusForbidden, "Only managers and administrators may reassign leads", anaCo)
		l := s.SalesCall(t, 200, "GET", "/v1/leads/"+anaID, "rep-ana", nil)
		if l["owner_id"] != "rep-ana" {
			t.Fatalf("a refused reassign moved the lead to %v", l["owner_id"])
		}
	})

	t.Run("disqualify without a reason: the field says so, nothing changes", func(t *testing.T) {
		p := rep.Post("/leads/"+anaID+"/disqualify", url.Values{"reason": {"  "}})
		must(t, "disqualify without reason", p, http.StatusUnprocessableEntity, `id="d-reason-err"`, "This is required.")
		if !regexp.MustCompile(`id="d-reason"[^>]*aria-invalid="true"[^>]*aria-describedby="d-reason-err"`).MatchString(p.Body) {
			t.Fatalf("the reason field is not marked invalid:\n%s", p.Body)
		}
		if l := s.SalesCall(t, 200, "GET", "/v1/leads/"+anaID, "rep-ana", nil); l["state"] != "contacted" {
			t.Fatalf("a refused disqualify changed the lead to %v", l["state"])
		}
	})

	t.Run("a manager reassigns a lead to another rep of the team", func(t *testing.T) {
		p := mgr.Get("/leads/" + anaID)
		must(t, "manager's lead page", p, 200, `action="/leads/`+anaID+`/reassign"`, `<option value="rep-cy"`)
		p = mgr.Post("/leads/"+anaID+"/reassign", url.Values{"to": {"rep-cy"}, "reason": {"Ana is on leave"}})
		must(t, "after reassigning", p, 200, "The lead has changed hands.", "Reassigned", "Cy (rep, north)")
		p = mgr.Get("/leads?owner=rep-cy")
		must(t, "rep-cy's leads", p, 200, anaCo, cyCo)
		if p := rep.Get("/leads"); strings.Contains(p.Body, anaCo) {
			t.Fatal("rep-ana still lists the lead she no longer owns")
		}
		// Same rep again: refused with the reason next to the field.
		p = mgr.Post("/leads/"+anaID+"/reassign", url.Values{"to": {"rep-cy"}, "reason": {"again"}})
		must(t, "reassign to the owner", p, http.StatusUnprocessableEntity, "The lead already belongs to this rep.")
		// Without a reason: the reason field says so.
		p = mgr.Post("/leads/"+cyID+"/reassign", url.Values{"to": {"rep-ana"}, "reason": {""}})
		must(t, "reassign without reason", p, http.StatusUnprocessableEntity, `id="r-reason-err"`)
		if l := s.SalesCall(t, 200, "GET", "/v1/leads/"+cyID, "mgr-mia", nil); l["owner_id"] != "rep-cy" {
			t.Fatalf("a refused reassign moved the lead to %v", l["owner_id"])
		}
	})

	t.Run("a contacted lead converts into an opportunity", func(t *testing.T) {
		must(t, "contact", mgr.Post("/leads/"+cyID+"/contacts", url.Values{"channel": {"meeting"}, "summary": {"wants a quote"}}), 200,
			`action="/leads/`+cyID+`/convert"`)
		p := mgr.Post("/leads/"+cyID+"/convert", url.Values{"stage": {"2"}, "amount": {"12 thousand"}, "currency": {"CNY"}})
		must(t, "convert with a bad amount", p, http.StatusUnprocessableEntity, `id="v-amount-err"`, "Enter an amount")
		if l := s.SalesCall(t, 200, "GET", "/v1/leads/"+cyID, "mgr-mia", nil); l["state"] != "contacted" {
			t.Fatalf("a refused convert changed the lead to %v", l["state"])
		}
		p = mgr.Post("/leads/"+cyID+"/convert", url.Values{"stage": {"2"}, "amount": {"12,000.50"}, "currency": {"CNY"}})
		must(t, "convert", p, 200, "The lead is converted", "/opportunities/")
		l := s.SalesCall(t, 200, "GET", "/v1/leads/"+cyID, "mgr-mia", nil)
		o := s.SalesCall(t, 200, "GET", "/v1/opportunities/"+l["opportunity_id"].(string), "mgr-mia", nil)
		if o["amount_minor"] != float64(1200050) || o["stage"] != float64(2) || o["owner_id"] != "rep-cy" {
			t.Fatalf("the opportunity is %v", o)
		}
		must(t, "opportunity page", mgr.Get("/opportunities/"+o["id"].(string)), 200, "CNY 12,000.50", "2 · customer intends a project")
	})

	t.Run("the funnel chart shows the seeded opportunities' totals", func(t *testing.T) {
		opp := func(stage, amount, probability int) string {
			cust := s.Create("rep-ana", map[string]any{"name": company("Basalt"), "region": "north", "industry": "steel"})
			o := s.SalesCall(t, 201, "POST", "/v1/opportunities", "rep-ana", map[string]any{"customer_id": cust,
				"name": company("Deal"), "stage": stage, "amount_minor": amount, "currency": "CNY", "probability": probability})
			return o["id"].(string)
		}
		opp(1, 1_000_000, 0)       // CNY 10,000, weighted 10 %: 1,000
		o2 := opp(3, 5_000_000, 0) // CNY 50,000, weighted 60 %: 30,000
		opp(3, 2_000_000, 50)      // CNY 20,000, weighted 50 %: 10,000
		p := rep.Get("/leads/funnel")
		must(t, "funnel", p, 200, `role="img"`, "<title", "CNY 10,000", "CNY 1,000", "CNY 70,000", "CNY 40,000",
			// reached: stage 1 and 2 by all three, stage 3 by two: 2 of 3 went from 1 to 2 (66.7 %), 3 of 3 from 2 to 3.
			"66.7%", "100.0%")
		if n := strings.Count(p.Body, `<rect class="bar"`); n != 5 { // four stages and the legend
			t.Errorf("%d amount bars, want 4 and the legend's", n)
		}
		if !strings.Contains(p.Body, "/opportunities/"+o2) {
			t.Fatal("the funnel does not list the open opportunities")
		}
		// Another rep's scope has none of them.
		// Another rep's funnel has only its own deal (the converted lead).
		p = s.Client(t, "rep-cy").Get("/leads/funnel")
		must(t, "rep-cy's funnel", p, 200, "CNY 12,000.50")
		if strings.Contains(p.Body, "/opportunities/"+o2) || strings.Contains(p.Body, "CNY 70,000") {
			t.Fatal("rep-cy's funnel shows rep-ana's opportunities")
		}

		// The opportunity page moves a stage and shows it in its timeline.
		p = rep.Post("/opportunities/"+o2+"/stage", url.Values{"stage": {"4"}, "reason": {"tender won on paper"}})
		must(t, "stage move", p, 200, "The opportunity moved to its new stage.", "Stage changed", "4 · essentially secured")
		p = rep.Post("/opportunities/"+o2+"/lost", url.Values{"reason": {""}})
		must(t, "lost without reason", p, http.StatusUnprocessableEntity, `id="l-reason-err"`)
		p = rep.Post("/opportunities/"+o2+"/stage", url.Values{"stage": {"2"}, "reason": {"back"}})
		must(t, "a rep moving back", p, http.StatusForbidden, "Only managers may move an opportunity back")
	})

	t.Run("both languages", func(t *testing.T) {
		for path, want := range map[string]string{"/leads": "线索", "/leads/" + anaID: "记录联系", "/leads/funnel": "销售漏斗"} {
			must(t, path+" in Chinese", mgr.Get(path, "Accept-Language", "zh-CN,zh;q=0.9"), 200, want, `lang="zh-Hans"`)
			must(t, path+" in English", mgr.Get(path), 200, `lang="en"`)
		}
	})
	t.Run("in a browser", func(t *testing.T) { browserChecks(t, s, anaID) })
}
