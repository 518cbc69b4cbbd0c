package floor_test

import (
	"bytes"
	"context"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/floor"
	"github.com/closeloop/closeloop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPercentileIsTheNearestRank(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100 … 1, unsorted
	}
	for _, tc := range []struct {
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.99, 7 * time.Millisecond},
		{ms(3, 1, 2), 0.5, 2 * time.Millisecond},
		{ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{ms(hundred...), 0.5, 50 * time.Millisecond},
		{ms(hundred...), 0.99, 99 * time.Millisecond},
		{ms(hundred...), 1, 100 * time.Millisecond},
	} {
		in := append([]time.Duration(nil), tc.in...)
		if got := floor.Percentile(tc.in, tc.q); got != tc.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.in, tc.q, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("Percentile reordered its input")
			}
		}
	}
}

func TestRatiosAndTheTable(t *testing.T) {
	f := floor.Result{Backend: "postgres", Shape: floor.UpdateWithStart, Clients: 16, Ops: 410, Elapsed: 10 * time.Second,
		P50: 40 * time.Millisecond, P99: 300 * time.Millisecond, ServerCPU: 2500 * time.Microsecond}
	if got := f.Throughput(); got != 41 {
		t.Fatalf("throughput %v, want 41", got)
	}
	if got := f.LatencyRatio(80 * time.Millisecond); got != 2 {
		t.Fatalf("latency ratio %v, want 2", got)
	}
	if got := f.ThroughputRatio(32.8); got < 0.7999 || got > 0.8001 {
		t.Fatalf("throughput ratio %v, want 0.8", got)
	}
	if got := (floor.Result{}).LatencyRatio(time.Second) + (floor.Result{}).ThroughputRatio(3); got != 0 {
		t.Fatalf("ratios to no floor must be 0, got %v", got)
	}
	cmp := f.Compare("visit request", 84*time.Millisecond, 13.1)
	for _, want := range []string{"visit request on postgres", "2.1× the floor", "p50 40.0 ms", "32 % of the floor's 41.0/s"} {
		if !strings.Contains(cmp, want) {
			t.Errorf("Compare = %q, missing %q", cmp, want)
		}
	}
	var buf bytes.Buffer
	floor.WriteTable(&buf, []floor.Result{f, {Backend: "dev", Shape: floor.Signal, Clients: 1, Ops: 5, Elapsed: time.Second, P50: 12 * time.Second}})
	for _, want := range []string{"engine floor on postgres, dev,", "| postgres | UpdateWithStartWorkflow of a new workflow, update completed | 16 | 40.0 ms | 300.0 ms | 41.0 /s | 2.5 ms | 410 | 0 |",
		"| dev | signal to a running workflow | 1 | 12.0 s | 0.0 ms | 5.0 /s | — | 5 | 0 |"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table misses %q:\n%s", want, buf.String())
		}
	}
}

func TestOptionsFromEnv(t *testing.T) {
	for _, tc := range []struct {
		dur, warm string
		want      floor.Options
		bad       bool
	}{
		{"", "", floor.Options{Clients: 4, Duration: 10 * time.Second, Warmup: 2 * time.Second}, false},
		{"3s", "0s", floor.Options{Clients: 4, Duration: 3 * time.Second}, false},
		{"0s", "", floor.Options{}, true},
		{"ten", "", floor.Options{}, true},
		{"1s", "-1s", floor.Options{}, true},
	} {
		t.Setenv(floor.DurationEnv, tc.dur)
		t.Setenv(floor.WarmupEnv, tc.warm)
		got, err := floor.OptionsFromEnv(4)
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "FLOOR_") {
				t.Errorf("%q/%q: want an error naming the variable, got %v", tc.dur, tc.warm, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q/%q: %+v, %v; want %+v", tc.dur, tc.warm, got, err, tc.want)
		}
	}
}

