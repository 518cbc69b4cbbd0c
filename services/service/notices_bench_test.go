package service_test

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/testenv"
)

// BenchmarkUnreadNotices measures a reader's unread notices through the
// HTTP API on PostgreSQL with 10,000 notices (BENCH_NOTICES to change it),
// 1,000 readers in 10 teams of 100 and one receipt per notice and reader
// of its team: 1,000,000 receipts. Notices were published over the past
// 90 days; one in ten has ended, one in fifty is scheduled, one in a
// hundred revoked, one in a hundred pinned, one in ten must be
// acknowledged; each reader has read about 70% of theirs. The rows are
// generated in the database by multi-row INSERT … SELECT; every reader's
// receipts are complete (notice_reader_sync), as after their first list.
// Target (issue 17): the unread list's p95 < 20 ms. It also times the
// inbox, the unacknowledged box, and the first list of readers never
// synced (who get their missing receipts then). Skipped unless a
// PostgreSQL server answers. Run with
//
//	go test -run '^$' -bench BenchmarkUnreadNotices -benchtime 1x ./services/service/
func BenchmarkUnreadNotices(b *testing.B) {
	skipWithoutPostgres(b)
	total := 10_000
	if n, err := strconv.Atoi(os.Getenv("BENCH_NOTICES")); err == nil && n > 0 {
		total = n
	}
	const teams, perTeam = 10, 100
	for i := 0; i < b.N; i++ {
		s := newNoticeStack(b, testenv.Postgres)
		t0 := time.Now()
		rows := loadNotices(b, s.db, total, teams, perTeam)
		b.Logf("loaded %d notices and %d receipts of %d readers in %s", total, rows, teams*perTeam, time.Since(t0).Round(time.Millisecond))
		readers := make([]string, 0, teams*perTeam)
		for k := range teams * perTeam {
			p := auth.Principal{Subject: benchReader(k), Name: "Reader " + strconv.Itoa(k), Roles: []auth.Role{auth.RoleRep},
				Teams: []string{fmt.Sprintf("bench-team-%02d", k/perTeam)}}
			s.login(p)
			readers = append(readers, p.Subject)
		}
		explainUnread(b, s.db, readers[0])

		// Sanity: a reader's unread page is what the rows say.
		var want int64
		s.db.Raw(`SELECT COUNT(*) FROM notice_readers WHERE reader_id = ? AND read_at IS NULL AND revoked_at IS NULL
			AND valid_from <= now() AND valid_until > now()`, readers[0]).Scan(&want)
		page := s.must(http.StatusOK, "GET", "/v1/notices?box=unread", readers[0], nil)
		if got := len(page["items"].([]any)); int64(got) != min(want, 50) || want == 0 {
			b.Fatalf("the unread page has %d notices; the rows say %d", got, want)
		}

		var worst time.Duration
		for j, box := range []string{"unread", "inbox", "unacknowledged"} {
			lat := make([]time.Duration, 0, 2*len(readers))
			for k := range 2 * len(readers) {
				u := readers[(k*7)%len(readers)]
				start := time.Now()
				r := s.api("GET", "/v1/notices?box="+box, u, nil)
				lat = append(lat, time.Since(start))
				if r.status != http.StatusOK {
					b.Fatalf("%s of %s: %d %s", box, u, r.status, r.body)
				}
			}
			slices.Sort(lat)
			p50, p95, p99 := quantile(lat, 0.50), quantile(lat, 0.95), quantile(lat, 0.99)
			b.Logf("%-16s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  (%d requests)", box, millis(p50), millis(p95), millis(p99), len(lat))
			if j == 0 {
				b.ReportMetric(millis(p50), "p50_ms")
				b.ReportMetric(millis(p95), "p95_ms")
				b.ReportMetric(millis(p99), "p99_ms")
			}
			worst = max(worst, p95)
		}
		b.ReportMetric(millis(worst), "worst_p95_ms")

		// Readers never synced: their first list looks for the notices
		// published that address them and lack their receipt.
		cold := readers[:20]
		if err := s.db.Exec("DELETE FROM notice_reader_sync WHERE reader_id IN ?", cold).Error; err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, len(cold))
		for _, u := range cold {
			start := time.Now()
			if r := s.api("GET", "/v1/notices?box=unread", u, nil); r.status != http.StatusOK {
				b.Fatalf("%d %s", r.status, r.body)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		b.Logf("%-16s p50 %6.2f ms  p95 %6.2f ms  (first list of %d readers never synced)", "unread, cold", millis(quantile(lat, 0.5)), millis(quantile(lat, 0.95)), len(cold))
		b.ReportMetric(millis(quantile(lat, 0.95)), "cold_p95_ms")
	}
}

func benchReader(k int) string { return fmt.Sprintf("bench-r-%04d", k) }

// loadNotices generates the benchmark's notices and receipts in the
// database: notice n goes to team n % teams, published n/total of 90 days
// ago; its receipts are the team's readers'. It returns the receipts.
func loadNotices(b *testing.B, gdb *gorm.DB, total, teams, perTeam int) int64 {
	exec := func(sql string, args ...any) {
		b.Helper()
		if err := gdb.Exec(sql, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO notices (id, title, body, audience, valid_from, valid_until, pinned, must_acknowledge, ack_deadline, state,
			publisher_id, publisher_name, publisher_teams, created_at, updated_at, published_at, revoked_at, revoked_by, version)
		SELECT md5('notice' || n)::uuid::text, 'Bench notice ' || n, 'Body of bench notice ' || n,
			'{"teams":["bench-team-' || lpad((n % ?)::text, 2, '0') || '"]}',
			CASE WHEN n % 50 = 7 THEN now() + interval '2 days' ELSE p END,
			CASE WHEN n % 10 = 3 THEN p + interval '1 day' ELSE now() + interval '30 days' END,
			n % 100 = 11, n % 10 = 5, CASE WHEN n % 10 = 5 THEN now() + interval '10 days' END,
			CASE WHEN n % 100 = 13 THEN 'revoked' ELSE 'published' END,
			'admin-ada', 'Ada', '[]', p, p, p, CASE WHEN n % 100 = 13 THEN p + interval '1 hour' END,
			CASE WHEN n % 100 = 13 THEN 'admin-ada' ELSE '' END, 2
		FROM (SELECT n, now() - interval '90 days' + (n::float8 / ?) * interval '89 days' AS p FROM generate_series(1, ?) AS n) g`,
		teams, total, total)
	exec(`INSERT INTO notice_readers (notice_id, reader_id, reader_name, reader_teams, pinned, must_acknowledge, ack_deadline,
			valid_from, valid_until, published_at, revoked_at, added_at, read_at, acked_at)
		SELECT x.id, 'bench-r-' || lpad((team * ? + i)::text, 4, '0'), 'Reader ' || (team * ? + i), '["' || t || '"]',
			x.pinned, x.must_acknowledge, x.ack_deadline, x.valid_from, x.valid_until, x.published_at, x.revoked_at, x.published_at,
			CASE WHEN (h + i) % 10 < 7 THEN x.published_at + interval '1 hour' END,
			CASE WHEN x.must_acknowledge AND (h + i) % 10 < 5 THEN x.published_at + interval '1 hour' END
		FROM (SELECT n.*, n.audience::json -> 'teams' ->> 0 AS t, substr(n.audience::json -> 'teams' ->> 0, 12)::int AS team,
				('x' || substr(n.id, 1, 7))::bit(28)::int AS h FROM notices n) x
		CROSS JOIN generate_series(0, ? - 1) AS i`, perTeam, perTeam, perTeam)
	exec(`INSERT INTO notice_reader_sync (reader_id, synced_to, synced_at)
		SELECT DISTINCT reader_id, (SELECT MAX(published_at) FROM notices), now() FROM notice_readers`)
	exec("ANALYZE")
	var n int64
	gdb.Raw("SELECT COUNT(*) FROM notice_readers").Scan(&n)
	if n != int64(total*perTeam) {
		b.Fatalf("%d receipts loaded, want %d", n, total*perTeam)
	}
	return n
}

// explainUnread logs how PostgreSQL reads a reader's unread page.
func explainUnread(b *testing.B, gdb *gorm.DB, reader string) {
	var plan []string
	err := gdb.Raw(`EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM notice_readers WHERE reader_id = ? AND read_at IS NULL
		AND revoked_at IS NULL AND valid_from <= now() AND valid_until > now()
		ORDER BY pinned DESC, published_at DESC, notice_id DESC LIMIT 51`, reader).Scan(&plan).Error
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("the unread page's plan:\n  %s", strings.Join(plan, "\n  "))
}
