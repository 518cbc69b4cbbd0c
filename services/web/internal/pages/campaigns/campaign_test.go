package campaigns_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/web/webtest"
)

const other = "0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d02"

func springEnrolments() map[string]any {
	return map[string]any{"items": []any{
		map[string]any{"campaign_id": springID, "customer_id": custID, "customer_name": "Acme <Ltd>", "group": "treated", "state": "active",
			"source": "launch", "enrolled_at": "2026-03-01T01:05:00Z", "touches": 2, "last_touch_at": "2026-03-10T02:00:00Z"},
		map[string]any{"campaign_id": springID, "customer_id": other, "customer_name": "Beta", "group": "holdout", "state": "ended",
			"outcome": "responded", "source": "sweep", "enrolled_at": "2026-03-02T01:05:00Z", "responded_at": "2026-03-12T02:00:00Z",
			"response_kind": "call", "leads": 1, "opportunities": 1, "won": 1, "won_revenue": 5000, "won_back_at": "2026-03-20T02:00:00Z"},
	}, "next_cursor": "e-2"}
}

func testCampaignPage(t *testing.T, e *env) {
	fake, path := e.fake, "/campaigns/"+springID
	fake.reset()
	fake.put(spring(), springFigures())
	fake.set("costs", map[string]any{"items": []any{map[string]any{"id": "c1", "amount": 12000, "note": "Call centre <b>",
		"spent_on": "2026-03-05", "by": "mkt-ivy", "created_at": "2026-03-05T02:00:00Z"}}, "total": 12000})
	fake.set("enrolments", springEnrolments())
	p := e.ivy.Get(path)
	must(t, "the owner's page", p, http.StatusOK, `<h1>Spring cross-sell &lt;A&gt; <span class="badge good">Running</span></h1>`,
		"Sell the service plan to A and B customers", `id="channels">Phone call, Email<`,
		`id="segment">value class A or B; region East; no contact for at least 90 days<`,
		"10% of the segment is kept out as control group", `id="budget">20,000<`, "cost 15,000, revenue 60,000",
		`id="dates">2026-03-01 – 2099-06-30<`, `id="owner">mkt-ivy<`, `id="team">marketing<`,
		"Planned by mkt-ivy at 2026-02-20 09:00", "Approved by mgr-jo at 2026-02-25 10:00", "Launched by mgr-jo at 2026-03-01 09:00",
		"The launch enrolled 1,000 customers to be touched and held 100 out as control group; 5 were skipped",
		`hx-get="`+path+`/preview" hx-trigger="load"`, `href="`+path+`/preview"`,
		`id="f-complete"`, `id="f-cancel"`, `name="version" value="3"`,
		// the evaluation, treated against holdout
		"<td class=\"num\">900</td><td class=\"num\">100</td>", `id="row-response-rate"><th scope="row">Response rate</th><td class="num">10.0%</td><td class="num">5.0%</td>`,
		"&#43;5.0 pp", "(95 % interval &#43;0.4 to &#43;8.6 pp)", ">Clear gain<", "&#43;100.0% relative to the holdout",
		"&#43;0.3 pp", "(95 % interval -2.0 to &#43;2.0 pp)", ">Not clear yet<", `id="incremental">30,000<`,
		`id="actual-cost">12,000 of a budget of 20,000<`, "133.33", `id="roi">&#43;150.0%`, "Sales outcomes as of 2026-04-01 10:00",
		// costs
		"Spent so far: 12,000 of a budget of 20,000.", "Call centre &lt;b&gt;", `id="f-cost"`, `value="`+todayIn("Asia/Shanghai")+`"`,
		// enrolments
		`<a href="/customers/`+custID+`">Acme &lt;Ltd&gt;</a>`, ">Treated<", `badge warn">Holdout<`, "(responded)", "as a newcomer",
		"1 leads, 1 opportunities, 1 won · 5,000", ">Won back<", `href="`+path+`?cursor=e-2#enrolments">More customers`,
		`action="`+path+`/opt-out"`, `name="customer_id" value="`+custID+`"`)
	lacks(t, "the owner's page", p, `id="f-approve"`, `id="f-launch"`, `id="edit-link"`, "Call centre <b>", "Acme <Ltd>", `id="winback-rate"`,
		`id="email-subject"`, `id="email-body"`)
	if n := len(fake.requests("POST", "/")) + len(fake.requests("PUT", "/")); n != 0 {
		t.Fatalf("opening the page changed %d things", n)
	}

	fake.reset()
	p = e.ivy.Get(path + "?group=holdout&estate=ended")
	must(t, "filtered enrolments", p, http.StatusOK, `href="`+path+`?estate=ended&amp;group=holdout#enrolments" aria-current="page">Holdout<`,
		`href="`+path+`?estate=ended&amp;group=holdout#enrolments" aria-current="page">Ended<`)
	if q := fake.requests("GET", "/v1/campaigns/"+springID+"/enrolments")[0].Query; q.Get("group") != "holdout" || q.Get("state") != "ended" || q.Get("limit") != "50" {
		t.Fatalf("the filtered enrolments asked for %v", q)
	}

	// A manager of the team reads names from the directory; an analyst reads and does nothing.
	must(t, "the manager's page", e.jo.Get(path), http.StatusOK, `id="owner">Ivy (rep, marketing)<`, "Approved by Jo (manager, marketing)", `id="f-complete"`)
	p = e.ali.Get(path)
	must(t, "an analyst's page", p, http.StatusOK, "&#43;5.0 pp", "Spent so far")
	lacks(t, "an analyst's page", p, `id="act"`, `id="f-cost"`, `/opt-out"`)

	// A win-back campaign: the won-back rate next to the one-in-four baseline.
	fake.put(with(spring(), map[string]any{"type": "winback"}), with(springFigures(), map[string]any{"type": "winback",
		"winback": map[string]any{"rate": 0.3, "baseline": 0.25}}))
	must(t, "a win-back's page", e.ivy.Get(path), http.StatusOK, `id="winback-rate"`, "30.0%, against the usual 25%", "Won back", "Cost per customer won back")

	// A draft: no figures or enrolments yet; its manager approves, its owner edits and cancels.
	fake.put(draft(), nil)
	p = e.jo.Get("/campaigns/" + draftID)
	must(t, "a draft, to its manager", p, http.StatusOK, ">Draft<", `id="f-approve"`, `id="f-cancel"`, `id="edit-link"`,
		`id="segment">lifecycle stage Lost; region East or North<`, "12.5% of the segment", "Customers who enter the segment while it runs are enrolled too.",
		`<th scope="row">Email subject</th><td id="email-subject">We miss you</td>`,
		`<th scope="row">Email body</th><td id="email-body">Hello &lt;b&gt;,<br><br>come back.</td>`)
	lacks(t, "a draft, to its manager", p, `id="evaluation"`, `id="enrolments"`, `id="f-launch"`, `id="f-cost"`)
	p = e.ivy.Get("/campaigns/" + draftID)
	must(t, "a draft, to its owner", p, http.StatusOK, `id="edit-link"`, `id="f-cancel"`)
	lacks(t, "a draft, to its owner", p, `id="f-approve"`)
	fake.put(with(draft(), map[string]any{"state": "approved"}), nil)
	p = e.ivy.Get("/campaigns/" + draftID)
	must(t, "an approved campaign", p, http.StatusOK, `id="f-launch"`, `id="f-cancel"`, `id="f-cost"`)
	lacks(t, "an approved campaign", p, `id="edit-link"`, `id="f-approve"`)
	fake.put(with(spring(), map[string]any{"state": "cancelled", "ended_at": "2026-04-02T01:00:00Z", "ended_by": "mgr-jo",
		"end_reason": "Budget <cut>"}), springFigures())
	p = e.ivy.Get(path)
	must(t, "a cancelled campaign", p, http.StatusOK, "Cancelled at 2026-04-02 09:00 by mgr-jo.", "Why: “Budget &lt;cut&gt;”")
	lacks(t, "a cancelled campaign", p, `id="act"`, `id="f-cost"`)

	// The segment now: htmx's part, or a page of its own.
	fake.set("preview", map[string]any{"count": 1234, "holdout_estimate": 123, "as_of": "2026-04-01T02:00:00Z", "sample": []any{
		map[string]any{"id": custID, "name": "Acme <Ltd>", "value_class": "A", "lifecycle_stage": "transacting", "region": "East",
			"industry": "Retail", "owner_id": "rep-ana", "team": "north", "last_contact_at": "2025-12-01T02:00:00Z"}}})
	p = e.ivy.Get(path+"/preview", "HX-Request", "true")
	must(t, "the preview part", p, http.StatusOK, "1,234 customers match the segment now; the holdout would keep about 123 of them out.",
		`<a href="/customers/`+custID+`">Acme &lt;Ltd&gt;</a>`, ">Transacting<", "2025-12-01")
	lacks(t, "the preview part", p, "<html")
	must(t, "the preview page", e.ivy.Get(path+"/preview"), http.StatusOK, "<html", "Who is in the segment now", "1,234 customers")
	fake.answer("GET /v1/campaigns/"+springID+"/preview", http.StatusServiceUnavailable, refusal("segment_unavailable", "later"))
	must(t, "a preview not made", e.ivy.Get(path+"/preview", "HX-Request", "true"), http.StatusOK, `id="preview-problem"`, "The segment cannot be read right now")
	fake.reset()

	// The evaluation not answered: the rest of the page shows.
	fake.put(spring(), springFigures())
	fake.answer("GET /v1/campaigns/"+springID+"/evaluation", http.StatusServiceUnavailable, refusal("unavailable", "down"))
	must(t, "an evaluation not answered", e.ivy.Get(path), http.StatusOK, "A service the console needs is not answering right now", "Spent so far")
	fake.reset()

	for _, p := range []string{"/campaigns/" + goneID, "/campaigns/" + goneID + "/preview"} {
		must(t, "a campaign out of sight", e.ana.Get(p), http.StatusNotFound, "There is no such page")
	}
	must(t, "the page in Chinese", e.ivy.Get(path, "Accept-Language", "zh-CN,zh;q=0.9"), http.StatusOK, "活动计划", "营销活动的效果", "触达组", "明显提升")
	fake.put(draft(), nil)
	must(t, "a draft in Chinese", e.ivy.Get("/campaigns/"+draftID, "Accept-Language", "zh-CN,zh;q=0.9"), http.StatusOK,
		`<th scope="row">邮件主题</th><td id="email-subject">We miss you</td>`, "邮件正文")
}

