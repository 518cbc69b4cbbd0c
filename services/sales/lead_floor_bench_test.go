package sales_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/floor"
	"github.com/closeloop/closeloop/platform/testenv"
)

// Issue 19's targets for lead creation against the start-plus-activity floor.
const (
	leadIdleRatio  = 2.0                    // idle p50 at most 2× the floor's one-client p50
	leadIdleP99    = 300 * time.Millisecond // idle p99 under 300 ms
	leadShare      = 80.0                   // 16 clients: at least 80 % of the floor's 16-client throughput
	leadSustainP99 = 500 * time.Millisecond // p99 under 500 ms at the sustained rate
	leadClients    = 16
)

// BenchmarkLeadAgainstFloor measures lead creation — POST /v1/leads as a rep
// for a new company in the north/steel territory (round-robin over three
// reps): the lead's workflow routes the lead (the rep reserved), finds or
// creates its customer in the customer service claiming it for that rep,
// and stores and assigns the lead, and the answer (201) comes once that is
// settled — against the engine floor of its
// shape, a workflow start running one activity with its result awaited,
// measured first in the same process on the same Temporal (floor.Of; the dev
// server, or the one of CLOSELOOP_TEMPORAL_ADDRESS). The services and the
// workflow worker run in the test process, on PostgreSQL:
//
//   - idle: one client, one lead after another, for the floor's window
//     (FLOOR_WARMUP, then FLOOR_DURATION): p50 against the floor's one-client
//     p50 (target ≤ 2×), p99 (target < 300 ms);
//   - clients=16: 16 clients in a closed loop for the window: throughput
//     against the floor's 16-client throughput (target ≥ 80 %);
//   - sustained: BENCH_RATE (10) leads a second, open loop, for
//     BENCH_SUSTAIN (5m): p99 (target < 500 ms), each request timed from the
//     instant it was due.
//
// Each prints a line with the backend, the figure, its target and PASS or
// MISS, and the benchmark ends with the table of them (docs/performance.md,
// "Business actions against the floor"):
//
//	go test -run '^$' -bench LeadAgainstFloor -benchtime 1x -v ./services/sales/
//	FLOOR_DURATION=3s FLOOR_WARMUP=1s BENCH_SUSTAIN=20s go test … # a quick run
func BenchmarkLeadAgainstFloor(b *testing.B) {
	backend := testenv.TemporalBackend()
	rate, sustain, err := floor.SustainFromEnv()
	if err != nil {
		b.Fatal(err)
	}
	one, err := floor.OptionsFromEnv(1)
	if err != nil {
		b.Fatal(err)
	}
	many, _ := floor.OptionsFromEnv(leadClients)
	// The floor first, on a Temporal nothing else loads yet.
	f1 := floor.Of(b, floor.StartActivity, 1)
	f16 := floor.Of(b, floor.StartActivity, leadClients)
	// The Temporal server's CPU time per action, next to the floor's
	// (Sample.ServerCPU, Result.ServerCPU): where the machine's time goes.
	one.ServerPID, many.ServerPID = testenv.TemporalServerPID(), testenv.TemporalServerPID()
	b.Logf("floor on %s: %s 1 client p50 %v p99 %v; 16 clients %.1f/s p50 %v p99 %v", backend, floor.StartActivity,
		f1.P50, f1.P99, f16.Throughput(), f16.P50, f16.P99)

	hostPort, namespace := testenv.Temporal(b)
	// As BenchmarkLeads: every answer waits for the settled assignment (201,
	// never a 202), and the pool has room for 16 clients.
	// The sales service has its own identity, so a new lead calls the
	// customer and follow-up services as local activities
	// (LeadInput.calls_local): the configuration the chart recommends.
	s := newStack(b, testenv.Postgres, stackOpts{temporal: hostPort, namespace: namespace, identity: true,
		salesEnv: map[string]string{"LEAD_CREATE_WAIT": "60s", "DB_MAX_OPEN_CONNS": "30"}})
	s.northSteel(10000)
	var n atomic.Int64
	create := func(ctx context.Context, _, _ int) error {
		i := n.Add(1)
		return s.expectLead(ctx, repAna, map[string]any{"source": "web", "region": "north", "industry": "steel",
			"company_name": fmt.Sprintf("Floor %d company %d", os.Getpid(), i)})
	}
	ctx := context.Background()
	// One lead before anything is timed: the run of 2026-12-06 on the
	// production-shaped server counted only 12 requests (p50 137 ms) in its
	// 10-s idle window, so a request started in the warm-up took most of
	// the window — most likely the first on the namespace the stack had just
	// registered.
	if err := create(ctx, 0, 0); err != nil {
		b.Fatal(err)
	}
	var checks []floor.Check
	report := func(b *testing.B, sm floor.Sample, cs ...floor.Check) {
		b.ReportMetric(float64(sm.P50().Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(sm.P99().Microseconds())/1000, "p99-ms")
		b.ReportMetric(sm.Throughput(), "ops/s")
		b.ReportMetric(float64(sm.Errors), "errors")
		for _, c := range cs {
			c.Failed = sm.Errors > 0 || sm.Ops() == 0
			b.Log(c)
			checks = append(checks, c)
		}
		if err := sm.Err(); err != nil {
			b.Error(err)
		}
		if sm.Ops() == 0 {
			b.Error("no lead created")
		}
	}

	b.Run("idle", func(b *testing.B) {
		sm := floor.Closed(ctx, one, nil, create)
		b.ReportMetric(f1.LatencyRatio(sm.P50()), "x-floor-p50")
		report(b, sm,
			floor.RatioCheck(f1, "lead creation, idle, 1 client", sm.P50(), leadIdleRatio, sm.Summary()),
			floor.LatencyCheck(backend, "lead creation, idle, 1 client", "p99", sm.P99(), leadIdleP99, sm.Summary()))
	})
	b.Run(fmt.Sprintf("clients=%d", leadClients), func(b *testing.B) {
		sm := floor.Closed(ctx, many, nil, create)
		b.ReportMetric(100*f16.ThroughputRatio(sm.Throughput()), "pct-floor-ops/s")
		b.ReportMetric(f16.LatencyRatio(sm.P50()), "x-floor-p50")
		report(b, sm, floor.ShareCheck(f16, fmt.Sprintf("lead creation, %d clients", leadClients), sm.Throughput(), leadShare, sm.Summary()))
	})
	b.Run("sustained", func(b *testing.B) {
		sm := floor.Open(ctx, rate, sustain, func(ctx context.Context, _ int) error { return create(ctx, 0, 0) })
		report(b, sm, floor.LatencyCheck(backend, fmt.Sprintf("lead creation, %g/s for %v", rate, sustain), "p99", sm.P99(), leadSustainP99, sm.Summary()))
	})
	floor.WriteChecks(os.Stdout, "lead creation against the engine floor on "+backend, checks)
}

// expectLead creates a lead as user and wants 201 (the assignment settled);
// safe from many goroutines (s.call may end the test, this only errs).
func (s *stack) expectLead(ctx context.Context, user string, body map[string]any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", s.sales.Base+"/v1/leads", bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /v1/leads as %s: %d %s, want 201", user, res.StatusCode, out)
	}
	return nil
}
