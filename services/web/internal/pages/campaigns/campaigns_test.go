package campaigns_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// must is a page that answered status and contains every one of texts, and
// shows no message id untranslated.
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
	if m := regexp.MustCompile(`(campaigns|nav|role|stage)\.[a-z_]+\.?[a-z0-9_.]*`).FindString(p.Body); m != "" {
		t.Errorf("%s shows the message id %q untranslated", what, m)
	}
}

// lacks fails when the page contains any of texts.
func lacks(t *testing.T, what string, p webtest.Page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page contains %q\n%s", what, s, p.Body)
		}
	}
}

const (
	springID  = "0193a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d2e"
	draftID   = "0193a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d2f"
	winbackID = "0193a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d31"
	goneID    = "0193a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d30"
	custID    = "0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d01"
)

// spring is a running cross-sell campaign of team marketing that mkt-ivy
// owns and mgr-jo approved and launched: 1,000 enrolled, 100 held out.
func spring() map[string]any {
	return map[string]any{
		"id": springID, "name": "Spring cross-sell <A>", "objective": "Sell the service plan to A and B customers", "type": "cross_sell",
		"channels": []string{"phone_call", "email"},
		"segment":  map[string]any{"value_classes": []string{"A", "B"}, "regions": []string{"East"}, "min_days_since_contact": 90},
		"holdout":  0.1, "enrol_newcomers": false, "budget": 20000, "expected_cost": 15000, "expected_revenue": 60000,
		"starts_on": "2026-03-01", "ends_on": "2099-06-30", "owner_id": "mkt-ivy", "team": "marketing", "state": "running", "version": 3,
		"created_by": "mkt-ivy", "created_at": "2026-02-20T01:00:00Z", "updated_at": "2026-03-01T01:00:00Z",
		"approved_by": "mgr-jo", "approved_at": "2026-02-25T02:00:00Z", "launched_by": "mgr-jo", "launched_at": "2026-03-01T01:00:00Z",
		"launch": map[string]any{"finished_at": "2026-03-01T01:05:00Z", "enrolled": 1000, "held_out": 100, "skipped": 5},
	}
}

// springFigures: 10 % of the treated answered against 5 % of the holdout,
// an uplift of 5 points whose interval lies above zero; ROI 150 %.
func springFigures() map[string]any {
	return map[string]any{
		"campaign_id": springID, "name": "Spring cross-sell <A>", "type": "cross_sell", "state": "running",
		"treated": map[string]any{"enrolled": 900, "touched": 880, "responded": 90, "leads": 40, "opportunities": 20, "won": 12,
			"revenue": 48000, "response_rate": 0.1, "conversion_rate": 0.0133},
		"holdout": map[string]any{"enrolled": 100, "touched": 0, "responded": 5, "leads": 2, "opportunities": 1, "won": 1,
			"revenue": 2000, "response_rate": 0.05, "conversion_rate": 0.01},
		"response_uplift":     map[string]any{"absolute": 0.05, "relative": 1.0, "ci95": map[string]any{"low": 0.004, "high": 0.086}, "treated_n": 900, "holdout_n": 100},
		"conversion_uplift":   map[string]any{"absolute": 0.0033, "relative": 0.33, "ci95": map[string]any{"low": -0.02, "high": 0.02}, "treated_n": 900, "holdout_n": 100},
		"incremental_revenue": 30000, "no_control_group": false, "actual_cost": 12000, "budget": 20000,
		"cost_per_response": 133.33, "cost_per_win": 1000, "roi": 1.5, "outcomes_as_of": "2026-04-01T02:00:00Z",
	}
}

// draft is mkt-ivy's draft win-back campaign, not yet approved.
func draft() map[string]any {
	return with(spring(), map[string]any{"id": draftID, "name": "Bring back the lost", "type": "winback", "state": "draft", "version": 4,
		"channels": []string{"email"}, "segment": map[string]any{"lifecycle_stages": []string{"lost"}, "regions": []string{"East", "North"}},
		"holdout": 0.125, "enrol_newcomers": true, "email_subject": "We miss you", "email_body": "Hello <b>,\r\n\r\ncome back.\n",
		"approved_by": nil, "approved_at": nil, "launched_by": nil, "launched_at": nil, "launch": nil})
}

