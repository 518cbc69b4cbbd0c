package analytics_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// closed writes one closed follow-up into the follow-up service's database
// (the page only reads them), as the board's scale test does.
func closed(t *testing.T, db *gorm.DB, n int, team, owner, state string, closedAt, due time.Time) {
	t.Helper()
	id := fmt.Sprintf("0190c000-0000-7000-8000-%012d", n)
	if err := db.Exec(`INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, title, state, anchor_at, due_at,
			workflow_id, opened_by, created_at, updated_at, closed_at, closed_by)
		VALUES (?, 'callback', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test', ?, ?, ?, 'test')`,
		id, fmt.Sprintf("0190c000-0000-7000-9000-%012d", n), owner, team, team, "analytics "+id, state,
		due.Add(-48*time.Hour).UTC(), due.UTC(), "followup:"+id, closedAt.Add(-72*time.Hour).UTC(), closedAt.UTC(), closedAt.UTC()).Error; err != nil {
		t.Fatal(err)
	}
}

// seedFollowUps: north closed three follow-ups in the last 12 weeks, two
// on time (one of them cancelled), and one more 100 days ago, on time (in
// the 12 months only); south five, all on time; one open one is not
// counted.
func seedFollowUps(t *testing.T, s *webtest.Stack) {
	db := s.FollowUp.Deps().DB
	now, day := time.Now(), 24*time.Hour
	closed(t, db, 1, "north", stacktest.RepAna, "done", now.Add(-time.Hour), now)
	closed(t, db, 2, "north", stacktest.RepAna, "done", now.Add(-2*time.Hour), now.Add(-3*time.Hour))
	closed(t, db, 3, "north", "rep-cy", "cancelled", now.Add(-21*day), now.Add(-20*day))
	closed(t, db, 4, "north", stacktest.RepAna, "done", now.Add(-100*day), now.Add(-99*day))
	for i := range 5 {
		closed(t, db, 10+i, "south", stacktest.RepBo, "done", now.Add(-time.Duration(i+1)*7*day), now.Add(-time.Duration(i+1)*7*day+time.Hour))
	}
	closed(t, db, 20, "north", stacktest.RepAna, "open", now, now)
	if err := db.Exec(`UPDATE follow_ups SET closed_at = NULL, closed_by = NULL WHERE state = 'open'`).Error; err != nil {
		t.Fatal(err)
	}
}

// seedCustomers makes eight customers through the customer API, logs care
// calls on some, runs the ABC classification (analyst) and waits for the
// care sweep it starts. Value scores (= revenue) rank company-wide s1 900k,
// n1 600k, n2 300k (A: under 80 % above them), s2 100k (B), n3 60k, n4 30k,
// n5 10k, n6 0 (C). North (rep-ana): n1 transacting, called 2 days ago;
// n2 service, never called; n3 transacting, called 20 days ago; n4 service,
// 25 days ago; n5 prospect; n6 lead. South (rep-bo): s1 transacting, called
// today; s2 service, never. Default cadences: A 30 days, B 60, C 120.
func seedCustomers(t *testing.T, s *webtest.Stack) {
	now, day := time.Now(), 24*time.Hour
	for _, c := range []struct {
		user, name, stage, rel string
		revenue                float64
		called                 time.Duration // ago; -1: never
	}{
		{stacktest.RepAna, "n1", "transacting", "stability", 600_000, 2 * day},
		{stacktest.RepAna, "n2", "service", "formation", 300_000, -1},
		{stacktest.RepAna, "n3", "transacting", "stability", 60_000, 20 * day},
		{stacktest.RepAna, "n4", "service", "decline", 30_000, 25 * day},
		{stacktest.RepAna, "n5", "prospect", "exploration", 10_000, -1},
		{stacktest.RepAna, "n6", "lead", "", 0, -1},
		{stacktest.RepBo, "s1", "transacting", "stability", 900_000, 0},
		{stacktest.RepBo, "s2", "service", "", 100_000, -1},
	} {
		team := "north"
		if c.user == stacktest.RepBo {
			team = "south"
		}
		body := stacktest.Company(map[string]any{"name": "Analytics " + c.name, "lifecycle_stage": c.stage, "annual_revenue": c.revenue,
			"owner_id": c.user, "team": team})
		if c.rel != "" {
			body["relationship_stage"] = c.rel
		}
		id := s.Create(stacktest.Admin, body) // reps create only leads and prospects
		if c.called < 0 {
			continue
		}
		r := s.Call("POST", "/v1/actions", c.user, map[string]any{"kind": "log", "category": "phone_call", "department": "sales",
			"title": "Care call", "summary": "Checked how they are doing", "customer_ids": []string{id},
			"done_at": now.Add(-c.called).UTC().Format(time.RFC3339)})
		if r.Status != http.StatusCreated {
			t.Fatalf("log a call on %s: %d %s", c.name, r.Status, r.Body)
		}
	}
	r := s.Call("POST", "/v1/abc/reclassifications", stacktest.Analyst, map[string]any{"reason": "analytics test"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("reclassify: %d %s", r.Status, r.Body)
	}
	wf, _ := r.JSON(t)["workflow_id"].(string)
	stacktest.Eventually(t, "the ABC classification", 90*time.Second, func() bool {
		st, _ := s.Call("GET", "/v1/abc/reclassifications/"+wf, stacktest.Analyst, nil).JSON(t)["status"].(string)
		if st == "failed" || st == "terminated" || st == "timed_out" {
			t.Fatalf("the classification ended %s", st)
		}
		return st == "completed"
	})
	// The classification changed classes, so it started a care sweep; its
	// terms make the cadences known.
	stacktest.Eventually(t, "the care sweep's terms", 90*time.Second, func() bool {
		return s.Call("GET", "/v1/analytics/care-coverage", stacktest.Admin, nil).JSON(t)["terms_as_of"] != nil
	})
}

var (
	tableRE = regexp.MustCompile(`(?s)<table[^>]*>\s*<caption>([^<]*)</caption>(.*?)</table>`)
	rowRE   = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE  = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	tagRE   = regexp.MustCompile(`<[^>]+>`)
)

// tables reads the page's tables: caption → body and footer rows, each
// "cell|cell|…" as text.
func tables(body string) map[string][]string {
	out := map[string][]string{}
	for _, tm := range tableRE.FindAllStringSubmatch(body, -1) {
		rest := tm[2]
		if i := strings.Index(rest, "</thead>"); i >= 0 {
			rest = rest[i:]
		}
		var rows []string
		for _, rm := range rowRE.FindAllStringSubmatch(rest, -1) {
			var cells []string
			for _, cm := range cellRE.FindAllStringSubmatch(rm[1], -1) {
				cells = append(cells, strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(cm[1], " "))), " "))
			}
			rows = append(rows, strings.Join(cells, "|"))
		}
		out[html.UnescapeString(tm[1])] = rows
	}
	return out
}

