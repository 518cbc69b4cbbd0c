package floor_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/floor"
)

func TestClosedCountsTheWindowOnly(t *testing.T) {
	var calls, prepared atomic.Int64
	var mu sync.Mutex
	callers := map[int]bool{}
	s := floor.Closed(context.Background(), floor.Options{Clients: 3, Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond},
		func(_ context.Context, caller, _ int) error {
			prepared.Add(1)
			time.Sleep(5 * time.Millisecond) // not timed
			return nil
		},
		func(_ context.Context, caller, seq int) error {
			mu.Lock()
			callers[caller] = true
			mu.Unlock()
			n := calls.Add(1)
			time.Sleep(10 * time.Millisecond)
			if n%10 == 0 {
				return errors.New("tenth call fails")
			}
			return nil
		})
	if len(callers) != 3 || s.Clients != 3 {
		t.Fatalf("callers %v, sample clients %d", callers, s.Clients)
	}
	if prepared.Load() != calls.Load() {
		t.Fatalf("%d prepares for %d calls", prepared.Load(), calls.Load())
	}
	// The warm-up's calls are not counted: 3 callers × ~15 ms a round over
	// 400 ms make about 80 calls, about 60 of them in the window.
	if counted := int64(s.Ops() + s.Errors); counted >= calls.Load() || counted < 10 {
		t.Fatalf("counted %d of %d calls", counted, calls.Load())
	}
	if s.Errors == 0 || !strings.Contains(s.FirstError, "tenth call fails") || s.Err() == nil {
		t.Fatalf("errors %d, first %q, err %v", s.Errors, s.FirstError, s.Err())
	}
	if s.P50() < 10*time.Millisecond || s.P50() > s.P99() || s.P99() > s.Max() {
		t.Fatalf("p50 %v p99 %v max %v: the untimed prepare leaked in, or the percentiles are out of order", s.P50(), s.P99(), s.Max())
	}
	// The elapsed time runs from the window's start to the last completion.
	if s.Elapsed < 300*time.Millisecond || s.Elapsed > 2*time.Second || s.Throughput() <= 0 {
		t.Fatalf("elapsed %v, throughput %v", s.Elapsed, s.Throughput())
	}
	for _, want := range []string{" ops in ", "/s), p50 ", " errors (first: tenth call fails)"} {
		if !strings.Contains(s.Summary(), want) {
			t.Errorf("summary %q misses %q", s.Summary(), want)
		}
	}
}

func TestClosedStopsACallerWhosePreparationFails(t *testing.T) {
	var calls atomic.Int64
	s := floor.Closed(context.Background(), floor.Options{Clients: 2, Duration: 200 * time.Millisecond},
		func(_ context.Context, caller, seq int) error {
			if caller == 1 && seq == 2 {
				return errors.New("out of customer-days")
			}
			return nil
		},
		func(context.Context, int, int) error { calls.Add(1); time.Sleep(time.Millisecond); return nil })
	if s.Errors != 1 || !strings.Contains(s.FirstError, "prepare: out of customer-days") {
		t.Fatalf("errors %d, first %q", s.Errors, s.FirstError)
	}
	if s.Ops() < 3 || int64(s.Ops()) != calls.Load() {
		t.Fatalf("%d ops counted of %d calls", s.Ops(), calls.Load())
	}
}

// The open loop starts calls on schedule even when each takes longer than
// the interval, and times each from the instant it was due.
func TestOpenKeepsItsRateAndTimesFromTheSchedule(t *testing.T) {
	var running, most atomic.Int64
	s := floor.Open(context.Background(), 100, 300*time.Millisecond, func(context.Context, int) error {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond) // five intervals
		running.Add(-1)
		return nil
	})
	if s.Ops() != 30 || s.Errors != 0 || s.Clients != 0 {
		t.Fatalf("%d ops, %d errors; want 30 calls at 100/s over 300 ms", s.Ops(), s.Errors)
	}
	if most.Load() < 3 {
		t.Fatalf("at most %d calls ran at once: the loop waited for them", most.Load())
	}
	if s.P50() < 50*time.Millisecond || s.Elapsed < 300*time.Millisecond {
		t.Fatalf("p50 %v, elapsed %v", s.P50(), s.Elapsed)
	}
	if got := floor.Open(context.Background(), 0, time.Second, nil); got.Ops() != 0 || got.Throughput() != 0 {
		t.Fatalf("no rate: %+v", got)
	}
}