func testMoves(t *testing.T, e *env) {
	fake, path := e.fake, "/campaigns/"+draftID
	fake.reset()
	fake.put(draft(), nil)
	p := e.jo.Post(path+"/approve", url.Values{"version": {"4"}})
	must(t, "approved", p, http.StatusOK, "The campaign is approved")
	sent := fake.requests("POST", "/v1/campaigns/"+draftID+"/approve")
	if len(sent) != 1 || sent[0].Body["expected_version"] != float64(4) || sent[0].Idem == "" {
		t.Fatalf("approving sent %+v", sent)
	}

	for _, c := range []struct {
		form, code string
		status     int
		says       string
	}{
		{"approve", "not_marketing_manager", http.StatusForbidden, "Only a marketing manager of the campaign&#39;s team (or an administrator) approves it."},
		{"launch", "approval_required", http.StatusUnprocessableEntity, "A marketing manager of its team approves the campaign before it is launched."},
		{"launch", "segment_empty", http.StatusUnprocessableEntity, "The segment matches no customer now"},
		{"launch", "campaign_over", http.StatusUnprocessableEntity, "The campaign&#39;s end date has passed"},
		{"launch", "not_campaign_runner", http.StatusForbidden, "Only the campaign&#39;s owner, a marketing manager of its team"},
		{"complete", "invalid_transition", http.StatusUnprocessableEntity, "The campaign&#39;s state does not allow this any more."},
		{"cancel", "version_conflict", http.StatusConflict, "Someone changed this campaign since you opened it."},
	} {
		fake.answer("POST /v1/campaigns/"+draftID+"/"+c.form, c.status, refusal(c.code, "the service's words"))
		p = e.jo.Post(path+"/"+c.form, url.Values{"version": {"4"}, "reason": {"kept <as> typed"}})
		must(t, c.code, p, c.status, `id="`+c.form+`-problem"`, c.says, `id="f-`+c.form+`"`)
		if c.form == "cancel" && !strings.Contains(p.Body, ">kept &lt;as&gt; typed</textarea>") {
			t.Fatalf("the cancellation's reason was not kept:\n%s", p.Body)
		}
	}
	fake.reset()
	fake.put(draft(), nil)
	must(t, "a refusal in Chinese", func() webtest.Page {
		fake.answer("POST /v1/campaigns/"+draftID+"/launch", http.StatusUnprocessableEntity, refusal("segment_empty", "x"))
		return e.jo.Post(path+"/launch", url.Values{}, "Accept-Language", "zh-CN,zh;q=0.9")
	}(), http.StatusUnprocessableEntity, "目标客群目前没有任何客户")

	fake.reset()
	p = e.ivy.Post(path+"/cancel", url.Values{"version": {"4"}, "reason": {"  Plan changed "}})
	must(t, "cancelled", p, http.StatusOK, "The campaign is cancelled.")
	if b := fake.requests("POST", "/v1/campaigns/"+draftID+"/cancel")[0].Body; b["reason"] != "Plan changed" || b["expected_version"] != float64(4) {
		t.Fatalf("the cancellation sent %v", b)
	}
	fake.answer("POST /v1/campaigns/"+draftID+"/complete", http.StatusUnprocessableEntity,
		validationFailed([3]string{"reason", "too_long", "at most 500 characters"}))
	fake.put(with(draft(), map[string]any{"state": "running"}), nil)
	p = e.ivy.Post(path+"/complete", url.Values{"reason": {"long"}})
	must(t, "a reason too long", p, http.StatusUnprocessableEntity, `id="complete-reason-err" role="alert">At most 500 characters.`)
	if !regexp.MustCompile(`id="complete-reason"[^>]*aria-invalid="true"[^>]*aria-describedby="complete-reason-err"`).MatchString(p.Body) {
		t.Fatal("the reason is not marked invalid")
	}

	must(t, "a move out of sight", e.jo.Post("/campaigns/"+goneID+"/approve", nil), http.StatusNotFound, "There is no such page")
	fake.reset()
	p = e.ali.Post(path+"/approve", nil)
	must(t, "an analyst's move", p, http.StatusForbidden, "This page is not for your role")
	if n := len(fake.requests("POST", "/v1/")); n != 0 {
		t.Fatalf("an analyst's post sent %d requests", n)
	}
}

