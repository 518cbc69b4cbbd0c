package customer_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/floor"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/workflows/visit"
)

// BenchmarkVisitRequests sends 1,000 visit requests at once over 100
// customer-days (50 customers, two days each; three departments, every
// other request willing to join) through the customer API, against the
// Temporal dev server and PostgreSQL, and reports the time from request to
// decision: p50, p99 and max. Every request must be answered and each
// customer-day must end with exactly one visit. The decided rate is held
// against the floor's 16-client update-with-start throughput on the same
// Temporal (target ≥ 80 %; see BenchmarkVisitAgainstFloor).
//
//	go test ./services/customer -run '^$' -bench BenchmarkVisitRequests -benchtime 1x
func BenchmarkVisitRequests(b *testing.B) {
	// Every request waits for its decision: the figures are the time to a
	// decision, not to the API's default 10 s 503 update_pending.
	b.Setenv("VISIT_DECISION_WAIT", "120s")
	f16 := floor.Of(b, floor.UpdateWithStart, visitClients) // before the stack loads Temporal
	s, _, _ := visitStack(b, testenv.Postgres, true)
	const customers, perDay, total = 50, 2, 1000
	days := []string{weekdayAhead(2), weekdayAhead(3)}
	users := []string{repAna, mgrMia, admin}
	depts := visit.Departments()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ids := make([]string, customers)
		for i := range ids {
			ids[i] = s.create(admin, company(map[string]any{"owner_id": repAna, "team": "north"}))
		}
		lat := make([]time.Duration, total)
		answers := make([]vresp, total)
		errs := make([]error, total)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range total {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				cd := i % (customers * perDay)
				answers[i], errs[i] = s.vcall("POST", "/v1/customers/"+ids[cd%customers]+"/visits", users[i%3], map[string]any{
					"day": days[cd/customers], "department": depts[i%3], "purpose": fmt.Sprintf("bench %d", i), "join": (i/100)%2 == 1})
				lat[i] = answers[i].took
			}()
		}
		b.StartTimer()
		t0 := time.Now()
		close(start)
		wg.Wait()
		wall := time.Since(t0)
		b.StopTimer()

		outcomes := map[string]int{}
		for i, a := range answers {
			switch {
			case errs[i] != nil:
				b.Fatalf("request %d: %v", i, errs[i])
			case a.body["repeat"] == true: // someone already in the visit asked again
				outcomes["repeat"]++
			case a.status == http.StatusOK || a.status == http.StatusCreated:
				outcomes[a.body["outcome"].(string)]++
			default:
				outcomes[fmt.Sprintf("http_%d_%v", a.status, a.body["code"])]++
			}
		}
		if outcomes[visit.OutcomeBooked] != customers*perDay {
			b.Fatalf("outcomes %v, want %d booked", outcomes, customers*perDay)
		}
		for _, id := range ids {
			if vs := items(s.vmust(b, 200, "GET", "/v1/customers/"+id+"/visits", admin, nil)); len(vs) != perDay {
				b.Fatalf("customer %s has %d visits, want %d", id, len(vs), perDay)
			}
		}
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		b.ReportMetric(float64(q(0.50).Milliseconds()), "p50-ms")
		b.ReportMetric(float64(q(0.99).Milliseconds()), "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
		b.ReportMetric(float64(total)/wall.Seconds(), "decisions/s")
		decided := outcomes["repeat"] + outcomes[visit.OutcomeBooked] + outcomes[visit.OutcomeJoined] + outcomes[visit.OutcomeOffered]
		burst := visitBurstCheck(f16, total, customers*perDay, float64(decided)/wall.Seconds(),
			fmt.Sprintf("%d of %d decided in %s: %.1f/s, p50 %s, p99 %s", decided, total, wall.Round(time.Millisecond), float64(decided)/wall.Seconds(),
				q(0.50).Round(time.Millisecond), q(0.99).Round(time.Millisecond)))
		burst.Failed = decided < total // answered with an error (a 503) instead of a decision
		b.ReportMetric(burst.Value, "pct-floor-ops/s")
		b.Log(burst)
		b.Logf("%d requests over %d customer-days in %s: p50 %s, p99 %s, max %s; outcomes %v",
			total, customers*perDay, wall.Round(time.Millisecond), q(0.50).Round(time.Millisecond), q(0.99).Round(time.Millisecond),
			lat[len(lat)-1].Round(time.Millisecond), outcomes)
	}
}
