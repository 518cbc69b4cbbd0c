package policies_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

const callback = "followup.callback_deadline"

// versions are a policy's versions as the follow-up service has them.
func versions(t *testing.T, s *webtest.Stack, name string) []map[string]any {
	t.Helper()
	r := s.Call("GET", "/v1/policies/"+name+"/versions", "analyst-ali", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("versions of %s: %d %s", name, r.Status, r.Body)
	}
	var pg struct{ Items []map[string]any }
	if err := json.Unmarshal(r.Body, &pg); err != nil {
		t.Fatal(err)
	}
	return pg.Items
}

func mustContain(t *testing.T, what string, p webtest.Page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.Body, w) {
			t.Fatalf("%s (%d) lacks %q:\n%s", what, p.Status, w, p.Body)
		}
	}
}

func noIDs(t *testing.T, what string, p webtest.Page) {
	t.Helper()
	if m := regexp.MustCompile(`policies\.[a-z_]+[.a-z_0-9]*`).FindString(p.Body); m != "" && !strings.Contains(p.Body, "<code>"+m) {
		// Policy names (lead.first_contact_sla) are not catalogue ids; ids start with "policies.".
		t.Fatalf("%s shows the message id %q", what, m)
	}
}

// The analyst's whole path through the policy and calendar pages, the
// manager's read-only view and the rep's refusal, on one stack with
// workflows (a new version or calendar starts a rollout).
func TestPoliciesAndCalendars(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	cust := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Anhui Pumps Co"}))
	if r := s.Call("POST", "/v1/follow-ups", "rep-ana", map[string]any{"kind": "callback", "customer_id": cust, "title": "call the buyer back"}); r.Status != http.StatusCreated && r.Status != http.StatusAccepted {
		t.Fatalf("open a call-back: %d %s", r.Status, r.Body)
	}
	ali := s.Client(t, "analyst-ali")

	t.Run("list in analysts' words", func(t *testing.T) {
		p := ali.Get("/policies")
		mustContain(t, "the policy list", p, "First contact with a new lead", "4 business hours", `href="/policies/lead.first_contact_sla"`,
			"30 calendar days", "after 4 business hours: hand it to the owner&#39;s manager")
		if strings.Contains(p.Body, `"4h"`) || strings.Contains(p.Body, "PT4H") {
			t.Fatal("the list shows raw durations")
		}
	})

	t.Run("preview shows the per-team impact, save makes a version", func(t *testing.T) {
		p := ali.Get("/policies/" + callback)
		mustContain(t, "the policy page", p, "Call-back due", "8 business hours", `name="duration" value="8h"`, "Preview impact", "Save now")
		before := len(versions(t, s, callback))
		form := url.Values{"duration": {"15m"}, "clock": {"business"}, "calendar": {""}, "reason": {"call back sooner"}}
		pre := ali.Post("/policies/"+callback+"/preview", form, "HX-Request", "true", "HX-Target", "editor")
		mustContain(t, "the preview", pre, "What this value would do now", "north", "Due earlier", "15 business minutes", `value="15m"`)
		if strings.Contains(pre.Body, "<html") {
			t.Fatal("the htmx preview is a whole page")
		}
		if n := len(versions(t, s, callback)); n != before {
			t.Fatalf("a preview stored a version: %d → %d", before, n)
		}
		form.Set("when", "now")
		done := ali.Post("/policies/"+callback+"/versions", form)
		mustContain(t, "after saving", done, "is saved and in force now", "15 business minutes")
		vs := versions(t, s, callback)
		if len(vs) != before+1 || vs[len(vs)-1]["status"] != "active" || vs[len(vs)-1]["reason"] != "call back sooner" {
			t.Fatalf("versions after the save: %v", vs)
		}
	})

	t.Run("an invalid value is refused next to its field and nothing is saved", func(t *testing.T) {
		before := len(versions(t, s, callback))
		p := ali.Post("/policies/"+callback+"/versions", url.Values{"duration": {"5m"}, "clock": {"business"}, "reason": {"too short"}, "when": {"now"}})
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("a 5-minute call-back deadline: %d", p.Status)
		}
		mustContain(t, "the refused form", p, `id="err-duration"`, `aria-invalid="true" aria-describedby="err-duration"`, `value="5m"`, "too short")
		p = ali.Post("/policies/"+callback+"/preview", url.Values{"duration": {"2d"}, "clock": {"business"}, "reason": {"x"}}, "HX-Request", "true", "HX-Target", "editor")
		mustContain(t, "a business duration in days", p, `id="err-value"`, "business time is written in hours")
		if n := len(versions(t, s, callback)); n != before {
			t.Fatalf("a refused value changed the versions: %d → %d", before, n)
		}
	})

	t.Run("schedule, then withdraw", func(t *testing.T) {
		at := time.Now().In(time.FixedZone("CST", 8*3600)).Add(72 * time.Hour).Format("2006-01-02T15:04")
		p := ali.Post("/policies/"+callback+"/versions", url.Values{"duration": {"4h"}, "clock": {"business"}, "reason": {"next quarter"}, "when": {"schedule"}, "effective_at": {at}})
		mustContain(t, "after scheduling", p, "is scheduled", "Scheduled changes", ">scheduled<", "Withdraw version")
		vs := versions(t, s, callback)
		last := vs[len(vs)-1]
		v := int(last["version"].(float64))
		eff, _ := time.Parse(time.RFC3339, last["effective_from"].(string))
		if last["status"] != "scheduled" || eff.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04") != at {
			t.Fatalf("the scheduled version: %v (asked %s Asia/Shanghai)", last, at)
		}
		// Without a reason the service refuses, next to the reason field of that form.
		p = ali.Post("/policies/"+callback+"/versions/"+strconv.Itoa(v)+"/withdraw", url.Values{"reason": {" "}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="wr-err-`+strconv.Itoa(v)+`"`) {
			t.Fatalf("a withdrawal without reason: %d\n%s", p.Status, p.Body)
		}
		p = ali.Post("/policies/"+callback+"/versions/"+strconv.Itoa(v)+"/withdraw", url.Values{"reason": {"not yet"}})
		mustContain(t, "after withdrawing", p, "is withdrawn", ">withdrawn<")
		if vs := versions(t, s, callback); vs[len(vs)-1]["status"] != "withdrawn" {
			t.Fatalf("after the withdrawal: %v", vs[len(vs)-1])
		}
	})

	t.Run("roll back to the shipped default", func(t *testing.T) {
		p := ali.Post("/policies/"+callback+"/rollback", url.Values{"to_version": {"1"}, "reason": {"back to the default"}})
		mustContain(t, "after the rollback", p, "The earlier value is back", "(value of version 1)")
		vs := versions(t, s, callback)
		last := vs[len(vs)-1]
		if last["status"] != "active" || last["copied_from"] != float64(1) {
			t.Fatalf("after the rollback: %v", last)
		}
		pol := s.Call("GET", "/v1/policies/"+callback, "analyst-ali", nil).JSON(t)
		if d := pol["active"].(map[string]any)["value"].(map[string]any)["timer"].(map[string]any)["duration"]; d != "8h" {
			t.Fatalf("the value in force after the rollback: %v", d)
		}
		diff := ali.Get("/policies/"+callback+"/diff?from=1&to=2", "HX-Request", "true", "HX-Target", "diff-result")
		mustContain(t, "the diff of versions 1 and 2", diff, "What changes from version 1 to version 2", "8 hours", "15 minutes")
		audit := ali.Get("/policies/" + callback)
		mustContain(t, "the audit trail", audit, "shipped default installed", "call back sooner", "not yet", "back to the default")
	})

	t.Run("a manager reads without forms; a forged post is refused readably", func(t *testing.T) {
		mia := s.Client(t, "mgr-mia")
		p := mia.Get("/policies/" + callback)
		mustContain(t, "the manager's policy page", p, "Call-back due", "Versions", "Audit trail")
		for _, form := range []string{`action="/policies/` + callback + `/versions"`, `/withdraw"`, `/rollback"`, "Preview impact"} {
			if strings.Contains(p.Body, form) {
				t.Fatalf("the manager's page has %s", form)
			}
		}
		before := len(versions(t, s, callback))
		p = mia.Post("/policies/"+callback+"/versions", url.Values{"duration": {"2h"}, "clock": {"business"}, "reason": {"forged"}, "when": {"now"}})
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Only analysts and administrators may change timer policies") {
			t.Fatalf("a manager's forged change: %d\n%s", p.Status, p.Body)
		}
		if n := len(versions(t, s, callback)); n != before {
			t.Fatal("a manager's post made a version")
		}
	})

	t.Run("a rep is refused with the reason", func(t *testing.T) {
		p := s.Client(t, "rep-ana").Get("/policies")
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "This page is not for your role") || !strings.Contains(p.Body, "analyst") {
			t.Fatalf("a rep on /policies: %d\n%s", p.Status, p.Body)
		}
	})

	t.Run("Chinese", func(t *testing.T) {
		for _, path := range []string{"/policies", "/policies/" + callback, "/policies/lead.escalation_ladder", "/policies/care.cadence"} {
			p := ali.Get(path, "Accept-Language", "zh-CN,zh;q=0.9")
			if p.Status != http.StatusOK {
				t.Fatalf("%s in Chinese: %d", path, p.Status)
			}
			mustContain(t, path+" in Chinese", p, "计时策略")
			noIDs(t, path+" in Chinese", p)
		}
		p := ali.Get("/policies/lead.first_contact_sla", "Accept-Language", "zh-CN")
		mustContain(t, "a policy in Chinese", p, "新线索首次联系", "4 个工作小时", "预览影响")
	})

	t.Run("every policy page renders", func(t *testing.T) {
		var pg struct{ Items []struct{ Name string } }
		if err := json.Unmarshal(s.Call("GET", "/v1/policies", "analyst-ali", nil).Body, &pg); err != nil || len(pg.Items) == 0 {
			t.Fatalf("policies: %v", err)
		}
		for _, it := range pg.Items {
			p := ali.Get("/policies/" + it.Name)
			if p.Status != http.StatusOK {
				t.Fatalf("%s: %d\n%s", it.Name, p.Status, p.Body)
			}
			noIDs(t, it.Name, p)
		}
	})

	// The stack's follow-up service is seeded without DEFAULT_CALENDAR_COUNTRY:
	// standard and cn-mainland-2026 (the State Council's 2026 schedule).
	const cn = "cn-mainland-2026"
	t.Run("calendars list", func(t *testing.T) {
		p := ali.Get("/calendars")
		mustContain(t, "the calendar list", p, `href="/calendars/standard"`, `href="/calendars/`+cn+`"`, "Asia/Shanghai", ">default<")
	})

	t.Run("the year shows holidays, make-up days and days off", func(t *testing.T) {
		p := ali.Get("/calendars/" + cn + "?year=2026")
		mustContain(t, "the 2026 calendar", p, "October 2026",
			`<td class="off" data-date="2026-10-01"`,    // National Day
			`<td class="makeup" data-date="2026-10-10"`, // the Saturday worked for it
			`<td class="weekend" data-date="2026-10-11"`,
			`<td class="" data-date="2026-10-09"`,
			`<td class="makeup" data-date="2026-02-14"`,
			"248 working days", "09:00–12:00, 13:30–18:00", "Deadline calculator", "Save calendar")
		if c := strings.Count(p.Body, `<div class="month">`); c != 12 {
			t.Fatalf("%d month tables", c)
		}
		zh := ali.Get("/calendars/"+cn+"?year=2026", "Accept-Language", "zh-CN")
		mustContain(t, "the calendar in Chinese", zh, "2026 年 10 月", "调休上班", "截止时间计算器")
		noIDs(t, "the calendar in Chinese", zh)
		noIDs(t, "the calendar list in Chinese", ali.Get("/calendars", "Accept-Language", "zh-CN"))
	})

	t.Run("the deadline calculator answers", func(t *testing.T) {
		// 20 business hours from Wednesday 30 September 16:00 end on the
		// make-up Saturday at 12:00 (docs/business-calendars.md).
		p := ali.Get("/calendars/"+cn+"/deadline?from=2026-09-30T16:00&duration=20h", "HX-Request", "true", "HX-Target", "calc")
		mustContain(t, "the deadline", p, "Due 2026-10-10 12:00 (Saturday)", "2026-10-10 12:00 (UTC&#43;08:00)", "20 business hours from 2026-09-30 16:00", "The start is working time.")
		if strings.Contains(p.Body, "<html") {
			t.Fatal("the htmx answer is a whole page")
		}
		p = ali.Get("/calendars/"+cn+"/deadline?from=2026-09-30T16:00&duration=soon", "HX-Request", "true", "HX-Target", "calc")
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="calc-dur-err"`) {
			t.Fatalf("a duration of 'soon': %d\n%s", p.Status, p.Body)
		}
		mgr := s.Client(t, "mgr-mia").Get("/calendars/" + cn + "/deadline?from=2026-09-30T16:00&duration=20h")
		mustContain(t, "the manager's calculator (whole page)", mgr, "Due 2026-10-10 12:00")
		if strings.Contains(mgr.Body, "Save calendar") {
			t.Fatal("the manager's calendar page has the edit form")
		}
	})

	calendarVersion := func(name string) float64 {
		r := s.Call("GET", "/v1/calendars/"+name, "analyst-ali", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("calendar %s: %d %s", name, r.Status, r.Body)
		}
		return r.JSON(t)["version"].(float64)
	}

	t.Run("a calendar edit with an impossible date is refused next to it", func(t *testing.T) {
		before := calendarVersion(cn)
		form := url.Values{"time_zone": {"Asia/Shanghai"}, "wk.monday.start": {"09:00"}, "wk.monday.end": {"18:00"},
			"h0.name": {"Leap day"}, "h0.start": {"2026-02-30"}, "h0.end": {""}, "reason": {"typo"}}
		p := ali.Post("/calendars/"+cn, form)
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("2026-02-30: %d\n%s", p.Status, p.Body)
		}
		mustContain(t, "the refused calendar", p, `id="h0-start-err"`, `aria-describedby="h0-start-err"`, `value="2026-02-30"`, `value="Leap day"`)
		if calendarVersion(cn) != before {
			t.Fatal("a refused edit changed the calendar")
		}
		// Working hours that end before they start, next to that range.
		form = url.Values{"time_zone": {"Asia/Shanghai"}, "wk.monday.start": {"18:00"}, "wk.monday.end": {"09:00"}, "reason": {"typo"}}
		p = ali.Post("/calendars/"+cn, form)
		mustContain(t, "the refused hours", p, `id="wk-monday-0-err"`)
	})

	t.Run("a new calendar is saved and shown", func(t *testing.T) {
		p := ali.Get("/calendars/new?name=east-2026&copy=" + cn)
		mustContain(t, "a new calendar from a copy", p, "New calendar east-2026", `action="/calendars/east-2026"`, `value="国庆节 National Day"`, "Not saved yet")
		if strings.Contains(p.Body, "Deadline calculator") {
			t.Fatal("a calendar not saved yet offers the calculator")
		}
		if p := s.Client(t, "mgr-mia").Get("/calendars/east-2026?copy=" + cn); p.Status != http.StatusNotFound {
			t.Fatalf("a manager asking for a calendar that does not exist: %d", p.Status)
		}
		form := url.Values{"time_zone": {"Asia/Shanghai"}, "reason": {"north works Saturdays in May"}, "teams": {"north"}}
		for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
			form["wk."+d+".start"] = []string{"09:00", "13:30"}
			form["wk."+d+".end"] = []string{"12:00", "18:00"}
		}
		form.Set("h0.name", "Labour Day")
		form.Set("h0.start", "2026-05-01")
		form.Set("h0.end", "2026-05-05")
		form.Set("h1.name", "")
		form.Set("h1.start", "")
		form.Set("w0.date", "2026-05-09")
		form.Set("w0.name", "make-up")
		form.Set("w0.hours_of", "monday")
		p = ali.Post("/calendars/north-2026", form)
		mustContain(t, "the new calendar", p, "Version 1 of the calendar is saved", "teams north",
			`<td class="off" data-date="2026-05-05"`, `<td class="makeup" data-date="2026-05-09"`)
		r := s.Call("GET", "/v1/calendars/north-2026", "analyst-ali", nil).JSON(t)
		if hs := r["holidays"].([]any); len(hs) != 1 {
			t.Fatalf("holidays stored: %v", hs)
		}
		// A manager may not: the service refuses, readably.
		mia := s.Client(t, "mgr-mia")
		mia.Get("/calendars/north-2026")
		form.Del("_csrf") // the analyst's, set by the post above
		form.Del("_idem")
		p = mia.Post("/calendars/north-2026", form)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "Only analysts and administrators may change business calendars") {
			t.Fatalf("a manager's calendar change: %d\n%s", p.Status, p.Body)
		}
	})

	t.Run("in the browser", func(t *testing.T) { browse(t, s) })
}
