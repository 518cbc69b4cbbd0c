package service_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Bad requests about notices get a clear 4xx naming what is wrong, and
// change nothing: not a notice, not a receipt, not an idempotency key —
// a publication whose audience matches nobody, or whose directory does not
// answer, leaves the draft exactly as it was.
func TestNoticeBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newNoticeStack(t, b.DSN)
			bad := func(extra map[string]any) map[string]any { return noticeBody(extra) }
			nobody := s.draftNotice(admin, noticeBody(map[string]any{"title": "To a team nobody is in",
				"audience": map[string]any{"teams": []string{"ghost-team"}, "roles": []string{}}}))
			down := s.draftNotice(mgrMia, noticeBody(map[string]any{"title": "Bulletin " + directoryDown}))
			past := s.draftNotice(mgrMia, noticeBody(map[string]any{"title": "Soon over", "valid_until": inFromNow(1500 * time.Millisecond)}))
			draft := s.draftNotice(mgrMia, noticeBody(nil))
			plain := s.publishNotice(mgrMia, noticeBody(map[string]any{"audience": map[string]any{"teams": []string{"north"}}}))
			time.Sleep(1600 * time.Millisecond) // past's window is over
			cases := []struct {
				name, method, path, user string
				body                     any
				status                   int
				code                     string
				fields                   map[string]string
			}{
				// Writing a notice.
				{"a rep writes one", "POST", "/v1/notices", repAna, bad(nil), 403, "notice_not_allowed", nil},
				{"an analyst writes one", "POST", "/v1/notices", analyst, bad(nil), 403, "notice_not_allowed", nil},
				{"no token", "POST", "/v1/notices", "", bad(nil), 401, "unauthenticated", nil},
				{"an audience that names nobody", "POST", "/v1/notices", mgrMia, bad(map[string]any{"audience": map[string]any{}}), 422, "validation_failed",
					map[string]string{"audience": "required"}},
				{"everyone and a team", "POST", "/v1/notices", mgrMia, bad(map[string]any{"audience": map[string]any{"everyone": true, "teams": []string{"north"}}}),
					422, "validation_failed", map[string]string{"audience": "conflict"}},
				{"a validity window in the past", "POST", "/v1/notices", mgrMia, bad(map[string]any{"valid_until": inFromNow(-time.Hour)}), 422, "validation_failed",
					map[string]string{"valid_until": "in_past"}},
				{"an end before the start", "POST", "/v1/notices", mgrMia, bad(map[string]any{"valid_from": inFromNow(48 * time.Hour), "valid_until": inFromNow(24 * time.Hour)}),
					422, "validation_failed", map[string]string{"valid_until": "before_valid_from"}},
				{"another manager's team", "POST", "/v1/notices", mgrMia, bad(map[string]any{"audience": map[string]any{"teams": []string{"south"}}}), 422,
					"validation_failed", map[string]string{"audience.teams": "not_yours"}},
				{"an unknown department and role", "POST", "/v1/notices", admin, bad(map[string]any{"audience": map[string]any{"departments": []string{"finance"}, "roles": []string{"king"}}}),
					422, "validation_failed", map[string]string{"audience.departments": "unknown", "audience.roles": "unknown"}},
				{"every bad field at once", "POST", "/v1/notices", mgrMia, bad(map[string]any{"title": "", "body": strings.Repeat("正", 20001), "valid_until": nil,
					"must_acknowledge": true}), 422, "validation_failed",
					map[string]string{"title": "required", "body": "too_long", "valid_until": "required", "ack_deadline": "required"}},
				{"a deadline after the window", "POST", "/v1/notices", mgrMia, bad(map[string]any{"must_acknowledge": true, "ack_deadline": inFromNow(30 * 24 * time.Hour)}),
					422, "validation_failed", map[string]string{"ack_deadline": "outside_window"}},
				{"a title of 201 characters", "POST", "/v1/notices", mgrMia, bad(map[string]any{"title": strings.Repeat("通", 201)}), 422, "validation_failed",
					map[string]string{"title": "too_long"}},
				{"an unknown field", "POST", "/v1/notices", mgrMia, bad(map[string]any{"state": "published"}), 400, "unknown_field", nil},
				{"a wrong type", "POST", "/v1/notices", mgrMia, bad(map[string]any{"pinned": "yes"}), 400, "invalid_type", nil},
				{"a date that is no date", "POST", "/v1/notices", mgrMia, bad(map[string]any{"valid_until": "next friday"}), 400, "", nil},
				{"malformed JSON", "POST", "/v1/notices", mgrMia, `{"title": `, 400, "malformed_json", nil},
				// Publishing.
				{"an audience that matches nobody", "POST", "/v1/notices/" + nobody + "/publish", admin, nil, 422, "validation_failed",
					map[string]string{"audience": "empty"}},
				{"the directory does not answer", "POST", "/v1/notices/" + down + "/publish", mgrMia, nil, 503, "notice_publishing_unavailable", nil},
				{"a window that passed since it was written", "POST", "/v1/notices/" + past + "/publish", mgrMia, nil, 422, "validation_failed",
					map[string]string{"valid_until": "in_past"}},
				{"published twice", "POST", "/v1/notices/" + plain + "/publish", mgrMia, nil, 422, "notice_not_draft", nil},
				{"another manager publishes a draft", "POST", "/v1/notices/" + draft + "/publish", mgrMax, nil, 404, "notice_not_found", nil},
				// Editing.
				{"edit a published notice", "PUT", "/v1/notices/" + plain, mgrMia, bad(nil), 422, "notice_not_draft", nil},
				{"a reader edits it", "PUT", "/v1/notices/" + plain, repAna, bad(nil), 403, "notice_edit_not_allowed", nil},
				{"edit a draft into the past", "PUT", "/v1/notices/" + draft, mgrMia, bad(map[string]any{"valid_until": inFromNow(-time.Minute)}), 422,
					"validation_failed", map[string]string{"valid_until": "in_past"}},
				{"edit against an old version", "PUT", "/v1/notices/" + draft, mgrMia, bad(map[string]any{"expected_version": 7}), 409, "version_conflict", nil},
				// Reading, acknowledging, revoking.
				{"acknowledge a notice that does not ask", "POST", "/v1/notices/" + plain + "/acknowledge", repAna, nil, 422, "notice_not_acknowledgeable", nil},
				{"read a notice not addressed to you", "POST", "/v1/notices/" + plain + "/read", admin, nil, 422, "notice_not_addressed", nil},
				{"read a draft", "POST", "/v1/notices/" + draft + "/read", mgrMia, nil, 422, "notice_not_published", nil},
				{"revoke a draft", "POST", "/v1/notices/" + draft + "/revoke", mgrMia, nil, 422, "notice_not_published", nil},
				{"a reader revokes", "POST", "/v1/notices/" + plain + "/revoke", repAna, nil, 403, "notice_revoke_not_allowed", nil},
				{"a reason of 2,001 characters", "POST", "/v1/notices/" + plain + "/revoke", mgrMia, map[string]any{"reason": strings.Repeat("r", 2001)}, 422,
					"validation_failed", map[string]string{"reason": "too_long"}},
				// Lists and receipts.
				{"a box that does not exist", "GET", "/v1/notices?box=outbox", repAna, nil, 400, "invalid_query", map[string]string{"box": "invalid"}},
				{"a cursor this API did not give", "GET", "/v1/notices?cursor=abc", repAna, nil, 400, "invalid_cursor", nil},
				{"a limit of 0", "GET", "/v1/notices?limit=0", repAna, nil, 400, "invalid_limit", nil},
				{"receipts in a state that does not exist", "GET", "/v1/notices/" + plain + "/receipts?state=seen", mgrMia, nil, 400, "invalid_query",
					map[string]string{"state": "invalid"}},
				{"who acknowledged a notice that does not ask", "GET", "/v1/notices/" + plain + "/receipts?state=acknowledged", mgrMia, nil, 422,
					"notice_not_acknowledgeable", nil},
				{"a notice that does not exist", "GET", "/v1/notices/0190a000-0000-7000-8000-00000000dead", admin, nil, 404, "notice_not_found", nil},
				{"an id that is no id", "POST", "/v1/notices/a%20b/read", repAna, nil, 404, "notice_not_found", nil},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before := s.noticeRows()
					r := s.api(tc.method, tc.path, tc.user, tc.body)
					if r.status != tc.status || (tc.code != "" && r.code(t) != tc.code) {
						t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
					}
					if msg, _ := r.json(t)["message"].(string); msg == "" {
						t.Error("no message")
					}
					if tc.fields != nil && !maps.Equal(r.fields(t), tc.fields) {
						t.Errorf("fields %v, want %v", r.fields(t), tc.fields)
					}
					if after := s.noticeRows(); after != before {
						t.Errorf("changed something:\n%s\n→\n%s", before, after)
					}
				})
			}
			// The refused publications left drafts that still publish once fixed.
			if n := s.must(http.StatusOK, "GET", "/v1/notices/"+nobody, admin, nil); n["state"] != "draft" || n["version"] != 1.0 || n["published_at"] != nil {
				t.Errorf("after the empty audience: %v", n)
			}
			fixed := noticeBody(map[string]any{"title": "To a team nobody is in", "audience": map[string]any{"teams": []string{"service-west"}}})
			s.must(http.StatusOK, "PUT", "/v1/notices/"+nobody, admin, fixed)
			if p := s.must(http.StatusOK, "POST", "/v1/notices/"+nobody+"/publish", admin, nil); p["state"] != "published" {
				t.Errorf("fixed and published: %v", p)
			}
			if c := s.must(http.StatusOK, "GET", "/v1/notices/"+nobody+"/receipts", admin, nil)["counts"].(map[string]any); c["readers"] != 2.0 {
				t.Errorf("service-west has two people: %v", c)
			}
		})
	}
}
