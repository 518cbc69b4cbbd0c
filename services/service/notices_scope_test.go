package service_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
)

// Every notice route that takes an id answers 404 notice_not_found —
// never 403 — to whoever may not see the notice, exactly as for an id that
// does not exist, and changes nothing: a draft is its publisher's and
// admins'; a published notice its readers' (from its start), its
// publisher's, their team's managers' and admins'.
func TestNoticeScope(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newNoticeStack(t, b.DSN)
			s.login(auth.Principal{Subject: "mgr-noa", Name: "Noa (manager, north)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north"}})
			north := map[string]any{"teams": []string{"north"}}
			draft := s.draftNotice(mgrMia, noticeBody(map[string]any{"audience": north}))
			published := s.publishNotice(mgrMia, noticeBody(map[string]any{"audience": north, "must_acknowledge": true, "ack_deadline": inFromNow(time.Hour)}))
			scheduled := s.publishNotice(mgrMia, noticeBody(map[string]any{"audience": north, "valid_from": inFromNow(time.Hour)}))
			routes := func(id string) [][3]any {
				return [][3]any{
					{"GET", "/v1/notices/" + id, nil},
					{"PUT", "/v1/notices/" + id, noticeBody(nil)},
					{"POST", "/v1/notices/" + id + "/publish", nil},
					{"POST", "/v1/notices/" + id + "/revoke", map[string]any{"reason": "mine now"}},
					{"POST", "/v1/notices/" + id + "/read", nil},
					{"POST", "/v1/notices/" + id + "/acknowledge", nil},
					{"GET", "/v1/notices/" + id + "/receipts", nil},
				}
			}
			for _, tc := range []struct {
				what, id string
				users    []string
			}{
				{"a draft", draft, []string{repAna, "rep-cy", "mgr-noa", mgrMax, repBo, analyst, svcSue}},
				{"a notice to north", published, []string{repBo, "rep-di", mgrMax, analyst, svcSam, svcSue, mgrWes}},
				{"a notice to north before its start", scheduled, []string{repAna, "rep-cy", repBo, analyst}},
			} {
				for _, u := range tc.users {
					t.Run(tc.what+"/"+u, func(t *testing.T) {
						before := s.noticeRows()
						for _, rt := range routes(tc.id) {
							r := s.api(rt[0].(string), rt[1].(string), u, rt[2])
							if r.status != http.StatusNotFound || r.code(t) != "notice_not_found" {
								t.Errorf("%s %s: %d %s, want 404 notice_not_found", rt[0], rt[1], r.status, r.body)
							}
						}
						if after := s.noticeRows(); after != before {
							t.Errorf("changed something:\n%s\n→\n%s", before, after)
						}
					})
				}
			}
			// Who does see them: the publisher's team's other manager sees the
			// published notice (not the draft) and its receipts, and may revoke it.
			s.must(http.StatusOK, "GET", "/v1/notices/"+published+"/receipts", "mgr-noa", nil)
			s.must(http.StatusOK, "GET", "/v1/notices/"+scheduled, "mgr-noa", nil)
			s.must(http.StatusOK, "GET", "/v1/notices/"+draft, admin, nil)
			s.must(http.StatusOK, "POST", "/v1/notices/"+published+"/revoke", "mgr-noa", nil)
		})
	}
}