func testCostsAndOptOuts(t *testing.T, e *env) {
	fake, path := e.fake, "/campaigns/"+springID
	fake.reset()
	fake.put(spring(), springFigures())
	fake.set("enrolments", springEnrolments())
	p := e.ivy.Post(path+"/costs", url.Values{"amount": {"1,250.50"}, "spent_on": {"2026-03-05"}, "note": {" Flyers "}})
	must(t, "a cost", p, http.StatusOK, "The cost is recorded.")
	if b := fake.requests("POST", "/v1/campaigns/"+springID+"/costs")[0].Body; b["amount"] != 1250.5 || b["spent_on"] != "2026-03-05" || b["note"] != "Flyers" {
		t.Fatalf("the cost sent %v", b)
	}
	fake.reset()
	p = e.ivy.Post(path+"/costs", url.Values{"amount": {"a lot"}, "note": {"kept"}})
	must(t, "an amount that is no number", p, http.StatusUnprocessableEntity, `id="cost-amount-err" role="alert">Enter an amount`, `value="a lot"`, `value="kept"`)
	if n := len(fake.requests("POST", "/v1/")); n != 0 {
		t.Fatalf("a bad amount sent %d requests", n)
	}
	fake.answer("POST /v1/campaigns/"+springID+"/costs", http.StatusUnprocessableEntity, validationFailed(
		[3]string{"spent_on", "invalid", "a date"}, [3]string{"amount", "out_of_range", "more than 0"}))
	p = e.ivy.Post(path+"/costs", url.Values{"amount": {"0"}, "spent_on": {"soon"}})
	must(t, "a refused cost", p, http.StatusUnprocessableEntity, `id="cost-problem"`, `id="cost-date-err" role="alert">A date, such as 2026-06-01.`,
		`id="cost-amount-err" role="alert">More than 0`, `value="soon"`)
	fake.answer("POST /v1/campaigns/"+springID+"/costs", http.StatusUnprocessableEntity, refusal("cost_not_allowed", "no"))
	must(t, "a cost on a closed campaign", e.ivy.Post(path+"/costs", url.Values{"amount": {"5"}}), http.StatusUnprocessableEntity,
		"Costs are recorded on approved, running or completed campaigns only.")

	fake.reset()
	p = e.ivy.Post(path+"/opt-out", url.Values{"customer_id": {custID}, "reason": {" Asked on the phone "}})
	must(t, "an opt-out", p, http.StatusOK, "The opt-out is recorded")
	if !strings.HasSuffix(p.URL, path+"?done=opt_out#enrolments") {
		t.Fatalf("after the opt-out the browser is at %s", p.URL)
	}
	if b := fake.requests("PUT", "/v1/opt-outs/"+custID)[0].Body; b["reason"] != "Asked on the phone" {
		t.Fatalf("the opt-out sent %v", b)
	}
	fake.answer("PUT /v1/opt-outs/"+custID, http.StatusForbidden, refusal("campaign_read_only", "no"))
	p = e.ivy.Post(path+"/opt-out", url.Values{"customer_id": {custID}, "reason": {"typed"}})
	must(t, "a refused opt-out", p, http.StatusForbidden, `id="opt_out-problem"`, "The opt-out of "+custID+" was not recorded:",
		"You may read this campaign but not change it", `<details class="optout" open>`, `value="typed"`)
}

// todayIn is today's date in zone.
func todayIn(zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		panic(err)
	}
	return time.Now().In(loc).Format(time.DateOnly)
}
