package service_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows/policy"
)

// BenchmarkCaseBreaches files BENCH_CASES (10,000) cases through the API
// on PostgreSQL, with the Temporal dev server and the workflow worker in
// the benchmark's process, and lets every first-response target be breached
// while all of them wait. It reports:
//
//   - filing: cases/s of POST /v1/cases (BENCH_CLIENTS, 16, concurrent
//     clients) and of cases settled, i.e. whose ServiceCase workflow has
//     started, written its SLA rows and opened both follow-ups (then it waits
//     on its timers);
//   - the worker's memory with 1/4, 2/4, 3/4 and all of the cases waiting:
//     the process's Go heap after a forced collection (HeapInuse) and Sys,
//     less the same before the first case — the services in the process
//     keep nothing per case, so the growth is the worker's sticky cache of
//     waiting workflows — and, at the end, what purging that cache frees;
//   - breach lateness: when the breach row was stored (a trigger notes
//     clock_timestamp) minus the deadline, and the workflow's own instant
//     of the decision (the row's updated_at) minus the deadline;
//   - escalation lateness, the target (p99 < 1 s): when the follow-up
//     service stored the ladder's first step (remind at the deadline) minus
//     the instant it was scheduled for; and its ran_at (the workflow's
//     instant) minus the same.
//
// The response SLA is 15 minutes of calendar time for every priority (the
// least a policy allows); each case is reported so that its deadline falls
// BENCH_LEAD after the first case was filed plus its share of BENCH_SPREAD
// (60 s): the deadlines come at N/60 a second, in the order the cases were
// filed. BENCH_LEAD must leave time to file and settle every case (about
// 10,000 in 10 minutes on a 2-core machine); a deadline that passes before
// everything has settled is reported apart.
//
// BENCH_DUMP names a CSV file to write every breach and reminder to (its
// deadline and how late it was stored and decided), to see when the late
// ones fell.
//
// Skipped unless a PostgreSQL server answers. Run with `make bench` (or
// go test -run '^$' -bench CaseBreaches -benchtime 1x -timeout 60m).
func BenchmarkCaseBreaches(b *testing.B) {
	skipWithoutPostgres(b)
	n := stacktest.EnvInt("BENCH_CASES", 10_000)
	clients := stacktest.EnvInt("BENCH_CLIENTS", 16)
	spread := benchDuration("BENCH_SPREAD", time.Minute)
	// About 5 cases settle a second here: 10,000 need over half an hour.
	lead := benchDuration("BENCH_LEAD", 90*time.Second+time.Duration(n)*200*time.Millisecond)
	sla := benchDuration("BENCH_SLA", max(15*time.Minute, (lead+spread+time.Minute-1).Truncate(time.Minute)))
	if lead+spread > sla || sla%time.Minute != 0 {
		b.Fatalf("BENCH_LEAD %v + BENCH_SPREAD %v is more than the SLA %v (whole minutes): a case cannot be reported in the future", lead, spread, sla)
	}
	for i := 0; i < b.N; i++ {
		s := newStackWithWorkflows(b, testenv.Postgres)
		fdb := s.followup.App.Deps().DB
		tc := s.service.App.Deps().Temporal
		setPolicy := func(name string, value map[string]any) {
			r := s.call(s.followup.Base, "POST", "/v1/policies/"+name+"/versions", analyst, map[string]any{"value": value, "reason": "benchmark"})
			if r.status != http.StatusCreated {
				b.Fatalf("policy %s: %d %s", name, r.status, r.body)
			}
		}
		budget := map[string]any{"duration": fmt.Sprintf("%dm", int(sla.Minutes())), "clock": "calendar"}
		setPolicy("service.response_sla", map[string]any{"table": map[string]any{"urgent": budget, "high": budget, "normal": budget, "low": budget}})
		setPolicy("service.escalation_ladder", map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
			{"after": "0m", "action": "remind"}, {"after": "8h", "action": "escalate_manager"}}}})
		watchBreaches(b, s.db, fdb)
		// A hundred customers, so that the cases' history entries do not
		// all queue on one customer.
		customers := make([]string, 100)
		for j := range customers {
			customers[j] = s.customerOf(repAna)
		}
		base := sampleMemory(b)
		b.Logf("before the first case: %s", base)

		settled := func() int64 {
			return min(countOf(b, fdb, "SELECT COUNT(*) FROM follow_ups WHERE kind = ?", policy.KindServiceResponse),
				countOf(b, fdb, "SELECT COUNT(*) FROM follow_ups WHERE kind = ?", policy.KindServiceResolution))
		}
		var (
			next      atomic.Int64
			mu        sync.Mutex
			failures  []string
			posting   time.Duration // time spent filing, pauses for the memory samples left out
			lastTaken time.Time     // when the last case settled
		)
		start := time.Now()
		windowStart := start.Add(lead)
		b.Logf("filing %d cases with %d clients; response SLA %v; deadlines from %s to %s (%v after the first filing)",
			n, clients, sla, windowStart.Format(time.TimeOnly), windowStart.Add(spread).Format(time.TimeOnly), lead)
		b.ResetTimer()
		var samples []memSample
		for q := 1; q <= 4; q++ {
			upTo := int64(n * q / 4)
			t0 := time.Now()
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						j := next.Add(1) - 1
						if j >= upTo {
							next.Add(-1)
							return
						}
						due := windowStart.Add(time.Duration(float64(spread) * float64(j) / float64(n)))
						r := s.api("POST", "/v1/cases", repAna, complaint(customers[j%int64(len(customers))], map[string]any{
							"team": "service", "subject": fmt.Sprintf("Bench case %d", j), "reported_at": due.Add(-sla).UTC().Format(time.RFC3339Nano)}))
						if r.status != http.StatusCreated {
							mu.Lock()
							failures = append(failures, fmt.Sprintf("%d %s", r.status, r.body))
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			filed := time.Since(t0)
			posting += filed
			if len(failures) > 0 {
				b.Fatalf("%d filings failed, first: %s", len(failures), failures[0])
			}
			for settled() < upTo {
				if time.Since(t0) > 20*time.Minute {
					b.Fatalf("only %d of %d cases settled after 20 minutes", settled(), upTo)
				}
				time.Sleep(250 * time.Millisecond)
			}
			lastTaken = time.Now()
			time.Sleep(time.Second) // the workflow task after the last activity
			m := sampleMemory(b)
			samples = append(samples, m)
			b.Logf("%6d cases filed in %v (%.0f/s), settled %v later; %d waiting: %s; per waiting case %.1f KiB heap + %.1f KiB stacks, %.1f KiB Sys",
				upTo-int64(n*(q-1)/4), filed.Round(time.Millisecond), float64(upTo-int64(n*(q-1)/4))/filed.Seconds(),
				lastTaken.Sub(t0.Add(filed)).Round(time.Millisecond), upTo, m, perCase(m.heapInuse, base.heapInuse, upTo),
				perCase(m.stack, base.stack, upTo), perCase(m.sys, base.sys, upTo))
		}
		total := lastTaken.Sub(start)
		b.StopTimer()
		last := samples[len(samples)-1]
		b.Logf("filed %d cases: POST %.0f cases/s; settled (workflow waiting, both follow-ups open) %.1f cases/s end to end (%v)",
			n, float64(n)/posting.Seconds(), float64(n)/total.Seconds(), total.Round(time.Millisecond))
		b.ReportMetric(float64(n)/posting.Seconds(), "filed/s")
		b.ReportMetric(float64(n)/total.Seconds(), "settled/s")
		b.ReportMetric(perCase(last.heapInuse, base.heapInuse, int64(n)), "heap-KiB/case")
		b.ReportMetric(perCase(last.stack, base.stack, int64(n)), "stack-KiB/case")
		b.ReportMetric(mib(int64(last.heapInuse)), "heap-MiB")
		b.ReportMetric(mib(int64(last.sys)), "sys-MiB")
		if rss := temporalServerRSS(b); rss > 0 {
			b.Logf("Temporal dev server with %d waiting case workflows: VmRSS %.0f MiB", n, mib(rss))
		}
		if lastTaken.After(windowStart) {
			b.Logf("NOTE: the last case settled %v after the first deadline: BENCH_LEAD is too short for this machine",
				lastTaken.Sub(windowStart).Round(time.Millisecond))
		}

		// Every first-response target breached and reminded.
		// Generous: a burst of deadlines beyond what the machine runs at
		// (about 5 cases a second here) drains at that rate.
		deadline := windowStart.Add(spread + 10*time.Minute + time.Duration(n)*250*time.Millisecond)
		for {
			br := countOf(b, s.db, "SELECT COUNT(*) FROM bench_breaches")
			rm := countOf(b, fdb, `SELECT COUNT(*) FROM bench_steps st JOIN follow_ups f ON f.id = st.follow_up_id
				WHERE f.kind = ? AND st.action = 'remind'`, policy.KindServiceResponse)
			if br >= int64(n) && rm >= int64(n) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d breaches and %d reminders of %d, %v after the last deadline", br, rm, n, time.Since(windowStart.Add(spread)).Round(time.Second))
			}
			time.Sleep(time.Second)
		}
		b.Logf("all %d first-response targets breached and reminded by %v after the last deadline", n, time.Since(windowStart.Add(spread)).Round(time.Second))

		var breaches []struct{ DueAt, BreachedAt, DecidedAt, StoredAt time.Time }
		if err := s.db.Raw("SELECT due_at, breached_at, decided_at, stored_at FROM bench_breaches").Scan(&breaches).Error; err != nil {
			b.Fatal(err)
		}
		var steps []struct{ ScheduledAt, RanAt, StoredAt time.Time }
		if err := fdb.Raw(`SELECT st.scheduled_at, st.ran_at, st.stored_at FROM bench_steps st JOIN follow_ups f ON f.id = st.follow_up_id
			WHERE f.kind = ? AND st.action = 'remind'`, policy.KindServiceResponse).Scan(&steps).Error; err != nil {
			b.Fatal(err)
		}
		var breachStored, breachDecided, remindStored, remindRan, quiet lateness
		wrongDeadline := 0
		for _, r := range breaches {
			if !r.BreachedAt.Equal(r.DueAt) {
				wrongDeadline++
			}
			breachStored = append(breachStored, r.StoredAt.Sub(r.DueAt))
			breachDecided = append(breachDecided, r.DecidedAt.Sub(r.DueAt))
		}
		for _, r := range steps {
			remindStored = append(remindStored, r.StoredAt.Sub(r.ScheduledAt))
			remindRan = append(remindRan, r.RanAt.Sub(r.ScheduledAt))
			if r.ScheduledAt.After(lastTaken) {
				quiet = append(quiet, r.StoredAt.Sub(r.ScheduledAt))
			}
		}
		dumpLateness(b, breaches, steps)
		if os.Getenv("BENCH_DUMP") != "" {
			traceLatest(b, tc, fdb, 3)
		}
		if wrongDeadline > 0 {
			b.Errorf("%d breaches recorded at an instant other than their deadline", wrongDeadline)
		}
		b.Logf("breach stored (case_sla row, trigger) − deadline:   %s", breachStored)
		b.Logf("breach decided (workflow.Now, updated_at) − deadline: %s", breachDecided)
		b.Logf("remind stored (follow_up_events, trigger) − scheduled: %s", remindStored)
		b.Logf("remind ran (ran_at, workflow.Now) − scheduled:         %s", remindRan)
		if len(quiet) < len(remindStored) {
			b.Logf("  of which due after every case had settled:            %s", quiet)
		}
		b.ReportMetric(benchMillis(remindStored.q(.5)), "remind-p50-ms")
		b.ReportMetric(benchMillis(remindStored.q(.95)), "remind-p95-ms")
		b.ReportMetric(benchMillis(remindStored.q(.99)), "remind-p99-ms")
		b.ReportMetric(benchMillis(remindStored.q(1)), "remind-max-ms")
		b.ReportMetric(benchMillis(breachStored.q(.99)), "breach-p99-ms")

		failed, err := tc.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus != 'Running'", wfc.WorkflowServiceCase)})
		if err != nil {
			b.Logf("counting ended case workflows: %v", err)
		} else if failed.GetCount() > 0 {
			b.Errorf("%d case workflows are no longer running", failed.GetCount())
		}

		// What the waiting workflows hold after the breach, and how much of
		// it is the worker's cache.
		after := sampleMemory(b)
		purgeWorkflowCache()
		purged := sampleMemory(b)
		b.Logf("after the breaches, %d waiting: %s", n, after)
		b.Logf("sticky cache purged:          %s — the cache held %.1f MiB of heap and %.1f MiB of stacks: %.1f + %.1f KiB per case workflow",
			purged, mib(int64(after.heapInuse)-int64(purged.heapInuse)), mib(int64(after.stack)-int64(purged.stack)),
			perCase(after.heapInuse, purged.heapInuse, int64(n)), perCase(after.stack, purged.stack, int64(n)))
		b.ReportMetric(perCase(after.heapInuse+after.stack, purged.heapInuse+purged.stack, int64(n)), "cache-KiB/case")
	}
}
