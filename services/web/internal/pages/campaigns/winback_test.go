package campaigns_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func candidatesPage() map[string]any {
	lost := time.Now().AddDate(0, 0, -200).UTC().Truncate(time.Second).Format(time.RFC3339)
	return map[string]any{"items": []any{
		map[string]any{"id": custID, "name": "Acme <Ltd>", "value_class": "A", "lifecycle_stage": "lost", "region": "East", "industry": "Retail",
			"owner_id": "rep-ana", "team": "north", "lost_at": lost, "lost_reason": "Price <too high>", "lost_competitor": "Rival Co",
			"listed_at": "2026-04-01T00:00:00Z"},
		map[string]any{"id": other, "name": "Beta", "value_class": "C", "lifecycle_stage": "lost", "lost_at": lost, "listed_at": "2026-04-01T00:00:00Z"},
	}, "next_cursor": "k-2"}
}

func testCandidates(t *testing.T, e *env) {
	fake, path := e.fake, "/campaigns/winback/candidates"
	fake.reset()
	fake.set("candidates", candidatesPage())
	running := with(draft(), map[string]any{"id": winbackID, "name": "Win them back", "state": "running"})
	fake.setList("", running)
	fake.put(running, nil)
	p := e.ivy.Get(path)
	must(t, "the candidates", p, http.StatusOK, `<a href="/customers/`+custID+`">Acme &lt;Ltd&gt;</a>`, "Retail", "rep-ana", "(north)",
		"200 days", "Price &lt;too high&gt;", "Rival Co", `action="/campaigns/winback/enrol"`, `<option value="`+winbackID+`">Win them back</option>`,
		`action="/campaigns/winback/opt-out"`, `href="`+path+`?cursor=k-2">Next page`)
	if q := fake.requests("GET", "/v1/campaigns")[0].Query; q.Get("state") != "running" || q.Get("type") != "winback" {
		t.Fatalf("the enrol form's campaigns were asked for as %v", q)
	}
	lacks(t, "the candidates", p, "Price <too high>", `id="no-running"`)

	p = e.ali.Get(path)
	must(t, "an analyst's candidates", p, http.StatusOK, "Acme &lt;Ltd&gt;")
	lacks(t, "an analyst's candidates", p, `action="/campaigns/winback/enrol"`, "opt-out")
	fake.setList("")
	must(t, "nothing running", e.ivy.Get(path), http.StatusOK, `id="no-running"`, `href="/campaigns/new?type=winback"`)
	fake.setList("", running)

	fake.reset()
	p = e.ivy.Post("/campaigns/winback/enrol", url.Values{"customer_id": {custID}, "campaign_id": {winbackID}})
	must(t, "enrolled", p, http.StatusOK, "The customer is enrolled")
	sent := fake.requests("POST", "/v1/campaigns/"+winbackID+"/enrolments")
	if len(sent) != 1 || sent[0].Body["customer_id"] != custID || sent[0].Idem == "" {
		t.Fatalf("the enrolment sent %+v", sent)
	}
	fake.answer("POST /v1/campaigns/"+winbackID+"/enrolments", http.StatusCreated, map[string]any{"customer_id": custID, "group": "holdout"})
	must(t, "held out", e.ivy.Post("/campaigns/winback/enrol", url.Values{"customer_id": {custID}, "campaign_id": {winbackID}}), http.StatusOK,
		"The customer is enrolled in the holdout")
	for _, c := range []struct {
		code   string
		status int
		says   string
	}{
		{"already_enrolled", http.StatusConflict, "This customer is already enrolled in this campaign."},
		{"in_campaign", http.StatusConflict, "Another running campaign that comes first already has this customer."},
		{"not_in_segment", http.StatusUnprocessableEntity, "This customer does not match the campaign&#39;s segment now."},
		{"opted_out", http.StatusUnprocessableEntity, "This customer opted out of marketing"},
		{"campaign_not_running", http.StatusUnprocessableEntity, "Customers are enrolled only in a running campaign."},
	} {
		fake.answer("POST /v1/campaigns/"+winbackID+"/enrolments", c.status, refusal(c.code, "the service's words"))
		p = e.ivy.Post("/campaigns/winback/enrol", url.Values{"customer_id": {custID}, "campaign_id": {winbackID}})
		must(t, c.code, p, c.status, `id="enrol-`+custID+`-err" role="alert">`+c.says, `<option value="`+winbackID+`" selected>`)
		if !strings.Contains(p.Body, `id="enrol-`+custID+`" name="campaign_id" aria-invalid="true"`) {
			t.Fatalf("%s: the row's choice is not marked invalid:\n%s", c.code, p.Body)
		}
	}
	// A refused row that is not on this page says so at the top.
	p = e.ivy.Post("/campaigns/winback/enrol", url.Values{"customer_id": {"someone-else"}, "campaign_id": {winbackID}})
	must(t, "a refusal elsewhere", p, http.StatusUnprocessableEntity, `id="act-problem"`, "Customers are enrolled only in a running campaign.")

	fake.reset()
	p = e.ivy.Post("/campaigns/winback/opt-out", url.Values{"customer_id": {other}, "reason": {"Do not call"}})
	must(t, "a candidate's opt-out", p, http.StatusOK, "The opt-out is recorded")
	if b := fake.requests("PUT", "/v1/opt-outs/"+other)[0].Body; b["reason"] != "Do not call" {
		t.Fatalf("the opt-out sent %v", b)
	}
	fake.answer("PUT /v1/opt-outs/"+other, http.StatusUnprocessableEntity, validationFailed([3]string{"reason", "too_long", "at most 500"}))
	p = e.ivy.Post("/campaigns/winback/opt-out", url.Values{"customer_id": {other}, "reason": {"typed"}})
	must(t, "a refused opt-out", p, http.StatusUnprocessableEntity, `id="optout-`+other+`-err" role="alert">Some fields need attention. At most 500 characters.`,
		`<details class="optout" open>`, `value="typed"`)

	fake.reset()
	fake.set("candidates", map[string]any{"items": []any{}})
	p = e.ivy.Get(path)
	must(t, "no candidates", p, http.StatusOK, "No win-back candidates now")
	if n := len(fake.requests("GET", "/v1/campaigns")); n != 0 {
		t.Fatal("the campaigns were read for an empty list")
	}
	must(t, "the candidates in Chinese", e.ivy.Get(path, "Accept-Language", "zh-CN,zh;q=0.9"), http.StatusOK, "待挽回客户")
}
