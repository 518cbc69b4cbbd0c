package service_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"gorm.io/gorm"
)

// What BenchmarkCaseBreaches reads from the environment.

func benchDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// watchBreaches installs, in the benchmark's throwaway databases only,
// triggers that note the wall-clock instant (clock_timestamp) at which each
// first-response breach and each reminder step is written: the services keep
// the workflow's own instants (workflow.Now at the decision), which leave
// out the activity that stores them.
func watchBreaches(b *testing.B, serviceDB, followUpDB *gorm.DB) {
	b.Helper()
	exec := func(gdb *gorm.DB, sql string) {
		b.Helper()
		if err := gdb.Exec(sql).Error; err != nil {
			b.Fatalf("%v\n%s", err, sql)
		}
	}
	exec(serviceDB, `CREATE TABLE bench_breaches (case_id VARCHAR(36) PRIMARY KEY, due_at TIMESTAMPTZ, breached_at TIMESTAMPTZ,
		decided_at TIMESTAMPTZ, stored_at TIMESTAMPTZ NOT NULL)`)
	exec(serviceDB, `CREATE FUNCTION bench_note_breach() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.target = 'first_response' AND NEW.state = 'breached' THEN
				INSERT INTO bench_breaches VALUES (NEW.case_id, NEW.due_at, NEW.breached_at, NEW.updated_at, clock_timestamp())
				ON CONFLICT (case_id) DO NOTHING;
			END IF;
			RETURN NEW;
		END $$`)
	exec(serviceDB, `CREATE TRIGGER bench_note_breach AFTER INSERT OR UPDATE ON case_sla FOR EACH ROW EXECUTE FUNCTION bench_note_breach()`)
	watchSteps(b, followUpDB)
}

// watchSteps installs, in the benchmark's throwaway follow-up database, a
// trigger that notes the wall-clock instant at which each ladder step is
// written (bench_steps).
func watchSteps(b *testing.B, followUpDB *gorm.DB) {
	b.Helper()
	exec := func(gdb *gorm.DB, sql string) {
		b.Helper()
		if err := gdb.Exec(sql).Error; err != nil {
			b.Fatalf("%v\n%s", err, sql)
		}
	}
	exec(followUpDB, `CREATE TABLE bench_steps (event_id VARCHAR(36) PRIMARY KEY, follow_up_id VARCHAR(36) NOT NULL, action VARCHAR(40) NOT NULL,
		scheduled_at TIMESTAMPTZ, ran_at TIMESTAMPTZ NOT NULL, stored_at TIMESTAMPTZ NOT NULL)`)
	exec(followUpDB, `CREATE FUNCTION bench_note_step() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.scheduled_at IS NOT NULL THEN
				INSERT INTO bench_steps VALUES (NEW.id, NEW.follow_up_id, NEW.action, NEW.scheduled_at, NEW.at, clock_timestamp())
				ON CONFLICT (event_id) DO NOTHING;
			END IF;
			RETURN NEW;
		END $$`)
	exec(followUpDB, `CREATE TRIGGER bench_note_step AFTER INSERT ON follow_up_events FOR EACH ROW EXECUTE FUNCTION bench_note_step()`)
}

// countOf runs a COUNT query.
func countOf(b *testing.B, gdb *gorm.DB, sql string, args ...any) int64 {
	b.Helper()
	var n int64
	if err := gdb.Raw(sql, args...).Scan(&n).Error; err != nil {
		b.Fatal(err)
	}
	return n
}

// lateness is a distribution of how late something happened after its
// instant.
type lateness []time.Duration

func (l lateness) String() string {
	if len(l) == 0 {
		return "none"
	}
	return fmt.Sprintf("n %d  p50 %s  p95 %s  p99 %s  max %s  min %s", len(l), round(l.q(.5)), round(l.q(.95)),
		round(l.q(.99)), round(l.q(1)), round(l.q(0)))
}

