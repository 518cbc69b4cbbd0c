package floor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/testenv"
)

// Result is one measured floor.
type Result struct {
	Backend  string // "dev", "postgres", … (testenv.TemporalBackend)
	Shape    Shape
	Clients  int
	Pollers  Pollers       // the floor worker's (zero: the SDK's default)
	Ops      int           // operations that completed in the measured window
	Errors   int           // operations that failed in it
	Elapsed  time.Duration // from the window's start to the last completion
	P50, P99 time.Duration
	// FirstError is the first failure's message when Errors > 0.
	FirstError string
	// ServerCPU is the CPU time the Temporal server process spent per
	// operation in the window (Runner.WatchServer); 0 when not known.
	ServerCPU time.Duration
	// ProcessCPU is the CPU time the measuring process (the floor's clients
	// and worker) spent per operation in the window; 0 when not known.
	ProcessCPU time.Duration
}

// Throughput is completed operations per second over the measured window.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// LatencyRatio is a business action's latency over the floor's p50 (2.0: the
// action takes twice the floor); 0 without a floor.
func (r Result) LatencyRatio(d time.Duration) float64 {
	if r.P50 <= 0 {
		return 0
	}
	return float64(d) / float64(r.P50)
}

// ThroughputRatio is a business action's throughput over the floor's (0.8: the
// action reaches 80 % of the floor); 0 without a floor.
func (r Result) ThroughputRatio(perSecond float64) float64 {
	t := r.Throughput()
	if t <= 0 {
		return 0
	}
	return perSecond / t
}

// Compare puts a business action's figures beside the floor, for a
// benchmark's log: p50 as a multiple of the floor's p50, and, when perSecond
// is above zero, throughput as a share of the floor's.
func (r Result) Compare(action string, p50 time.Duration, perSecond float64) string {
	s := fmt.Sprintf("%s on %s: p50 %s = %.1f× the floor (%s, %d clients: p50 %s)",
		action, r.Backend, ms(p50), r.LatencyRatio(p50), r.Shape, r.Clients, ms(r.P50))
	if perSecond > 0 {
		s += fmt.Sprintf("; %.1f/s = %.0f %% of the floor's %.1f/s", perSecond, 100*r.ThroughputRatio(perSecond), r.Throughput())
	}
	return s
}

