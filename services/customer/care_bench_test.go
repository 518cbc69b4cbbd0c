package customer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// BenchmarkCareCadence measures care for existing customers at 100,000
// customers in care (CARE_BENCH_CUSTOMERS) on PostgreSQL (the customer and
// follow-up services each with its own database) and the Temporal dev server: classes A/B/C in 20/30/50 proportions under the default
// cadence (30/60/120 days), of which 1,000 (CARE_BENCH_DUE) fall due within
// one minute starting a minute after the load, and the rest later than the
// lookahead. It reports:
//
//   - the mechanism's start-up cost: a first sweep that opens the due
//     customers' follow-ups, and a steady-state sweep with nothing to open;
//   - memory: the Go heap of this process (customer and follow-up services
//     and workflow worker) before the load, after it, with the due follow-ups open, and
//     after they fired; the resident memory of the Temporal dev server; and
//     the size of the care index;
//   - lateness of the care follow-ups at their due instant: when each
//     follow-up's first step (remind) was recorded, minus its due time.
//
// Run it alone with
//
//	go test ./services/customer -run '^$' -bench BenchmarkCareCadence -benchtime 1x -v
func BenchmarkCareCadence(b *testing.B) {
	n := stacktest.EnvInt("CARE_BENCH_CUSTOMERS", 100_000)
	due := stacktest.EnvInt("CARE_BENCH_DUE", 1_000)
	hostPort, namespace := testenv.Temporal(b)
	startWorker(b, hostPort, namespace, nil)
	s := newStack(b, testenv.Postgres(b), stackOpts{temporal: hostPort, namespace: namespace})
	gdb := s.app.Deps().DB
	fdb := s.FollowUp.Deps().DB // the follow-up service's database: the follow-ups themselves
	tc := s.app.Deps().Temporal
	ctx := context.Background()
	day := 24 * time.Hour
	cadence := map[string]time.Duration{"A": 30 * day, "B": 60 * day, "C": 120 * day}

	for range b.N {
		b.StopTimer()
		heapBefore := stacktest.HeapInUse()

		// The load: customers in care with their care anchors.
		loadStart := time.Now()
		now := time.Now().UTC()
		firstDue := now.Add(time.Minute)
		rng := rand.New(rand.NewPCG(1, 2))
		const batch = 1000
		for from := 0; from < n; from += batch {
			var sb strings.Builder
			sb.WriteString(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage, value_class,
				version, created_by, created_at, updated_at, care_from, care_epoch) VALUES `)
			args := make([]any, 0, batch*11)
			for i := from; i < min(from+batch, n); i++ {
				class := "C"
				switch i % 10 {
				case 0, 1:
					class = "A"
				case 2, 3, 4:
					class = "B"
				}
				var anchor time.Time
				if i < due { // due within the minute after firstDue
					anchor = firstDue.Add(time.Duration(i) * time.Minute / time.Duration(due)).Add(-cadence[class])
				} else { // due between a day and a full cadence from now
					anchor = now.Add(-time.Duration(rng.Int64N(int64(cadence[class] - day))))
				}
				if i > from {
					sb.WriteString(",")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?, 'transacting', ?, 1, 'bench', ?, ?, ?, 0)")
				o := benchOwners[i%len(benchOwners)]
				name := fmt.Sprintf("Care bench %07d", i)
				args = append(args, fmt.Sprintf("care-bench-%07d", i), name, strings.ToLower(name), benchRegions[i%len(benchRegions)],
					benchIndustries[i%len(benchIndustries)], o.owner, o.team, class, now, now, anchor)
			}
			if err := gdb.Exec(sb.String(), args...).Error; err != nil {
				b.Fatal(err)
			}
		}
		if err := gdb.Exec("ANALYZE customers").Error; err != nil {
			b.Fatal(err)
		}
		load := time.Since(loadStart)
		heapLoaded := stacktest.HeapInUse()

		sweep := func(tag string) (*followupv1.CareSweepResult, time.Duration) {
			t0 := time.Now()
			run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfc.CareSweepWorkflowID("bench-" + tag), TaskQueue: wfc.TaskQueue},
				wfc.WorkflowCareSweep, &followupv1.CareSweepInput{Lookahead: durationpb.New(2 * time.Hour), Reason: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			var res followupv1.CareSweepResult
			if err := run.Get(ctx, &res); err != nil {
				b.Fatal(err)
			}
			return &res, time.Since(t0)
		}
		b.StartTimer()
		first, firstTook := sweep("first")
		b.StopTimer()
		if int(first.GetOpened()) != due {
			b.Fatalf("the first sweep opened %d follow-ups, want %d: %+v", first.GetOpened(), due, first)
		}
		// Every follow-up recorded by the customer service, and stored by the
		// follow-up service (its workflow ran its open activity).
		var recorded int64
		gdb.Raw("SELECT COUNT(*) FROM care_followups WHERE closed_at IS NULL").Scan(&recorded)
		if int(recorded) != due {
			b.Fatalf("the customer service recorded %d open care follow-ups, want %d", recorded, due)
		}
		stacktest.Eventually(b, "the care follow-ups to be stored", 5*time.Minute, func() bool {
			var c int64
			fdb.Raw("SELECT COUNT(*) FROM follow_ups WHERE kind = 'care_contact' AND closed_at IS NULL").Scan(&c)
			return int(c) == due
		})
		opened := time.Since(loadStart) - load
		if time.Now().After(firstDue) {
			b.Logf("WARNING: the follow-ups were open only %s after the first due instant; lateness includes that", time.Since(firstDue))
		}
		heapOpen := stacktest.HeapInUse()
		steady, steadyTook := sweep("steady")
		if steady.GetOpened() != 0 {
			b.Fatalf("the steady sweep opened %d", steady.GetOpened())
		}

		// Lateness: when the remind step was recorded, against the due time.
		stacktest.Eventually(b, "every care follow-up to remind its owner", 10*time.Minute, func() bool {
			var c int64
			fdb.Raw("SELECT COUNT(*) FROM follow_ups WHERE kind = 'care_contact' AND escalation_level >= 1").Scan(&c)
			return int(c) == due
		})
		var rows []struct {
			DueAt, UpdatedAt time.Time
		}
		if err := fdb.Raw("SELECT due_at, updated_at FROM follow_ups WHERE kind = 'care_contact' AND escalation_level >= 1").Scan(&rows).Error; err != nil {
			b.Fatal(err)
		}
		late := make([]time.Duration, len(rows))
		for i, r := range rows {
			late[i] = r.UpdatedAt.Sub(r.DueAt)
		}
		heapFired := stacktest.HeapInUse()
		var indexBytes int64
		gdb.Raw("SELECT pg_relation_size('ix_customers_care')").Scan(&indexBytes)
		temporalRSS := rssOf("start-dev")

		b.ReportMetric(firstTook.Seconds(), "first-sweep-s")
		b.ReportMetric(steadyTook.Seconds(), "steady-sweep-s")
		b.ReportMetric(ms(percentile(late, 0.50)), "late-p50-ms")
		b.ReportMetric(ms(percentile(late, 0.99)), "late-p99-ms")
		b.ReportMetric(ms(percentile(late, 1)), "late-max-ms")
		b.Logf("care cadence, %d customers in care, %d due within a minute:", n, due)
		b.Logf("  load %s; first sweep %s (%d pages, scanned %d, opened %d); all follow-ups stored %s after the load",
			load.Round(time.Millisecond), firstTook.Round(time.Millisecond), first.GetPages(), first.GetScanned(), first.GetOpened(), opened.Round(time.Millisecond))
		b.Logf("  steady sweep %s (%d pages, checked %d open, scanned %d, opened %d)",
			steadyTook.Round(time.Millisecond), steady.GetPages(), steady.GetChecked(), steady.GetScanned(), steady.GetOpened())
		b.Logf("  lateness of the remind step at the due instant: p50 %.0f ms, p99 %.0f ms, max %.0f ms (n=%d)",
			ms(percentile(late, 0.50)), ms(percentile(late, 0.99)), ms(percentile(late, 1)), len(late))
		b.Logf("  Go heap in use (services + worker): before %s, after the load %s, follow-ups open %s, after they fired %s",
			stacktest.MiB(heapBefore), stacktest.MiB(heapLoaded), stacktest.MiB(heapOpen), stacktest.MiB(heapFired))
		b.Logf("  Temporal dev server RSS %s; care index %s", stacktest.MiB(temporalRSS), stacktest.MiB(uint64(indexBytes)))
	}
}

// rssOf sums the resident memory of the processes whose command line
// contains match.
func rssOf(match string) uint64 {
	var total uint64
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(cmd), match) {
			continue
		}
		pid, _ := strconv.Atoi(d.Name())
		total += stacktest.ProcRSS(pid)
	}
	return total
}
