package inbox_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
	wffollowup "github.com/closeloop/closeloop/workflows/followup"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// seedOverdue starts a call-back that fell due late ago, so its ladder runs
// at once (remind, then escalate to the team's managers), as the board's
// test does.
func seedOverdue(t *testing.T, s *webtest.Stack, customer, title string, late time.Duration) string {
	t.Helper()
	id, due := uuid.NewString(), time.Now().Add(-late).UTC()
	if err := wffollowup.Start(context.Background(), s.FollowUp.Deps().Temporal, &followupv1.FollowUpSpec{
		Id: id, Kind: "callback", CustomerId: customer, OwnerId: stacktest.RepAna, Team: "north", Territory: "north", Title: title,
		AnchorAt: timestamppb.New(due.Add(-time.Hour)), DueAt: timestamppb.New(due), OpenedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// messages is user's inbox as the follow-up service answers it.
func messages(t *testing.T, s *webtest.Stack, user, query string) []map[string]any {
	t.Helper()
	r := s.Call("GET", "/v1/notifications"+query, user, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("inbox of %s: %d %s", user, r.Status, r.Body)
	}
	var out []map[string]any
	items, _ := r.JSON(t)["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

func unread(t *testing.T, s *webtest.Stack, user string) int {
	t.Helper()
	return int(s.Call("GET", "/v1/notifications/unread-count", user, nil).JSON(t)["unread"].(float64))
}

// find is the id of user's message about follow-up fu with action.
func find(t *testing.T, s *webtest.Stack, user, fu, action string) string {
	t.Helper()
	for _, m := range messages(t, s, user, "") {
		if m["follow_up_id"] == fu && m["action"] == action {
			return m["id"].(string)
		}
	}
	t.Fatalf("%s has no %s message about %s", user, action, fu)
	return ""
}

// has fails unless p has status and every text, and no message id.
func has(t *testing.T, what string, p webtest.Page, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: %d, want %d\n%s", what, p.Status, status, p.Body)
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page lacks %q\n%s", what, s, p.Body)
		}
	}
	if strings.Contains(p.Body, "inbox.") {
		t.Fatalf("%s shows a message id:\n%s", what, p.Body)
	}
}

func lacks(t *testing.T, what string, p webtest.Page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page shows %q\n%s", what, s, p.Body)
		}
	}
}

var msgRE = regexp.MustCompile(`<li id="msg-([0-9a-f-]{36})"`)

// TestInbox: two call-backs of rep-ana long overdue run their ladders on
// Temporal. Each reader's inbox on the real stack: rep-ana has her
// reminders and escalations, mgr-mia the escalations, urgent, rep-bo of
// the south team nothing; newest first, in the user's language; the
// header's badge counts; marking read is per reader, one or all, with htmx
// and without; a forged mark-read of another's message is a readable 404
// and a post without the anti-CSRF token is refused, both changing
// nothing; a reassignment tells the new owner who gave it; a message about
// a closed follow-up says it needs no action. The browser part is in
// browser_test.go.
func TestInbox(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	cust := s.Create(stacktest.MgrMia, stacktest.Company(map[string]any{"name": "Anhui Crane Works", "owner_id": stacktest.RepAna, "team": "north"}))
	valves := seedOverdue(t, s, cust, "Call back Anhui about the valves", 10*24*time.Hour)
	invoice := seedOverdue(t, s, cust, "Call back Anhui about the invoice", 3*24*time.Hour)
	stacktest.Eventually(t, "both escalations in mgr-mia's inbox and rep-ana's", 90*time.Second, func() bool {
		return len(messages(t, s, stacktest.MgrMia, "")) == 2 && len(messages(t, s, stacktest.RepAna, "")) == 4
	})
	ana, mia, bo := s.Client(t, stacktest.RepAna), s.Client(t, stacktest.MgrMia), s.Client(t, "rep-bo")

	t.Run("each reader sees their own messages, newest first", func(t *testing.T) {
		p := ana.Get("/inbox")
		has(t, "rep-ana's inbox", p, http.StatusOK, "<h1>Inbox</h1>", "You have 4 unread messages.",
			"A reminder for you: this follow-up is due", "Escalated to the managers of team north",
			"Call back Anhui about the valves", "Call back Anhui about the invoice", "Call-back",
			`<a href="/customers/`+cust+`">Customer: Anhui Crane Works</a>`, `<a href="/my-day">Go to My day`,
			`<span class="badge unread-mark">Unread</span>`, "Escalated, still open", `action="/inbox/read-all"`, `name="_csrf"`, `name="_idem"`)
		lacks(t, "rep-ana's inbox", p, "/board/items/", "Urgent", "Owner:")
		var ids []string
		for _, m := range messages(t, s, stacktest.RepAna, "") {
			ids = append(ids, m["id"].(string))
		}
		var shown []string
		for _, m := range msgRE.FindAllStringSubmatch(p.Body, -1) {
			shown = append(shown, m[1])
		}
		if !slices.Equal(ids, shown) {
			t.Fatalf("the page lists %v, the service %v (newest first)", shown, ids)
		}

		p = mia.Get("/inbox")
		has(t, "mgr-mia's inbox", p, http.StatusOK, "You have 2 unread messages.", "Escalated to the managers of team north",
			`<span class="badge bad">Urgent</span>`, `href="/board/items/`+valves+`"`, `href="/board/items/`+invoice+`"`, "Owner: Ana (rep, north)")
		lacks(t, "mgr-mia's inbox", p, "A reminder for you", `href="/my-day"`)

		p = bo.Get("/inbox")
		has(t, "rep-bo's inbox", p, http.StatusOK, "Your inbox is empty", "You have no unread messages.")
		lacks(t, "rep-bo's inbox", p, "Anhui", `action="/inbox/read-all"`)
		// Every role has an inbox.
		has(t, "the analyst's inbox", s.Client(t, stacktest.Analyst).Get("/inbox"), http.StatusOK, "Your inbox is empty")
	})

	t.Run("the header's badge", func(t *testing.T) {
		p := ana.Get("/customers")
		has(t, "a page's header", p, http.StatusOK, `<a href="/inbox">Inbox<span id="inbox-badge" class="nav-badge" hx-get="/inbox/count" hx-trigger="load, every 60s, inbox-changed from:body" hx-swap="outerHTML"></span></a>`,
			`<span id="inbox-badge-live" class="sr" aria-live="polite" aria-atomic="true"></span>`)
		b := ana.Get("/inbox/count", "HX-Request", "true")
		has(t, "rep-ana's badge", b, http.StatusOK, `hx-get="/inbox/count?seen=4"`, `<span class="count" aria-hidden="true">4</span><span class="sr">4 unread messages</span>`)
		lacks(t, "an unchanged badge", b, "<html", "hx-swap-oob")
		b = ana.Get("/inbox/count?seen=7", "HX-Request", "true")
		has(t, "a changed badge", b, http.StatusOK, `<span id="inbox-badge-live" hx-swap-oob="innerHTML">4 unread messages</span>`)
		has(t, "rep-bo's badge", bo.Get("/inbox/count?seen=0", "HX-Request", "true"), http.StatusOK, `hx-get="/inbox/count?seen=0"`)
		lacks(t, "rep-bo's badge", bo.Get("/inbox/count", "HX-Request", "true"), `class="count"`)
		// Without htmx the part is the page.
		if p := ana.Get("/inbox/count"); !strings.HasSuffix(p.URL, "/inbox") || !strings.Contains(p.Body, "<h1>Inbox</h1>") {
			t.Fatalf("the badge without htmx: %s\n%s", p.URL, p.Body)
		}
	})

	anaEscalation := find(t, s, stacktest.RepAna, valves, "escalate_manager")
	miaEscalation := find(t, s, stacktest.MgrMia, valves, "escalate_manager")

	t.Run("another's message is not found, and nothing changes", func(t *testing.T) {
		p := bo.Post("/inbox/"+anaEscalation+"/read", nil)
		has(t, "rep-bo marks rep-ana's message", p, http.StatusNotFound, "This message is not in your inbox", "Nothing was changed.")
		p = ana.Post("/inbox/"+miaEscalation+"/read", nil, "HX-Request", "true", "HX-Target", "msg-"+miaEscalation)
		has(t, "rep-ana marks the managers' message", p, http.StatusNotFound, `<li id="msg-`+miaEscalation+`" class="msg"><p class="problem" role="alert">This message is not in your inbox`)
		if unread(t, s, stacktest.RepAna) != 4 || unread(t, s, stacktest.MgrMia) != 2 {
			t.Fatal("a refused mark-read changed a count")
		}
	})

	t.Run("a post without the anti-CSRF token is refused", func(t *testing.T) {
		p := ana.Post("/inbox/read-all", url.Values{"_csrf": {""}})
		has(t, "mark all without the token", p, http.StatusForbidden, "security token")
		if unread(t, s, stacktest.RepAna) != 4 {
			t.Fatal("the refused post marked messages read")
		}
	})

	// In Chromium, mgr-mia marks the invoice's escalation read.
	miaInvoice := find(t, s, stacktest.MgrMia, invoice, "escalate_manager")
	t.Run("in a browser", func(t *testing.T) { browse(t, s, miaInvoice) })

	t.Run("marking read is per reader", func(t *testing.T) {
		p := mia.Post("/inbox/"+miaEscalation+"/read", nil, "HX-Request", "true", "HX-Target", "msg-"+miaEscalation)
		has(t, "mgr-mia marks her escalation read", p, http.StatusOK, `<li id="msg-`+miaEscalation+`" class="msg urgent">`, "Read ",
			`<div id="inbox-summary" class="inbox-summary" hx-swap-oob="true">`, "You have no unread messages.")
		lacks(t, "the message marked read", p, "<html", "unread-mark", "Mark read<span class=\"sr\"> — Escalated to the managers of team north: Call back Anhui about the valves")
		if p.Header.Get("HX-Trigger") != "inbox-changed" {
			t.Fatalf("no event refreshes the badge: %v", p.Header)
		}
		if unread(t, s, stacktest.MgrMia) != 0 || unread(t, s, stacktest.RepAna) != 4 {
			t.Fatal("mgr-mia's reading marked rep-ana's messages, or did not mark hers")
		}
		// Under "Unread only" a message read leaves the list (marking it
		// again changes nothing).
		p = mia.Post("/inbox/"+miaInvoice+"/read?unread=true", nil, "HX-Request", "true", "HX-Target", "msg-"+miaInvoice)
		has(t, "a message under Unread only", p, http.StatusOK, `<li id="msg-`+miaInvoice+`" class="msg"><p class="notice" role="status">Marked read: it has left the unread messages.`,
			"You have no unread messages.")
	})

	t.Run("mark one read without JavaScript", func(t *testing.T) {
		id := find(t, s, stacktest.RepAna, invoice, "remind")
		p := ana.Post("/inbox/"+id+"/read?unread=true", nil)
		if !strings.HasSuffix(p.URL, "/inbox?done=read&unread=true") {
			t.Fatalf("the answer went to %s", p.URL)
		}
		has(t, "after marking one read", p, http.StatusOK, "The message is marked read.", "You have 3 unread messages.", `<a href="/inbox?unread=true" aria-current="page">Unread only</a>`)
		lacks(t, "the unread list", p, `id="msg-`+id+`"`)
		// Again: nothing changes, and it says so all the same.
		has(t, "marking it again", ana.Post("/inbox/"+id+"/read", nil), http.StatusOK, "The message is marked read.", "You have 3 unread messages.")
	})

	t.Run("mark all read", func(t *testing.T) {
		p := ana.Post("/inbox/read-all", nil, "HX-Request", "true", "HX-Target", "inbox-body")
		has(t, "mark all with htmx", p, http.StatusOK, `<div id="inbox-body">`, "3 messages marked read.", "You have no unread messages.")
		lacks(t, "all read", p, "<html", "unread-mark", `action="/inbox/read-all"`)
		if p.Header.Get("HX-Trigger") != "inbox-changed" || unread(t, s, stacktest.RepAna) != 0 {
			t.Fatalf("mark all: %v, %d unread", p.Header, unread(t, s, stacktest.RepAna))
		}
		p = ana.Post("/inbox/read-all", nil)
		if !strings.HasSuffix(p.URL, "/inbox?done=all&marked=0") {
			t.Fatalf("the answer went to %s", p.URL)
		}
		has(t, "mark all again", p, http.StatusOK, "There was nothing unread to mark.")
		has(t, "the unread list", ana.Get("/inbox?unread=true"), http.StatusOK, "No unread messages.")
	})

	t.Run("a reassignment tells the new owner who gave it", func(t *testing.T) {
		if r := s.Call("POST", "/v1/follow-ups/"+valves+"/reassign", stacktest.MgrMia, map[string]any{"owner_id": "rep-cy", "reason": "Ana is on leave"}); r.Status != http.StatusOK {
			t.Fatalf("reassign: %d %s", r.Status, r.Body)
		}
		stacktest.Eventually(t, "rep-cy's message", 30*time.Second, func() bool { return len(messages(t, s, "rep-cy", "")) == 1 })
		// A rep may not read the user directory: the giver is named by id.
		has(t, "rep-cy's inbox", s.Client(t, "rep-cy").Get("/inbox"), http.StatusOK, "Mia (manager, north) gave you this follow-up", "Call back Anhui about the valves")
	})

	t.Run("a message about a closed follow-up needs no action", func(t *testing.T) {
		if r := s.Call("POST", "/v1/follow-ups/"+invoice+"/complete", stacktest.MgrMia, map[string]any{"note": "paid"}); r.Status != http.StatusOK {
			t.Fatalf("complete: %d %s", r.Status, r.Body)
		}
		p := mia.Get("/inbox")
		has(t, "mgr-mia's inbox", p, http.StatusOK, "Done — no action needed")
		if strings.Count(p.Body, "Escalated, still open") != 1 {
			t.Fatalf("the open follow-up's message should still say so once:\n%s", p.Body)
		}
	})

	t.Run("Chinese", func(t *testing.T) {
		zh := []string{"Accept-Language", "zh-CN,zh;q=0.9"}
		p := mia.Get("/inbox", zh...)
		has(t, "the Chinese inbox", p, http.StatusOK, "<h1>收件箱</h1>", "已升级给 north 团队经理", "紧急", "已完成 — 无需处理", "仅未读", "您没有未读消息。", "负责人：")
		lacks(t, "the Chinese inbox", p, "Escalated to", "Inbox")
		b := ana.Get("/inbox/count?seen=2", append([]string{"HX-Request", "true"}, zh...)...)
		has(t, "the Chinese badge", b, http.StatusOK, `<span id="inbox-badge-live" hx-swap-oob="innerHTML">没有未读消息</span>`)
		p = bo.Post("/inbox/"+anaEscalation+"/read", nil, zh...)
		has(t, "a refusal in Chinese", p, http.StatusNotFound, "您的收件箱中没有这条消息", "未做任何更改")
	})
}
