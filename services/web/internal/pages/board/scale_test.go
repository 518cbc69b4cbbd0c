package board_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

var rowRE = regexp.MustCompile(`<tr id="fu-([^"]+)">`)

// With 50,000 open overdue follow-ups the board reads one page of 50 and
// the service's counts, never the whole set: a page and each polled part
// answer in milliseconds, the next page follows the cursor, and the counts
// cover everything. The rows are written into the follow-up service's
// database directly (the board only reads them), as BenchmarkOverdueQuery
// does; timings are logged.
func TestBoardAt50000OpenFollowUps(t *testing.T) {
	const open = 50_000
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	seedScale(t, s, open)

	admin := s.Client(t, stacktest.Admin)
	timed := func(what string, n int, fn func() webtest.Page) webtest.Page {
		var p webtest.Page
		var ds []time.Duration
		for range n {
			start := time.Now()
			p = fn()
			ds = append(ds, time.Since(start))
			if p.Status != 200 {
				t.Fatalf("%s: %d\n%s", what, p.Status, p.Body)
			}
		}
		t.Logf("%-32s p50 %6.1f ms  max %6.1f ms  (%d requests)", what, stacktest.Ms(stacktest.Percentile(ds, .5)), stacktest.Ms(stacktest.Percentile(ds, 1)), n)
		return p
	}
	first := timed("board, admin (all 50,000)", 20, func() webtest.Page { return admin.Get("/board") })
	rows := rowRE.FindAllStringSubmatch(first.Body, -1)
	if len(rows) != 50 || total(t, first.Body) != "50,000" || !strings.Contains(first.Body, "and 175 more owners") {
		t.Fatalf("the first page has %d rows and total %s", len(rows), total(t, first.Body))
	}
	next := regexp.MustCompile(`<a href="(/board\?cursor=[^"]+)">Next page</a>`).FindStringSubmatch(first.Body)
	if next == nil {
		t.Fatal("no next page")
	}
	second := timed("board, admin, page 2", 20, func() webtest.Page { return admin.Get(html.UnescapeString(next[1])) })
	rows2 := rowRE.FindAllStringSubmatch(second.Body, -1)
	if len(rows2) != 50 || rows2[0][1] == rows[0][1] || rows2[0][1] == rows[49][1] {
		t.Fatalf("the second page is not the next 50 (%d rows)", len(rows2))
	}
	timed("list part, admin", 20, func() webtest.Page { return admin.Get("/board/list", "HX-Request", "true") })
	timed("counts part, admin", 20, func() webtest.Page { return admin.Get("/board/counts", "HX-Request", "true") })
	timed("board, admin, owner + lateness", 20, func() webtest.Page { return admin.Get("/board?owner_id=owner-042&lateness=over_7d") })

	mgr := s.Client(t, stacktest.MgrMia)
	p := timed("board, manager (north: 2,500)", 20, func() webtest.Page { return mgr.Get("/board?group=owner") })
	if total(t, p.Body) != "2,500" || len(rowRE.FindAllString(p.Body, -1)) != 50 {
		t.Fatalf("the manager's board: total %s", total(t, p.Body))
	}
}

// seedScale writes n open overdue follow-ups into the follow-up service's
// database: 20 teams (every 20th is "north", mgr-mia's), 200 owners,
// 5 territories, six kinds, overdue by 1 minute to 2,000 hours, every
// tenth escalated.
func seedScale(t testing.TB, s *webtest.Stack, open int) {
	t.Helper()
	gdb := s.FollowUp.Deps().DB
	t0 := time.Now()
	err := gdb.Exec(`INSERT INTO follow_ups (id, kind, customer_id, owner_id, team, territory, title, state, anchor_at, due_at,
			escalation_level, last_action, policy, policy_version, escalation_policy, escalation_policy_version, calendar, calendar_version,
			workflow_id, opened_by, created_at, updated_at)
		SELECT md5(n::text)::uuid::text,
			(ARRAY['first_contact','visit_log','care_contact','service_response','slip_ack','callback'])[1 + n % 6],
			md5('c' || (n % 9000)::text)::uuid::text,
			'owner-' || lpad((n % 200)::text, 3, '0'),
			CASE WHEN n % 20 = 0 THEN 'north' ELSE 'team-' || lpad((n % 20)::text, 2, '0') END,
			(ARRAY['north','south','east','west','central'])[1 + (n / 7) % 5],
			'scale follow-up ' || n,
			CASE WHEN n % 10 = 0 THEN 'escalated' ELSE 'open' END,
			now() - make_interval(hours => 1 + n % 2000),
			now() - make_interval(mins => 1 + n % 120000),
			CASE WHEN n % 10 = 0 THEN 2 ELSE 0 END, '',
			'followup.callback_deadline', 1, 'followup.callback_escalation_ladder', 1, 'standard', 1,
			'followup:' || md5(n::text)::uuid::text, 'test', now(), now()
		FROM generate_series(1, ?) AS n`, open).Error
	if err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec("ANALYZE follow_ups").Error; err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d open overdue follow-ups in %s", open, time.Since(t0).Round(time.Millisecond))

}
