package service_test

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A closed case's survey goes out as a link on its timeline (no contact
// email), is answered once through the link without login, and shows on
// the case and the customer — to who sees them, and only to them.
func TestSurveyAnsweredOnceThroughItsLink(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newSurveyStack(t, b.DSN)
			cust := s.customerOf(repAna)
			id := s.file(repAna, complaint(cust, map[string]any{"team": "service"}))["id"].(string)
			if got := s.must(200, "GET", "/v1/cases/"+id+"/survey", svcSam, nil); got["state"] != "not_closed" {
				t.Errorf("open case: %v", got)
			}
			s.closeCase(id, "", "", false)
			if got := s.must(200, "GET", "/v1/cases/"+id+"/survey", svcSam, nil); got["state"] != "pending" {
				t.Errorf("closed, not yet sent: %v", got)
			}
			if out := s.issue(id); out.Outcome != "issued" || out.Delivery != "timeline" {
				t.Fatalf("issue: %+v", out)
			}
			if out := s.issue(id); out.Outcome != "already_issued" {
				t.Errorf("issued twice: %+v", out)
			}
			link, token := s.surveyLink(id, svcSam)
			if !strings.HasPrefix(link, "https://crm.example.com/surveys/") || len(token) != 43 {
				t.Errorf("link %q", link)
			}
			// The link is for staff: who reads the case through its customer
			// does not see it.
			if strings.Contains(string(s.api("GET", "/v1/cases/"+id+"/timeline", repAna, nil).body), token) {
				t.Error("the customer's owner sees the link")
			}
			var stored int64
			s.db.Raw(`SELECT COUNT(*) FROM case_surveys WHERE token_hash = ?`, token).Scan(&stored)
			if stored != 0 {
				t.Error("the token is stored as it is")
			}

			open := s.api("GET", "/public/v1/surveys/"+token, "", nil)
			if open.status != 200 || open.json(t)["state"] != "open" || open.json(t)["asks_nps"] != true || open.json(t)["case_subject"] != "Crane stops under load" {
				t.Fatalf("open: %d %s", open.status, open.body)
			}
			if open.header.Get("Cache-Control") != "no-store" || open.header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("headers %v", open.header)
			}
			page := s.api("GET", "/surveys/"+token, "", nil, "Accept-Language", "zh-CN,zh;q=0.9")
			if page.status != 200 || !strings.Contains(string(page.body), `lang="zh-Hans"`) || !strings.Contains(string(page.body), "满意度调查") ||
				!strings.Contains(string(page.body), `<legend>`) || strings.Contains(string(page.body), "<script") {
				t.Errorf("page: %d %s", page.status, page.body)
			}
			if en := s.api("GET", "/surveys/"+token+"?lang=en", "", nil, "Accept-Language", "zh-CN"); !strings.Contains(string(en.body), "How satisfied are you") {
				t.Errorf("English page: %s", en.body)
			}

			ans := s.api("POST", "/public/v1/surveys/"+token, "", map[string]any{"csat": 2, "nps": 3, "comment": "Three days without the crane."})
			if ans.status != 200 || ans.json(t)["state"] != "answered" || ans.json(t)["csat"] != float64(2) {
				t.Fatalf("answer: %d %s", ans.status, ans.body)
			}
			again := s.api("POST", "/public/v1/surveys/"+token, "", map[string]any{"csat": 5})
			if again.status != http.StatusConflict || again.code(t) != "survey_already_answered" {
				t.Errorf("second answer: %d %s", again.status, again.body)
			}

			// The answer is on the case: staff see it with the recovery call it
			// opened (pending: no follow-up engine in this stack).
			sv := s.must(200, "GET", "/v1/cases/"+id+"/survey", svcSam, nil)
			rec, _ := sv["recovery"].(map[string]any)
			if sv["state"] != "answered" || sv["csat"] != float64(2) || sv["nps"] != float64(3) || rec["state"] != "pending" || rec["follow_up_id"] == "" {
				t.Errorf("case survey: %v", sv)
			}
			if strings.Contains(mustJSON(sv), token) {
				t.Error("the case's survey shows the link")
			}
			answered := false
			for _, it := range s.must(200, "GET", "/v1/cases/"+id+"/timeline", repAna, nil)["items"].([]any) {
				e := it.(map[string]any)
				answered = answered || (e["kind"] == "survey_answered" && e["to"] == "2" && e["body"] == "Three days without the crane.")
			}
			if !answered {
				t.Error("the answer is not on the public timeline")
			}

			sat := s.must(200, "GET", "/v1/customers/"+cust+"/satisfaction", repAna, nil)
			sum := sat["summary"].(map[string]any)
			loy := sat["loyalty"].(map[string]any)
			if len(sat["items"].([]any)) != 1 || sum["sent"] != float64(1) || sum["answered"] != float64(1) || sum["csat_average"] != float64(2) ||
				sum["nps_score"] != float64(-100) || loy["level"] != "at_risk" || loy["rule"] == "" {
				t.Errorf("satisfaction: %s", mustJSON(sat))
			}
			// Out of sight: another team sees neither the case's survey nor
			// the customer's satisfaction.
			if r := s.api("GET", "/v1/cases/"+id+"/survey", svcOz, nil); r.status != 404 || r.code(t) != "case_not_found" {
				t.Errorf("another team's case survey: %d %s", r.status, r.body)
			}
			other := s.must(200, "GET", "/v1/customers/"+cust+"/satisfaction", svcOz, nil)
			if len(other["items"].([]any)) != 0 || other["loyalty"].(map[string]any)["level"] != "unknown" || other["summary"].(map[string]any)["sent"] != float64(0) {
				t.Errorf("another team sees the customer's satisfaction: %s", mustJSON(other))
			}
			if r := s.api("GET", "/v1/customers/"+cust+"/satisfaction", "", nil); r.status != 401 {
				t.Errorf("no token: %d", r.status)
			}
		})
	}
}

