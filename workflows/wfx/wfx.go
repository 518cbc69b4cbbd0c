// Package wfx holds the conventions every Closeloop workflow follows, so a
// reader learns them once: the activity options (below) and the one refusal
// type of the workflows' rules (Refusal, refusal.go).
//
// An activity attempt that fails with an internal or unavailable error is
// retried with backoff (1 s, doubling, at most 1 min apart) for as long as the
// workflow runs: a database or service that is down delays the obligation, it
// never drops it. A business refusal (invalid input, not found, a rule, a
// conflict) is failed as non-retryable by the activity itself
// (platform/temporalx.NonRetryable) and reaches the workflow at once, its code
// as the error type; NonRetryable lists further types a workflow wants to stop
// on even if an older activity build raised them as retryable.
package wfx

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Call describes the activities a workflow calls on one task queue.
type Call struct {
	// Queue is the task queue of the service whose activities are called.
	Queue string
	// Timeout bounds one attempt (start to close); 30 s when zero.
	Timeout time.Duration
	// Heartbeat, when set, is the heartbeat timeout of long, paging activities:
	// a worker that dies mid-page is noticed within it, not at Timeout.
	Heartbeat time.Duration
	// NonRetryable lists error types that end the call at once.
	NonRetryable []string
}

// Retry is the retry policy of every activity call.
func Retry(nonRetryable ...string) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		NonRetryableErrorTypes: nonRetryable,
	}
}

// Activities returns ctx set up to call the activities c describes.
func Activities(ctx workflow.Context, c Call) workflow.Context {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           c.Queue,
		StartToCloseTimeout: timeout,
		HeartbeatTimeout:    c.Heartbeat,
		RetryPolicy:         Retry(c.NonRetryable...),
	})
}

// LocalActivities returns ctx set up to call the activities c describes as
// local activities: run by the worker that runs the workflow task, recorded
// in the history as a marker — no activity task, no second workflow task.
// Only a workflow hosted by the service whose activities they are may use it
// (the activities must be registered on the same worker; c.Queue is then
// that worker's own queue, kept for the reader). The same timeout and retry
// policy as Activities: an attempt the worker cannot finish within the
// workflow task is retried on a timer, for as long as the workflow runs.
func LocalActivities(ctx workflow.Context, c Call) workflow.Context {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: timeout,
		RetryPolicy:         Retry(c.NonRetryable...),
	})
}
