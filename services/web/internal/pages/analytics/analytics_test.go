package analytics_test

import (
	"fmt"
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

var tfootRE = regexp.MustCompile(`(?s)<tfoot>(.*?)</tfoot>`)

// footer is the numbers of a team table's total row, "closed/on time/share/done/cancelled".
func footers(body string) []string {
	var out []string
	cell := regexp.MustCompile(`<td class="num"[^>]*>([^<]*)</td>`)
	for _, m := range tfootRE.FindAllStringSubmatch(body, -1) {
		var cells []string
		for _, c := range cell.FindAllStringSubmatch(m[1], -1) {
			cells = append(cells, c[1])
		}
		out = append(out, strings.Join(cells, "/"))
	}
	return out
}

// TestAnalyticsPage: the follow-ups closed on time per team in the last 12
// weeks (or months) show for a manager's team and nothing of another team;
// analysts and admins see every team; a refused team filter is shown next
// to the field; a rep is refused with the reason; the page reads in
// Chinese; then the browser checks.
func TestAnalyticsPage(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	db := s.FollowUp.Deps().DB
	now := time.Now()
	day := 24 * time.Hour
	// North (mgr-mia): three closed in the last 12 weeks, two on time (one of
	// them cancelled); one more 100 days ago, on time (in the 12 months only).
	closed(t, db, 1, "north", stacktest.RepAna, "done", now.Add(-time.Hour), now)
	closed(t, db, 2, "north", stacktest.RepAna, "done", now.Add(-2*time.Hour), now.Add(-3*time.Hour))
	closed(t, db, 3, "north", "rep-cy", "cancelled", now.Add(-21*day), now.Add(-20*day))
	closed(t, db, 4, "north", stacktest.RepAna, "done", now.Add(-100*day), now.Add(-99*day))
	// South (mgr-max): five, all on time.
	for i := range 5 {
		closed(t, db, 10+i, "south", stacktest.RepBo, "done", now.Add(-time.Duration(i+1)*7*day), now.Add(-time.Duration(i+1)*7*day+time.Hour))
	}
	// Open: not counted.
	closed(t, db, 20, "north", stacktest.RepAna, "open", now, now)
	if err := db.Exec(`UPDATE follow_ups SET closed_at = NULL, closed_by = NULL WHERE state = 'open'`).Error; err != nil {
		t.Fatal(err)
	}

	mia := s.Client(t, stacktest.MgrMia)
	t.Run("manager sees her team only", func(t *testing.T) {
		p := mia.Get("/analytics")
		if p.Status != 200 {
			t.Fatalf("%d\n%s", p.Status, p.Body)
		}
		if !strings.Contains(p.Body, "Team north") || strings.Contains(p.Body, "Team south") || strings.Contains(p.Body, "south") {
			t.Fatalf("the north manager's page names south or lacks north:\n%s", p.Body)
		}
		if got := footers(p.Body); len(got) != 1 || got[0] != "3/2/66.7%/2/1" {
			t.Fatalf("north's total over 12 weeks: %v", got)
		}
		if !strings.Contains(p.Body, "Team north closed 3 follow-ups in these 12 weeks, 2 of them on time (66.7%)") {
			t.Fatalf("the chart's description:\n%s", p.Body)
		}
		if strings.Count(p.Body, `<tr>`) < 12 || !strings.Contains(p.Body, `role="img"`) || strings.Count(p.Body, `<circle class="dot"`) != 2 {
			t.Fatalf("no chart or not twelve weeks:\n%s", p.Body[strings.Index(p.Body, "<main"):])
		}
		m := mia.Get("/analytics?bucket=month")
		if got := footers(m.Body); len(got) != 1 || got[0] != "4/3/75.0%/3/1" || !strings.Contains(m.Body, "12 months") {
			t.Fatalf("north's total over 12 months: %v", got)
		}
		// Asking for the other team shows nothing of it.
		if p := mia.Get("/analytics?team=south"); p.Status != 200 || strings.Contains(p.Body, "Team south") || len(footers(p.Body)) != 0 ||
			!strings.Contains(p.Body, "No follow-up of your teams was closed in these periods.") {
			t.Fatalf("north's manager asking for south (%d):\n%s", p.Status, p.Body)
		}
		// The filter's htmx answer is the page's body only.
		h := mia.Get("/analytics?bucket=month", "HX-Request", "true", "HX-Target", "analytics-body")
		if h.Status != 200 || strings.Contains(h.Body, "<html") || !strings.HasPrefix(strings.TrimSpace(h.Body), `<div id="analytics-body"`) {
			t.Fatalf("the htmx answer (%d):\n%s", h.Status, h.Body)
		}
	})

	t.Run("analyst sees every team", func(t *testing.T) {
		p := s.Client(t, stacktest.Analyst).Get("/analytics")
		if got := footers(p.Body); p.Status != 200 || len(got) != 2 || got[0] != "3/2/66.7%/2/1" || got[1] != "5/5/100.0%/5/0" {
			t.Fatalf("the analyst's totals (%d): %v", p.Status, got)
		}
		max := s.Client(t, "mgr-max").Get("/analytics")
		if got := footers(max.Body); len(got) != 1 || got[0] != "5/5/100.0%/5/0" || strings.Contains(max.Body, "Team north") {
			t.Fatalf("the south manager's totals: %v", got)
		}
	})

	t.Run("a refused team is shown next to the field", func(t *testing.T) {
		p := s.Client(t, stacktest.Admin).Get("/analytics?team=north,south")
		if p.Status != 422 || !strings.Contains(p.Body, `id="f-team-error"`) || !strings.Contains(p.Body, `aria-invalid="true"`) || !strings.Contains(p.Body, `class="problem"`) {
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
		if p.Status != 200 || !strings.Contains(p.Body, "按时关闭的跟进事项") || !strings.Contains(p.Body, "团队 north 在这 12 周内关闭了 3 项跟进") {
			t.Fatalf("the Chinese page:\n%s", p.Body)
		}
		if strings.Contains(p.Body, "analytics.") {
			t.Fatalf("a message id shows untranslated:\n%s", p.Body)
		}
	})
}
