package service_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// A manager's must-acknowledge notice to their team, from draft to
// revocation: who reads it, who acknowledges it, who sees who has.
func TestNoticeLifecycle(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newNoticeStack(t, b.DSN)
			body := noticeBody(map[string]any{"title": "New price list from May", "audience": map[string]any{"teams": []string{"north"}},
				"must_acknowledge": true, "ack_deadline": inFromNow(48 * time.Hour)})
			r := s.api("POST", "/v1/notices", mgrMia, body)
			if r.status != http.StatusCreated || r.header.Get("Location") != "/v1/notices/"+r.json(t)["id"].(string) {
				t.Fatalf("%d %s %v", r.status, r.body, r.header)
			}
			d := r.json(t)
			id := d["id"].(string)
			if d["state"] != "draft" || d["publisher_id"] != mgrMia || d["version"] != 1.0 || d["valid_from"] != nil || d["receipt"] != nil {
				t.Fatalf("draft %v", d)
			}
			// A draft is its publisher's (and admins'): the team does not see it yet.
			for _, u := range []string{repAna, mgrMax} {
				if r := s.api("GET", "/v1/notices/"+id, u, nil); r.status != http.StatusNotFound || r.code(t) != "notice_not_found" {
					t.Errorf("%s sees the draft: %d %s", u, r.status, r.body)
				}
			}
			if got := s.box(mgrMia, "drafts", 50); !slices.Equal(got, []string{id}) {
				t.Errorf("mia's drafts: %v", got)
			}
			// Edited as a whole, against the version read.
			body["title"] = "New price list from 1 May"
			if r := s.api("PUT", "/v1/notices/"+id, mgrMia, mustMerge(body, map[string]any{"expected_version": 2})); r.status != http.StatusConflict {
				t.Errorf("edit against another version: %d %s", r.status, r.body)
			}
			e := s.must(http.StatusOK, "PUT", "/v1/notices/"+id, mgrMia, mustMerge(body, map[string]any{"expected_version": 1}))
			if e["title"] != "New price list from 1 May" || e["version"] != 2.0 {
				t.Fatalf("edited %v", e)
			}
			// Published: the team's people are its readers (mia too: north is her team).
			p := s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/publish", mgrMia, nil)
			if p["state"] != "published" || p["published_at"] == nil || p["valid_from"] != p["published_at"] {
				t.Fatalf("published %v", p)
			}
			rc := s.must(http.StatusOK, "GET", "/v1/notices/"+id+"/receipts", mgrMia, nil)
			if got := ids2(rc, "reader_id"); !slices.Equal(got, []string{mgrMia, repAna, "rep-cy"}) {
				t.Fatalf("readers %v", got)
			}
			for _, u := range []string{repBo, mgrMax, svcSam, analyst} {
				if r := s.api("GET", "/v1/notices/"+id, u, nil); r.status != http.StatusNotFound {
					t.Errorf("%s, outside the audience, sees it: %d", u, r.status)
				}
				if got := s.box(u, "inbox", 50); slices.Contains(got, id) {
					t.Errorf("%s has it in the inbox", u)
				}
			}
			for _, bx := range []string{"inbox", "unread", "unacknowledged"} {
				if got := s.box(repAna, bx, 50); !slices.Equal(got, []string{id}) {
					t.Errorf("ana's %s: %v", bx, got)
				}
			}
			// Reading keeps the first instant; acknowledging reads too.
			r1 := s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/read", repAna, nil)["receipt"].(map[string]any)
			time.Sleep(5 * time.Millisecond)
			r2 := s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/read", repAna, nil)["receipt"].(map[string]any)
			if r1["read_at"] == nil || r1["read_at"] != r2["read_at"] || r1["acknowledged_at"] != nil {
				t.Errorf("read twice: %v then %v", r1, r2)
			}
			if got := s.box(repAna, "unread", 50); len(got) != 0 {
				t.Errorf("ana's unread after reading: %v", got)
			}
			a1 := s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/acknowledge", "rep-cy", nil)["receipt"].(map[string]any)
			time.Sleep(5 * time.Millisecond)
			a2 := s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/acknowledge", "rep-cy", nil)["receipt"].(map[string]any)
			if a1["acknowledged_at"] == nil || a1["acknowledged_at"] != a2["acknowledged_at"] || a1["read_at"] != a1["acknowledged_at"] {
				t.Errorf("acknowledged twice: %v then %v", a1, a2)
			}
			if got := s.box("rep-cy", "unacknowledged", 50); len(got) != 0 {
				t.Errorf("cy's unacknowledged after acknowledging: %v", got)
			}
			// Who has and has not: counts, and the readers filtered.
			rc = s.must(http.StatusOK, "GET", "/v1/notices/"+id+"/receipts", mgrMia, nil)
			if c := rc["counts"].(map[string]any); c["readers"] != 3.0 || c["read"] != 2.0 || c["unread"] != 1.0 || c["acknowledged"] != 1.0 ||
				c["unacknowledged"] != 2.0 || c["overdue"] != 0.0 {
				t.Errorf("counts %v", c)
			}
			for state, want := range map[string][]string{"unread": {mgrMia}, "read": {repAna, "rep-cy"}, "acknowledged": {"rep-cy"}, "unacknowledged": {mgrMia, repAna}} {
				if got := ids2(s.must(http.StatusOK, "GET", "/v1/notices/"+id+"/receipts?state="+state, admin, nil), "reader_id"); !slices.Equal(got, want) {
					t.Errorf("state %s: %v, want %v", state, got, want)
				}
			}
			page := s.must(http.StatusOK, "GET", "/v1/notices/"+id+"/receipts?limit=2", mgrMia, nil)
			next := s.must(http.StatusOK, "GET", "/v1/notices/"+id+"/receipts?limit=2&cursor="+page["next_cursor"].(string), mgrMia, nil)
			if got := append(ids2(page, "reader_id"), ids2(next, "reader_id")...); !slices.Equal(got, []string{mgrMia, repAna, "rep-cy"}) || next["next_cursor"] != nil {
				t.Errorf("paged receipts %v", got)
			}
			// Its readers read it but do not see who else has.
			if r := s.api("GET", "/v1/notices/"+id+"/receipts", repAna, nil); r.status != http.StatusForbidden || r.code(t) != "notice_receipts_not_allowed" {
				t.Errorf("a reader's receipts: %d %s", r.status, r.body)
			}
			// Revoked by its publisher: out of every box, nobody chased any more.
			if r := s.api("POST", "/v1/notices/"+id+"/revoke", repAna, map[string]any{"reason": "no"}); r.status != http.StatusForbidden {
				t.Errorf("a reader revokes: %d %s", r.status, r.body)
			}
			v := s.must(http.StatusOK, "POST", "/v1/notices/"+id+"/revoke", mgrMia, map[string]any{"reason": "Prices stay as they are."})
			if v["state"] != "revoked" || v["revoked_by"] != mgrMia || v["revoke_reason"] != "Prices stay as they are." {
				t.Errorf("revoked %v", v)
			}
			if _, told := revokedNotices.Load(id); !told {
				t.Error("the notice's workflow was not told")
			}
			if got := s.box(mgrMia, "inbox", 50); len(got) != 0 {
				t.Errorf("mia's inbox after revoking: %v", got)
			}
			if g := s.must(http.StatusOK, "GET", "/v1/notices/"+id, repAna, nil); g["state"] != "revoked" || g["receipt"].(map[string]any)["overdue"] != false {
				t.Errorf("a reader opens it revoked: %v", g)
			}
			if got := s.box(mgrMia, "published", 50); !slices.Equal(got, []string{id}) {
				t.Errorf("mia's published: %v", got)
			}
			if got := s.box(mgrMia, "drafts", 50); len(got) != 0 {
				t.Errorf("mia's drafts: %v", got)
			}
		})
	}
}