// q is the nearest-rank p-quantile.
func (l lateness) q(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(l))
	i := int(float64(len(s))*p+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// benchMillis is d in milliseconds.
func benchMillis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func round(d time.Duration) time.Duration {
	if d.Abs() < 10*time.Millisecond {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// memSample is the benchmark process's memory at one point: the Go heap
// after a forced collection, and what the operating system sees.
type memSample struct {
	heapInuse, heapAlloc, stack, sys uint64
	rss                              int64
	goroutines                       int
}

func sampleMemory(b *testing.B) memSample {
	b.Helper()
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rss, _ := procStatus(b, os.Getpid())
	return memSample{heapInuse: m.HeapInuse, heapAlloc: m.HeapAlloc, stack: m.StackInuse, sys: m.Sys, rss: rss, goroutines: runtime.NumGoroutine()}
}

func (m memSample) String() string {
	return fmt.Sprintf("heap in use %.1f MiB (live %.1f MiB), stacks %.1f MiB, Go Sys %.1f MiB, VmRSS %.1f MiB, %d goroutines",
		mib(int64(m.heapInuse)), mib(int64(m.heapAlloc)), mib(int64(m.stack)), mib(int64(m.sys)), mib(m.rss), m.goroutines)
}

// perCase is the growth from base to now per case, in KiB.
func perCase(now, base uint64, cases int64) float64 {
	return float64(int64(now)-int64(base)) / float64(cases) / 1024
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// purgeWorkflowCache empties the worker's sticky workflow cache (every
// cached workflow is replayed from its history at its next task), so the
// memory it held can be told from the rest of the process.
func purgeWorkflowCache() { worker.PurgeStickyWorkflowCache() }

// procStatus reads a process's resident and peak resident set sizes.
func procStatus(b *testing.B, pid int) (rss, hwm int64) {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0 // not Linux: no figure
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

// temporalServerRSS is the resident size of the Temporal dev server that
// testenv started as a child of this process (0 if none is found).
func temporalServerRSS(b *testing.B) int64 {
	b.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := strconv.Itoa(os.Getpid())
	for _, p := range stats {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(raw)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 2 || f[1] != me || !strings.Contains(s[open+1:end], "temporal") {
			continue
		}
		pid, _ := strconv.Atoi(strings.Fields(s)[0])
		rss, _ := procStatus(b, pid)
		return rss
	}
	return 0
}

// dumpLateness writes, when BENCH_DUMP names a file, one CSV line per breach
// and per reminder: what, its deadline (RFC 3339, ns), how late it was
// stored and how late the workflow decided it, in milliseconds — in the
// order of the deadlines.
func dumpLateness(b *testing.B, breaches []struct{ DueAt, BreachedAt, DecidedAt, StoredAt time.Time },
	steps []struct{ ScheduledAt, RanAt, StoredAt time.Time }) {
	b.Helper()
	path := os.Getenv("BENCH_DUMP")
	if path == "" {
		return
	}
	type row struct {
		what            string
		due             time.Time
		stored, decided time.Duration
	}
	var rows []row
	for _, r := range breaches {
		rows = append(rows, row{"breach", r.DueAt, r.StoredAt.Sub(r.DueAt), r.DecidedAt.Sub(r.DueAt)})
	}
	for _, r := range steps {
		rows = append(rows, row{"remind", r.ScheduledAt, r.StoredAt.Sub(r.ScheduledAt), r.RanAt.Sub(r.ScheduledAt)})
	}
	slices.SortFunc(rows, func(x, y row) int { return x.due.Compare(y.due) })
	var sb strings.Builder
	sb.WriteString("what,due,stored_ms,decided_ms\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "%s,%s,%.1f,%.1f\n", r.what, r.due.UTC().Format(time.RFC3339Nano), benchMillis(r.stored), benchMillis(r.decided))
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Errorf("BENCH_DUMP: %v", err)
		return
	}
	b.Logf("every breach and reminder written to %s", path)
}

// traceLatest logs, for the n latest reminders, their workflow's history
// events from a second before the step's instant to three after, with each
// event's time relative to that instant: where the lateness went.
func traceLatest(b *testing.B, tc client.Client, fdb *gorm.DB, n int) {
	b.Helper()
	var late []struct {
		WorkflowID  string
		ScheduledAt time.Time
		StoredAt    time.Time
	}
	if err := fdb.Raw(`SELECT f.workflow_id, st.scheduled_at, st.stored_at FROM bench_steps st JOIN follow_ups f ON f.id = st.follow_up_id
		WHERE st.action = 'remind' ORDER BY st.stored_at - st.scheduled_at DESC LIMIT ?`, n).Scan(&late).Error; err != nil {
		b.Errorf("latest reminders: %v", err)
		return
	}
	for _, l := range late {
		var sb strings.Builder
		it := tc.GetWorkflowHistory(context.Background(), l.WorkflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				fmt.Fprintf(&sb, "  history: %v\n", err)
				break
			}
			d := e.GetEventTime().AsTime().Sub(l.ScheduledAt)
			if d < -time.Second || d > 3*time.Second {
				continue
			}
			what := ""
			if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
				what = a.GetActivityType().GetName() + " on " + a.GetTaskQueue().GetName()
			}
			if a := e.GetWorkflowTaskScheduledEventAttributes(); a != nil {
				what = "queue " + a.GetTaskQueue().GetName()
			}
			if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
				what = "attempt " + fmt.Sprint(a.GetAttempt())
			}
			fmt.Fprintf(&sb, "  %+8.1f ms  #%d %s %s\n", float64(d.Microseconds())/1000, e.GetEventId(), e.GetEventType(), what)
		}
		b.Logf("reminder of %s scheduled %s, stored %v late; its history around then:\n%s", l.WorkflowID,
			l.ScheduledAt.UTC().Format("15:04:05.000"), l.StoredAt.Sub(l.ScheduledAt).Round(time.Millisecond), sb.String())
	}
}
