package slips_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
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
	if m := regexp.MustCompile(`(slips|nav)\.[a-z_]+\.?[a-z0-9_.]*`).FindString(p.Body); m != "" {
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

const slipID = "0193a6c2-5b1e-7c3a-9d4e-2f6a8b0c1d2e"

// openSlip is a slip rep-ana (team north) sent about customer: part 1 is
// rep-bo's, not acknowledged; part 2 is sales team north's, not routed;
// part 3 (rep-cy's) was forwarded to part 4 (rep-di's), done; part 5
// (mgr-max's) was rejected.
func openSlip(customer string) map[string]any {
	person := func(n int, id, name, state string, extra map[string]any) map[string]any {
		p := map[string]any{"n": n, "kind": "person", "user_id": id, "user_name": name, "department": "sales", "team": "south",
			"state": state, "received_at": "2026-03-02T01:00:00Z"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	return map[string]any{
		"id": slipID, "customer_id": customer, "subject": "Competitor offered 10% off", "body": "Heard on the visit today.",
		"category": "competitor", "urgency": "high", "state": "open", "version": 7, "due_at": "2026-12-11T10:00:00Z",
		"originator_id": "rep-ana", "originator_name": "Ana (rep, north)", "originator_teams": []string{"north"},
		"created_at": "2026-03-02T01:00:00Z",
		"attachments": []any{map[string]any{"name": "offer.pdf", "size": 48213, "content_type": "application/pdf",
			"url": "https://files.example.com/offer.pdf"}},
		"recipients": []any{
			person(1, "rep-bo", "Bo (rep, south)", "pending", map[string]any{"follow_up_id": "fu-1", "level": 2}),
			map[string]any{"n": 2, "kind": "department", "department": "sales", "team": "north", "state": "pending",
				"received_at": "2026-03-02T01:00:00Z"},
			person(3, "rep-cy", "Cy (rep, north)", "forwarded", map[string]any{"forwarded_to": 4}),
			person(4, "rep-di", "Di (rep, south)", "done", map[string]any{"forwarded_from": 3, "action_note": "Called them back",
				"done_at": "2026-03-03T01:00:00Z"}),
			person(5, "mgr-max", "Max (manager, south)", "rejected", map[string]any{"reject_reason": "not our account"}),
		},
	}
}

// forms are the forms a page offers, by their ids.
func forms(p webtest.Page) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<form method="post" action="[^"]*" id="f-([a-z]+(-\d+)?)"`).FindAllStringSubmatch(p.Body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestSlipPages: the list, the slip page's forms for each role, a refusal
// at its form, and the sending form's field errors — against the real
// customer service and sign-in, with the after-sales service replaced by
// a fake that answers what each case needs and keeps what the console sent.
func TestSlipPages(t *testing.T) {
	fake := newFakeService(t)
	s := webtest.New(t, webtest.Opts{NoTemporal: true, WebEnv: map[string]string{"SERVICE_API_URL": fake.URL}})
	name := fmt.Sprintf("Nanjing Valves %d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	cust := s.Create("rep-ana", stacktest.Company(map[string]any{"name": name}))
	fake.put(openSlip(cust))
	ana := s.Client(t, "rep-ana")
	path := "/slips/" + slipID

	t.Run("the list: tabs, rows, the filters sent on, empty states that say what to do", func(t *testing.T) {
		fake.reset()
		row := openSlip(cust)
		row["recipients"] = append(row["recipients"].([]any)[:4:4],
			map[string]any{"n": 6, "kind": "person", "user_id": "rep-ana", "state": "acknowledged"})
		fake.setList(row)
		p := ana.Get("/slips")
		must(t, "the received list", p, 200, `aria-current="page">To act on<`, `href="`+path+`"`, "Competitor offered 10% off", name,
			"Competitor", ">High<", "Acknowledged", "1 of 4 done", `href="/slips/new"`)
		lacks(t, "a rep's list", p, "My teams&#39;")
		if q := fake.requests("GET", "/v1/slips")[0].Query; q.Get("role") != "received" || q.Get("state") != "" {
			t.Fatalf("the default list asked for %v", q)
		}
		fake.reset()
		must(t, "the sent list", ana.Get("/slips?role=sent&state=closed&recipient_state=rejected"), 200,
			`aria-current="page">Sent<`, `<option value="closed" selected>`)
		if q := fake.requests("GET", "/v1/slips")[0].Query; q.Get("role") != "sent" || q.Get("state") != "closed" || q.Get("recipient_state") != "rejected" {
			t.Fatalf("the filtered list asked for %v", q)
		}
		fake.reset()
		ana.Get("/slips?role=team")
		if q := fake.requests("GET", "/v1/slips")[0].Query; q.Get("role") != "received" {
			t.Fatalf("a rep's team tab asked for %v, want her received slips", q)
		}
		fake.setList()
		must(t, "nothing received", ana.Get("/slips"), 200, "Nothing is waiting for you.")
		must(t, "nothing sent", ana.Get("/slips?role=sent"), 200, "You have sent no slips.", `href="/slips/new"`)
		must(t, "nothing filtered", ana.Get("/slips?role=sent&state=open"), 200, "No slips match these filters.")
		mia := s.Client(t, "mgr-mia")
		must(t, "a manager's team tab", mia.Get("/slips?role=team"), 200, `aria-current="page">My teams&#39;<`,
			"No slip is addressed to the teams you manage.")
		must(t, "the list in Chinese", ana.Get("/slips", "Accept-Language", "zh-CN,zh;q=0.9"), 200, "待我处理", "没有等你处理的流转单")
	})

	t.Run("the slip page: its fields, parts, chain, chase and timeline", func(t *testing.T) {
		p := ana.Get(path)
		must(t, "the slip", p, 200, "<h1>Competitor offered 10% off</h1>", "Heard on the visit today.",
			`href="/customers/`+cust+`">`+name+`</a>`, `href="https://files.example.com/offer.pdf" rel="noopener noreferrer">offer.pdf</a>`,
			"Competitor", "High", `id="slip-state">Open<`, "1 of 4 done", "Ana (rep, north)",
			`id="part-2"`, "Sales · team north", "waiting for its manager to route it to a person",
			"forwarded to #4", "forwarded from #3", "Called them back", "Rejected: “not our account”",
			"Late: escalation step 2", "Forwarded", "#3 Cy (rep, north)", "to #4 Di (rep, south)", "better placed in south")
		lacks(t, "a rep's chase", p, `href="/board/items/fu-1"`)
		must(t, "a manager's chase", s.Client(t, "mgr-mia").Get(path), 200, `href="/board/items/fu-1"`)
	})

	t.Run("each viewer is offered the forms that are theirs", func(t *testing.T) {
		for _, c := range []struct {
			user string
			want []string
		}{
			{"rep-ana", []string{"object-4", "reroute-5", "dismiss-5", "add", "withdraw"}},
			{"rep-bo", []string{"acknowledge-1", "done-1", "reject-1", "forward-1"}},
			{"mgr-mia", []string{"route-2", "object-4", "reroute-5", "dismiss-5", "add", "withdraw"}},
			{"mgr-max", nil},
			{"analyst-ali", nil},
		} {
			p := s.Client(t, c.user).Get(path)
			if got := forms(p); strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("%s is offered %v, want %v", c.user, got, c.want)
			}
			if c.want == nil {
				must(t, c.user+"'s page", p, 200, "There is nothing for you to do on this slip now.")
			}
		}
		p := s.Client(t, "mgr-mia").Get(path)
		must(t, "the route form", p, 200, `<select id="route-2-who" name="user_id"`, `<option value="rep-cy">Cy (rep, north) (rep-cy)</option>`)

		done := openSlip(cust)
		done["recipients"] = []any{map[string]any{"n": 1, "kind": "person", "user_id": "rep-bo", "state": "done", "action_note": "ok"}}
		done["auto_close_at"] = "2026-03-05T01:00:00Z"
		fake.put(done)
		p = ana.Get(path)
		if got := forms(p); strings.Join(got, " ") != "object-1 confirm add withdraw" {
			t.Errorf("on an all-done slip the sender is offered %v", got)
		}
		must(t, "an all-done slip", p, 200, "Unless you object, it closes by itself at")
		done["state"] = "closed"
		fake.put(done)
		p = ana.Get(path)
		if got := forms(p); got != nil {
			t.Errorf("a closed slip offers %v", got)
		}
		lacks(t, "a closed slip", p, "There is nothing for you to do")
		fake.put(openSlip(cust))
	})

	t.Run("a change carries its key and version; a refusal shows at its form", func(t *testing.T) {
		fake.reset()
		bo := s.Client(t, "rep-bo")
		p := bo.Post(path+"/recipients/1/acknowledge", url.Values{"version": {"7"}, "_idem": {"ack-key-1"}})
		must(t, "acknowledged", p, 200, "You have acknowledged your part.")
		sent := fake.requests("POST", "/v1/slips/")
		if len(sent) != 1 || sent[0].Path != "/v1/slips/"+slipID+"/recipients/1/acknowledge" || sent[0].Idem != "ack-key-1" ||
			sent[0].Body["expected_version"] != float64(7) {
			t.Fatalf("the acknowledgement sent %+v", sent)
		}

		fake.answer("POST /v1/slips/"+slipID+"/recipients/1/acknowledge", http.StatusConflict,
			map[string]any{"code": "already_acknowledged", "message": "this part is already acknowledged"})
		p = bo.Post(path+"/recipients/1/acknowledge", url.Values{"version": {"7"}})
		must(t, "acknowledged twice", p, http.StatusConflict, `id="acknowledge-1-problem"`, "This part is already acknowledged.")

		fake.answer("POST /v1/slips/"+slipID+"/recipients/1/done", http.StatusUnprocessableEntity, map[string]any{
			"code": "validation_failed", "message": "invalid input",
			"details": map[string]any{"fields": []any{map[string]any{"field": "note", "code": "note_required", "message": "say what was done"}}}})
		p = bo.Post(path+"/recipients/1/done", url.Values{"version": {"7"}, "note": {"  "}})
		must(t, "done without a note", p, http.StatusUnprocessableEntity, `id="done-1-problem"`, `id="done-1-note-err"`, "Say what you did.")
		if !regexp.MustCompile(`id="done-1-note"[^>]*aria-invalid="true"[^>]*aria-describedby="done-1-note-err"`).MatchString(p.Body) {
			t.Fatal("the note is not marked invalid")
		}

		fake.answer("POST /v1/slips/"+slipID+"/recipients/1/reject", http.StatusConflict,
			map[string]any{"code": "a_code_the_console_does_not_know", "message": "the service's own words"})
		p = bo.Post(path+"/recipients/1/reject", url.Values{"version": {"7"}, "reason": {"kept as typed"}})
		must(t, "an unknown refusal", p, http.StatusConflict, "the service&#39;s own words", "kept as typed")

		fake.answer("POST /v1/slips/"+slipID+"/recipients/1/forward", http.StatusServiceUnavailable,
			map[string]any{"code": "update_pending", "message": "the slip's workflow did not answer in time"})
		p = bo.Post(path+"/recipients/1/forward", url.Values{"version": {"7"}, "_idem": {"fwd-key-9"}, "to.user_id": {"rep-di"}})
		must(t, "an unanswered forward", p, http.StatusServiceUnavailable, "Send the form again: it is applied at most once.",
			`name="_idem" value="fwd-key-9"`, `value="rep-di"`)
		if b := fake.requests("POST", "/v1/slips/"+slipID+"/recipients/1/forward")[0].Body; fmt.Sprint(b["to"]) != "map[kind:person user_id:rep-di]" {
			t.Fatalf("the forward sent %v", b)
		}

		fake.answer("POST /v1/slips/"+slipID+"/withdraw", http.StatusNotFound, map[string]any{"code": "slip_not_found", "message": "no such slip"})
		if p := ana.Post(path+"/withdraw", url.Values{"version": {"7"}}); p.Status != http.StatusNotFound || strings.Contains(p.Body, "Competitor offered") {
			t.Fatalf("a slip gone from sight: %d", p.Status)
		}
		must(t, "a refusal in Chinese", bo.Post(path+"/recipients/1/acknowledge", url.Values{"version": {"7"}}, "Accept-Language", "zh-CN,zh;q=0.9"),
			http.StatusConflict, "这部分已经签收过了")
	})

	t.Run("the sending form: prefilled, rows added, each field's error next to its field", func(t *testing.T) {
		fake.reset()
		p := ana.Get("/slips/new?customer_id=" + cust)
		must(t, "the form", p, 200, `<option value="`+cust+`" selected>`+name+`</option>`, `id="r2-user"`, `id="a0-url"`, `name="_idem"`)
		lacks(t, "the form", p, `id="r3-user"`)
		p = ana.Post("/slips", url.Values{"rows": {"3"}, "files": {"1"}, "more": {"recipient"}, "subject": {"kept"}})
		must(t, "one more row", p, 200, `id="r3-user"`, `value="kept"`, `name="rows" value="4"`)
		if n := len(fake.requests("POST", "/v1/slips")); n != 0 {
			t.Fatalf("adding a row sent %d slips", n)
		}

		fake.answer("POST /v1/slips", http.StatusUnprocessableEntity, map[string]any{"code": "validation_failed", "message": "invalid input",
			"details": map[string]any{"fields": []any{
				map[string]any{"field": "subject", "code": "required", "message": "is required"},
				map[string]any{"field": "category", "code": "invalid", "message": "one of …"},
				map[string]any{"field": "recipients[0].user_id", "code": "unknown_user", "message": "not a person of the organisation"},
				map[string]any{"field": "recipients[1].team", "code": "not_in_department", "message": "one of sales's teams"},
				map[string]any{"field": "attachments[0].url", "code": "invalid", "message": "an http or https link"},
				map[string]any{"field": "originator", "code": "invalid", "message": "the token names nobody"},
			}}})
		p = ana.Post("/slips", url.Values{"rows": {"3"}, "files": {"2"}, "customer_id": {cust}, "subject": {" "}, "body": {"typed body"},
			"urgency": {"low"}, "due_at": {"next week"},
			"recipients[1].user_id": {"nobody"}, "recipients[2].department": {"sales"}, "recipients[2].team": {"west"},
			"attachments[1].name": {"offer"}, "attachments[1].url": {"ftp://x"}})
		must(t, "a refused slip", p, http.StatusUnprocessableEntity, `id="send-problem"`, "Some fields need attention.",
			"<code>originator</code>: This value is not valid.",
			`id="s-subject-err" role="alert">This is required.`, `id="s-category-err" role="alert">Choose a category.`,
			`id="r1-user-err" role="alert">Nobody of the organisation has this user id`,
			`id="r2-team-err" role="alert">This team is not one of the department&#39;s.`,
			`id="a1-url-err" role="alert">An http or https link.`,
			`id="s-due-err" role="alert">Enter a date and time`, "typed body", `value="nobody"`, `<option value="low" selected>`)
		sent := fake.requests("POST", "/v1/slips")
		if len(sent) != 1 || sent[0].Idem == "" {
			t.Fatalf("the form sent %+v", sent)
		}
		b := sent[0].Body
		if got := fmt.Sprint(b["recipients"]); got != "[map[kind:person user_id:nobody] map[department:sales kind:department team:west]]" {
			t.Fatalf("the recipients sent: %s", got)
		}
		if got := fmt.Sprint(b["attachments"]); got != "[map[content_type:application/octet-stream name:offer size:0 url:ftp://x]]" {
			t.Fatalf("the attachments sent: %s", got)
		}
		if b["due_at"] != "1970-01-01T00:00:00Z" || b["subject"] != "" || b["customer_id"] != cust {
			t.Fatalf("the slip sent: %v", b)
		}

		fake.answer("POST /v1/slips", http.StatusServiceUnavailable, map[string]any{"code": "customer_service_unavailable", "message": "down"})
		p = ana.Post("/slips", url.Values{"customer_id": {cust}, "subject": {"kept"}, "_idem": {"send-key-3"}})
		must(t, "an unanswered slip", p, http.StatusServiceUnavailable, "Send the form again: it is applied at most once.",
			`name="_idem" value="send-key-3"`, `value="kept"`)

		fake.answer("POST /v1/slips", http.StatusCreated, openSlip(cust))
		p = ana.Post("/slips", url.Values{"customer_id": {cust}, "subject": {"Competitor offered 10% off"}, "category": {"competitor"},
			"due_at": {"2026-12-11T18:00"}, "recipients[0].user_id": {"rep-bo"}})
		if !strings.HasSuffix(p.URL, path+"?done=sent") {
			t.Fatalf("after sending the browser is at %s (%d)", p.URL, p.Status)
		}
		must(t, "the sent slip", p, 200, "The slip is sent.")
		// The console's time zone is Asia/Shanghai (UTC+8) for this user.
		if b := fake.requests("POST", "/v1/slips")[2].Body; b["due_at"] != "2026-12-11T10:00:00Z" {
			t.Fatalf("the due date sent: %v", b["due_at"])
		}
	})
}
