package customer_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// BenchmarkAnalytics measures the managers' analytics on PostgreSQL at
// ANALYTICS_BENCH_CUSTOMERS (100,000) live customers of five reps in three
// teams, in every lifecycle and relationship stage, with value scores spread
// like a Pareto book, ABC classes and last contacts over the past year. It
// reports the p50/p95 of GET /v1/analytics/customers and
// /v1/analytics/care-coverage over ANALYTICS_BENCH_ROUNDS (30) calls each,
// as an admin (every customer), a manager (team north, two fifths) and a rep
// (one fifth).
//
// Run it alone with
//
//	go test ./services/customer -run '^$' -bench BenchmarkAnalytics -benchtime 1x -v
func BenchmarkAnalytics(b *testing.B) {
	n := stacktest.EnvInt("ANALYTICS_BENCH_CUSTOMERS", 100_000)
	rounds := stacktest.EnvInt("ANALYTICS_BENCH_ROUNDS", 30)
	for range b.N {
		s := newStack(b, testenv.Postgres(b), stackOpts{})
		gdb := s.app.Deps().DB
		now := time.Now().UTC().Truncate(time.Second)
		t0 := time.Now()
		loadBook(b, gdb, n, now)
		storeCareTerms(b, gdb, now)
		if err := gdb.Exec("ANALYZE").Error; err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d customers in %s", n, time.Since(t0).Round(time.Millisecond))

		for _, path := range []string{"/v1/analytics/customers", "/v1/analytics/care-coverage"} {
			for _, user := range []string{admin, mgrMia, repAna} {
				lat := make([]time.Duration, 0, rounds)
				var body map[string]any
				for range rounds {
					t := time.Now()
					r := s.call("GET", path, user, nil)
					lat = append(lat, time.Since(t))
					if r.status != 200 {
						b.Fatalf("%s as %s: %d %s", path, user, r.status, r.body)
					}
					body = r.json(b)
				}
				slices.Sort(lat)
				what := fmt.Sprint(body["customers"], " customers")
				if tot, ok := body["total"].(map[string]any); ok {
					what = fmt.Sprint(tot["customers"], " in care, ", tot["contacted"], " contacted within cadence")
				}
				b.Logf("%-30s as %-11s p50 %7.2f ms  p95 %7.2f ms  (%s)", path, user, ms(percentile(lat, 0.50)), ms(percentile(lat, 0.95)), what)
				if user == admin {
					b.ReportMetric(ms(percentile(lat, 0.95)), map[string]string{"/v1/analytics/customers": "customers_admin_p95_ms",
						"/v1/analytics/care-coverage": "coverage_admin_p95_ms"}[path])
				}
			}
		}
	}
}

// storeCareTerms hands the service the default care terms as one page of a
// care sweep does, opening (here: recording) at most one care follow-up.
func storeCareTerms(b testing.TB, gdb *gorm.DB, at time.Time) {
	b.Helper()
	carePage(b, gdb, "A", at, 1)
}

// loadBook stores n live customers of the bench owners in every lifecycle
// and relationship stage, with value scores spread like a Pareto book (a
// few bring most), ABC classes (5% A, 15% B) and, for six in seven, a last
// contact within the past year.
func loadBook(b testing.TB, gdb *gorm.DB, n int, now time.Time) {
	b.Helper()
	stages := []string{"lead", "prospect", "transacting", "transacting", "service", "lost"}
	rels := []string{"", "exploration", "formation", "stability", "decline"}
	rows := make([]map[string]any, 0, 1000)
	flush := func() {
		if err := gdb.Table("customers").CreateInBatches(rows, 1000).Error; err != nil {
			b.Fatal(err)
		}
		rows = rows[:0]
	}
	for i := range n {
		o := benchOwners[i%len(benchOwners)]
		name := fmt.Sprintf("Analytics Bench %07d", i)
		// A few customers bring most of the value: rank r of n has value ~ 1/r.
		value := 1e7 / float64(1+(i*7919)%n)
		class := "C"
		switch r := (i * 7919) % n; {
		case r < n/20:
			class = "A"
		case r < n/5:
			class = "B"
		}
		row := map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "name": name, "normalized_name": "analytics bench " + fmt.Sprint(i),
			"region": benchRegions[i%len(benchRegions)], "industry": benchIndustries[i%len(benchIndustries)], "owner_id": o.owner, "team": o.team,
			"lifecycle_stage": stages[i%len(stages)], "relationship_stage": rels[i%len(rels)], "value_class": class,
			"annual_revenue": value, "value_score": value, "created_by": admin, "created_at": now, "updated_at": now, "version": 1}
		if i%7 != 0 {
			last := now.Add(-time.Duration(i%365) * 24 * time.Hour)
			row["last_contact_at"], row["care_from"] = last, last
		} else {
			row["care_from"] = now.Add(-200 * 24 * time.Hour)
		}
		rows = append(rows, row)
		if len(rows) == 1000 {
			flush()
		}
	}
	if len(rows) > 0 {
		flush()
	}
}