func last(rows []string) string {
	if len(rows) == 0 {
		return ""
	}
	return rows[len(rows)-1]
}

// TestAnalyticsPage: on the Temporal stack (the ABC classification and
// the care sweep it starts are workflows) a manager's page shows her team's
// customers per class with the Pareto chart, per lifecycle and relationship
// stage, the care coverage per class, and the follow-ups closed on time per
// week or month — and nothing of another team; analysts see every team; a
// refused team filter is shown next to the field; a rep is refused with the
// reason; the page reads in Chinese; then the browser checks.
func TestAnalyticsPage(t *testing.T) {
	s := webtest.New(t, webtest.Opts{})
	seedFollowUps(t, s)
	seedCustomers(t, s)

	mia := s.Client(t, stacktest.MgrMia)
	t.Run("manager sees her team only", func(t *testing.T) {
		p := mia.Get("/analytics")
		if p.Status != 200 {
			t.Fatalf("%d\n%s", p.Status, p.Body)
		}
		tb := tables(p.Body)
		for caption, want := range map[string][]string{
			"Customers and value per ABC class": {"A — keep close|2|33.3%|900,000|90.0%", "B — strengthen contact|0|0.0%|0|0.0%",
				"C — maintain contact|4|66.7%|100,000|10.0%", "Not classified yet|0|0.0%|0|0.0%"},
			"Customers per lifecycle stage":    {"Lead|1|16.7%", "Prospect|1|16.7%", "Transacting|2|33.3%", "In service|2|33.3%", "Lost|0|0.0%"},
			"Customers per relationship stage": {"Exploration|1|16.7%", "Formation|1|16.7%", "Stability|2|33.3%", "Decline|1|16.7%", "Not set|1|16.7%"},
			"Care coverage per ABC class": {"A — keep close|every 30d (calendar time)|2|1|1|50.0%", "B — strengthen contact|every 60d (calendar time)|0|0|0|—",
				"C — maintain contact|every 120d (calendar time)|2|2|0|100.0%", "Total|—|4|3|1|75.0%"},
		} {
			if got := strings.Join(tb[caption], "\n"); got != strings.Join(want, "\n") {
				t.Errorf("%s:\n%s\nwant\n%s", caption, got, strings.Join(want, "\n"))
			}
		}
		pareto := tb["The most valuable customers and the value they bring"]
		if len(pareto) != 6 || pareto[0] != "1|16.7%|600,000|60.0%" || pareto[1] != "2|33.3%|900,000|90.0%" || pareto[5] != "6|100.0%|1,000,000|100.0%" {
			t.Errorf("the Pareto table:\n%s", strings.Join(pareto, "\n"))
		}
		for _, want := range []string{
			"6 customers in this scope, with a total value of 1,000,000",
			"The most valuable 27.8% of the customers bring 80 % of the value",
			`<polyline class="line"`, `class="ref"`,
			"4 customers in care, 3 contacted within their cadence (75.0%)",
		} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		// Follow-ups: north only.
		if !strings.Contains(p.Body, "Team north") || strings.Contains(p.Body, "Team south") || strings.Contains(p.Body, "south") {
			t.Fatalf("the north manager's page names south or lacks north:\n%s", p.Body)
		}
		ontime := tb["Team north: follow-ups closed per period"]
		if len(ontime) != 13 || last(ontime) != "Total|3|2|66.7%|2|1" {
			t.Fatalf("north's 12 weeks and total:\n%s", strings.Join(ontime, "\n"))
		}
		if !strings.Contains(p.Body, "Team north closed 3 follow-ups in these 12 weeks, 2 of them on time (66.7%)") || strings.Count(p.Body, `<circle class="dot"`) < 3 {
			t.Fatalf("the on-time chart's description or share marks:\n%s", p.Body)
		}
		m := mia.Get("/analytics?bucket=month")
		if got := last(tables(m.Body)["Team north: follow-ups closed per period"]); got != "Total|4|3|75.0%|3|1" || !strings.Contains(m.Body, "12 months") {
			t.Fatalf("north's total over 12 months: %s", got)
		}
		// Asking for the other team shows nothing of it.
		o := mia.Get("/analytics?team=south")
		if o.Status != 200 || strings.Contains(o.Body, "Team south") || strings.Contains(o.Body, "per period") ||
			!strings.Contains(o.Body, "No follow-up of your teams was closed in these periods.") ||
			!strings.Contains(o.Body, "No customers in this scope.") || !strings.Contains(o.Body, "No customer in this scope has a value yet.") {
			t.Fatalf("north's manager asking for south (%d):\n%s", o.Status, o.Body)
		}
		// The filter's htmx answer is the page's body only.
		h := mia.Get("/analytics?bucket=month", "HX-Request", "true", "HX-Target", "analytics-body")
		if h.Status != 200 || strings.Contains(h.Body, "<html") || !strings.HasPrefix(strings.TrimSpace(h.Body), `<div id="analytics-body"`) {
			t.Fatalf("the htmx answer (%d):\n%s", h.Status, h.Body)
		}
	})

	t.Run("other scopes", func(t *testing.T) {
		max := s.Client(t, "mgr-max").Get("/analytics")
		tb := tables(max.Body)
		if got := last(tb["Care coverage per ABC class"]); got != "Total|—|2|1|1|50.0%" || strings.Contains(max.Body, "Team north") ||
			last(tb["Team south: follow-ups closed per period"]) != "Total|5|5|100.0%|5|0" || !strings.Contains(max.Body, "2 customers in this scope") {
			t.Fatalf("the south manager's page: coverage %q\n%s", got, max.Body)
		}
		an := s.Client(t, stacktest.Analyst).Get("/analytics")
		tb = tables(an.Body)
		if an.Status != 200 || last(tb["Team north: follow-ups closed per period"]) != "Total|3|2|66.7%|2|1" ||
			last(tb["Team south: follow-ups closed per period"]) != "Total|5|5|100.0%|5|0" || !strings.Contains(an.Body, "8 customers in this scope") ||
			last(tb["Care coverage per ABC class"]) != "Total|—|6|4|2|66.7%" {
			t.Fatalf("the analyst's page (%d):\n%s", an.Status, an.Body)
		}
		// An analyst narrows to a team.
		if p := s.Client(t, stacktest.Analyst).Get("/analytics?team=south"); !strings.Contains(p.Body, "2 customers in this scope") || strings.Contains(p.Body, "Team north") {
			t.Fatalf("the analyst's south:\n%s", p.Body)
		}
	})

	t.Run("a refused team is shown next to the field", func(t *testing.T) {
		p := s.Client(t, stacktest.Admin).Get("/analytics?team=north,south")
		if p.Status != 422 || !strings.Contains(p.Body, `id="f-team-error"`) || !strings.Contains(p.Body, `aria-invalid="true"`) || strings.Count(p.Body, `class="problem"`) != 1 {
			t.Fatalf("a bad team (%d):\n%s", p.Status, p.Body)
		}
	})

	t.Run("a rep is refused with the reason", func(t *testing.T) {
		p := s.Client(t, stacktest.RepAna).Get("/analytics")
		if p.Status != 403 || !strings.Contains(p.Body, "This page is not for your role") || !strings.Contains(p.Body, "manager, analyst, administrator") {
			t.Fatalf("the rep (%d):\n%s", p.Status, p.Body)
		}
	})

	t.Run("Chinese", func(t *testing.T) {
		p := mia.Get("/analytics", "Accept-Language", "zh-CN,zh;q=0.9")
		for _, want := range []string{"按时关闭的跟进事项", "团队 north 在这 12 周内关闭了 3 项跟进", "价值最高的 27.8% 客户带来了 80% 的价值", "客户关怀覆盖率", "稳定期"} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("the Chinese page lacks %q", want)
			}
		}
		if p.Status != 200 || strings.Contains(p.Body, "analytics.") {
			t.Fatalf("the Chinese page (%d) shows a message id untranslated:\n%s", p.Status, p.Body)
		}
	})

	t.Run("browser", func(t *testing.T) { browserChecks(t, s) })
}
