package sales_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// BenchmarkLeads creates BENCH_LEADS (10,000) leads through the sales API
// against the Temporal dev server and PostgreSQL — each lead is stored, its
// customer created in the customer service, assigned by territory
// round-robin, its customer claimed and its first-contact follow-up opened —
// and reports:
//
//   - creation throughput and the latency of POST /v1/leads (answered once
//     the assignment is settled) with BENCH_CLIENTS (16) concurrent clients;
//   - the workflow worker's memory (VmRSS of its process) with every lead
//     workflow waiting on its first-contact timer;
//   - escalation lateness: the instant the reminder step is on the lead's
//     timeline minus the instant it was due, p50/p99/max.
//
// The first-contact SLA is set to 15 minutes of calendar time and every lead
// is imported ("import": true, as a manager) with received_at such that it falls due BENCH_GAP (4m) after its
// creation: escalations then arrive at the rate leads were created, and the
// first ones overlap the end of the creation phase. Lateness is reported for
// all escalations and for those that fell due after creation ended.
//
// Run with `make bench` (or go test -run '^$' -bench Leads -benchtime 1x).
func BenchmarkLeads(b *testing.B) {
	n := stacktest.EnvInt("BENCH_LEADS", 10000)
	clients := stacktest.EnvInt("BENCH_CLIENTS", 16)
	gap := envDuration("BENCH_GAP", 4*time.Minute)
	hostPort, namespace := testenv.Temporal(b)
	s := newStack(b, testenv.Postgres, stackOpts{temporal: hostPort, namespace: namespace, noWorker: true,
		salesEnv: map[string]string{"LEAD_CREATE_WAIT": "30s", "DB_MAX_OPEN_CONNS": "30"}})
	for name, value := range map[string]map[string]any{
		"lead.first_contact_sla": {"timer": map[string]any{"duration": "15m", "clock": "calendar"}},
		"lead.escalation_ladder": {"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
			{"after": "0m", "action": "remind"}, {"after": "8h", "action": "escalate_manager"}}}},
	} {
		if r := s.call(s.customer.Base, "POST", "/v1/policies/"+name+"/versions", analyst, map[string]any{"value": value, "reason": "benchmark"}); r.status != 201 {
			b.Fatalf("policy %s: %d %s", name, r.status, r.body)
		}
	}
	s.must(201, "POST", "/v1/territories", mgrMia, map[string]any{"name": "Bench north steel", "region": "north", "industry": "steel",
		"team": "north", "strategy": "round_robin", "reps": []map[string]any{
			{"rep_id": repAna, "capacity": 10000}, {"rep_id": repCy, "capacity": 10000}, {"rep_id": repDan, "capacity": 10000}}})
	worker := startWorkerProcess(b, hostPort, s.namespace)

	b.ResetTimer()
	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		failures  []string
		accepted  atomic.Int64
	)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				t0 := time.Now()
				received := t0.Add(-15*time.Minute + gap).UTC()
				r := s.api("POST", "/v1/leads", mgrMia, map[string]any{"source": "web", "company_name": fmt.Sprintf("Bench %d company %d", os.Getpid(), i),
					"region": "north", "industry": "steel", "received_at": received.Format(time.RFC3339Nano), "import": true})
				d := time.Since(t0)
				mu.Lock()
				switch r.status {
				case http.StatusCreated:
					latencies = append(latencies, d)
				case http.StatusAccepted:
					latencies = append(latencies, d)
					accepted.Add(1)
				default:
					failures = append(failures, fmt.Sprintf("%d %s", r.status, r.body))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	created := time.Since(start)
	createdAt := time.Now()
	b.StopTimer()
	if len(failures) > 0 {
		b.Fatalf("%d creates failed, first: %s", len(failures), failures[0])
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(n)/created.Seconds(), "leads/s")
	b.Logf("created %d leads in %v: %.1f leads/s; POST latency p50 %v p99 %v max %v; %d answered 202",
		n, created.Round(time.Millisecond), float64(n)/created.Seconds(), pct(latencies, .5).Round(time.Millisecond),
		pct(latencies, .99).Round(time.Millisecond), latencies[len(latencies)-1].Round(time.Millisecond), accepted.Load())

	gdb, err := db.Open(context.Background(), db.Config{URL: s.salesDSN, MaxOpenConns: 2, MaxIdleConns: 1, ConnMaxLifetime: time.Hour, SlowQuery: time.Minute}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	count := func(kind string) int64 {
		var c int64
		if err := gdb.Table("timeline_events").Where("kind = ?", kind).Count(&c).Error; err != nil {
			b.Fatal(err)
		}
		return c
	}
	// Memory with every lead waiting: measured now unless the first
	// escalations already ran (a creation phase longer than the gap).
	rss, hwm := procMemory(b, worker.Process.Pid)
	b.ReportMetric(float64(rss)/(1<<20), "worker-MiB")
	b.Logf("worker process with %d lead workflows waiting (%d reminders already sent): VmRSS %d MiB, peak %d MiB",
		n, count("reminder"), rss>>20, hwm>>20)

	deadline := createdAt.Add(gap + 5*time.Minute)
	for count("reminder") < int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d reminders after %v", count("reminder"), n, time.Since(createdAt))
		}
		time.Sleep(2 * time.Second)
	}
	type row struct {
		ReceivedAt time.Time
		RecordedAt time.Time
	}
	var rows []row
	if err := gdb.Raw(`SELECT l.received_at, e.recorded_at FROM leads l JOIN timeline_events e ON e.subject_id = l.id AND e.kind = 'reminder'`).Scan(&rows).Error; err != nil {
		b.Fatal(err)
	}
	var all, quiet []time.Duration
	for _, r := range rows {
		due := r.ReceivedAt.Add(15 * time.Minute)
		late := r.RecordedAt.Sub(due)
		all = append(all, late)
		if due.After(createdAt) {
			quiet = append(quiet, late)
		}
	}
	slices.Sort(all)
	slices.Sort(quiet)
	b.ReportMetric(pct(all, .5).Seconds(), "late-p50-s")
	b.ReportMetric(pct(all, .99).Seconds(), "late-p99-s")
	b.Logf("escalation lateness over %d reminders: p50 %v p99 %v max %v", len(all), pct(all, .5).Round(time.Millisecond),
		pct(all, .99).Round(time.Millisecond), all[len(all)-1].Round(time.Millisecond))
	if len(quiet) > 0 {
		b.Logf("  of which %d fell due after the creation phase: p50 %v p99 %v max %v", len(quiet), pct(quiet, .5).Round(time.Millisecond),
			pct(quiet, .99).Round(time.Millisecond), quiet[len(quiet)-1].Round(time.Millisecond))
	}
	if strings.TrimSpace(os.Getenv("BENCH_STRICT")) != "" && pct(all, .99) > 2*time.Second {
		b.Errorf("escalation p99 %v exceeds 2s", pct(all, .99))
	}
}

// procMemory reads a process's resident and peak resident set sizes.
func procMemory(tb testing.TB, pid int) (rss, hwm int64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v << 10
		case "VmHWM:":
			hwm = v << 10
		}
	}
	return rss, hwm
}
