package board_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
	wffollowup "github.com/closeloop/closeloop/workflows/followup"
)

// seeded is one follow-up the test made overdue.
type seeded struct {
	ID, Title string
}

// seedOverdue starts a call-back follow-up that fell due late ago (its
// workflow fires at once) and waits until the follow-up service lists it.
func seedOverdue(t *testing.T, s *webtest.Stack, customer, owner, team, title string, late time.Duration) seeded {
	t.Helper()
	id := uuid.NewString()
	due := time.Now().Add(-late).UTC()
	err := wffollowup.Start(context.Background(), s.FollowUp.Deps().Temporal, &followupv1.FollowUpSpec{
		Id: id, Kind: "callback", CustomerId: customer, OwnerId: owner, Team: team, Territory: team, Title: title,
		AnchorAt: timestamppb.New(due.Add(-time.Hour)), DueAt: timestamppb.New(due), OpenedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return seeded{ID: id, Title: title}
}

func waitOverdue(t *testing.T, s *webtest.Stack, n int) {
	t.Helper()
	stacktest.Eventually(t, fmt.Sprintf("%d overdue follow-ups", n), 60*time.Second, func() bool {
		r := s.Call("GET", "/v1/follow-ups/overdue", stacktest.Admin, nil)
		items, _ := r.JSON(t)["items"].([]any)
		return r.Status == http.StatusOK && len(items) == n
	})
}

func state(t *testing.T, s *webtest.Stack, id string) map[string]any {
	t.Helper()
	r := s.Call("GET", "/v1/follow-ups/"+id, stacktest.Admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("follow-up %s: %d %s", id, r.Status, r.Body)
	}
	return r.JSON(t)
}

// order checks that the titles appear in body in this order.
func order(t *testing.T, body string, titles ...string) {
	t.Helper()
	last := -1
	for _, ti := range titles {
		i := strings.Index(body, ti)
		if i < 0 {
			t.Fatalf("%q is not on the board:\n%s", ti, body)
		}
		if i < last {
			t.Fatalf("%q is out of order (the most late must come first)", ti)
		}
		last = i
	}
}

func lacks(t *testing.T, body string, what ...string) {
	t.Helper()
	for _, w := range what {
		if strings.Contains(body, w) {
			t.Fatalf("%q should not be on the board:\n%s", w, body)
		}
	}
}

// stat is the number of a counts card ("follow-ups overdue", "escalated").
var totalRE = regexp.MustCompile(`<p class="stat">([\d,]+)</p><p>follow-ups? overdue</p>`)

func total(t testing.TB, body string) string {
	t.Helper()
	m := totalRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no total on the board:\n%s", body)
	}
	return m[1]
}

// countOf is the overdue count in the counts row whose first cell links text.
func countOf(t *testing.T, body, text string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<a href="[^"]*">` + regexp.QuoteMeta(text) + `</a></td>.*?data-label="Overdue" class="num">([\d,]+)</td>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no count for %q:\n%s", text, body)
	}
	return m[1]
}

