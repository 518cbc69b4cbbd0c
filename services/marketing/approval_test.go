package marketing_test

import (
	"net/http"
	"testing"
)

// TestRequestApproval (both databases): a draft's owner or a marketer of
// its team asks its marketing managers to approve it; the request is on the
// campaign and its event in the outbox, in the same transaction. Asking
// again for the same draft tells nobody again; after an edit it asks again.
// Refused, with nothing stored: a campaign past draft (422), a stale
// version (409), another team's marketer (403, as for an edit), anyone
// outside the department and a missing campaign (404).
func TestRequestApproval(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, false)
			id := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(nil))["id"].(string)
			events := func(kind string) int64 {
				t.Helper()
				var n int64
				if err := s.db.Table("campaign_events").Where("campaign_id = ? AND kind = ?", id, kind).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				return n
			}
			if c := s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil); c["approval_request"] != nil {
				t.Fatalf("a new draft has a request: %v", c["approval_request"])
			}

			c := s.must(200, "POST", "/v1/campaigns/"+id+"/request-approval", mktMay, map[string]any{"expected_version": 1})
			req, _ := c["approval_request"].(map[string]any)
			if req == nil || req["by"] != mktMay || req["by_name"] != "May (marketing)" || req["at"] == nil || c["version"] != float64(1) || c["state"] != "draft" {
				t.Fatalf("after the request: %v", c)
			}
			var ev struct {
				Recipients string
				Actor      string
				SentAt     *string
			}
			if err := s.db.Table("campaign_events").Select("recipients, actor").Where("campaign_id = ?", id).Take(&ev).Error; err != nil {
				t.Fatal(err)
			}
			if ev.Actor != mktMay || ev.Recipients != `[{"managers_of":"marketing"}]` {
				t.Fatalf("stored event: %+v", ev)
			}
			if got := s.must(200, "GET", "/v1/campaigns/"+id, mgrMona, nil)["approval_request"].(map[string]any); got["by"] != mktMay {
				t.Fatalf("the campaign view: %v", got)
			}

			// Again, by the owner: the same request, nobody told again.
			again := s.must(200, "POST", "/v1/campaigns/"+id+"/request-approval", mktMo, nil)["approval_request"].(map[string]any)
			if again["by"] != mktMay || again["at"] != req["at"] || events("approval_requested") != 1 {
				t.Fatalf("asking again: %v, %d events", again, events("approval_requested"))
			}

			// An edit makes the request stale; asking again asks again.
			edited := s.must(200, "PUT", "/v1/campaigns/"+id, mktMo, campaign(map[string]any{"budget": 6000}))
			if edited["approval_request"] != nil {
				t.Fatalf("the request survived an edit: %v", edited["approval_request"])
			}
			s.must(200, "POST", "/v1/campaigns/"+id+"/request-approval", mktMo, nil)
			if n := events("approval_requested"); n != 2 {
				t.Fatalf("%d approval requests stored after an edit, want 2", n)
			}

			// Bad input: nothing changes.
			before := s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil)
			for _, tc := range []struct {
				user, path string
				body       any
				status     int
				code       string
			}{
				{mktNell, id, nil, http.StatusForbidden, "campaign_read_only"},
				{analyst, id, nil, http.StatusForbidden, "campaign_read_only"},
				{repAna, id, nil, http.StatusNotFound, "campaign_not_found"},
				{mgrMia, id, nil, http.StatusNotFound, "campaign_not_found"},
				{mktMo, "0190d5c8-0000-7000-8000-00000000abcd", nil, http.StatusNotFound, "campaign_not_found"},
				{mktMo, "not-a-uuid", nil, http.StatusNotFound, "campaign_not_found"},
				{mktMo, id, map[string]any{"expected_version": 1}, http.StatusConflict, "version_conflict"},
				{mktMo, id, map[string]any{"expected_version": "two"}, http.StatusBadRequest, ""},
			} {
				r := s.api("POST", "/v1/campaigns/"+tc.path+"/request-approval", tc.user, tc.body)
				if r.Status != tc.status || (tc.code != "" && r.Code(t) != tc.code) {
					t.Errorf("as %s on %s: %d %s, want %d %s", tc.user, tc.path, r.Status, r.Body, tc.status, tc.code)
				}
			}
			if after := s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil); after["version"] != before["version"] ||
				after["approval_request"].(map[string]any)["at"] != before["approval_request"].(map[string]any)["at"] || events("approval_requested") != 2 {
				t.Fatalf("a refused request changed the campaign: %v → %v", before, after)
			}

			// Approved by a manager: told to the owner; asking now is refused.
			s.must(200, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
			if n := events("approved"); n != 1 {
				t.Fatalf("%d approval events, want 1", n)
			}
			if r := s.api("POST", "/v1/campaigns/"+id+"/request-approval", mktMo, nil); r.Status != http.StatusUnprocessableEntity || r.Code(t) != "approval_request_not_draft" {
				t.Fatalf("asking for an approved campaign: %d %s", r.Status, r.Body)
			}
			if c := s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil); c["approval_request"] != nil || events("approval_requested") != 2 {
				t.Fatalf("after approval: %v", c["approval_request"])
			}
			// Cancelled by its owner: nobody else to tell.
			s.must(200, "POST", "/v1/campaigns/"+id+"/cancel", mktMo, map[string]any{"reason": "changed plans"})
			if n := events("cancelled"); n != 0 {
				t.Fatalf("the owner's own cancellation stored %d events", n)
			}
		})
	}
}
