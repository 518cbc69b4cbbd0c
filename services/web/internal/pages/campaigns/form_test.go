package campaigns_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func testForm(t *testing.T, e *env) {
	fake := e.fake
	fake.reset()
	p := e.ivy.Get("/campaigns/new")
	must(t, "the form", p, http.StatusOK, `action="/campaigns"`, `name="_idem"`, `id="c-name"`, `id="c-holdout" name="holdout" type="number"`,
		`value="10"`, `id="seg_value_classes-A"`, `id="seg_lifecycle_stages-lost"`, ">Lost<", `id="seg_relationship_stages-decline"`,
		`id="c-ch-phone_call"`, "Yours: marketing.", `id="c-starts" name="starts_on" type="date"`,
		`<label for="c-email-subject">Email subject</label>`,
		`<input id="c-email-subject" name="email_subject" maxlength="200" value="" aria-describedby="c-email-subject-hint">`,
		`<label for="c-email-body">Email body</label>`,
		`<textarea id="c-email-body" name="email_body" rows="8" maxlength="10000" aria-describedby="c-email-body-hint"></textarea>`,
		`<span class="hint" id="c-email-body-hint">Plain text, the same for every customer; needed when the campaign emails. A footer with the customer&#39;s unsubscribe link is added to every email.</span>`)
	lacks(t, "a new campaign's form", p, `name="version"`, `<option value="winback" selected>`)
	must(t, "a new win-back", e.ivy.Get("/campaigns/new?type=winback"), http.StatusOK, `<option value="winback" selected>`)

	fake.answer("POST /v1/campaigns", http.StatusUnprocessableEntity, validationFailed(
		[3]string{"name", "required", "is required"}, [3]string{"channels[1]", "duplicate", "each channel once"},
		[3]string{"segment.lifecycle_stages", "winback_lost_only", "lost only"},
		[3]string{"segment.max_days_since_contact", "below_min", "at least min"}, [3]string{"ends_on", "before_start", "…"},
		[3]string{"team", "not_marketing", "one of the marketing teams: marketing"}, [3]string{"segment.regions[1]", "too_long", "at most 100"},
		[3]string{"id", "invalid", "the campaign needs an id"}, [3]string{"email_subject", "invalid", "one line"},
		[3]string{"email_body", "too_long", "at most 10,000 characters"}))
	form := url.Values{"name": {" "}, "objective": {"typed <objective>"}, "type": {"winback"}, "channel": {"visit"}, "channels": {"email", "visit"},
		"seg_value_classes": {"A", "C"}, "seg_lifecycle_stages": {"lost", "prospect"}, "seg_relationship_stages": {"decline"},
		"seg_regions": {"East，North、 West"}, "seg_industries": {""}, "seg_owner_ids": {"rep-ana, rep-bo"}, "seg_teams": {"north"},
		"seg_min_days": {"90"}, "seg_max_days": {"30"}, "holdout": {"12.5"}, "budget": {"12,500"}, "expected_cost": {""},
		"expected_revenue": {"40000.5"}, "starts_on": {"2026-06-01"}, "ends_on": {"2026-05-01"}, "owner_id": {""}, "team": {"sales"},
		"enrol_newcomers": {"true"}, "email_subject": {" Come back <soon> "}, "email_body": {"\r\nDear customer,\r\n\r\nwe miss you.\r\n"}}
	p = e.ivy.Post("/campaigns", form)
	must(t, "a refused plan", p, http.StatusUnprocessableEntity, `id="form-problem"`, "Some fields need attention.",
		"<code>id</code>: This value is not valid.", `id="c-name-err" role="alert">This is required.`,
		`id="c-channel-err" role="alert">Each channel is named once.`,
		`id="seg_lifecycle_stages-err" role="alert">A win-back campaign reaches lost customers only`,
		`id="c-max-days-err" role="alert">At least the minimum above.`, `id="c-ends-err" role="alert">The campaign ends on or after the day it starts.`,
		`id="c-team-err" role="alert">Not a marketing team`, `id="c-regions-err" role="alert">This is too long.`,
		">typed &lt;objective&gt;</textarea>", `value="East，North、 West"`, `id="seg_value_classes-C" name="seg_value_classes" value="C" checked`,
		`<option value="visit" selected>`, `id="c-ch-email" name="channels" value="email" checked`, `value="12.5"`, `value="12,500"`,
		`id="c-newcomers" name="enrol_newcomers" value="true" aria-describedby="c-newcomers-hint" checked`,
		`value=" Come back &lt;soon&gt; " aria-describedby="c-email-subject-hint c-email-subject-err" aria-invalid="true">`,
		`<span class="field-error" id="c-email-subject-err" role="alert">One line, without control characters.</span>`,
		`aria-describedby="c-email-body-hint c-email-body-err" aria-invalid="true">`, "Dear customer,", "we miss you.\r\n</textarea>",
		`<span class="field-error" id="c-email-body-err" role="alert">At most 10,000 characters.</span>`)
	lacks(t, "a refused plan", p, `id="seg_value_classes-B" name="seg_value_classes" value="B" checked`, "<code>team</code>", "<code>segment",
		"<code>email_")
	if !regexp.MustCompile(`id="c-name"[^>]*aria-describedby="c-name-err"[^>]*aria-invalid="true"`).MatchString(p.Body) {
		t.Fatal("the name is not marked invalid")
	}
	sent := fake.requests("POST", "/v1/campaigns")
	if len(sent) != 1 || sent[0].Idem == "" {
		t.Fatalf("the form sent %+v", sent)
	}
	b := sent[0].Body
	if got := fmt.Sprint(b["segment"]); got != "map[industries:[] lifecycle_stages:[lost prospect] loyalty_levels:[] max_days_since_contact:30 min_days_since_contact:90 "+
		"owner_ids:[rep-ana rep-bo] regions:[East North West] relationship_stages:[decline] teams:[north] value_classes:[A C]]" {
		t.Fatalf("the segment sent: %s", got)
	}
	if b["name"] != "" || b["objective"] != "typed <objective>" || b["type"] != "winback" || fmt.Sprint(b["channels"]) != "[visit email]" ||
		b["holdout"] != 0.125 || b["budget"] != 12500.0 || b["expected_cost"] != 0.0 || b["expected_revenue"] != 40000.5 ||
		b["starts_on"] != "2026-06-01" || b["ends_on"] != "2026-05-01" || b["team"] != "sales" || b["enrol_newcomers"] != true {
		t.Fatalf("the campaign sent: %v", b)
	}
	if _, ok := b["owner_id"]; ok {
		t.Fatalf("an empty owner was sent: %v", b)
	}
	if b["email_subject"] != "Come back <soon>" || b["email_body"] != "Dear customer,\n\nwe miss you." {
		t.Fatalf("the email sent: %q, %q", b["email_subject"], b["email_body"])
	}

	// A campaign that emails, without its email: the service's "required" at both fields.
	fake.reset()
	fake.answer("POST /v1/campaigns", http.StatusUnprocessableEntity, validationFailed([3]string{"email_subject", "required", "is required"},
		[3]string{"email_body", "required", "is required"}))
	p = e.ivy.Post("/campaigns", url.Values{"name": {"Mail them"}, "type": {"cross_sell"}, "channel": {"email"}, "email_subject": {"  "}})
	must(t, "an emailing campaign without its email", p, http.StatusUnprocessableEntity,
		`id="c-email-subject-err" role="alert">Needed when the campaign emails: its main channel is Email, or it is a win-back campaign with the Email channel.`,
		`id="c-email-body-err" role="alert">Needed when the campaign emails: write the email its customers receive.`, `value="Mail them"`)
	lacks(t, "an emailing campaign without its email", p, `id="form-problem"><strong>Some fields need attention.</strong><ul>`)
	if b := fake.requests("POST", "/v1/campaigns")[0].Body; b["email_subject"] != nil || b["email_body"] != nil {
		t.Fatalf("an empty email was sent: %v", b)
	}
	must(t, "the email's error in Chinese", e.ivy.Post("/campaigns", url.Values{"name": {"Mail them"}}, "Accept-Language", "zh-CN,zh;q=0.9"),
		http.StatusUnprocessableEntity, `id="c-email-subject-err" role="alert">活动发送邮件时必填`, "邮件正文", "每封邮件末尾都会附上该客户的退订链接")

	fake.reset()
	p = e.ivy.Post("/campaigns", url.Values{"name": {"kept"}, "holdout": {"ten"}, "budget": {"lots"}, "seg_min_days": {"1.5"}})
	must(t, "numbers that are no numbers", p, http.StatusUnprocessableEntity, `id="c-holdout-err" role="alert">Enter a number`,
		`id="c-budget-err" role="alert">Enter a number`, `id="c-min-days-err" role="alert">Enter a number`, `value="kept"`)
	if n := len(fake.requests("POST", "/v1/campaigns")); n != 0 {
		t.Fatalf("a form with bad numbers sent %d requests", n)
	}

	fake.answer("POST /v1/campaigns", http.StatusServiceUnavailable, refusal("unavailable", "down"))
	p = e.ivy.Post("/campaigns", url.Values{"name": {"kept"}, "_idem": {"new-key-3"}})
	must(t, "an unanswered plan", p, http.StatusServiceUnavailable, "Send the form again: it is applied at most once.",
		`name="_idem" value="new-key-3"`, `value="kept"`)
	fake.answer("POST /v1/campaigns", http.StatusForbidden, refusal("campaign_create_not_allowed", "no"))
	must(t, "a sales rep's plan", e.ana.Post("/campaigns", url.Values{"name": {"mine"}}), http.StatusForbidden,
		`id="form-problem"`, "Campaigns are planned by the marketers and marketing managers of the marketing teams")

	fake.put(draft(), nil)
	fake.answer("POST /v1/campaigns", http.StatusCreated, draft())
	p = e.ivy.Post("/campaigns", url.Values{"name": {"Bring back the lost"}})
	if !strings.HasSuffix(p.URL, "/campaigns/"+draftID+"?done=saved") || !strings.Contains(p.Body, "The draft is saved.") {
		t.Fatalf("after saving the browser is at %s (%d)", p.URL, p.Status)
	}

	fake.reset()
	p = e.ivy.Get("/campaigns/" + draftID + "/edit")
	must(t, "the draft's form", p, http.StatusOK, `action="/campaigns/`+draftID+`/edit"`, `name="version" value="4"`,
		`value="Bring back the lost"`, `<option value="winback" selected>`, `<option value="email" selected>`, `value="12.5"`,
		`id="seg_lifecycle_stages-lost" name="seg_lifecycle_stages" value="lost" checked`, `value="East, North"`, `value="20000"`,
		`value="2026-03-01"`, `value="mkt-ivy"`, `value="marketing"`, `name="enrol_newcomers" value="true" aria-describedby="c-newcomers-hint" checked`,
		`name="email_subject" maxlength="200" value="We miss you"`, `aria-describedby="c-email-body-hint">Hello &lt;b&gt;,`+"\r\n\r\ncome back.\n</textarea>")
	p = e.ivy.Post("/campaigns/"+draftID+"/edit", url.Values{"version": {"4"}, "name": {"Edited"}, "type": {"winback"}, "channel": {"email"},
		"holdout": {"0"}, "email_subject": {"We still miss you"}, "email_body": {"Hello,\r\ncome back."}})
	if !strings.HasSuffix(p.URL, "/campaigns/"+draftID+"?done=saved") {
		t.Fatalf("after editing the browser is at %s (%d)", p.URL, p.Status)
	}
	b = fake.requests("PUT", "/v1/campaigns/"+draftID)[0].Body
	if b["expected_version"] != float64(4) || b["name"] != "Edited" || b["holdout"] != 0.0 || fmt.Sprint(b["channels"]) != "[email]" ||
		b["email_subject"] != "We still miss you" || b["email_body"] != "Hello,\ncome back." {
		t.Fatalf("the edit sent %v", b)
	}
	fake.answer("PUT /v1/campaigns/"+draftID, http.StatusConflict, refusal("version_conflict", "changed"))
	fake.put(with(draft(), map[string]any{"version": 5}), nil)
	p = e.ivy.Post("/campaigns/"+draftID+"/edit", url.Values{"version": {"4"}, "name": {"Mine"}})
	must(t, "a stale draft", p, http.StatusConflict, "Someone changed this campaign since you opened it.", `name="version" value="5"`, `value="Mine"`)
	fake.answer("PUT /v1/campaigns/"+draftID, http.StatusUnprocessableEntity, refusal("not_editable", "no"))
	must(t, "a draft approved meanwhile", e.ivy.Post("/campaigns/"+draftID+"/edit", url.Values{"name": {"Mine"}}), http.StatusUnprocessableEntity,
		"Only a draft is edited")

	fake.put(spring(), springFigures())
	p = e.ivy.Get("/campaigns/" + springID + "/edit")
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/campaigns/"+springID) {
		t.Fatalf("editing a running campaign ends at %s (%d)", p.URL, p.Status)
	}
	must(t, "an analyst's form", e.ali.Get("/campaigns/new"), http.StatusForbidden, "This page is not for your role")
	must(t, "a draft out of sight", e.ivy.Get("/campaigns/"+goneID+"/edit"), http.StatusNotFound, "There is no such page")
	must(t, "the form in Chinese", e.ivy.Get("/campaigns/new", "Accept-Language", "zh-CN,zh;q=0.9"), http.StatusOK, "策划营销活动", "保存草稿", "保留组",
		"忠诚度等级", `<label for="seg_loyalty_levels-at_risk">有流失风险</label>`, "平均满意度（CSAT）不低于")
	testFormLoyalty(t, e)
}

