package notices_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// must is a page that answered status and contains every one of texts, and
// shows no message id untranslated.
func must(t *testing.T, what string, p webtest.Page, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.Status, status, p.Body)
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page does not contain %q\n%s", what, s, p.Body)
		}
	}
	if m := regexp.MustCompile(`(notices|nav|role)\.[a-z_]+\.?[a-z0-9_.]*`).FindString(p.Body); m != "" {
		t.Errorf("%s shows the message id %q untranslated", what, m)
	}
}

// lacks fails when the page contains any of texts.
func lacks(t *testing.T, what string, p webtest.Page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page contains %q\n%s", what, s, p.Body)
		}
	}
}

const (
	noticeID = "0193a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d2e"
	draftID  = "0193a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d2f"
	goneID   = "0193a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d30"
)

// priceNotice is a notice mgr-mia (team north) published to team north, to
// be acknowledged, with receipt as the viewer's (nil: the viewer is no
// reader). In Shanghai it is shown from 2026-05-04 10:00 to 2099-06-01
// 00:00, to be acknowledged by 2099-05-06 18:00.
func priceNotice(receipt map[string]any) map[string]any {
	n := map[string]any{
		"id": noticeID, "title": "New price list from 1 May",
		"body":       "<script>alert(1)</script>\nQuotes from 1 May use the 2026 list.\n\nSecond paragraph.",
		"audience":   map[string]any{"everyone": false, "departments": []string{}, "roles": []string{}, "teams": []string{"north"}},
		"valid_from": "2026-05-04T02:00:00Z", "valid_until": "2099-05-31T16:00:00Z", "pinned": false,
		"must_acknowledge": true, "ack_deadline": "2099-05-06T10:00:00Z", "state": "published",
		"publisher_id": "mgr-mia", "publisher_name": "Mia (manager, north)", "publisher_teams": []string{"north"},
		"created_at": "2026-05-04T01:55:12Z", "updated_at": "2026-05-04T02:00:00Z", "published_at": "2026-05-04T02:00:00Z", "version": 2,
	}
	if receipt != nil {
		n["receipt"] = receipt
	}
	return n
}