func TestSustainFromEnv(t *testing.T) {
	for _, tc := range []struct {
		rate, dur string
		wantRate  float64
		wantDur   time.Duration
		bad       string
	}{
		{"", "", 10, 5 * time.Minute, ""},
		{"2.5", "20s", 2.5, 20 * time.Second, ""},
		{"0", "", 0, 0, "BENCH_RATE"},
		{"fast", "", 0, 0, "BENCH_RATE"},
		{"", "0s", 0, 0, "BENCH_SUSTAIN"},
		{"", "five minutes", 0, 0, "BENCH_SUSTAIN"},
	} {
		t.Setenv(floor.RateEnv, tc.rate)
		t.Setenv(floor.SustainEnv, tc.dur)
		rate, d, err := floor.SustainFromEnv()
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%q/%q: want an error naming %s, got %v", tc.rate, tc.dur, tc.bad, err)
			}
			continue
		}
		if err != nil || rate != tc.wantRate || d != tc.wantDur {
			t.Errorf("%q/%q: %v, %v, %v", tc.rate, tc.dur, rate, d, err)
		}
	}
}

func TestTargetsAndCheckLines(t *testing.T) {
	for _, tc := range []struct {
		target floor.Target
		v      float64
		met    bool
		text   string
	}{
		{floor.AtMost(2, floor.Times), 2, true, "≤ 2×"},
		{floor.AtMost(2, floor.Times), 2.01, false, "≤ 2×"},
		{floor.Under(300, floor.Millis), 300, false, "< 300 ms"},
		{floor.Under(300, floor.Millis), 299.9, true, "< 300 ms"},
		{floor.AtLeast(80, floor.Percent), 80, true, "≥ 80 %"},
		{floor.AtLeast(80, floor.Percent), 79.6, false, "≥ 80 %"},
		{floor.Target{Op: "?", Limit: 1}, 1, false, "? 1×"},
	} {
		if got := tc.target.Met(tc.v); got != tc.met {
			t.Errorf("%s met by %v: %v", tc.target, tc.v, got)
		}
		if tc.target.String() != tc.text {
			t.Errorf("target %q, want %q", tc.target.String(), tc.text)
		}
	}

	one := floor.Result{Backend: "postgres", Shape: floor.UpdateWithStart, Clients: 1, Ops: 100, Elapsed: 4 * time.Second, P50: 25 * time.Millisecond}
	idle := floor.RatioCheck(one, "visit booking, idle, 1 client", 43*time.Millisecond, 2, "p50 43.0 ms")
	if !idle.Pass() || idle.Value != 1.72 {
		t.Fatalf("idle check %+v", idle)
	}
	want := "[postgres] visit booking, idle, 1 client: p50 / floor p50 = 1.72× (target ≤ 2×) PASS — p50 43.0 ms; floor update-with-start, 1 client: p50 25.0 ms"
	if idle.String() != want {
		t.Fatalf("line\n%s\nwant\n%s", idle, want)
	}

	sixteen := floor.Result{Backend: "dev", Shape: floor.StartActivity, Clients: 16, Ops: 400, Elapsed: 10 * time.Second, P50: 300 * time.Millisecond}
	share := floor.ShareCheck(sixteen, "lead creation, 16 clients", 30, 80, "30.0/s")
	if share.Pass() || share.Value != 75 || !strings.Contains(share.String(), "= 75 % (target ≥ 80 %) MISS — 30.0/s; floor start+activity, 16 clients: 40.0/s") {
		t.Fatalf("share %q", share)
	}
	sixteen.Pollers = floor.Pollers{WorkflowTask: 8}
	if share := floor.ShareCheck(sixteen, "lead creation, 16 clients", 30, 80, "30.0/s"); !strings.Contains(share.String(), "; floor start+activity, 16 clients, 8 workflow-task pollers: 40.0/s") {
		t.Fatalf("a floor with more pollers than the SDK's default does not say so: %q", share)
	}

	p99 := floor.LatencyCheck("dev", "visit booking, 10/s for 5m", "p99", 212400*time.Microsecond, 500*time.Millisecond, "p50 80 ms")
	if !p99.Pass() || !strings.Contains(p99.String(), "p99 = 212.4 ms (target < 500 ms) PASS") {
		t.Fatalf("p99 %q", p99)
	}
	p99.Failed = true
	if p99.Pass() || !strings.Contains(p99.String(), "MISS (operations failed)") {
		t.Fatalf("a check whose operations failed passes: %q", p99)
	}

	var buf bytes.Buffer
	floor.WriteChecks(&buf, "visits against the floor on postgres", []floor.Check{idle, share})
	for _, line := range []string{"visits against the floor on postgres, ", "| backend | action | figure | value | target | verdict | figures |",
		"| postgres | visit booking, idle, 1 client | p50 / floor p50 | 1.72× | ≤ 2× | PASS | p50 43.0 ms; floor update-with-start, 1 client: p50 25.0 ms |",
		"| dev | lead creation, 16 clients | throughput / floor throughput | 75 % | ≥ 80 % | MISS |"} {
		if !strings.Contains(buf.String(), line) {
			t.Errorf("table misses %q:\n%s", line, buf.String())
		}
	}
}