// The page works without JavaScript: a plain form post answers, a missing
// score comes back as the form with the field's error.
func TestSurveyPageForm(t *testing.T) {
	s := newSurveyStack(t, backends[len(backends)-1].DSN)
	id := s.file(repAna, complaint(s.customerOf(repAna), map[string]any{"team": "service"}))["id"].(string)
	s.closeCase(id, "", "en", false)
	s.issue(id)
	_, token := s.surveyLink(id, svcSam)
	form := "application/x-www-form-urlencoded"
	r := s.api("POST", "/surveys/"+token, "", url.Values{"comment": {"no score"}}.Encode(), "Content-Type", form)
	if r.status != 422 || !strings.Contains(string(r.body), `role="alert"`) || !strings.Contains(string(r.body), "Choose how satisfied you are") ||
		!strings.Contains(string(r.body), "no score") {
		t.Errorf("no score: %d %s", r.status, r.body)
	}
	r = s.api("POST", "/surveys/"+token+"?lang=zh-Hans", "", url.Values{"csat": {"5"}, "nps": {"10"}, "comment": {"很好"}}.Encode(), "Content-Type", form)
	if r.status != 200 || !strings.Contains(string(r.body), "谢谢") {
		t.Errorf("answer: %d %s", r.status, r.body)
	}
	if r := s.api("GET", "/surveys/"+token, "", nil); r.status != 409 || !strings.Contains(string(r.body), "Already answered") {
		t.Errorf("answered link: %d %s", r.status, r.body)
	}
	// A case the customer closed themselves gets no survey.
	id2 := s.file(repAna, complaint(s.customerOf(repAna), map[string]any{"team": "service"}))["id"].(string)
	s.closeCase(id2, "li.wei@basalt.example", "", true)
	if out := s.issue(id2); out.Outcome != "closed_by_customer" {
		t.Errorf("closed by the customer: %+v", out)
	}
	if got := s.must(200, "GET", "/v1/cases/"+id2+"/survey", svcSam, nil); got["state"] != "skipped" || got["skip_reason"] != "closed_by_customer" {
		t.Errorf("case survey: %v", got)
	}
}

