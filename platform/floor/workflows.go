package floor

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The trivial workflows and activity the floor is measured with. Their names
// are Closeloop's own so that they never clash with a real workflow on a
// shared namespace; each Runner polls a task queue of its own.
const (
	workflowOnce     = "closeloop.floor.Once"     // one update, then done
	workflowSink     = "closeloop.floor.Sink"     // takes updates and signals until told to stop
	workflowActivity = "closeloop.floor.Activity" // runs one activity and returns its result
	activityEcho     = "closeloop.floor.Echo"

	updateTouch = "touch"
	signalPoke  = "poke"
	signalStop  = "stop"
)

func register(w worker.Worker) {
	w.RegisterWorkflowWithOptions(onceWorkflow, workflow.RegisterOptions{Name: workflowOnce})
	w.RegisterWorkflowWithOptions(sinkWorkflow, workflow.RegisterOptions{Name: workflowSink})
	w.RegisterWorkflowWithOptions(activityWorkflow, workflow.RegisterOptions{Name: workflowActivity})
	w.RegisterActivityWithOptions(echo, activity.RegisterOptions{Name: activityEcho})
}

// onceWorkflow answers one update and completes in the same workflow task:
// the least an update-with-start of a new workflow can cost.
func onceWorkflow(ctx workflow.Context) (int, error) {
	got, done := 0, false
	if err := workflow.SetUpdateHandler(ctx, updateTouch, func(_ workflow.Context, v int) (int, error) {
		got, done = v, true
		return v, nil
	}); err != nil {
		return 0, err
	}
	if err := workflow.Await(ctx, func() bool { return done }); err != nil {
		return 0, err
	}
	return got, nil
}

// sinkWorkflow answers updates and takes signals until the stop signal; it
// returns how many it saw.
func sinkWorkflow(ctx workflow.Context) (int, error) {
	n, stopped := 0, false
	if err := workflow.SetUpdateHandler(ctx, updateTouch, func(_ workflow.Context, v int) (int, error) {
		n++
		return v, nil
	}); err != nil {
		return 0, err
	}
	pokes := workflow.GetSignalChannel(ctx, signalPoke)
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(pokes, func(c workflow.ReceiveChannel, _ bool) {
		var v int
		c.Receive(ctx, &v)
		n++
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, signalStop), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		stopped = true
	})
	for !stopped {
		sel.Select(ctx)
	}
	for {
		var v int
		if !pokes.ReceiveAsync(&v) {
			break
		}
		n++
	}
	err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return n, err
}

// activityWorkflow runs one activity and returns its result.
func activityWorkflow(ctx workflow.Context, v int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	var out int
	err := workflow.ExecuteActivity(ctx, activityEcho, v).Get(ctx, &out)
	return out, err
}

func echo(_ context.Context, v int) (int, error) { return v, nil }
