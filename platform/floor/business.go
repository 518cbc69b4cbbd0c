package floor

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file is the business side of issue 19's ratios: drivers that run a
// business action the way the floor runs a shape (closed loop with N callers,
// or open loop at a fixed rate), and Check, one figure held against its
// target with its verdict.

// Sample is what a driver measured of a business action.
type Sample struct {
	Clients   int             // concurrent callers (closed loop); 0 for an open loop
	Latencies []time.Duration // of the operations that succeeded, sorted
	Errors    int             // operations that failed
	// FirstError is the first failure's message when Errors > 0.
	FirstError string
	// Elapsed runs from the window's start to the last completion.
	Elapsed time.Duration
	// ServerCPU and ProcessCPU are the CPU time the Temporal server
	// (Options.ServerPID) and this process (the services, workers and
	// clients a benchmark runs in-process) spent per successful operation in
	// the window (Closed); 0 when not known.
	ServerCPU, ProcessCPU time.Duration
}

// Ops is the number of operations that succeeded.
func (s Sample) Ops() int { return len(s.Latencies) }

// P50, P99 and Max are nearest-rank percentiles of the latencies.
func (s Sample) P50() time.Duration { return Percentile(s.Latencies, 0.50) }

// P99 is the 99th percentile (nearest rank).
func (s Sample) P99() time.Duration { return Percentile(s.Latencies, 0.99) }

// Max is the slowest successful operation.
func (s Sample) Max() time.Duration { return Percentile(s.Latencies, 1) }

// Throughput is successful operations per second over Elapsed.
func (s Sample) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(len(s.Latencies)) / s.Elapsed.Seconds()
}

// Summary gives the absolute figures in one phrase: "312 ops in 10.2 s
// (30.6/s), p50 41.0 ms, p99 180.2 ms, max 210.0 ms, 0 errors".
func (s Sample) Summary() string {
	out := fmt.Sprintf("%d ops in %.1f s (%.1f/s), p50 %s, p99 %s, max %s, %d errors",
		s.Ops(), s.Elapsed.Seconds(), s.Throughput(), ms(s.P50()), ms(s.P99()), ms(s.Max()), s.Errors)
	if s.FirstError != "" {
		out += " (first: " + s.FirstError + ")"
	}
	return out + cpuPerOp(s.ServerCPU, s.ProcessCPU)
}

// cpuPerOp describes the CPU time per operation, when known.
func cpuPerOp(server, process time.Duration) string {
	out := ""
	if server > 0 {
		out += ", Temporal server CPU " + ms(server) + "/op"
	}
	if process > 0 {
		out += ", this process's CPU " + ms(process) + "/op"
	}
	return out
}

// Err is an error naming the first failure when any operation failed.
func (s Sample) Err() error {
	if s.Errors == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d operations failed, first: %s", s.Errors, s.Errors+s.Ops(), s.FirstError)
}

// recorder collects the operations of a driver.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	errs      int
	first     error
	lastDone  time.Time
}

func (r *recorder) add(lat time.Duration, done time.Time, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if r.errs == 0 {
			r.first = err
		}
		r.errs++
	} else {
		r.latencies = append(r.latencies, lat)
	}
	if done.After(r.lastDone) {
		r.lastDone = done
	}
}

func (r *recorder) sample(clients int, window time.Time) Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Sample{Clients: clients, Latencies: slices.Clone(r.latencies), Errors: r.errs}
	slices.Sort(s.Latencies)
	if r.first != nil {
		s.FirstError = r.first.Error()
	}
	if !r.lastDone.IsZero() {
		s.Elapsed = r.lastDone.Sub(window)
	}
	return s
}