// with is m with the fields of extra replaced (nil removes one).
func with(m map[string]any, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range extra {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func refusal(code, msg string) map[string]any { return map[string]any{"code": code, "message": msg} }

func validationFailed(fields ...[3]string) map[string]any {
	var fs []any
	for _, f := range fields {
		fs = append(fs, map[string]any{"field": f[0], "code": f[1], "message": f[2]})
	}
	return map[string]any{"code": "validation_failed", "message": "invalid input", "details": map[string]any{"fields": fs}}
}

// env is what the page tests share: the stack with its console, the fake
// marketing service behind it, and signed-in users.
type env struct {
	s                      *webtest.Stack
	fake                   *fakeMarketing
	ivy, jo, ali, ada, ana *webtest.Client
}

// TestCampaignPages: the list, a campaign's page and its forms, the
// planning form and the win-back candidates — against the real customer
// service and sign-in, with the marketing service replaced by a fake that
// answers what each case needs and keeps what the console sent.
func TestCampaignPages(t *testing.T) {
	fake := newFakeMarketing(t)
	s := webtest.New(t, webtest.Opts{NoTemporal: true, WebEnv: map[string]string{"MARKETING_API_URL": fake.URL}})
	e := &env{s: s, fake: fake, ivy: s.Client(t, "mkt-ivy"), jo: s.Client(t, "mgr-jo"), ali: s.Client(t, "analyst-ali"),
		ada: s.Client(t, "admin-ada"), ana: s.Client(t, "rep-ana")}
	t.Run("the list: filters, figures side by side, paging", func(t *testing.T) { testList(t, e) })
	t.Run("a campaign's page: plan, figures, costs, enrolments", func(t *testing.T) { testCampaignPage(t, e) })
	t.Run("the state changes and their refusals", func(t *testing.T) { testMoves(t, e) })
	t.Run("costs and opt-outs", func(t *testing.T) { testCostsAndOptOuts(t, e) })
	t.Run("the planning form", func(t *testing.T) { testForm(t, e) })
	t.Run("win-back candidates", func(t *testing.T) { testCandidates(t, e) })
}

func testList(t *testing.T, e *env) {
	fake := e.fake
	fake.reset()
	listed := with(spring(), map[string]any{"figures": springFigures()})
	draftRow := draft()
	fake.setList("cur-2", listed, draftRow)
	p := e.ivy.Get("/campaigns")
	must(t, "the list", p, http.StatusOK, `<a href="/campaigns/`+springID+`">Spring cross-sell &lt;A&gt;</a>`, ">Cross-sell<", ">Running<",
		"2026-03-01 – 2099-06-30", "900 vs 100", "10.0% vs 5.0%", "&#43;5.0 pp", "(95 % interval &#43;0.4 to &#43;8.6 pp)", ">Clear gain<", "&#43;150.0%",
		"Bring back the lost", ">Win-back<", ">Draft<", "not launched", `href="/campaigns/new"`, `href="/campaigns/winback/candidates"`,
		"Next page", `aria-current="page">Campaigns<`)
	if q := fake.requests("GET", "/v1/campaigns")[0].Query; q.Get("limit") != "50" || q.Has("state") || q.Has("type") || q.Has("cursor") {
		t.Fatalf("the list asked for %v", q)
	}
	fake.reset()
	p = e.ivy.Get("/campaigns?state=running&type=winback&cursor=cur-2")
	must(t, "a filtered page", p, http.StatusOK, `<option value="running" selected>`, `<option value="winback" selected>`, "First page")
	if q := fake.requests("GET", "/v1/campaigns")[0].Query; q.Get("state") != "running" || q.Get("type") != "winback" || q.Get("cursor") != "cur-2" {
		t.Fatalf("the filtered list asked for %v", q)
	}
	fake.reset()
	e.ivy.Get("/campaigns?state=bogus&type=<x>")
	if q := fake.requests("GET", "/v1/campaigns")[0].Query; q.Has("state") || q.Has("type") {
		t.Fatalf("unknown filters were sent: %v", q)
	}

	// A campaign without a control group: no uplift, its ROI still shown.
	fake.setList("", with(spring(), map[string]any{"figures": with(springFigures(), map[string]any{"no_control_group": true,
		"holdout":         map[string]any{"enrolled": 0},
		"response_uplift": map[string]any{"treated_n": 900, "holdout_n": 0}, "roi": -0.25})}))
	p = e.ali.Get("/campaigns")
	must(t, "an analyst's list", p, http.StatusOK, "900 vs 0", "10.0% vs —", "Not measured: a group is empty", "-25.0%")
	lacks(t, "an analyst's list", p, `href="/campaigns/new"`)

	fake.setList("")
	must(t, "nobody's campaigns", e.ana.Get("/campaigns"), http.StatusOK, "Campaigns are seen by the marketing teams, analysts and administrators")
	must(t, "nothing filtered", e.ivy.Get("/campaigns?state=completed"), http.StatusOK, "No campaign matches these filters.")
	must(t, "the list in Chinese", e.ivy.Get("/campaigns", "Accept-Language", "zh-CN,zh;q=0.9"), http.StatusOK, "营销活动", "新建营销活动", "待挽回客户")
}
