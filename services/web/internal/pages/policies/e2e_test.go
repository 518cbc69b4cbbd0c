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

// The analyst's whole path through the policy pages, the manager's
// read-only view and the rep's refusal, on one stack with workflows.
func TestPolicyPages(t *testing.T) {
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
}