// Closed runs a closed loop as Runner.Measure does for a shape: o.Clients
// callers (1 when zero), each calling op again as soon as the last call
// returned, for o.Warmup and then o.Duration (10 s when zero); the operations
// that started in the measured window count. prepare, when not nil, runs
// before each op and is not timed (a fresh customer-day, a visit to join); a
// prepare error ends that caller and counts as a failure. op gets the caller
// (0…Clients-1) and its call number.
func Closed(ctx context.Context, o Options, prepare, op func(ctx context.Context, caller, seq int) error) Sample {
	if o.Clients <= 0 {
		o.Clients = 1
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	var rec recorder
	window := time.Now().Add(o.Warmup)
	end := window.Add(o.Duration)
	cpu := meterFrom(window, o.ServerPID)
	var wg sync.WaitGroup
	for i := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; time.Now().Before(end) && ctx.Err() == nil; seq++ {
				if prepare != nil {
					if err := prepare(ctx, i, seq); err != nil {
						rec.add(0, time.Time{}, fmt.Errorf("prepare: %w", err))
						return
					}
				}
				t0 := time.Now()
				err := op(ctx, i, seq)
				done := time.Now()
				if t0.Before(window) {
					continue
				}
				rec.add(done.Sub(t0), done, err)
			}
		}()
	}
	wg.Wait()
	s := rec.sample(o.Clients, window)
	s.ServerCPU, s.ProcessCPU = cpu.perOp(s.Ops())
	return s
}

// Open runs an open loop: op starts every 1/rate seconds for d, each call in
// a goroutine of its own whether or not the earlier ones have returned, as
// independent users would send them. A call's latency runs from the instant
// it was due to start, so that a driver or a machine falling behind shows in
// the figures instead of hiding them. Open returns when every call returned.
func Open(ctx context.Context, rate float64, d time.Duration, op func(ctx context.Context, seq int) error) Sample {
	var rec recorder
	if rate <= 0 || d <= 0 {
		return rec.sample(0, time.Now())
	}
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var wg sync.WaitGroup
	for seq := 0; ctx.Err() == nil; seq++ {
		due := start.Add(time.Duration(seq) * interval)
		if !due.Before(start.Add(d)) {
			break
		}
		if w := time.Until(due); w > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(w):
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := op(ctx, seq)
			done := time.Now()
			rec.add(done.Sub(due), done, err)
		}()
	}
	wg.Wait()
	return rec.sample(0, start)
}

// Environment variables of the sustained-rate runs: BENCH_RATE requests a
// second (default 10) for BENCH_SUSTAIN (default 5m), issue 19's "p99 under
// 500 ms at 10 requests/s sustained for 5 minutes".
const (
	RateEnv    = "BENCH_RATE"
	SustainEnv = "BENCH_SUSTAIN"
)

// SustainFromEnv gives the sustained run's rate and duration from
// BENCH_RATE and BENCH_SUSTAIN.
func SustainFromEnv() (rate float64, d time.Duration, err error) {
	rate, d = 10, 5*time.Minute
	if s := strings.TrimSpace(os.Getenv(RateEnv)); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 || v > 10000 {
			return 0, 0, fmt.Errorf("%s=%q: want requests a second such as 10", RateEnv, s)
		}
		rate = v
	}
	if s := strings.TrimSpace(os.Getenv(SustainEnv)); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil || v <= 0 {
			return 0, 0, fmt.Errorf("%s=%q: want a positive duration such as 5m", SustainEnv, s)
		}
		d = v
	}
	return rate, d, nil
}

// Unit is how a checked figure is written.
type Unit int

const (
	Times   Unit = iota // a ratio to the floor: 1.72×
	Percent             // a share of the floor, in percent: 83 %
	Millis              // milliseconds: 212.4 ms
)