// The inbox: pinned notices first, then the newest; a scheduled notice
// from its start; pages follow the same order.
func TestNoticeInboxOrder(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newNoticeStack(t, b.DSN)
			oldPlain := s.publishNotice(admin, noticeBody(map[string]any{"title": "old plain"}))
			oldPinned := s.publishNotice(mgrMia, noticeBody(map[string]any{"title": "old pinned", "pinned": true}))
			newPlain := s.publishNotice(svcSue, noticeBody(map[string]any{"title": "new plain"}))
			scheduled := s.publishNotice(admin, noticeBody(map[string]any{"title": "scheduled", "valid_from": inFromNow(3 * time.Second)}))
			newPinned := s.publishNotice(admin, noticeBody(map[string]any{"title": "new pinned", "pinned": true}))
			want := []string{newPinned, oldPinned, newPlain, oldPlain}
			for _, limit := range []int{1, 3, 50} {
				if got := s.box(repBo, "inbox", limit); !slices.Equal(got, want) {
					t.Errorf("inbox by %d: %v, want %v", limit, got, want)
				}
			}
			// The scheduled one: its publisher sees it, its readers not yet.
			if r := s.api("GET", "/v1/notices/"+scheduled, repBo, nil); r.status != http.StatusNotFound {
				t.Errorf("a reader opens a notice before its start: %d", r.status)
			}
			s.must(http.StatusOK, "GET", "/v1/notices/"+scheduled, admin, nil)
			stacktest.Eventually(t, "the scheduled notice listed from its start", 10*time.Second, func() bool {
				return slices.Equal(s.box(repBo, "inbox", 50), []string{newPinned, oldPinned, scheduled, newPlain, oldPlain})
			})
			s.must(http.StatusOK, "GET", "/v1/notices/"+scheduled, repBo, nil)
		})
	}
}