// A bad request to a survey link gets a clear 4xx with the error body and
// changes nothing: no answer, no timeline entry, no recovery call.
func TestSurveyBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newSurveyStack(t, b.DSN)
			cust := s.customerOf(repAna)
			tokenOf := func() string {
				id := s.file(repAna, complaint(cust, map[string]any{"team": "service"}))["id"].(string)
				s.closeCase(id, "", "", false)
				s.issue(id)
				_, tok := s.surveyLink(id, svcSam)
				return tok
			}
			open, answered, expired := tokenOf(), tokenOf(), tokenOf()
			if r := s.api("POST", "/public/v1/surveys/"+answered, "", map[string]any{"csat": 4}); r.status != 200 {
				t.Fatalf("answer: %d %s", r.status, r.body)
			}
			s.db.Exec(`UPDATE case_surveys SET expires_at = ? WHERE token_hash = ?`, time.Now().Add(-time.Minute).UTC(), hashOf(expired))
			forged := strings.Repeat("A", 43)
			form := []string{"Content-Type", "application/x-www-form-urlencoded"}
			cases := []struct {
				name, method, path string
				body               any
				headers            []string
				status             int
				code               string
				fields             map[string]string
			}{
				{"forged token", "POST", "/public/v1/surveys/" + forged, map[string]any{"csat": 5}, nil, 404, "survey_not_found", nil},
				{"not a token", "GET", "/public/v1/surveys/abc", nil, nil, 404, "survey_not_found", nil},
				{"a token one character off", "POST", "/public/v1/surveys/" + open[:42] + flip(open[42]), map[string]any{"csat": 5}, nil, 404, "survey_not_found", nil},
				{"reused token", "POST", "/public/v1/surveys/" + answered, map[string]any{"csat": 1, "comment": "changed my mind"}, nil, 409, "survey_already_answered", nil},
				{"expired token", "POST", "/public/v1/surveys/" + expired, map[string]any{"csat": 5}, nil, 410, "survey_expired", nil},
				{"expired token, read", "GET", "/public/v1/surveys/" + expired, nil, nil, 410, "survey_expired", nil},
				{"CSAT 0", "POST", "/public/v1/surveys/" + open, map[string]any{"csat": 0, "comment": "x"}, nil, 422, "validation_failed", map[string]string{"csat": "out_of_range"}},
				{"CSAT 6", "POST", "/public/v1/surveys/" + open, map[string]any{"csat": 6}, nil, 422, "validation_failed", map[string]string{"csat": "out_of_range"}},
				{"no CSAT", "POST", "/public/v1/surveys/" + open, map[string]any{"nps": 9}, nil, 422, "validation_failed", map[string]string{"csat": "required"}},
				{"NPS 11", "POST", "/public/v1/surveys/" + open, map[string]any{"csat": 5, "nps": 11}, nil, 422, "validation_failed", map[string]string{"nps": "out_of_range"}},
				{"low score, no comment", "POST", "/public/v1/surveys/" + open, map[string]any{"csat": 1}, nil, 422, "validation_failed", map[string]string{"comment": "required"}},
				{"comment too long", "POST", "/public/v1/surveys/" + open, map[string]any{"csat": 5, "comment": strings.Repeat("好", 2001)}, nil, 422, "validation_failed",
					map[string]string{"comment": "too_long"}},
				{"CSAT as text", "POST", "/public/v1/surveys/" + open, map[string]any{"csat": "5"}, nil, 400, "invalid_type", map[string]string{"csat": "invalid_type"}},
				{"unknown field", "POST", "/public/v1/surveys/" + open, map[string]any{"csat": 5, "case_id": "x"}, nil, 400, "unknown_field", map[string]string{"case_id": "unknown_field"}},
				{"malformed JSON", "POST", "/public/v1/surveys/" + open, `{"csat": `, nil, 400, "malformed_json", nil},
				{"empty body", "POST", "/public/v1/surveys/" + open, "", nil, 400, "empty_body", nil},
				{"oversized body", "POST", "/public/v1/surveys/" + open, map[string]any{"csat": 5, "comment": strings.Repeat("x", 40<<10)}, nil, 413, "body_too_large", nil},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before := s.surveyRows()
					r := s.api(tc.method, tc.path, "", tc.body, tc.headers...)
					if r.status != tc.status || r.code(t) != tc.code {
						t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
					}
					if msg, _ := r.json(t)["message"].(string); msg == "" {
						t.Error("no message")
					}
					if tc.fields != nil && !maps.Equal(r.fields(t), tc.fields) {
						t.Errorf("fields %v, want %v", r.fields(t), tc.fields)
					}
					if after := s.surveyRows(); after != before {
						t.Errorf("changed something:\n%s\n→ %s", before, after)
					}
				})
			}
			// The page answers the same refusals with the same statuses.
			for _, tc := range []struct {
				name, method, path string
				body               any
				status             int
			}{
				{"page, forged", "GET", "/surveys/" + forged, nil, 404},
				{"page, reused", "POST", "/surveys/" + answered, "csat=5", 409},
				{"page, expired", "GET", "/surveys/" + expired, nil, 410},
				{"page, CSAT out of range", "POST", "/surveys/" + open, "csat=9", 422},
				{"page, CSAT not a number", "POST", "/surveys/" + open, "csat=five", 422},
				{"page, oversized", "POST", "/surveys/" + open, "csat=5&comment=" + strings.Repeat("x", 40<<10), 413},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := s.surveyRows()
					r := s.api(tc.method, tc.path, "", tc.body, form...)
					if r.status != tc.status || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
						t.Fatalf("%d %s %s, want %d", r.status, r.header.Get("Content-Type"), r.body, tc.status)
					}
					if after := s.surveyRows(); after != before {
						t.Errorf("changed something:\n%s\n→ %s", before, after)
					}
				})
			}
			// The open survey still takes its answer.
			if r := s.api("POST", "/public/v1/surveys/"+open, "", map[string]any{"csat": 5}); r.status != 200 {
				t.Errorf("the open survey after the refusals: %d %s", r.status, r.body)
			}
		})
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