// with is n with the fields of extra replaced.
func with(n map[string]any, extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range n {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

var (
	unread = map[string]any{"read_at": nil, "acknowledged_at": nil, "overdue": false}
	read   = map[string]any{"read_at": "2026-05-04T03:10:00Z", "acknowledged_at": nil, "overdue": false}
)

// draftNotice is mgr-mia's draft to the reps and team north, shown from
// its publication.
func draftNotice() map[string]any {
	return with(priceNotice(nil), map[string]any{"id": draftID, "title": "Office closed on Friday", "state": "draft",
		"audience":   map[string]any{"everyone": false, "departments": []string{}, "roles": []string{"rep"}, "teams": []string{"north"}},
		"valid_from": nil, "published_at": nil, "version": 4})
}

func validationFailed(fields ...[3]string) map[string]any {
	var fs []any
	for _, f := range fields {
		fs = append(fs, map[string]any{"field": f[0], "code": f[1], "message": f[2]})
	}
	return map[string]any{"code": "validation_failed", "message": "invalid input", "details": map[string]any{"fields": fs}}
}

// TestNoticePages: the boxes, the notice page for a reader and for its
// publisher, its forms and their refusals, and the writing form — against
// the real customer service and sign-in, with the after-sales service
// replaced by a fake that answers what each case needs and keeps what the
// console sent.
func TestNoticePages(t *testing.T) {
	fake := newFakeService(t)
	s := webtest.New(t, webtest.Opts{NoTemporal: true, WebEnv: map[string]string{"SERVICE_API_URL": fake.URL}})
	ana, mia := s.Client(t, "rep-ana"), s.Client(t, "mgr-mia")
	path := "/notices/" + noticeID

	t.Run("the boxes: tabs by role, each row's window, acknowledgement and receipt, paging", func(t *testing.T) {
		fake.reset()
		pinned := with(priceNotice(read), map[string]any{"id": "n-pinned", "title": "Office closed on Friday", "pinned": true,
			"must_acknowledge": false, "ack_deadline": nil})
		overdue := with(priceNotice(map[string]any{"read_at": "2026-01-02T03:00:00Z", "overdue": true}),
			map[string]any{"id": "n-late", "title": "Safety rule", "ack_deadline": "2026-01-06T10:00:00Z"})
		acked := with(priceNotice(map[string]any{"read_at": "2026-05-04T03:10:00Z", "acknowledged_at": "2026-05-04T03:11:00Z"}),
			map[string]any{"id": "n-acked", "title": "Targets"})
		fake.setList("cur-2", pinned, priceNotice(unread), overdue, acked)
		p := ana.Get("/notices")
		must(t, "the inbox", p, 200, `aria-current="page">Inbox<`, `href="/notices?box=unread"`, `href="/notices?box=unacknowledged"`,
			`href="`+path+`">New price list from 1 May</a>`, "Mia (manager, north)",
			`<span class="badge">Pinned</span> <a href="/notices/n-pinned">`, "Not required",
			"2026-05-04 10:00", "2099-06-01 00:00", "by 2099-05-06 18:00", ">Unread<",
			`>Overdue</span> was due 2026-01-06 18:00`, `>Acknowledged</span> <time datetime="2026-05-04T03:11:00Z">`, "Next page")
		lacks(t, "a rep's boxes", p, "box=published", "box=drafts", `href="/notices/new"`, "<th scope=\"col\">Audience")
		if q := fake.requests("GET", "/v1/notices")[0].Query; q.Get("box") != "inbox" || q.Get("limit") != "50" || q.Get("cursor") != "" {
			t.Fatalf("the default box asked for %v", q)
		}
		fake.reset()
		ana.Get("/notices?box=drafts")
		if q := fake.requests("GET", "/v1/notices")[0].Query; q.Get("box") != "inbox" {
			t.Fatalf("a rep's drafts asked for %v, want her inbox", q)
		}
		fake.reset()
		p = ana.Get("/notices?box=unread&cursor=cur-2")
		must(t, "the second page", p, 200, `aria-current="page">Unread<`, `href="/notices?box=unread">First page`)
		if q := fake.requests("GET", "/v1/notices")[0].Query; q.Get("box") != "unread" || q.Get("cursor") != "cur-2" {
			t.Fatalf("the second page asked for %v", q)
		}

		fake.setList("", draftNotice())
		p = mia.Get("/notices?box=drafts")
		must(t, "a manager's drafts", p, 200, `aria-current="page">Drafts<`, `href="/notices?box=published"`, `href="/notices/new"`,
			"Office closed on Friday", "<th scope=\"col\">Audience", "roles sales rep; teams north", ">Draft<", "from its publication")
		fake.setList("")
		must(t, "an empty inbox", ana.Get("/notices"), 200, "No notice is addressed to you now.")
		must(t, "nothing to acknowledge", ana.Get("/notices?box=unacknowledged"), 200, "Nothing waits for your acknowledgement.")
		must(t, "no drafts", mia.Get("/notices?box=drafts"), 200, "You have no drafts.", `href="/notices/new"`)
		must(t, "the boxes in Chinese", ana.Get("/notices", "Accept-Language", "zh-CN,zh;q=0.9"), 200, "收件箱", "目前没有发给你的公告")
	})

	t.Run("a reader's page: the body escaped with its line breaks; opening it reads it; acknowledge", func(t *testing.T) {
		fake.reset()
		fake.put(priceNotice(unread))
		p := ana.Get(path)
		must(t, "the notice", p, 200, "<h1>New price list from 1 May</h1>",
			"<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>Quotes from 1 May use the 2026 list.</p><p>Second paragraph.</p>",
			`id="audience">teams north<`, `Mia (manager, north) <span class="hint">(north)</span>`, "2026-05-04 10:00", "by 2099-05-06 18:00",
			`hx-post="`+path+`/read" hx-trigger="load"`, `id="f-acknowledge"`, "Confirm that you have read this notice")
		lacks(t, "a reader's page", p, "<script>alert", `id="receipts"`, `id="f-revoke"`, `id="notice-state"`, `id="f-publish"`)
		if n := len(fake.requests("POST", "/v1/notices")); n != 0 {
			t.Fatalf("opening the page changed %d things", n)
		}

		fake.answer("POST /v1/notices/"+noticeID+"/read", http.StatusOK, priceNotice(read))
		p = ana.Post(path+"/read", nil, "HX-Request", "true")
		must(t, "read by htmx", p, 200, `<span id="read-done"><time datetime="2026-05-04T03:10:00Z">2026-05-04 11:10</time>`)
		lacks(t, "the read answer", p, "<html")
		if n := len(fake.requests("POST", "/v1/notices/"+noticeID+"/read")); n != 1 {
			t.Fatalf("reading sent %d requests", n)
		}
		must(t, "read without script", ana.Post(path+"/read", nil), 200, "Marked as read.")
		fake.put(priceNotice(read))
		p = ana.Get(path)
		must(t, "a read notice", p, 200, `id="read-state" aria-live="polite"><time`, `id="f-acknowledge"`)
		lacks(t, "a read notice", p, `id="f-read"`)

		fake.reset()
		p = ana.Post(path+"/acknowledge", nil)
		must(t, "acknowledged", p, 200, "You have acknowledged this notice.")
		if sent := fake.requests("POST", "/v1/notices/"); len(sent) != 1 || sent[0].Path != "/v1/notices/"+noticeID+"/acknowledge" || sent[0].Idem == "" {
			t.Fatalf("acknowledging sent %+v", sent)
		}
		fake.answer("POST /v1/notices/"+noticeID+"/acknowledge", http.StatusUnprocessableEntity,
			map[string]any{"code": "notice_revoked", "message": "the notice was revoked"})
		must(t, "a refused acknowledgement", ana.Post(path+"/acknowledge", nil), http.StatusUnprocessableEntity,
			`id="acknowledge-problem"`, "The notice was revoked.")
		must(t, "a refusal in Chinese", ana.Post(path+"/acknowledge", nil, "Accept-Language", "zh-CN,zh;q=0.9"),
			http.StatusUnprocessableEntity, "这条公告已撤回。")

		fake.put(priceNotice(map[string]any{"read_at": "2026-05-04T03:10:00Z", "acknowledged_at": "2026-05-04T03:11:00Z"}))
		p = ana.Get(path)
		must(t, "an acknowledged notice", p, 200, `id="ack"><span class="badge good">Acknowledged</span>`)
		lacks(t, "an acknowledged notice", p, `id="f-acknowledge"`, `id="f-read"`)
		fake.put(with(priceNotice(unread), map[string]any{"must_acknowledge": false, "ack_deadline": nil}))
		lacks(t, "a notice to read only", ana.Get(path), `id="f-acknowledge"`)
	})

	t.Run("its overseers: the receipts, filtered by reader state, and revoke", func(t *testing.T) {
		fake.reset()
		fake.put(priceNotice(nil))
		fake.setReceipts(map[string]any{"notice_id": noticeID, "must_acknowledge": true,
			"counts": map[string]any{"readers": 3, "read": 2, "unread": 1, "acknowledged": 1, "unacknowledged": 2, "overdue": 0},
			"items": []any{
				map[string]any{"reader_id": "rep-ana", "reader_name": "Ana (rep, north)", "reader_teams": []string{"north"},
					"read_at": "2026-05-04T03:10:00Z", "acknowledged_at": "2026-05-04T03:11:00Z"},
				map[string]any{"reader_id": "rep-cy", "reader_name": "Cy (rep, north)", "reader_teams": []string{"north"}, "overdue": true},
			}, "next_cursor": "r-2"})
		p := mia.Get(path)
		must(t, "the publisher's page", p, 200, `id="notice-state"><span class="badge good">Shown now<`, `id="counts"`,
			`id="count-readers"><p class="stat">3</p><p>Readers</p>`, `id="count-unacknowledged"><p class="stat">2</p><p>Not acknowledged</p>`, `id="reader-rep-ana"`, "Ana (rep, north)",
			`id="reader-rep-cy"`, `<span class="badge bad">Overdue</span>`, `href="`+path+`?readers=unacknowledged#receipts"`,
			`href="`+path+`?cursor=r-2#receipts">More readers`, `id="f-revoke"`)
		lacks(t, "the publisher's page", p, `id="mine"`, `id="f-read"`, `id="f-acknowledge"`)
		fake.reset()
		p = mia.Get(path + "?readers=unacknowledged")
		must(t, "the unacknowledged readers", p, 200, `href="`+path+`?readers=unacknowledged#receipts" aria-current="page"`)
		if q := fake.requests("GET", "/v1/notices/"+noticeID+"/receipts")[0].Query; q.Get("state") != "unacknowledged" || q.Get("limit") != "50" {
			t.Fatalf("the filtered receipts asked for %v", q)
		}

		fake.put(with(priceNotice(nil), map[string]any{"must_acknowledge": false, "ack_deadline": nil}))
		fake.reset()
		p = mia.Get(path + "?readers=acknowledged")
		lacks(t, "a notice to read only", p, "readers=acknowledged", "Not acknowledged")
		if q := fake.requests("GET", "/v1/notices/"+noticeID+"/receipts")[0].Query; q.Has("state") {
			t.Fatalf("a filter the notice has not was asked for: %v", q)
		}
		fake.put(priceNotice(nil))

		fake.reset()
		p = s.Client(t, "mgr-max").Get(path)
		lacks(t, "another team's manager", p, `id="receipts"`, `id="f-revoke"`)
		if n := len(fake.requests("GET", "/v1/notices/"+noticeID+"/receipts")); n != 0 {
			t.Fatal("the page asked for receipts its viewer does not oversee")
		}
		must(t, "an admin's page", s.Client(t, "admin-ada").Get(path), 200, `id="receipts"`, `id="f-revoke"`)

		p = mia.Post(path+"/revoke", url.Values{"reason": {"  Sent by mistake "}})
		must(t, "revoked", p, 200, "The notice is revoked")
		if b := fake.requests("POST", "/v1/notices/"+noticeID+"/revoke")[0].Body; b["reason"] != "Sent by mistake" {
			t.Fatalf("the revocation sent %v", b)
		}
		fake.answer("POST /v1/notices/"+noticeID+"/revoke", http.StatusUnprocessableEntity,
			validationFailed([3]string{"reason", "too_long", "at most 2000 characters"}))
		p = mia.Post(path+"/revoke", url.Values{"reason": {"kept as typed"}})
		must(t, "a refused revocation", p, http.StatusUnprocessableEntity, `id="revoke-problem"`,
			`id="revoke-reason-err" role="alert">At most 2,000 characters.`, ">kept as typed</textarea>")
		if !regexp.MustCompile(`id="revoke-reason"[^>]*aria-invalid="true"[^>]*aria-describedby="revoke-reason-err"`).MatchString(p.Body) {
			t.Fatal("the reason is not marked invalid")
		}
	})

	t.Run("a revoked notice says so and why, and offers nothing", func(t *testing.T) {
		fake.reset()
		fake.put(with(priceNotice(read), map[string]any{"state": "revoked", "revoked_at": "2026-05-05T01:00:00Z", "revoked_by": "mgr-mia",
			"revoke_reason": "Wrong prices <b>"}))
		p := ana.Get(path)
		must(t, "a revoked notice", p, 200, "This notice was revoked at 2026-05-05 09:00.", "Why: “Wrong prices &lt;b&gt;”")
		lacks(t, "a revoked notice", p, `id="f-acknowledge"`, `id="f-read"`)
		p = mia.Get(path)
		must(t, "a revoked notice's publisher", p, 200, ">Revoked<", `id="receipts"`)
		lacks(t, "a revoked notice's publisher", p, `id="f-revoke"`)
	})

	t.Run("out of sight: the service's 404 is no such page, and nothing is shown", func(t *testing.T) {
		fake.reset()
		for _, p := range []webtest.Page{ana.Get("/notices/" + goneID), ana.Post("/notices/"+goneID+"/acknowledge", nil),
			ana.Post("/notices/"+goneID+"/read", nil), mia.Post("/notices/"+goneID+"/revoke", nil), mia.Get("/notices/" + goneID + "/edit"),
			mia.Post("/notices/"+goneID+"/publish", nil)} {
			must(t, "a notice out of sight", p, http.StatusNotFound, "There is no such page")
		}
		fake.reset()
		p := ana.Get("/notices/new")
		must(t, "a rep's form", p, http.StatusForbidden, "This page is not for your role")
		p = ana.Post("/notices", url.Values{"title": {"x"}})
		must(t, "a rep's post", p, http.StatusForbidden, "This page is not for your role")
		if n := len(fake.requests("POST", "/v1/notices")); n != 0 {
			t.Fatalf("a rep's post sent %d requests", n)
		}
	})

	t.Run("the form: each field's error next to it, dates in the user's zone, a resend keeps its key", func(t *testing.T) {
		fake.reset()
		p := mia.Get("/notices/new")
		must(t, "the form", p, 200, `action="/notices"`, `id="n-title"`, `name="_idem"`, `id="n-dept-sales"`, `id="n-role-analyst"`,
			"Yours: north.", `id="n-until" name="valid_until" type="datetime-local"`, "Asia/Shanghai", `value="publish"`)
		lacks(t, "a new notice's form", p, `name="version"`)

		fake.answer("POST /v1/notices", http.StatusUnprocessableEntity, validationFailed(
			[3]string{"title", "required", "is required"}, [3]string{"audience.teams", "not_yours", "south is not theirs"},
			[3]string{"valid_until", "in_past", "the window has passed"}, [3]string{"ack_deadline", "outside_window", "…"},
			[3]string{"id", "invalid", "the notice needs an id"}))
		p = mia.Post("/notices", url.Values{"title": {" "}, "body": {"typed <body>\n"}, "teams": {"north，south"}, "departments": {"sales"},
			"roles": {"rep", "manager"}, "valid_from": {"2026-05-04T10:00"}, "valid_until": {"2026-05-01"}, "must_acknowledge": {"true"},
			"ack_deadline": {"2026-05-06T18:00"}, "pinned": {"true"}, "action": {"draft"}})
		must(t, "a refused notice", p, http.StatusUnprocessableEntity, `id="form-problem"`, "Some fields need attention.",
			"<code>id</code>: This value is not valid.", `id="n-title-err" role="alert">This is required.`,
			`id="n-teams-err" role="alert">Not yours to address by name`, `id="n-until-err" role="alert">This time has passed`,
			`id="n-deadline-err" role="alert">After it starts being shown`, ">typed &lt;body&gt;\n</textarea>", `value="north，south"`,
			`id="n-dept-sales" name="departments" value="sales" checked`, `id="n-role-manager" name="roles" value="manager" checked`,
			`id="n-pinned" name="pinned" value="true" aria-describedby="n-pinned-hint" checked`)
		lacks(t, "a refused notice", p, `id="n-role-analyst" name="roles" value="analyst" checked`, `id="n-everyone" name="everyone" value="true" checked`)
		if !regexp.MustCompile(`id="n-title"[^>]*aria-invalid="true"[^>]*aria-describedby="n-title-err"`).MatchString(p.Body) {
			t.Fatal("the title is not marked invalid")
		}
		sent := fake.requests("POST", "/v1/notices")
		if len(sent) != 1 || sent[0].Idem == "" {
			t.Fatalf("the form sent %+v", sent)
		}
		b := sent[0].Body
		if got := fmt.Sprint(b["audience"]); got != "map[departments:[sales] everyone:false roles:[rep manager] teams:[north south]]" {
			t.Fatalf("the audience sent: %s", got)
		}
		// In Shanghai (UTC+8); a date alone is shown until its end.
		if b["title"] != "" || b["body"] != "typed <body>" || b["valid_from"] != "2026-05-04T02:00:00Z" || b["valid_until"] != "2026-05-01T15:59:00Z" ||
			b["ack_deadline"] != "2026-05-06T10:00:00Z" || b["pinned"] != true || b["must_acknowledge"] != true {
			t.Fatalf("the notice sent: %v", b)
		}

		fake.reset()
		p = mia.Post("/notices", url.Values{"title": {"kept"}, "valid_until": {"next week"}, "ack_deadline": {"2026-13-01T10:00"}})
		must(t, "dates that are no dates", p, http.StatusUnprocessableEntity, `id="n-until-err" role="alert">Enter a date and time`,
			`id="n-deadline-err" role="alert">Enter a date and time`, `value="kept"`)
		if n := len(fake.requests("POST", "/v1/notices")); n != 0 {
			t.Fatalf("a form with bad dates sent %d requests", n)
		}

		fake.answer("POST /v1/notices", http.StatusServiceUnavailable, map[string]any{"code": "unavailable", "message": "down"})
		p = mia.Post("/notices", url.Values{"title": {"kept"}, "_idem": {"new-key-3"}})
		must(t, "an unanswered notice", p, http.StatusServiceUnavailable, "Send the form again: it is applied at most once.",
			`name="_idem" value="new-key-3"`, `value="kept"`)

		fake.answer("POST /v1/notices", http.StatusCreated, draftNotice())
		p = mia.Post("/notices", url.Values{"title": {"Office closed on Friday"}, "valid_until": {"2099-06-01T00:00"}, "action": {"draft"}})
		if !strings.HasSuffix(p.URL, "/notices/"+draftID+"?done=saved") {
			t.Fatalf("after saving the browser is at %s (%d)", p.URL, p.Status)
		}
		if n := len(fake.requests("POST", "/v1/notices/")); n != 0 {
			t.Fatal("saving a draft published it")
		}
	})

	t.Run("publishing: from the form in one go; a refused publication keeps the draft; from the draft's page", func(t *testing.T) {
		fake.reset()
		fake.put(draftNotice())
		fake.answer("POST /v1/notices", http.StatusCreated, draftNotice())
		p := mia.Post("/notices", url.Values{"title": {"Office closed on Friday"}, "action": {"publish"}})
		must(t, "published", p, 200, "The notice is published to its audience.")
		if sent := fake.requests("POST", "/v1/notices"); len(sent) != 2 || sent[1].Path != "/v1/notices/"+draftID+"/publish" {
			t.Fatalf("publishing sent %+v", sent)
		}

		fake.answer("POST /v1/notices/"+draftID+"/publish", http.StatusUnprocessableEntity,
			validationFailed([3]string{"audience", "empty", "nobody is in this audience"}))
		p = mia.Post("/notices", url.Values{"title": {"Typed title"}, "action": {"publish"}})
		must(t, "a refused publication", p, http.StatusUnprocessableEntity, `id="saved"`, "The draft is saved, but it was not published",
			`id="n-audience-err" role="alert">Nobody is in this audience`, `action="/notices/`+draftID+`/edit"`,
			`name="version" value="4"`, `value="Typed title"`)

		// The same form sent twice: the service answers the first draft
		// again, which the first post published.
		fake.answer("POST /v1/notices", http.StatusCreated, draftNotice(), "Idempotent-Replayed", "true")
		fake.answer("POST /v1/notices/"+draftID+"/publish", http.StatusUnprocessableEntity,
			map[string]any{"code": "notice_not_draft", "message": "the notice is published"})
		p = mia.Post("/notices", url.Values{"title": {"Office closed on Friday"}, "action": {"publish"}})
		if !strings.HasSuffix(p.URL, "/notices/"+draftID+"?done=publish") {
			t.Fatalf("a form sent twice ends at %s (%d)", p.URL, p.Status)
		}

		fake.reset()
		p = mia.Get("/notices/" + draftID)
		must(t, "the draft's page", p, 200, ">Draft<", `id="f-publish"`, `href="/notices/`+draftID+`/edit"`, "from its publication")
		lacks(t, "the draft's page", p, `id="receipts"`, `id="f-revoke"`, `id="mine"`)
		must(t, "published from its page", mia.Post("/notices/"+draftID+"/publish", nil), 200, "The notice is published to its audience.")
		fake.answer("POST /v1/notices/"+draftID+"/publish", http.StatusUnprocessableEntity,
			validationFailed([3]string{"valid_until", "in_past", "the window has passed"}))
		p = mia.Post("/notices/"+draftID+"/publish", nil)
		must(t, "a draft whose window has passed", p, http.StatusUnprocessableEntity, `id="n-until-err" role="alert">This time has passed`,
			`value="Office closed on Friday"`, `action="/notices/`+draftID+`/edit"`)
		lacks(t, "a draft whose window has passed", p, `id="saved"`)
		fake.answer("POST /v1/notices/"+draftID+"/publish", http.StatusForbidden,
			map[string]any{"code": "notice_edit_not_allowed", "message": "only the publisher"})
		must(t, "a publication refused", mia.Post("/notices/"+draftID+"/publish", nil), http.StatusForbidden,
			`id="publish-problem"`, "Only the notice&#39;s publisher (or an administrator) edits and publishes it.")
	})

	t.Run("editing a draft: its values in the user's zone, its version, a conflict", func(t *testing.T) {
		fake.reset()
		fake.put(draftNotice())
		p := mia.Get("/notices/" + draftID + "/edit")
		must(t, "the draft's form", p, 200, `action="/notices/`+draftID+`/edit"`, `name="version" value="4"`,
			`value="Office closed on Friday"`, `id="n-teams" name="teams" maxlength="5000" value="north"`,
			`id="n-role-rep" name="roles" value="rep" checked`, `name="valid_until" type="datetime-local" required value="2099-06-01T00:00"`,
			`name="ack_deadline" type="datetime-local" value="2099-05-06T18:00"`, `id="n-must-ack" name="must_acknowledge" value="true" checked`)
		p = mia.Post("/notices/"+draftID+"/edit", url.Values{"version": {"4"}, "title": {"Edited"}, "roles": {"rep"},
			"valid_until": {"2099-06-01T00:00"}, "action": {"draft"}})
		if !strings.HasSuffix(p.URL, "/notices/"+draftID+"?done=saved") {
			t.Fatalf("after editing the browser is at %s (%d)", p.URL, p.Status)
		}
		b := fake.requests("PUT", "/v1/notices/"+draftID)[0].Body
		if b["expected_version"] != float64(4) || b["title"] != "Edited" || b["valid_until"] != "2099-05-31T16:00:00Z" {
			t.Fatalf("the edit sent %v", b)
		}

		fake.answer("PUT /v1/notices/"+draftID, http.StatusConflict, map[string]any{"code": "version_conflict", "message": "changed"})
		fake.put(with(draftNotice(), map[string]any{"version": 5}))
		p = mia.Post("/notices/"+draftID+"/edit", url.Values{"version": {"4"}, "title": {"Mine"}})
		must(t, "a stale draft", p, http.StatusConflict, "Someone changed this draft since you opened it.", `name="version" value="5"`,
			`value="Mine"`)

		fake.put(priceNotice(nil))
		p = mia.Get(path + "/edit")
		if p.Status != 200 || !strings.HasSuffix(p.URL, path) {
			t.Fatalf("editing a published notice ends at %s (%d)", p.URL, p.Status)
		}
		must(t, "the form in Chinese", mia.Get("/notices/new", "Accept-Language", "zh-CN,zh;q=0.9"), 200, "撰写公告", "保存草稿")
	})
}
