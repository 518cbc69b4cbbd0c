package service_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
)

// BenchmarkServiceReport measures the service report through the HTTP API
// on PostgreSQL over 1,000,000 closed cases (BENCH_CASES to change it) filed
// over the past year in 20 teams, 4 priorities and 5 types, each with its
// two SLA targets decided (one in ten breached), a third of them with an
// answered survey, and 20,000 open cases in the backlog. The rows are
// generated in the database (generate_series); the rollup is then counted
// by Rebuild, which is timed too. Target: the report's p95 < 200 ms. It also
// times RecordCaseFacts, the cost the rollup adds to a change of a case.
// Skipped unless a PostgreSQL server answers. Run with `make bench`.
func BenchmarkServiceReport(b *testing.B) {
	skipWithoutPostgres(b)
	total := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("BENCH_CASES")); err == nil && n > 0 {
		total = n
	}
	const open, teams = 20_000, 20
	for i := 0; i < b.N; i++ {
		s := newStack(b, testenv.Postgres)
		gdb := s.db
		t0 := time.Now()
		loadCases(b, gdb, total, open, teams)
		b.Logf("loaded %d closed and %d open cases, %d SLA rows and their surveys in %s", total, open, 2*(total+open), time.Since(t0).Round(time.Millisecond))

		t0 = time.Now()
		n, err := adapters.NewReports(gdb).Rebuild(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		rebuild := time.Since(t0)
		var cells int64
		gdb.Raw("SELECT COUNT(*) FROM report_weeks").Scan(&cells)
		b.Logf("rebuild counted %d cases into %d rollup rows in %s (%.0f cases/s)", n, cells, rebuild.Round(time.Millisecond), float64(n)/rebuild.Seconds())
		if err := gdb.Exec("ANALYZE").Error; err != nil {
			b.Fatal(err)
		}

		day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
		year := "from=" + day(-365) + "&to=" + day(0)
		quarter := "from=" + day(-84) + "&to=" + day(0)
		shapes := []struct{ name, user, query string }{
			{"SLA report, year, by team (admin)", admin, year},
			{"year, by week (admin)", admin, year + "&group=week"},
			{"year, by priority, repairs (admin)", admin, year + "&group=priority&type=repair"},
			{"year, one team (admin)", admin, year + "&team=team-07"},
			{"year, by week (manager)", svcSue, year + "&group=week"},
			{"quarter, by type (manager)", svcSue, quarter + "&group=type"},
		}
		const reqs = 200
		var worst time.Duration
		for j, sh := range shapes {
			check := s.serviceReport(sh.user, sh.query)
			if j == 0 && check.Total.Closed < int64(total)*9/10 {
				b.Fatalf("the year's report counts %d closed cases of %d", check.Total.Closed, total)
			}
			lat := make([]time.Duration, reqs)
			for k := range lat {
				start := time.Now()
				r := s.api("GET", "/v1/reports/service?"+sh.query, sh.user, nil)
				lat[k] = time.Since(start)
				if r.status != http.StatusOK {
					b.Fatalf("%s: %d %s", sh.name, r.status, r.body)
				}
			}
			slices.Sort(lat)
			p50, p95, p99 := quantile(lat, 0.50), quantile(lat, 0.95), quantile(lat, 0.99)
			b.Logf("%-36s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms", sh.name, millis(p50), millis(p95), millis(p99))
			if j == 0 {
				b.ReportMetric(millis(p50), "p50_ms")
				b.ReportMetric(millis(p95), "p95_ms")
				b.ReportMetric(millis(p99), "p99_ms")
			}
			worst = max(worst, p95)
		}
		b.ReportMetric(millis(worst), "worst_p95_ms")
		b.ReportMetric(rebuild.Seconds(), "rebuild_s")

		// What counting costs a change: an SLA row written and counted in
		// one transaction, on cases spread over the rollup.
		var ids []string
		gdb.Raw("SELECT id FROM cases WHERE state = 'closed' ORDER BY id LIMIT 300").Scan(&ids)
		lat := make([]time.Duration, 0, len(ids))
		for _, id := range ids {
			start := time.Now()
			err := gdb.Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("UPDATE case_sla SET used_ms = used_ms + 60000 WHERE case_id = ? AND target = 'resolution'", id).Error; err != nil {
					return err
				}
				return adapters.RecordCaseFacts(tx, id)
			})
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		b.Logf("%-36s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms", "SLA row written and counted", millis(quantile(lat, 0.5)), millis(quantile(lat, 0.95)), millis(quantile(lat, 0.99)))
		b.ReportMetric(millis(quantile(lat, 0.95)), "record_p95_ms")
	}
}

