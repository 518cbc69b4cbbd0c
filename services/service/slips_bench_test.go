package service_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows/policy"
)

// BenchmarkSlipEscalations sends BENCH_SLIPS (1,000) slips to three people
// each through the API, on PostgreSQL with the Temporal dev server and the
// workflow worker in the benchmark's process, paced over BENCH_SPREAD (5
// minutes), and lets every recipient's acknowledgement deadline pass while
// all of them are open: the escalation lateness (target p99 < 1 s) is when
// the follow-up service stored the ladder's first step (remind at the
// deadline) minus the instant it was scheduled for, over every recipient.
// The acknowledgement deadline is set to BENCH_ACK (15 minutes, the least
// the policy allows) of calendar time, so the deadlines fall at the pace
// the slips were sent: 3 × BENCH_SLIPS / BENCH_SPREAD a second, three at
// each instant. Skipped unless a PostgreSQL server answers.
func BenchmarkSlipEscalations(b *testing.B) {
	skipWithoutPostgres(b)
	n := stacktest.EnvInt("BENCH_SLIPS", 1000)
	clients := stacktest.EnvInt("BENCH_CLIENTS", 8)
	spread := benchDuration("BENCH_SPREAD", 5*time.Minute)
	ack := benchDuration("BENCH_ACK", 15*time.Minute)
	for i := 0; i < b.N; i++ {
		s := newStackWithWorkflows(b, testenv.Postgres)
		fdb := s.followup.App.Deps().DB
		for name, value := range map[string]map[string]any{
			"infoslip.ack_deadline": {"timer": map[string]any{"duration": fmt.Sprintf("%dm", int(ack.Minutes())), "clock": "calendar"}},
			"infoslip.escalation_ladder": {"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
				{"after": "0m", "action": "remind"}, {"after": "8h", "action": "escalate_manager"}}}},
		} {
			if r := s.call(s.followup.Base, "POST", "/v1/policies/"+name+"/versions", analyst, map[string]any{"value": value, "reason": "benchmark"}); r.status != http.StatusCreated {
				b.Fatalf("policy %s: %d %s", name, r.status, r.body)
			}
		}
		watchSteps(b, fdb)
		s.register(append([]string{repAna}, slipCrowd...)...)
		customers := make([]string, 50)
		for j := range customers {
			customers[j] = s.customerOf(repAna)
		}
		b.ResetTimer()
		start := time.Now()
		var next atomic.Int64
		var mu sync.Mutex
		var failures []string
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j := next.Add(1) - 1
					if j >= int64(n) {
						return
					}
					time.Sleep(time.Until(start.Add(time.Duration(float64(spread) * float64(j) / float64(n)))))
					rs := []map[string]any{person(slipCrowd[j%20]), person(slipCrowd[(j+7)%20]), person(slipCrowd[(j+13)%20])}
					r := s.api("POST", "/v1/slips", repAna, map[string]any{"customer_id": customers[j%int64(len(customers))],
						"subject": fmt.Sprintf("Bench slip %d", j), "category": "competitor", "recipients": rs})
					if r.status != http.StatusCreated {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("%d %s", r.status, r.body))
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		sent := time.Since(start)
		if len(failures) > 0 {
			b.Fatalf("%d sends failed, first: %s", len(failures), failures[0])
		}
		opened := func() int64 {
			return countOf(b, fdb, "SELECT COUNT(*) FROM follow_ups WHERE kind = ?", policy.KindSlipAck)
		}
		for opened() < int64(3*n) {
			if time.Since(start) > ack {
				b.Logf("NOTE: only %d of %d chases open when the first deadline fell: the machine settles slower than BENCH_SPREAD", opened(), 3*n)
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		settled := time.Since(start)
		m := sampleMemory(b)
		b.Logf("%d slips sent in %v, %d chases open after %v; worker with them all waiting: %s", n, sent.Round(time.Millisecond),
			opened(), settled.Round(time.Millisecond), m)

		deadline := start.Add(ack + spread + 10*time.Minute)
		reminded := func() int64 {
			return countOf(b, fdb, `SELECT COUNT(*) FROM bench_steps st JOIN follow_ups f ON f.id = st.follow_up_id
				WHERE f.kind = ? AND st.action = 'remind'`, policy.KindSlipAck)
		}
		for reminded() < int64(3*n) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d recipients reminded, %v after the last deadline", reminded(), 3*n, time.Since(start.Add(ack+spread)).Round(time.Second))
			}
			time.Sleep(time.Second)
		}
		b.StopTimer()
		var steps []struct{ ScheduledAt, RanAt, StoredAt time.Time }
		if err := fdb.Raw(`SELECT st.scheduled_at, st.ran_at, st.stored_at FROM bench_steps st JOIN follow_ups f ON f.id = st.follow_up_id
			WHERE f.kind = ? AND st.action = 'remind'`, policy.KindSlipAck).Scan(&steps).Error; err != nil {
			b.Fatal(err)
		}
		var stored, ran lateness
		for _, r := range steps {
			stored = append(stored, r.StoredAt.Sub(r.ScheduledAt))
			ran = append(ran, r.RanAt.Sub(r.ScheduledAt))
		}
		b.Logf("deadlines per second: %.1f (three recipients at each instant)", float64(3*n)/spread.Seconds())
		b.Logf("remind stored (follow_up_events, trigger) − scheduled: %s", stored)
		b.Logf("remind ran (ran_at, workflow.Now) − scheduled:         %s", ran)
		b.ReportMetric(benchMillis(stored.q(.5)), "remind-p50-ms")
		b.ReportMetric(benchMillis(stored.q(.95)), "remind-p95-ms")
		b.ReportMetric(benchMillis(stored.q(.99)), "remind-p99-ms")
		b.ReportMetric(benchMillis(stored.q(1)), "remind-max-ms")
	}
}