func (u Unit) format(v float64) string {
	switch u {
	case Times:
		return fmt.Sprintf("%.2f×", v)
	case Percent:
		return fmt.Sprintf("%.0f %%", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

// Target is a bound a figure must keep: at most (≤), under (<) or at least
// (≥) a limit.
type Target struct {
	Op    string // "≤", "<" or "≥"
	Limit float64
	Unit  Unit
}

// AtMost, Under and AtLeast make targets.
func AtMost(limit float64, u Unit) Target { return Target{Op: "≤", Limit: limit, Unit: u} }

// Under is a strict upper bound.
func Under(limit float64, u Unit) Target { return Target{Op: "<", Limit: limit, Unit: u} }

// AtLeast is a lower bound.
func AtLeast(limit float64, u Unit) Target { return Target{Op: "≥", Limit: limit, Unit: u} }

// Met says whether v keeps the target.
func (t Target) Met(v float64) bool {
	switch t.Op {
	case "≤":
		return v <= t.Limit
	case "<":
		return v < t.Limit
	case "≥":
		return v >= t.Limit
	}
	return false
}

func (t Target) String() string {
	switch t.Unit {
	case Times:
		return fmt.Sprintf("%s %g×", t.Op, t.Limit)
	case Percent:
		return fmt.Sprintf("%s %g %%", t.Op, t.Limit)
	}
	return fmt.Sprintf("%s %g ms", t.Op, t.Limit)
}

// Check is one business figure held against its target, on one backend.
type Check struct {
	Backend string  // testenv.TemporalBackend(): "dev", "postgres"
	Action  string  // "visit booking, idle, 1 client"
	Figure  string  // "p50 / floor p50", "throughput / floor", "p99"
	Value   float64 // in the target's unit
	Target  Target
	// Detail holds the absolute figures the value comes from.
	Detail string
	// Failed is set when the action's operations failed: the verdict is
	// then MISS whatever the value.
	Failed bool
}

// Pass says whether the figure keeps its target (and no operation failed).
func (c Check) Pass() bool { return !c.Failed && c.Target.Met(c.Value) }

// Verdict is PASS or MISS.
func (c Check) Verdict() string {
	if c.Pass() {
		return "PASS"
	}
	return "MISS"
}

// String is the check's line:
//
//	[postgres] visit booking, idle, 1 client: p50 / floor p50 = 1.72× (target ≤ 2×) PASS — p50 40.3 ms …
func (c Check) String() string {
	s := fmt.Sprintf("[%s] %s: %s = %s (target %s) %s", c.Backend, c.Action, c.Figure, c.Target.Unit.format(c.Value), c.Target, c.Verdict())
	if c.Failed {
		s += " (operations failed)"
	}
	if c.Detail != "" {
		s += " — " + c.Detail
	}
	return s
}

// RatioCheck holds a latency against the floor's p50 (target: at most
// limit times it): the idle targets.
func RatioCheck(f Result, action string, got time.Duration, limit float64, detail string) Check {
	return Check{Backend: f.Backend, Action: action, Figure: "p50 / floor p50", Value: f.LatencyRatio(got),
		Target: AtMost(limit, Times), Detail: detail + fmt.Sprintf("; floor %s, %s%s: p50 %s", f.Shape, clients(f.Clients), f.Pollers, ms(f.P50))}
}

// ShareCheck holds a throughput against the floor's (target: at least
// percent of it): the concurrency targets.
func ShareCheck(f Result, action string, perSecond, percent float64, detail string) Check {
	return Check{Backend: f.Backend, Action: action, Figure: "throughput / floor throughput", Value: 100 * f.ThroughputRatio(perSecond),
		Target: AtLeast(percent, Percent), Detail: detail + fmt.Sprintf("; floor %s, %s%s: %.1f/s, p50 %s", f.Shape, clients(f.Clients), f.Pollers, f.Throughput(), ms(f.P50)) + cpuPerOp(f.ServerCPU, f.ProcessCPU)}
}

// LatencyCheck holds a latency against an absolute bound (target: under
// limit).
func LatencyCheck(backend, action, figure string, got, limit time.Duration, detail string) Check {
	return Check{Backend: backend, Action: action, Figure: figure, Value: float64(got.Microseconds()) / 1000,
		Target: Under(float64(limit.Microseconds())/1000, Millis), Detail: detail}
}

func clients(n int) string {
	if n == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", n)
}

// WriteChecks writes checks as a Markdown table.
func WriteChecks(w io.Writer, title string, checks []Check) {
	fmt.Fprintf(w, "\n%s, %s\n\n", title, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintln(w, "| backend | action | figure | value | target | verdict | figures |")
	fmt.Fprintln(w, "| --- | --- | --- | ---: | --- | --- | --- |")
	for _, c := range checks {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", c.Backend, c.Action, c.Figure, c.Target.Unit.format(c.Value), c.Target, c.Verdict(),
			strings.ReplaceAll(c.Detail, "|", "/"))
	}
	fmt.Fprintln(w)
}
