// Package floor measures the Temporal engine's own floor: what the simplest
// workflow of each shape of work Closeloop uses costs on a given Temporal, with
// client, worker, Temporal and its database on the same machine. A business
// action is then judged by its ratio to the floor of its shape measured in the
// same run on the same backend (issue 19): that ratio is what the design costs,
// whatever the machine.
//
// The shapes (Shapes): an update-with-start of a new workflow waiting for the
// update's result (a visit request, a join), an update to a running workflow, a
// workflow start that runs one activity and waits for its result (a lead's
// creation), and a signal to a running workflow. Each is measured with 1 and 16
// concurrent callers sharing one client: p50, p99 and throughput.
//
// BenchmarkFloor prints the table (`make bench`, both backends); Of gives other
// benchmarks the floor of a shape on the Temporal testenv gives them, and
// Result.Compare a business figure's ratio to it.
package floor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// Shape is one shape of work.
type Shape string

const (
	// UpdateWithStart is UpdateWithStartWorkflow of a new workflow, waiting
	// until the update completed (its result is back).
	UpdateWithStart Shape = "update-with-start"
	// Update is an update to a running workflow, waiting until it completed.
	Update Shape = "update"
	// StartActivity starts a workflow that runs one activity and waits for
	// the workflow's result.
	StartActivity Shape = "start+activity"
	// Signal signals a running workflow (until the server accepted it).
	Signal Shape = "signal"
)

// Shapes lists every shape, in the order of the table.
var Shapes = []Shape{UpdateWithStart, Update, StartActivity, Signal}

// Describe says what one operation of the shape is.
func (s Shape) Describe() string {
	switch s {
	case UpdateWithStart:
		return "UpdateWithStartWorkflow of a new workflow, update completed"
	case Update:
		return "update to a running workflow, completed"
	case StartActivity:
		return "start a workflow running one activity, wait for its result"
	case Signal:
		return "signal to a running workflow"
	}
	return string(s)
}

// Options size one measurement.
type Options struct {
	Clients  int           // concurrent callers (1 when zero)
	Warmup   time.Duration // run, not counted, before the measured window
	Duration time.Duration // measured window (10 s when zero)
	// ServerPID is the Temporal server's process, whose CPU time Closed
	// reports per operation (Sample.ServerCPU); 0: not measured.
	ServerPID int
}

// sinkRotation bounds the updates and signals one running workflow takes
// before a caller moves to a fresh one (the server limits updates per run).
const sinkRotation = 500

// opTimeout bounds one operation; one that takes longer counts as an error.
const opTimeout = time.Minute

// Runner measures shapes with one client and one worker on a task queue of
// its own.
type Runner struct {
	c       client.Client
	w       worker.Worker
	queue   string
	backend string
	pollers Pollers
	run     string // prefix of this runner's workflow ids
	n       atomic.Int64
	server  int // pid of the Temporal server process, for its CPU time; 0 unknown
}

// WatchServer makes Measure report the CPU time the Temporal server process
// pid spent per operation in the measured window (Linux; the client, the
// worker and the database are not counted).
func (r *Runner) WatchServer(pid int) { r.server = pid }

// Pollers are the floor worker's long polls on its task queue. Zero keeps the
// SDK's default (2 each): what a minimal program runs with.
type Pollers struct {
	WorkflowTask, ActivityTask int
}

// Start starts a worker for the trivial workflows on a new task queue of c's
// namespace, polling with p. backend labels the results ("dev", "postgres").
// Close stops it.
func Start(c client.Client, backend string, p Pollers) (*Runner, error) {
	id := randomID()
	r := &Runner{c: c, queue: "closeloop-floor-" + id, backend: backend, pollers: p, run: "floor-" + id}
	r.w = worker.New(c, r.queue, worker.Options{MaxConcurrentWorkflowTaskPollers: p.WorkflowTask, MaxConcurrentActivityTaskPollers: p.ActivityTask})
	register(r.w)
	if err := r.w.Start(); err != nil {
		return nil, fmt.Errorf("floor worker: %w", err)
	}
	return r, nil
}

// Close stops the runner's worker; the client stays the caller's.
func (r *Runner) Close() { r.w.Stop() }

