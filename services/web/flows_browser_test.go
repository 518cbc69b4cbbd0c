package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
	wffollowup "github.com/closeloop/closeloop/workflows/followup"
)

// The two flows that cross pages, in Chromium against the whole stack
// (services, worker, Temporal, PostgreSQL):
//
//   - the manager reassigns an overdue follow-up from the board and it
//     leaves the old owner's board;
//   - the analyst shortens the call-back SLA, reads the dry run's impact,
//     saves it, and the manager's board shows the call-back it made overdue.
func TestBrowserBoardAndPolicyFlows(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	cust := s.Create("rep-ana", stacktest.Company(map[string]any{"name": "Hefei Valve Works"}))
	start := func(title string, anchor time.Time, due *time.Time) string {
		t.Helper()
		spec := &followupv1.FollowUpSpec{Id: uuid.NewString(), Kind: "callback", CustomerId: cust, OwnerId: "rep-ana",
			Team: "north", Territory: "north", Title: title, AnchorAt: timestamppb.New(anchor), OpenedBy: "test"}
		if due != nil {
			spec.DueAt = timestamppb.New(*due)
		}
		if err := wffollowup.Start(context.Background(), s.FollowUp.Deps().Temporal, spec); err != nil {
			t.Fatal(err)
		}
		return spec.Id
	}
	followUp := func(id string) map[string]any {
		t.Helper()
		r := s.Call("GET", "/v1/follow-ups/"+id, stacktest.Admin, nil)
		if r.Status != http.StatusOK {
			return nil
		}
		return r.JSON(t)
	}
	overdue := func(id string) bool {
		for _, it := range listItems(t, s.Call("GET", "/v1/follow-ups/overdue?team=north", stacktest.Admin, nil)) {
			if it["id"] == id {
				return true
			}
		}
		return false
	}

	// Overdue by two hours, with its due time chosen by a person.
	late := time.Now().Add(-2 * time.Hour)
	lateID := start("call back about the valve order", late.Add(-time.Hour), &late)
	// Opened two hours ago under the default SLA (8 business hours): not
	// overdue whatever the hour — unless the SLA shrinks to 30 wall-clock
	// minutes.
	soonID := start("call back about the spare seals", time.Now().Add(-2*time.Hour), nil)
	stacktest.Eventually(t, "the overdue call-back listed", 60*time.Second, func() bool { return overdue(lateID) })
	stacktest.Eventually(t, "the other call-back listed", 60*time.Second, func() bool { return followUp(soonID) != nil })
	if overdue(soonID) {
		t.Fatal("the call-back opened two hours ago is overdue under the default SLA")
	}

	b := s.Browser(t)
	mgr := b.SignIn("mgr-mia", "en")

	// Reassign: the item leaves rep-ana's board, and is on rep-cy's.
	mgr.Open("/board?owner_id=rep-ana")
	if list := mgr.Text("#board-list"); !strings.Contains(list, "call back about the valve order") {
		t.Fatalf("rep-ana's board lacks the overdue call-back:\n%s", list)
	}
	link := `#board-list a[href^="/board/items/` + lateID + `"]`
	waitBound(t, mgr, link)
	mgr.Do("open the overdue call-back",
		chromedp.Click(chromedp.CSS(link)),
		chromedp.WaitVisible(chromedp.CSS("#board-panel #reassign-owner")),
	)
	waitBound(t, mgr, `#board-panel form[action*="/reassign"]`)
	mgr.Do("reassign it to rep-cy",
		chromedp.SetValue(chromedp.CSS("#reassign-owner"), "rep-cy"),
		chromedp.SendKeys(chromedp.CSS("#reassign-reason"), "Ana is on leave this week"),
		chromedp.Click(chromedp.CSS(`#board-panel form[action*="/reassign"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#board-panel .notice")),
	)
	until(t, "the reassigned call-back leaves rep-ana's board", func() bool {
		return !strings.Contains(mgr.Text("#board-list"), "call back about the valve order")
	})
	if f := followUp(lateID); f["owner_id"] != "rep-cy" {
		t.Fatalf("the follow-up's owner after the reassignment: %v", f["owner_id"])
	}
	mgr.Open("/board?owner_id=rep-cy")
	if list := mgr.Text("#board-list"); !strings.Contains(list, "call back about the valve order") {
		t.Fatalf("rep-cy's board lacks the reassigned call-back:\n%s", list)
	}

	// The SLA: the board does not show the recent call-back yet.
	mgr.Open("/board")
	if strings.Contains(mgr.Text("#board-list"), "call back about the spare seals") {
		t.Fatal("the board shows a call-back that is not overdue")
	}
	ali := b.SignIn("analyst-ali", "en")
	ali.Open("/policies/followup.callback_deadline")
	ali.Do("shorten the SLA to 30 wall-clock minutes and preview it",
		chromedp.SetValue(chromedp.CSS("#ed-duration"), "30m"),
		chromedp.SetValue(chromedp.CSS("#ed-clock"), "calendar"),
		chromedp.SetValue(chromedp.CSS("#ed-reason"), "buyers expect a call back within half an hour"),
		chromedp.Click(chromedp.CSS(`button[formaction$="/preview"]`)),
		chromedp.WaitVisible(chromedp.CSS("#impact table.impact")),
	)
	impact := ali.Text("#impact")
	if !strings.Contains(impact, "north") || !strings.Contains(impact, "30 minutes") {
		t.Fatalf("the dry run's impact:\n%s", impact)
	}
	// The row of team north: its second number is "newly overdue".
	js := `(() => { const r = [...document.querySelectorAll("#impact tbody tr")].find(r => r.querySelector("th").textContent.trim() === "north"); return r ? r.querySelectorAll("td")[1].textContent.trim() : "no row"; })()`
	if n := webtest.Get(ali, "newly overdue in north", chromedp.Evaluate[string](js)); n != "1" {
		t.Fatalf("the impact counts %q call-backs of team north newly overdue, want 1:\n%s", n, impact)
	}
	ali.Do("save it now",
		chromedp.Click(chromedp.CSS(`button[name=when][value=now]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	// The rollout re-times the open call-backs; the manager's board, which
	// refreshes itself, shows the one now overdue without a reload.
	mgr.Open("/board")
	// Until the rollout has re-timed it the board may be empty, and then it
	// has no list at all (it says so instead): read whatever it shows.
	until(t, "the newly overdue call-back on the board", func() bool {
		shown := webtest.Get(mgr, "the board", chromedp.Evaluate[string](`(document.getElementById("board-list") || {textContent: ""}).textContent`))
		return strings.Contains(shown, "call back about the spare seals")
	})
	if !overdue(soonID) {
		t.Fatal("the board shows the call-back, but the follow-up service does not list it overdue")
	}
}

func listItems(t *testing.T, r stacktest.Response) []map[string]any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	raw, _ := r.JSON(t)["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// until polls cond for up to 90 s (a rollout or a board refresh takes
// seconds to tens of seconds on a busy machine).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitBound waits until htmx has bound the element sel: a click before
// that would follow a link as a page.
func waitBound(t *testing.T, tab *webtest.Tab, sel string) {
	t.Helper()
	js := `(function(){var e=document.querySelector(` + "`" + sel + "`" + `);return !!(e && e["htmx-internal-data"] && !document.querySelector(".htmx-settling, .htmx-request"));})()`
	until(t, "htmx to bind "+sel, func() bool { return webtest.Get(tab, "htmx bound "+sel, chromedp.Evaluate[bool](js)) })
}