func bucket(t *testing.T, body, label string) string {
	t.Helper()
	re := regexp.MustCompile(`>` + regexp.QuoteMeta(label) + `</a> <span class="badge[^"]*">([\d,]+)</span>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no bucket %q:\n%s", label, body)
	}
	return m[1]
}

// The board end to end, on the real services and Temporal: a manager sees
// their teams' overdue follow-ups only, most late first, with counts per
// owner, team and bucket; filters narrow the list and the counts; the parts
// htmx polls keep the filters; cancelling needs a reason and completing
// removes the item; a rep is refused with the reason; both languages.
func TestOverdueBoard(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	north := s.Create(stacktest.MgrMia, stacktest.Company(map[string]any{"name": "Anhui Crane Works", "owner_id": "rep-ana", "team": "north"}))
	northCy := s.Create(stacktest.MgrMia, stacktest.Company(map[string]any{"owner_id": "rep-cy", "team": "north"}))
	south := s.Create(stacktest.Admin, stacktest.Company(map[string]any{"owner_id": "rep-bo", "team": "south", "region": "south"}))

	tenDays := seedOverdue(t, s, north, "rep-ana", "north", "Call back Anhui about the quote", 10*24*time.Hour)
	fiveDays := seedOverdue(t, s, northCy, "rep-cy", "north", "Call back Cy about delivery", 5*24*time.Hour)
	twoDays := seedOverdue(t, s, north, "rep-ana", "north", "Call back Anhui about the invoice", 2*24*time.Hour)
	twoHours := seedOverdue(t, s, north, "rep-ana", "north", "Call back Anhui about the visit", 2*time.Hour)
	samples := seedOverdue(t, s, north, "rep-ana", "north", "Call back Anhui about the samples", 4*24*time.Hour)
	southItem := seedOverdue(t, s, south, "rep-bo", "south", "Call back Boshan about spare parts", 4*24*time.Hour)
	waitOverdue(t, s, 6)

	mgr := s.Client(t, stacktest.MgrMia)

	t.Run("the manager's teams only, most late first, with counts", func(t *testing.T) {
		p := mgr.Get("/board")
		if p.Status != http.StatusOK {
			t.Fatalf("board: %d\n%s", p.Status, p.Body)
		}
		order(t, p.Body, tenDays.Title, fiveDays.Title, samples.Title, twoDays.Title, twoHours.Title)
		lacks(t, p.Body, southItem.Title, "board.")
		if total(t, p.Body) != "5" || countOf(t, p.Body, "Ana (rep, north)") != "4" || countOf(t, p.Body, "Cy (rep, north)") != "1" ||
			countOf(t, p.Body, "north") != "5" {
			t.Fatal("counts per owner or team are wrong")
		}
		for label, want := range map[string]string{"Under 1 day": "1", "1–3 days": "1", "3–7 days": "2", "Over 7 days": "1"} {
			if got := bucket(t, p.Body, label); got != want {
				t.Fatalf("bucket %s: %s, want %s", label, got, want)
			}
		}
		// Drill-down: the customer, the workflow in the Temporal UI, and the
		// panel of the item.
		for _, want := range []string{`<a href="/customers/` + north + `">Anhui Crane Works</a>`, `href="http://temporal-ui.test/namespaces/` + url.PathEscape(s.Namespace) + `/workflows/followup:` + tenDays.ID + `"`,
			`href="/board/items/` + tenDays.ID + `"`, `aria-live="polite"`} {
			if !strings.Contains(p.Body, want) {
				t.Fatalf("the board lacks %s", want)
			}
		}
		// An admin sees every team.
		if p := s.Client(t, stacktest.Admin).Get("/board"); !strings.Contains(p.Body, southItem.Title) || total(t, p.Body) != "6" {
			t.Fatalf("the admin's board lacks the south team's item")
		}
	})

	t.Run("filters narrow the list and the counts", func(t *testing.T) {
		p := mgr.Get("/board?owner_id=rep-cy")
		if !strings.Contains(p.Body, fiveDays.Title) || total(t, p.Body) != "1" {
			t.Fatalf("owner filter:\n%s", p.Body)
		}
		lacks(t, p.Body, tenDays.Title, twoDays.Title, twoHours.Title)

		p = mgr.Get("/board?lateness=over_7d")
		if !strings.Contains(p.Body, tenDays.Title) || total(t, p.Body) != "1" || bucket(t, p.Body, "1–3 days") != "0" {
			t.Fatalf("lateness filter:\n%s", p.Body)
		}
		lacks(t, p.Body, fiveDays.Title, twoDays.Title)

		p = mgr.Get("/board?kind=care_contact")
		if !strings.Contains(p.Body, "No overdue follow-up matches these filters.") || total(t, p.Body) != "0" {
			t.Fatalf("kind filter:\n%s", p.Body)
		}
		// A team the manager does not lead shows nothing of it.
		if p := mgr.Get("/board?team=south"); strings.Contains(p.Body, southItem.Title) || total(t, p.Body) != "0" {
			t.Fatalf("another team's follow-ups:\n%s", p.Body)
		}
		// Grouping by owner heads each owner's rows.
		p = mgr.Get("/board?group=owner")
		if !strings.Contains(p.Body, "Owner: Ana (rep, north) — 4 follow-ups on this page") ||
			!strings.Contains(p.Body, "Owner: Cy (rep, north) — 1 follow-up on this page") {
			t.Fatalf("groups by owner:\n%s", p.Body)
		}
		// A filter value the service does not know is dropped.
		if p := mgr.Get("/board?lateness=forever&kind=x"); p.Status != http.StatusOK || total(t, p.Body) != "5" {
			t.Fatalf("unknown filter values: %d", p.Status)
		}
	})

	t.Run("the polled parts keep the filters", func(t *testing.T) {
		p := mgr.Get("/board/list?owner_id=rep-ana&group=team", "HX-Request", "true")
		if p.Status != http.StatusOK || strings.Contains(p.Body, "<html") || !strings.Contains(p.Body, twoDays.Title) ||
			strings.Contains(p.Body, fiveDays.Title) {
			t.Fatalf("list part:\n%s", p.Body)
		}
		if !strings.Contains(p.Body, `hx-get="/board/list?group=team&amp;owner_id=rep-ana"`) || !strings.Contains(p.Body, `hx-trigger="every 30s, board-changed from:body"`) {
			t.Fatalf("the list part does not poll itself with its filters:\n%s", p.Body)
		}
		c := mgr.Get("/board/counts?owner_id=rep-ana&seen=4", "HX-Request", "true")
		if total(t, c.Body) != "4" || strings.Contains(c.Body, "hx-swap-oob") || !strings.Contains(c.Body, `hx-get="/board/counts?owner_id=rep-ana&amp;seen=4"`) {
			t.Fatalf("counts part, unchanged total:\n%s", c.Body)
		}
		// A changed total is announced in the live region.
		c = mgr.Get("/board/counts?owner_id=rep-ana&seen=7", "HX-Request", "true")
		if !strings.Contains(c.Body, `<span id="board-status" hx-swap-oob="innerHTML">4 follow-ups overdue`) {
			t.Fatalf("counts part, changed total:\n%s", c.Body)
		}
		// Without htmx a part is the page.
		if p := mgr.Get("/board/list?owner_id=rep-ana"); !strings.HasSuffix(p.URL, "/board?owner_id=rep-ana") || !strings.Contains(p.Body, "<h1>Overdue board</h1>") {
			t.Fatalf("a part without htmx: %s\n%s", p.URL, p.Body)
		}
	})

	t.Run("an item shows its history and actions; another team's is not found", func(t *testing.T) {
		p := mgr.Get("/board/items/" + tenDays.ID + "?owner_id=rep-ana")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "<h1>"+tenDays.Title+"</h1>") || !strings.Contains(p.Body, "<strong>Opened</strong>") ||
			!strings.Contains(p.Body, `action="/board/items/`+tenDays.ID+`/cancel?owner_id=rep-ana"`) {
			t.Fatalf("item page:\n%s", p.Body)
		}
		// Who was told: the reminder to Ana and the escalation to north's
		// managers (urgent), unread; once Mia reads hers, it says so. The
		// ladder records its steps on its own time: wait for both.
		stacktest.Eventually(t, "the escalation recorded", 30*time.Second, func() bool {
			told, _ := state(t, s, tenDays.ID)["told"].([]any)
			return len(told) == 3
		})
		p = mgr.Get("/board/items/" + tenDays.ID + "?owner_id=rep-ana")
		for _, want := range []string{"Who was told (3 messages)", "→ Ana (rep, north)", "→ the managers of team north", "not read yet"} {
			if !strings.Contains(p.Body, want) {
				t.Fatalf("the item page lacks %q:\n%s", want, p.Body)
			}
		}
		var mine string
		for _, n := range s.Call("GET", "/v1/notifications", stacktest.MgrMia, nil).JSON(t)["items"].([]any) {
			if m := n.(map[string]any); m["follow_up_id"] == tenDays.ID {
				mine = m["id"].(string)
			}
		}
		if r := s.Call("POST", "/v1/notifications/"+mine+"/read", stacktest.MgrMia, nil); r.Status != http.StatusNoContent {
			t.Fatalf("mark read: %d %s", r.Status, r.Body)
		}
		if p := mgr.Get("/board/items/" + tenDays.ID); !strings.Contains(p.Body, "read by Mia (manager, north) at") {
			t.Fatalf("the item page does not say Mia read the escalation:\n%s", p.Body)
		}
		if p := mgr.Get("/board/items/"+tenDays.ID, "HX-Request", "true", "HX-Target", "board-panel"); strings.Contains(p.Body, "<html") || !strings.Contains(p.Body, "<h2>"+tenDays.Title+"</h2>") {
			t.Fatalf("item panel:\n%s", p.Body)
		}
		if p := mgr.Get("/board/items/" + southItem.ID); p.Status != http.StatusNotFound || strings.Contains(p.Body, southItem.Title) {
			t.Fatalf("another team's item: %d\n%s", p.Status, p.Body)
		}
	})

	t.Run("cancel needs a reason", func(t *testing.T) {
		p := mgr.Post("/board/items/"+fiveDays.ID+"/cancel", url.Values{"reason": {"  "}}, "HX-Request", "true", "HX-Target", "board-panel")
		if p.Status != http.StatusUnprocessableEntity || !regexp.MustCompile(`(?s)id="cancel-reason"[^>]*aria-invalid="true" aria-describedby="cancel-reason-error".*?<span id="cancel-reason-error" class="field-error">Say why it is cancelled.</span>`).MatchString(p.Body) {
			t.Fatalf("empty reason: %d\n%s", p.Status, p.Body)
		}
		if st := state(t, s, fiveDays.ID)["state"]; st != "escalated" && st != "open" {
			t.Fatalf("an empty reason changed the follow-up to %v", st)
		}
		// Without htmx the form posts and returns to the board it came from.
		p = mgr.Post("/board/items/"+fiveDays.ID+"/cancel?owner_id=rep-cy", url.Values{"reason": {"the customer withdrew"}})
		if !strings.HasSuffix(p.URL, "/board?done=cancelled&owner_id=rep-cy") || !strings.Contains(p.Body, "The follow-up was cancelled and has left the board.") {
			t.Fatalf("cancel: %s\n%s", p.URL, p.Body)
		}
		lacks(t, p.Body, fiveDays.Title)
		if f := state(t, s, fiveDays.ID); f["state"] != "cancelled" || f["close_note"] != "the customer withdrew" || f["closed_by"] != stacktest.MgrMia {
			t.Fatalf("cancelled follow-up: %v", f)
		}
	})

	t.Run("complete removes it", func(t *testing.T) {
		p := mgr.Post("/board/items/"+twoHours.ID+"/complete", url.Values{"note": {"called, all settled"}}, "HX-Request", "true", "HX-Target", "board-panel")
		if p.Status != http.StatusOK || p.Header.Get("HX-Trigger") != "board-changed" || !strings.Contains(p.Body, "marked done and has left the board") {
			t.Fatalf("complete: %d %v\n%s", p.Status, p.Header, p.Body)
		}
		if f := state(t, s, twoHours.ID); f["state"] != "done" || f["close_note"] != "called, all settled" {
			t.Fatalf("completed follow-up: %v", f)
		}
		list := mgr.Get("/board/list", "HX-Request", "true")
		lacks(t, list.Body, twoHours.Title)
		if !strings.Contains(list.Body, twoDays.Title) {
			t.Fatalf("the list lost other items:\n%s", list.Body)
		}
		// Acting on a closed follow-up is refused in place, with the
		// service's reason.
		p = mgr.Post("/board/items/"+twoHours.ID+"/complete", nil, "HX-Request", "true", "HX-Target", "board-panel")
		if p.Status < 400 || p.Status >= 500 || !strings.Contains(p.Body, `class="problem"`) {
			t.Fatalf("completing twice: %d\n%s", p.Status, p.Body)
		}
	})

	t.Run("reassign: refusals next to the field, then it leaves the old owner's board", func(t *testing.T) {
		hx := []string{"HX-Request", "true", "HX-Target", "board-panel"}
		p := mgr.Post("/board/items/"+samples.ID+"/reassign", url.Values{"owner_id": {"rep-cy"}, "reason": {""}}, hx...)
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `aria-describedby="reassign-reason-error"`) {
			t.Fatalf("no reason: %d\n%s", p.Status, p.Body)
		}
		// A person of another team is not offered, and a forged choice is
		// refused next to the field.
		if p := mgr.Get("/board/items/"+samples.ID, hx...); !strings.Contains(p.Body, `<option value="rep-cy">`) || strings.Contains(p.Body, `<option value="rep-bo">`) {
			t.Fatalf("the owner choices:\n%s", p.Body)
		}
		p = mgr.Post("/board/items/"+samples.ID+"/reassign", url.Values{"owner_id": {"rep-bo"}, "reason": {"Ana is on leave"}}, hx...)
		if p.Status != http.StatusUnprocessableEntity || !regexp.MustCompile(`<span id="reassign-owner-error" class="field-error">[^<]+</span>`).MatchString(p.Body) {
			t.Fatalf("another team's rep: %d\n%s", p.Status, p.Body)
		}
		if f := state(t, s, samples.ID); f["owner_id"] != "rep-ana" {
			t.Fatalf("a refused reassignment moved the follow-up to %v", f["owner_id"])
		}
		p = mgr.Post("/board/items/"+samples.ID+"/reassign?owner_id=rep-ana", url.Values{"owner_id": {"rep-cy"}, "reason": {"Ana is on leave"}})
		if !strings.HasSuffix(p.URL, "/board?done=reassigned&owner_id=rep-ana") || !strings.Contains(p.Body, "The follow-up was reassigned.") {
			t.Fatalf("reassign: %s\n%s", p.URL, p.Body)
		}
		lacks(t, p.Body, samples.Title)
		if p := mgr.Get("/board?owner_id=rep-cy"); !strings.Contains(p.Body, samples.Title) {
			t.Fatalf("the new owner's board lacks it:\n%s", p.Body)
		}
		if f := state(t, s, samples.ID); f["owner_id"] != "rep-cy" || f["team"] != "north" {
			t.Fatalf("reassigned follow-up: %v", f)
		}
		if p := mgr.Get("/board/items/" + samples.ID); !strings.Contains(p.Body, "<strong>Reassigned</strong> · Mia (manager, north)") {
			t.Fatalf("the history lacks the reassignment:\n%s", p.Body)
		}
	})

	t.Run("reassigning a lead's first contact reassigns the lead", func(t *testing.T) {
		// The ladder only reminds, so the lead stays with its owner until
		// the manager acts.
		if r := s.Call("POST", "/v1/policies/lead.escalation_ladder/versions", stacktest.Analyst, map[string]any{"value": map[string]any{"ladder": map[string]any{
			"clock": "calendar", "steps": []map[string]any{{"after": "0m", "action": "remind"}}}}, "reason": "test: remind only"}); r.Status != http.StatusCreated {
			t.Fatalf("ladder: %d %s", r.Status, r.Body)
		}
		s.SalesCall(t, http.StatusCreated, "POST", "/v1/territories", stacktest.MgrMia, map[string]any{"name": "North steel", "region": "north",
			"industry": "steel", "team": "north", "strategy": "round_robin",
			"reps": []map[string]any{{"rep_id": "rep-ana", "capacity": 25}, {"rep_id": "rep-cy", "capacity": 25}}})
		lead := s.SalesCall(t, http.StatusCreated, "POST", "/v1/leads", stacktest.MgrMia, map[string]any{"source": "web",
			"company_name": fmt.Sprintf("Granite Lead %d", time.Now().UnixNano()), "region": "north", "industry": "steel",
			"received_at": time.Now().Add(-3 * 24 * time.Hour).UTC().Format(time.RFC3339), "import": true})
		leadID, from := lead["id"].(string), lead["owner_id"].(string)
		to := map[string]string{"rep-ana": "rep-cy", "rep-cy": "rep-ana"}[from]
		var fu string
		stacktest.Eventually(t, "the lead's overdue first contact", 60*time.Second, func() bool {
			r := s.Call("GET", "/v1/follow-ups/overdue?kind=first_contact", stacktest.MgrMia, nil)
			items, _ := r.JSON(t)["items"].([]any)
			for _, it := range items {
				if m := it.(map[string]any); m["workflow_id"] == "Lead:"+leadID {
					fu = m["id"].(string)
				}
			}
			return fu != ""
		})
		p := mgr.Get("/board?kind=first_contact")
		if !strings.Contains(p.Body, `id="fu-`+fu+`"`) || !strings.Contains(p.Body, `href="/leads/`+leadID+`"`) {
			t.Fatalf("the lead's follow-up on the board:\n%s", p.Body)
		}
		p = mgr.Post("/board/items/"+fu+"/reassign?kind=first_contact", url.Values{"owner_id": {to}, "reason": {"rebalance"}},
			"HX-Request", "true", "HX-Target", "board-panel")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, "The lead was reassigned") || p.Header.Get("HX-Trigger") != "board-changed" {
			t.Fatalf("reassign the lead: %d\n%s", p.Status, p.Body)
		}
		if l := s.SalesCall(t, http.StatusOK, "GET", "/v1/leads/"+leadID, stacktest.MgrMia, nil); l["owner_id"] != to {
			t.Fatalf("the lead's owner is %v, want %s", l["owner_id"], to)
		}
		stacktest.Eventually(t, "the old first contact closed", 30*time.Second, func() bool { return state(t, s, fu)["state"] == "cancelled" })
		lacks(t, mgr.Get("/board?kind=first_contact").Body, `id="fu-`+fu+`"`)
	})

	t.Run("a rep is refused with the reason", func(t *testing.T) {
		p := s.Client(t, stacktest.RepAna).Get("/board")
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "It is for: manager, administrator") || strings.Contains(p.Body, tenDays.Title) {
			t.Fatalf("rep: %d\n%s", p.Status, p.Body)
		}
	})

	t.Run("Chinese", func(t *testing.T) {
		p := mgr.Get("/board?group=lateness", "Accept-Language", "zh-CN,zh;q=0.9")
		if !strings.Contains(p.Body, "<h1>逾期看板</h1>") || !strings.Contains(p.Body, "超过 7 天") || !strings.Contains(p.Body, "逾期时长：超过 7 天 — 本页 1 条跟进") {
			t.Fatalf("the Chinese board:\n%s", p.Body)
		}
		lacks(t, p.Body, "board.", "Overdue board")
		p = mgr.Get("/board/items/"+tenDays.ID, "Accept-Language", "zh-CN")
		if !strings.Contains(p.Body, "取消此跟进") {
			t.Fatalf("the Chinese item page:\n%s", p.Body)
		}
		lacks(t, p.Body, "board.")
	})

	t.Run("in a browser", func(t *testing.T) { browse(t, s, twoDays, tenDays) })
}