// Measure runs shape with o.Clients concurrent callers for o.Warmup and then
// o.Duration, and reports the operations that started in the measured window.
// A failed operation counts as an error and not in the latencies; Measure
// fails only when every operation failed.
func (r *Runner) Measure(ctx context.Context, shape Shape, o Options) (Result, error) {
	if o.Clients <= 0 {
		o.Clients = 1
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	res := Result{Backend: r.backend, Shape: shape, Clients: o.Clients, Pollers: r.pollers}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		firstErr  error
		lastDone  time.Time
	)
	begin := time.Now()
	window := begin.Add(o.Warmup)
	end := window.Add(o.Duration)
	cpu := meterFrom(window, r.server)
	var wg sync.WaitGroup
	for i := range o.Clients {
		caller, err := r.caller(ctx, shape, i)
		if err != nil {
			return res, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer caller.close()
			for seq := 0; time.Now().Before(end) && ctx.Err() == nil; seq++ {
				if err := caller.prepare(ctx, seq); err != nil {
					mu.Lock()
					errs++
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
				t0 := time.Now()
				octx, cancel := context.WithTimeout(ctx, opTimeout)
				err := caller.op(octx, seq)
				cancel()
				done := time.Now()
				if t0.Before(window) {
					continue
				}
				mu.Lock()
				if err != nil {
					if errs == 0 {
						firstErr = fmt.Errorf("%s: %w", shape, err)
					}
					errs++
				} else {
					latencies = append(latencies, done.Sub(t0))
				}
				if done.After(lastDone) {
					lastDone = done
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Ops, res.Errors = len(latencies), errs
	res.ServerCPU, res.ProcessCPU = cpu.perOp(res.Ops)
	res.Elapsed = lastDone.Sub(window)
	res.P50, res.P99 = Percentile(latencies, 0.50), Percentile(latencies, 0.99)
	if firstErr != nil {
		res.FirstError = firstErr.Error()
	}
	if res.Ops == 0 {
		if firstErr == nil {
			firstErr = errors.New("no operation completed in the window")
		}
		return res, fmt.Errorf("floor %s, %d clients: %w", shape, o.Clients, firstErr)
	}
	return res, nil
}

// caller is one concurrent client of a shape: prepare (not timed) may move
// it to a fresh workflow, op is the timed operation.
type caller struct {
	prepare func(ctx context.Context, seq int) error
	op      func(ctx context.Context, seq int) error
	close   func()
}

func (r *Runner) caller(ctx context.Context, shape Shape, i int) (*caller, error) {
	none := func(context.Context, int) error { return nil }
	m := r.n.Add(1) // ids unique per measurement: a sink told to stop may still be running
	id := func(kind string, seq int) string { return fmt.Sprintf("%s-%d-%s-%d-%d", r.run, m, kind, i, seq) }
	switch shape {
	case UpdateWithStart:
		return &caller{prepare: none, close: func() {}, op: func(ctx context.Context, seq int) error {
			start := r.c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
				ID: id("uws", seq), TaskQueue: r.queue, WorkflowExecutionTimeout: 10 * time.Minute,
				WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			}, workflowOnce)
			h, err := r.c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
				StartWorkflowOperation: start,
				UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: updateTouch, Args: []any{seq}, WaitForStage: client.WorkflowUpdateStageCompleted},
			})
			if err != nil {
				return err
			}
			var out int
			return h.Get(ctx, &out)
		}}, nil
	case StartActivity:
		return &caller{prepare: none, close: func() {}, op: func(ctx context.Context, seq int) error {
			run, err := r.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: id("act", seq), TaskQueue: r.queue, WorkflowExecutionTimeout: 10 * time.Minute,
			}, workflowActivity, seq)
			if err != nil {
				return err
			}
			var out int
			return run.Get(ctx, &out)
		}}, nil
	case Update, Signal:
		sink := ""
		stop := func() {
			if sink == "" {
				return
			}
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if r.c.SignalWorkflow(sctx, sink, "", signalStop, nil) == nil {
				_ = r.c.GetWorkflow(sctx, sink, "").Get(sctx, nil) // ended before the worker may stop
			}
		}
		c := &caller{close: stop}
		c.prepare = func(ctx context.Context, seq int) error {
			if sink != "" && seq%sinkRotation != 0 {
				return nil
			}
			stop()
			run, err := r.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: id("sink", seq), TaskQueue: r.queue, WorkflowExecutionTimeout: 30 * time.Minute,
			}, workflowSink)
			if err != nil {
				return fmt.Errorf("start a running workflow for %s: %w", shape, err)
			}
			sink = run.GetID()
			return nil
		}
		if shape == Signal {
			c.op = func(ctx context.Context, seq int) error {
				return r.c.SignalWorkflow(ctx, sink, "", signalPoke, seq)
			}
		} else {
			c.op = func(ctx context.Context, seq int) error {
				h, err := r.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
					WorkflowID: sink, UpdateName: updateTouch, Args: []any{seq}, WaitForStage: client.WorkflowUpdateStageCompleted,
				})
				if err != nil {
					return err
				}
				var out int
				return h.Get(ctx, &out)
			}
		}
		return c, nil
	}
	return nil, fmt.Errorf("floor: unknown shape %q", shape)
}

// Percentile is the q-quantile (0 < q ≤ 1) of ds by the nearest-rank method;
// 0 for none. ds is not modified.
func Percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(q*float64(len(s)) + 0.999999999)
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