// Someone who joins an audience after a notice was published — a new
// user, not in the directory when it was resolved — finds it on their next
// list (and on opening it), when it addresses them.
func TestNoticeReachesWhoJoinsLater(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newNoticeStack(t, b.DSN)
			all := s.publishNotice(admin, noticeBody(map[string]any{"title": "to everyone"}))
			north := s.publishNotice(mgrMia, noticeBody(map[string]any{"title": "to north", "audience": map[string]any{"teams": []string{"north"}}}))
			service := s.publishNotice(admin, noticeBody(map[string]any{"title": "to service", "audience": map[string]any{"departments": []string{"service"}}}))
			s.login(auth.Principal{Subject: "rep-new", Name: "Nia (new, north)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}})
			s.login(auth.Principal{Subject: "svc-new", Name: "Ned (new, service-west)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"service-west"}})
			s.login(auth.Principal{Subject: "rep-newer", Name: "Noe (new, north)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}})
			if got := s.box("rep-new", "unread", 50); !slices.Equal(got, []string{north, all}) {
				t.Errorf("the new north rep's unread: %v", got)
			}
			if got := s.box("svc-new", "inbox", 50); !slices.Equal(got, []string{service, all}) {
				t.Errorf("the new service-west rep's inbox: %v", got)
			}
			later := s.publishNotice(mgrMia, noticeBody(map[string]any{"title": "later, to north", "audience": map[string]any{"teams": []string{"north"}}}))
			if got := s.box("rep-new", "inbox", 50); !slices.Equal(got, []string{later, north, all}) {
				t.Errorf("after a later publication: %v", got)
			}
			// Opening it first gives the receipt too; the publisher then counts them.
			s.must(http.StatusOK, "POST", "/v1/notices/"+north+"/read", "rep-newer", nil)
			rc := s.must(http.StatusOK, "GET", "/v1/notices/"+north+"/receipts?state=read", mgrMia, nil)
			if got := ids2(rc, "reader_id"); !slices.Equal(got, []string{"rep-newer"}) || rc["counts"].(map[string]any)["readers"] != 5.0 {
				t.Errorf("receipts of north: %v %v", got, rc["counts"])
			}
			// Someone it does not address still does not see it.
			if r := s.api("GET", "/v1/notices/"+north, "svc-new", nil); r.status != http.StatusNotFound {
				t.Errorf("a new user outside the audience: %d", r.status)
			}
		})
	}
}

// Racing requests leave one consistent notice: of ten publications of one
// draft at once exactly one wins (the others: 422 notice_not_draft), its
// readers once each; every reader acknowledging twice at once records one
// instant each.
func TestNoticeRaces(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newNoticeStack(t, b.DSN)
			id := s.draftNotice(admin, noticeBody(map[string]any{"must_acknowledge": true, "ack_deadline": inFromNow(time.Hour)}))
			statuses := make([]int, 10)
			var wg sync.WaitGroup
			for i := range statuses {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := s.api("POST", "/v1/notices/"+id+"/publish", admin, nil)
					statuses[i] = r.status
					if r.status != http.StatusOK && (r.status != http.StatusUnprocessableEntity || r.code(t) != "notice_not_draft") {
						t.Errorf("publish: %d %s", r.status, r.body)
					}
				}()
			}
			wg.Wait()
			if n := noticeCount(statuses, http.StatusOK); n != 1 {
				t.Fatalf("%d publications won: %v", n, statuses)
			}
			acked := make(map[string][2]any, len(testUsers))
			var mu sync.Mutex
			for _, u := range testUsers {
				for k := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := s.api("POST", "/v1/notices/"+id+"/acknowledge", u.Subject, nil)
						if r.status != http.StatusOK {
							t.Errorf("%s acknowledges: %d %s", u.Subject, r.status, r.body)
							return
						}
						mu.Lock()
						pair := acked[u.Subject]
						pair[k] = r.json(t)["receipt"].(map[string]any)["acknowledged_at"]
						acked[u.Subject] = pair
						mu.Unlock()
					}()
				}
			}
			wg.Wait()
			for u, pair := range acked {
				if pair[0] == nil || pair[0] != pair[1] {
					t.Errorf("%s acknowledged at %v and %v", u, pair[0], pair[1])
				}
			}
			c := s.must(http.StatusOK, "GET", "/v1/notices/"+id+"/receipts", admin, nil)["counts"].(map[string]any)
			if n := float64(len(testUsers)); c["readers"] != n || c["acknowledged"] != n || c["read"] != n {
				t.Errorf("counts %v, want %v readers, all acknowledged", c, n)
			}
		})
	}
}

func noticeCount[T comparable](s []T, v T) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// ids2 is the values of key in a page's items, in order.
func ids2(page map[string]any, key string) []string {
	var out []string
	for _, it := range page["items"].([]any) {
		out = append(out, it.(map[string]any)[key].(string))
	}
	return out
}

// mustMerge is a copy of a with b's keys set.
func mustMerge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
