package customer_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// BenchmarkCustomerScale measures, on PostgreSQL at 10,000 and 100,000
// customers, what docs/performance.md reports: create throughput and latency
// through the HTTP API, filtered-list latency, and ABC reclassification end to
// end through Temporal. Run with `make bench`.
func BenchmarkCustomerScale(b *testing.B) {
	hostPort, namespace := testenv.Temporal(b)
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s := newStack(b, testenv.Postgres(b), stackOpts{temporal: hostPort, namespace: namespace})
				startWorker(b, hostPort, namespace, nil)
				benchCreate(b, s, n)
				// Bring planner statistics up to date, as autovacuum does in a
				// running system after a bulk load; we measure the steady state.
				if err := s.app.Deps().DB.Exec("ANALYZE").Error; err != nil {
					b.Fatal(err)
				}
				benchList(b, s)
				benchABC(b, s, n)
			}
		})
	}
}

var (
	benchRegions    = []string{"north", "south", "east", "west", "central"}
	benchIndustries = []string{"steel", "construction", "fruit", "software", "chemicals", "logistics", "retail", "energy"}
	benchOwners     = []struct{ owner, team string }{{repAna, "north"}, {repBo, "south"}, {"rep-cy", "north"}, {"rep-di", "south"}, {"rep-ed", "east"}}
)

func percentile(d []time.Duration, p float64) time.Duration { return stacktest.Percentile(d, p) }

func ms(d time.Duration) float64 { return stacktest.Ms(d) }

func benchCreate(b *testing.B, s *stack, n int) {
	for _, o := range benchOwners { // owners must be known users
		if r := s.call("PUT", "/v1/users/"+o.owner, admin, map[string]any{"roles": []string{"rep"}, "teams": []string{o.team}}); r.status != http.StatusOK {
			b.Fatalf("register %s: %d %s", o.owner, r.status, r.body)
		}
	}
	const workers = 12
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				o := benchOwners[i%len(benchOwners)]
				body := map[string]any{
					"name": fmt.Sprintf("Bench Company %07d", i), "region": benchRegions[i%len(benchRegions)],
					"industry": benchIndustries[(i/7)%len(benchIndustries)], "owner_id": o.owner, "team": o.team,
					"annual_revenue": float64((i*7919)%100000) * 10, "annual_marketing_cost": float64((i*31)%1000) * 10,
					"years_of_business": i % 30,
				}
				t0 := time.Now()
				r := s.call("POST", "/v1/customers", admin, body)
				lat[i] = time.Since(t0)
				if r.status != http.StatusCreated {
					b.Errorf("create %d: %d %s", i, r.status, r.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "creates/s")
	b.ReportMetric(ms(percentile(lat, 0.50)), "create_p50_ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "create_p99_ms")
	b.Logf("n=%d create: %d customers in %s with %d clients = %.0f/s, p50 %.2f ms, p99 %.2f ms",
		n, n, elapsed.Round(time.Millisecond), workers, float64(n)/elapsed.Seconds(), ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)))
}

func benchList(b *testing.B, s *stack) {
	// A second page needs a cursor from the first.
	first := s.call("GET", "/v1/customers?region=north&limit=50", admin, nil).json(b)
	cursor, _ := first["next_cursor"].(string)
	cases := []struct{ name, user, query string }{
		{"region", admin, "region=north"},
		{"region+industry", admin, "region=east&industry=fruit"},
		{"stage", admin, "lifecycle_stage=lead"},
		{"owner(rep scope)", repAna, ""},
		{"manager scope+region", mgrMia, "region=south"},
		{"sort=-value_score", admin, "sort=-value_score"},
		{"text q", admin, "q=" + url.QueryEscape("Company 0042")},
		{"second page", admin, "region=north&limit=50&cursor=" + url.QueryEscape(cursor)},
	}
	const reqs = 300
	worst := time.Duration(0)
	for _, c := range cases {
		lat := make([]time.Duration, reqs)
		for i := range lat {
			t0 := time.Now()
			r := s.call("GET", "/v1/customers?"+c.query, c.user, nil)
			lat[i] = time.Since(t0)
			if r.status != 200 {
				b.Fatalf("list %s: %d %s", c.name, r.status, r.body)
			}
		}
		p99 := percentile(lat, 0.99)
		worst = max(worst, p99)
		b.Logf("list %-22s p50 %6.2f ms  p99 %6.2f ms", c.name, ms(percentile(lat, 0.50)), ms(p99))
	}
	b.ReportMetric(ms(worst), "list_worst_p99_ms")
}

func benchABC(b *testing.B, s *stack, n int) {
	for run := 1; run <= 2; run++ {
		t0 := time.Now()
		r := s.call("POST", "/v1/abc/reclassifications", admin, map[string]any{"reason": "benchmark"})
		if r.status != http.StatusAccepted {
			b.Fatalf("reclassify: %d %s", r.status, r.body)
		}
		id := r.json(b)["workflow_id"].(string)
		var st map[string]any
		for {
			st = s.call("GET", "/v1/abc/reclassifications/"+id, admin, nil).json(b)
			if st["status"] != "running" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		elapsed := time.Since(t0)
		if st["status"] != "completed" {
			b.Fatalf("run %d: %v", run, st)
		}
		res := st["result"].(map[string]any)
		if int(res["customers_scanned"].(float64)) != n {
			b.Fatalf("run %d scanned %v of %d", run, res["customers_scanned"], n)
		}
		label := map[int]string{1: "abc_first_run_s", 2: "abc_rerun_s"}[run]
		b.ReportMetric(elapsed.Seconds(), label)
		b.Logf("ABC run %d: %d customers, %v class changes, %v pages in %s (%.0f customers/s)",
			run, n, res["class_changes"], res["pages"], elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	}
}