// loadCases generates the benchmark's cases in the database: total closed
// ones created evenly over the year before the last 15 days, each closed
// 1 to 300 hours later, and open ones created over the last 60 days; team
// n%teams (team 0 is "service", Sue's), priority (n/20)%4 and type (n/80)%5,
// so that every week has every team, priority and type.
func loadCases(b *testing.B, gdb *gorm.DB, total, open, teams int) {
	exec := func(sql string, args ...any) {
		b.Helper()
		if err := gdb.Exec(sql, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	exec(`INSERT INTO cases (id, customer_id, type, priority, channel, subject, state, team, created_by, created_at, updated_at,
			first_response_at, resolved_at, closed_at)
		SELECT md5(n::text)::uuid::text, md5('c' || (n % 50000)::text)::uuid::text,
			(ARRAY['request','complaint','repair','consultation','returns'])[1 + (n / 80) % 5],
			'P' || (1 + (n / 20) % 4), 'phone', 'bench case', 'closed',
			CASE WHEN n % ? = 0 THEN 'service' ELSE 'team-' || lpad((n % ?)::text, 2, '0') END, 'bench',
			c, c, c + interval '1 hour', c + make_interval(hours => 1 + n % 300), c + make_interval(hours => 1 + n % 300)
		FROM (SELECT n, now() - interval '380 days' + (n::float8 / ?) * interval '365 days' AS c FROM generate_series(1, ?) AS n) g`,
		teams, teams, total, total)
	exec(`INSERT INTO cases (id, customer_id, type, priority, channel, subject, state, team, created_by, created_at, updated_at)
		SELECT md5('open' || n::text)::uuid::text, md5('c' || (n % 50000)::text)::uuid::text,
			(ARRAY['request','complaint','repair','consultation','returns'])[1 + (n / 80) % 5],
			'P' || (1 + (n / 20) % 4), 'phone', 'bench case', (ARRAY['new','open','pending_customer','pending_internal'])[1 + n % 4],
			CASE WHEN n % ? = 0 THEN 'service' ELSE 'team-' || lpad((n % ?)::text, 2, '0') END, 'bench',
			now() - make_interval(mins => n % 86400), now() - make_interval(mins => n % 86400)
		FROM generate_series(1, ?) AS n`, teams, teams, open)
	// Both targets of every closed case decided: first response after 1
	// minute to about 2^12, resolution after 1 to about 460 hours of
	// business time; one in ten breached (and met later).
	for _, t := range []struct {
		target, used string
	}{
		{"first_response", "(60000 * power(2, (n % 97) / 8.0))::bigint"},
		{"resolution", "(3600000 * power(2, (n % 89) / 10.0))::bigint"},
	} {
		exec(`INSERT INTO case_sla (case_id, target, state, due_at, met_at, breached_at, used_ms, priority, budget_ms, updated_at)
			SELECT id, ?, CASE WHEN k % 10 = 0 THEN 'breached' ELSE 'met' END, created_at + interval '4 hours',
				created_at + make_interval(secs => (`+t.used+`) / 1000.0),
				CASE WHEN k % 10 = 0 THEN created_at + interval '4 hours' END,
				`+t.used+`, priority, 14400000, now()
			FROM (SELECT id, created_at, priority, ('x' || substr(id, 1, 7))::bit(28)::int AS k, ('x' || substr(id, 10, 4))::bit(16)::int AS n
				FROM cases WHERE state = 'closed') c`, t.target)
	}
	surveysTable(b, gdb)
	exec(`INSERT INTO case_surveys (id, case_id, customer_id, team, priority, type, token_hash, delivery, delivery_state,
			closed_at, sent_at, expires_at, answered_at, csat, nps)
		SELECT md5('s' || id)::uuid::text, id, customer_id, team, priority, type, md5(id), 'email', 'sent',
			closed_at, closed_at, closed_at + interval '30 days', closed_at + interval '1 day', 1 + k % 5, k % 11
		FROM (SELECT *, ('x' || substr(id, 1, 7))::bit(28)::int AS k FROM cases WHERE state = 'closed') c WHERE k % 3 = 0`)
	var n int64
	gdb.Raw("SELECT COUNT(*) FROM cases WHERE state = 'closed'").Scan(&n)
	if n != int64(total) {
		b.Fatalf("%d closed cases loaded, want %d", n, total)
	}
}

// skipWithoutPostgres skips the benchmark unless a PostgreSQL server
// answers (CLOSELOOP_TEST_POSTGRES_URL, else 127.0.0.1:5432).
func skipWithoutPostgres(b *testing.B) {
	url := os.Getenv(testenv.PostgresURLEnv)
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Skipf("no PostgreSQL answers (%v): the report benchmark needs one", err)
	}
	conn.Close(ctx)
}

// quantile is the nearest-rank q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
