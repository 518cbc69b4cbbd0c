package marketing_test

import (
	"strings"
	"testing"
)

// TestBOLA: every {id} route answers a campaign out of the caller's sight
// exactly as one that does not exist (404 campaign_not_found), and a
// campaign id of another shape the same way; nobody outside the marketing
// department, analysts and admins learns a campaign exists.
func TestBOLA(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, false)
			id := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(nil))["id"].(string)
			missing := "0190d5c8-0000-7000-8000-00000000abcd"
			routes := []struct{ method, path string }{
				{"GET", "/v1/campaigns/%s"}, {"PUT", "/v1/campaigns/%s"}, {"POST", "/v1/campaigns/%s/approve"},
				{"POST", "/v1/campaigns/%s/launch"}, {"POST", "/v1/campaigns/%s/complete"}, {"POST", "/v1/campaigns/%s/cancel"},
				{"GET", "/v1/campaigns/%s/preview"}, {"GET", "/v1/campaigns/%s/evaluation"}, {"GET", "/v1/campaigns/%s/costs"},
				{"POST", "/v1/campaigns/%s/costs"}, {"GET", "/v1/campaigns/%s/enrolments"}, {"POST", "/v1/campaigns/%s/enrolments"},
				{"GET", "/v1/campaigns/compare?id=%s"},
			}
			body := func(method, path string) any {
				switch {
				case method == "PUT":
					return campaign(nil)
				case method == "POST" && strings.HasSuffix(path, "/costs"):
					return map[string]any{"amount": 1, "spent_on": "2026-02-01"}
				case method == "POST" && strings.HasSuffix(path, "/enrolments"):
					return map[string]any{"customer_id": missing}
				}
				return nil
			}
			for _, rt := range routes {
				for _, target := range []string{id, missing, "not-a-uuid"} {
					for _, user := range []string{repAna, repBo, mgrMia, svcSam} {
						if target != id && user != repAna {
							continue
						}
						path := sprintf(rt.path, target)
						r := s.api(rt.method, path, user, body(rt.method, rt.path))
						if r.Status != 404 || r.Code(t) != "campaign_not_found" {
							t.Errorf("%s %s as %s: %d %s, want 404 campaign_not_found", rt.method, path, user, r.Status, r.Body)
						}
					}
				}
				// The department sees a missing campaign as missing too.
				if r := s.api(rt.method, sprintf(rt.path, missing), mktMo, body(rt.method, rt.path)); r.Status != 404 {
					t.Errorf("%s %s (missing) as a marketer: %d %s", rt.method, rt.path, r.Status, r.Body)
				}
			}
			for user, want := range map[string]bool{repAna: false, mgrMia: false, svcSam: false, analyst: false, mktMo: true, mgrNico: true, admin: true} {
				if got := s.must(200, "GET", "/v1/campaigns", user, nil)["can_plan"]; got != want {
					t.Errorf("can_plan for %s: %v, want %v", user, got, want)
				}
			}
			for _, user := range []string{repAna, mgrMia, svcSam} {
				for _, path := range []string{"/v1/campaigns", "/v1/winback/candidates"} {
					page := s.must(200, "GET", path, user, nil)
					if items := page["items"].([]any); len(items) != 0 {
						t.Errorf("GET %s as %s lists %d items", path, user, len(items))
					}
				}
				if r := s.api("GET", "/v1/opt-outs/"+missing, user, nil); r.Status != 404 {
					t.Errorf("opt-out as %s: %d", user, r.Status)
				}
			}
		})
	}
}