// The floor's pollers come from the services' variables, in their ranges.
func TestPollersFromEnv(t *testing.T) {
	for _, tc := range []struct {
		wf, act string
		want    floor.Pollers
		bad     string // the variable the error names
	}{
		{"", "", floor.Pollers{}, ""},
		{"8", "", floor.Pollers{WorkflowTask: 8}, ""},
		{" 2 ", "1", floor.Pollers{WorkflowTask: 2, ActivityTask: 1}, ""},
		{"1", "", floor.Pollers{}, floor.WorkflowTaskPollersEnv}, // one would leave the sticky queue or the normal one unpolled
		{"101", "", floor.Pollers{}, floor.WorkflowTaskPollersEnv},
		{"eight", "", floor.Pollers{}, floor.WorkflowTaskPollersEnv},
		{"8", "0", floor.Pollers{}, floor.ActivityTaskPollersEnv},
	} {
		t.Setenv(floor.WorkflowTaskPollersEnv, tc.wf)
		t.Setenv(floor.ActivityTaskPollersEnv, tc.act)
		got, err := floor.PollersFromEnv()
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%q, %q: err %v, want one naming %s", tc.wf, tc.act, err, tc.bad)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q, %q: %+v, %v; want %+v", tc.wf, tc.act, got, err, tc.want)
		}
	}
	if s := (floor.Pollers{WorkflowTask: 8}).String(); s != ", 8 workflow-task pollers" {
		t.Errorf("String %q", s)
	}
	if s := (floor.Pollers{}).String(); s != "" {
		t.Errorf("the SDK's default named: %q", s)
	}
}

// Every shape runs on testenv's Temporal with one and two callers, without
// errors, and leaves no workflow of its own running.
func TestEveryShapeRunsAndLeavesNothingRunning(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: namespace,
		Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Pollers other than the SDK's default, as a benchmark run with
	// TEMPORAL_WORKFLOW_TASK_POLLERS=4 starts its floor.
	pollers := floor.Pollers{WorkflowTask: 4, ActivityTask: 3}
	r, err := floor.Start(c, testenv.TemporalBackend(), pollers)
	if err != nil {
		t.Fatal(err)
	}
	pid := testenv.TemporalServerPID()
	r.WatchServer(pid)
	ctx := context.Background()
	var cpu time.Duration
	for _, shape := range floor.Shapes {
		for _, n := range []int{1, 2} {
			res, err := r.Measure(ctx, shape, floor.Options{Clients: n, Duration: time.Second, Warmup: 200 * time.Millisecond})
			if err != nil {
				t.Fatalf("%s, %d clients: %v", shape, n, err)
			}
			if res.Ops < n || res.Errors != 0 || res.P50 <= 0 || res.P99 < res.P50 || res.Throughput() <= 0 || res.Shape != shape || res.Clients != n || res.Pollers != pollers {
				t.Errorf("%s, %d clients: %+v", shape, n, res)
			}
			cpu += res.ServerCPU
		}
	}
	r.Close()
	if runtime.GOOS == "linux" && pid != 0 && cpu == 0 {
		t.Errorf("the server (pid %d) used no CPU time in any window: /proc not read?", pid)
	}
	// Every workflow the shapes started has ended (the running ones were told to stop).
	deadline := time.Now().Add(20 * time.Second)
	for {
		open, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: namespace, Query: "WorkflowType = 'closeloop.floor.Sink' AND ExecutionStatus = 'Running'"})
		if err != nil {
			t.Fatal(err)
		}
		if open.GetCount() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d running workflows left behind", open.GetCount())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestOfMeasuresOnceAndRemembers(t *testing.T) {
	t.Setenv(floor.DurationEnv, "1s")
	t.Setenv(floor.WarmupEnv, "0s")
	start := time.Now()
	a := floor.Of(t, floor.StartActivity, 2)
	first := time.Since(start)
	if a.Ops == 0 || a.Backend != testenv.TemporalBackend() || a.Shape != floor.StartActivity || a.Clients != 2 {
		t.Fatalf("floor %+v", a)
	}
	start = time.Now()
	if b := floor.Of(t, floor.StartActivity, 2); b != a {
		t.Fatalf("second call measured again: %+v vs %+v", b, a)
	}
	if again := time.Since(start); again > first/4 {
		t.Fatalf("second call took %v, the first %v: not remembered", again, first)
	}
}