// WriteTable writes results as a Markdown table headed by the backend, the
// date and the machine's CPU count.
func WriteTable(w io.Writer, results []Result) {
	backends := []string{}
	for _, r := range results {
		if !contains(backends, r.Backend) {
			backends = append(backends, r.Backend)
		}
	}
	fmt.Fprintf(w, "\nengine floor on %s, %s, %d CPUs\n\n", strings.Join(backends, ", "), time.Now().UTC().Format("2006-01-02"), runtime.NumCPU())
	fmt.Fprintln(w, "| backend | operation | clients | p50 | p99 | throughput | server CPU per op | ops | errors |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range results {
		cpu := "—"
		if r.ServerCPU > 0 {
			cpu = ms(r.ServerCPU)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %.1f /s | %s | %d | %d |\n",
			r.Backend, r.Shape.Describe(), r.Clients, ms(r.P50), ms(r.P99), r.Throughput(), cpu, r.Ops, r.Errors)
	}
	fmt.Fprintln(w)
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Environment variables that size the floor's measurements: FLOOR_DURATION
// (measured window of each shape and concurrency, default 10s) and
// FLOOR_WARMUP (not counted before it, default 2s).
const (
	DurationEnv = "FLOOR_DURATION"
	WarmupEnv   = "FLOOR_WARMUP"
)

// OptionsFromEnv gives the measurement window from FLOOR_DURATION and
// FLOOR_WARMUP, for clients callers.
func OptionsFromEnv(clients int) (Options, error) {
	o := Options{Clients: clients, Duration: 10 * time.Second, Warmup: 2 * time.Second}
	for _, v := range []struct {
		name string
		to   *time.Duration
	}{{DurationEnv, &o.Duration}, {WarmupEnv, &o.Warmup}} {
		s := strings.TrimSpace(os.Getenv(v.name))
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || (v.name == DurationEnv && d == 0) {
			return o, fmt.Errorf("%s=%q: want a positive duration such as 10s", v.name, s)
		}
		*v.to = d
	}
	return o, nil
}

// The variables the floor worker's pollers are read from: the same the
// services' workers read theirs from (platform/service), so that a benchmark
// run with more pollers for its services measures its floor with as many,
// and the ratio stays the design's cost, not the pollers'.
const (
	WorkflowTaskPollersEnv = "TEMPORAL_WORKFLOW_TASK_POLLERS"
	ActivityTaskPollersEnv = "TEMPORAL_ACTIVITY_TASK_POLLERS"
)

// PollersFromEnv gives the floor worker's pollers from
// TEMPORAL_WORKFLOW_TASK_POLLERS (2–100) and TEMPORAL_ACTIVITY_TASK_POLLERS
// (1–100), the services' ranges; unset, the SDK's default.
func PollersFromEnv() (Pollers, error) {
	var p Pollers
	for _, v := range []struct {
		name string
		min  int
		to   *int
	}{{WorkflowTaskPollersEnv, 2, &p.WorkflowTask}, {ActivityTaskPollersEnv, 1, &p.ActivityTask}} {
		s := strings.TrimSpace(os.Getenv(v.name))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < v.min || n > 100 {
			return Pollers{}, fmt.Errorf("%s=%q: want a number of pollers from %d to 100", v.name, s, v.min)
		}
		*v.to = n
	}
	return p, nil
}

// String names the pollers set, for a check line (", 8 workflow-task
// pollers"); "" when both are the SDK's default.
func (p Pollers) String() string {
	s := ""
	if p.WorkflowTask > 0 {
		s += fmt.Sprintf(", %d workflow-task pollers", p.WorkflowTask)
	}
	if p.ActivityTask > 0 {
		s += fmt.Sprintf(", %d activity-task pollers", p.ActivityTask)
	}
	return s
}

var (
	ofMu    sync.Mutex
	ofCache = map[string]Result{}
)

// Of returns the floor of shape with the given concurrent callers on the
// Temporal that testenv gives this test process (the dev server, or the one of
// CLOSELOOP_TEMPORAL_ADDRESS), measured at the first call with the window of
// FLOOR_DURATION and FLOOR_WARMUP and remembered for the process. Benchmarks
// call it to report a business action against its floor:
//
//	f := floor.Of(b, floor.UpdateWithStart, 16)
//	b.Log(f.Compare("visit request", p50, perSecond))
//
// The package's TestMain must call testenv.Main.
func Of(tb testing.TB, shape Shape, clients int) Result {
	tb.Helper()
	key := fmt.Sprintf("%s/%d", shape, clients)
	ofMu.Lock()
	defer ofMu.Unlock()
	if r, ok := ofCache[key]; ok {
		return r
	}
	o, err := OptionsFromEnv(clients)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := MeasureOnTestenv(tb, shape, o)
	if err != nil {
		tb.Fatal(err)
	}
	ofCache[key] = r
	return r
}

// MeasureOnTestenv measures shape on testenv's Temporal with a runner of its
// own, stopped before it returns.
func MeasureOnTestenv(tb testing.TB, shape Shape, o Options) (Result, error) {
	tb.Helper()
	hostPort, namespace := testenv.Temporal(tb)
	ctx := context.Background()
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := client.DialContext(dctx, client.Options{HostPort: hostPort, Namespace: namespace,
		Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return Result{}, fmt.Errorf("floor: dial Temporal at %s: %w", hostPort, err)
	}
	defer c.Close()
	p, err := PollersFromEnv()
	if err != nil {
		return Result{}, err
	}
	r, err := Start(c, testenv.TemporalBackend(), p)
	if err != nil {
		return Result{}, err
	}
	defer r.Close()
	r.WatchServer(testenv.TemporalServerPID())
	return r.Measure(ctx, shape, o)
}