// testFormLoyalty: the segment's loyalty levels (ticked) and satisfaction
// range go to the service as typed, and its refusals show beside them.
func testFormLoyalty(t *testing.T, e *env) {
	fake := e.fake
	fake.reset()
	must(t, "the loyalty fields", e.ivy.Get("/campaigns/new"), http.StatusOK, `id="seg_loyalty_levels-at_risk" name="seg_loyalty_levels" value="at_risk"`,
		`<label for="seg_loyalty_levels-unknown">Not known yet</label>`, `<label for="seg_loyalty_levels-advocate">Advocate</label>`,
		`<label for="c-min-satisfaction">Average CSAT at least <span class="hint">optional</span></label>`, `id="c-min-satisfaction" name="seg_min_satisfaction" type="number"`,
		`id="c-max-satisfaction" name="seg_max_satisfaction" type="number"`, "Customers who never answered do not pass.")
	fake.answer("POST /v1/campaigns", http.StatusUnprocessableEntity, validationFailed(
		[3]string{"segment.loyalty_levels[1]", "invalid", "unknown, at_risk, …"}, [3]string{"segment.min_satisfaction", "out_of_range", "1 to 5"},
		[3]string{"segment.max_satisfaction", "below_min", "at least min_satisfaction"}))
	p := e.ivy.Post("/campaigns", url.Values{"name": {"Save them"}, "seg_loyalty_levels": {"at_risk", "neutral"}, "seg_min_satisfaction": {"3.5"},
		"seg_max_satisfaction": {"2"}})
	must(t, "a refused loyalty segment", p, http.StatusUnprocessableEntity, `id="seg_loyalty_levels-err" role="alert">Not a loyalty level.`,
		`id="c-min-satisfaction-err" role="alert">An average CSAT from 1 to 5.`, `id="c-max-satisfaction-err" role="alert">At least the minimum above.`,
		`id="seg_loyalty_levels-at_risk" name="seg_loyalty_levels" value="at_risk" checked`, `value="3.5"`)
	lacks(t, "a refused loyalty segment", p, "<code>segment", `value="loyal" checked`)
	b := fake.requests("POST", "/v1/campaigns")[0].Body
	seg, _ := b["segment"].(map[string]any)
	if fmt.Sprint(seg["loyalty_levels"]) != "[at_risk neutral]" || seg["min_satisfaction"] != 3.5 || seg["max_satisfaction"] != 2.0 {
		t.Fatalf("the loyalty segment sent: %v", seg)
	}
	fake.reset()
	p = e.ivy.Post("/campaigns", url.Values{"name": {"kept"}, "seg_min_satisfaction": {"high"}})
	must(t, "a satisfaction that is no number", p, http.StatusUnprocessableEntity, `id="c-min-satisfaction-err" role="alert">Enter a number`)
	if n := len(fake.requests("POST", "/v1/campaigns")); n != 0 {
		t.Fatalf("a form with a bad satisfaction sent %d requests", n)
	}
	// Left empty, neither is sent: the segment does not filter on them.
	fake.answer("POST /v1/campaigns", http.StatusCreated, draft())
	e.ivy.Post("/campaigns", url.Values{"name": {"Everyone"}})
	seg, _ = fake.requests("POST", "/v1/campaigns")[0].Body["segment"].(map[string]any)
	if _, ok := seg["min_satisfaction"]; ok || seg["max_satisfaction"] != nil || fmt.Sprint(seg["loyalty_levels"]) != "[]" {
		t.Fatalf("an empty loyalty filter sent: %v", seg)
	}
	// The preview's sample shows each customer's loyalty and average CSAT.
	fake.reset()
	fake.put(spring(), springFigures())
	fake.set("preview", map[string]any{"count": 2, "holdout_estimate": 0, "as_of": "2026-04-01T02:00:00Z", "sample": []any{
		map[string]any{"id": custID, "name": "Acme", "lifecycle_stage": "transacting", "loyalty_level": "at_risk", "csat_average": 2.5, "csat_count": 2},
		map[string]any{"id": custID, "name": "Basalt", "lifecycle_stage": "transacting", "loyalty_level": "unknown", "csat_average": nil}}})
	p = e.ivy.Get("/campaigns/"+springID+"/preview", "HX-Request", "true")
	must(t, "the preview's loyalty", p, http.StatusOK, `<th scope="col">Loyalty</th>`, `<span>At risk <span class="hint">CSAT 2.50</span></span>`,
		`<span>Not known yet</span>`)
}
