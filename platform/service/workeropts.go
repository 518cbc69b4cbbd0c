package service

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/worker"
)

// WorkerConfig tunes the Temporal workers of a binary: the main task queue's
// worker (interactive work: a lead, a visit, a follow-up step) and the bulk
// queues' workers (Module.Queues: campaign launches, sweeps, previews), which
// have pollers and slots of their own so a launch or a sweep never takes the
// interactive work's. The defaults are the Temporal Go SDK's own (what every
// worker used before these variables existed) except the bulk slots, which
// are smaller (see docs/operations.md#temporal-worker-options).
//
// Only the worker binary registers workflows: the workflow-task, local-activity
// and cache settings take effect there; the services run activities only.
type WorkerConfig struct {
	WorkflowTaskPollers              int  `env:"TEMPORAL_WORKFLOW_TASK_POLLERS" default:"2" help:"pollers for workflow tasks on the main task queue (at least 2: one alternates on the sticky queue); the maximum when TEMPORAL_POLLER_AUTOSCALING is on"`
	ActivityTaskPollers              int  `env:"TEMPORAL_ACTIVITY_TASK_POLLERS" default:"2" help:"pollers for activity tasks on the main task queue; the maximum when TEMPORAL_POLLER_AUTOSCALING is on"`
	MaxConcurrentWorkflowTasks       int  `env:"TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS" default:"1000" help:"workflow tasks the main queue's worker runs at once (at least 2)"`
	MaxConcurrentActivities          int  `env:"TEMPORAL_MAX_CONCURRENT_ACTIVITIES" default:"1000" help:"activities the main queue's worker runs at once"`
	MaxConcurrentLocalActivities     int  `env:"TEMPORAL_MAX_CONCURRENT_LOCAL_ACTIVITIES" default:"1000" help:"local activities the main queue's worker runs at once"`
	BulkWorkflowTaskPollers          int  `env:"TEMPORAL_BULK_WORKFLOW_TASK_POLLERS" default:"2" help:"pollers for workflow tasks on each bulk task queue (at least 2)"`
	BulkActivityTaskPollers          int  `env:"TEMPORAL_BULK_ACTIVITY_TASK_POLLERS" default:"2" help:"pollers for activity tasks on each bulk task queue"`
	BulkMaxConcurrentWorkflowTasks   int  `env:"TEMPORAL_BULK_MAX_CONCURRENT_WORKFLOW_TASKS" default:"16" help:"workflow tasks each bulk queue's worker runs at once (at least 2): launches, sweeps, previews"`
	BulkMaxConcurrentActivities      int  `env:"TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES" default:"8" help:"page activities each bulk queue's worker runs at once; keep it well under DB_MAX_OPEN_CONNS so pages leave connections to interactive work"`
	BulkMaxConcurrentLocalActivities int  `env:"TEMPORAL_BULK_MAX_CONCURRENT_LOCAL_ACTIVITIES" default:"8" help:"local activities each bulk queue's worker runs at once"`
	PollerAutoscaling                bool `env:"TEMPORAL_POLLER_AUTOSCALING" default:"false" help:"let every poller count scale between 1 and its *_POLLERS value on the server's scaling decisions (SDK poller autoscaling, experimental; needs a server that sends scaling decisions, e.g. Temporal 1.29)"`
	WorkflowCacheSize                int  `env:"TEMPORAL_WORKFLOW_CACHE_SIZE" default:"10000" help:"workflows kept in memory between tasks, process-wide (the worker binary; the customer and sales services for the customer-days and leads they host; 70-150 KiB each when waiting); more are evicted and replayed from history when they wake"`
}

// Upper bounds of the worker settings: beyond them a value is a typo, not tuning.
const (
	maxPollers   = 100       // the SDK's own autoscaling maximum
	maxSlots     = 10000     // ten times the SDK's default
	maxCacheSize = 1_000_000 // about 100 GiB of waiting workflows
)

// Validate reports every setting out of range, each with its variable's name.
func (c WorkerConfig) Validate() error { return c.validate(func(string) bool { return false }) }

// validate is Validate without the variables skip reports (those that did not
// even parse, reported by config.Load).
func (c WorkerConfig) validate(skip func(name string) bool) error {
	var errs []error
	check := func(name string, v, lo, hi int) {
		if (v < lo || v > hi) && !skip(name) {
			errs = append(errs, fmt.Errorf("%s=%d: must be an integer from %d to %d", name, v, lo, hi))
		}
	}
	check("TEMPORAL_WORKFLOW_TASK_POLLERS", c.WorkflowTaskPollers, 2, maxPollers)
	check("TEMPORAL_ACTIVITY_TASK_POLLERS", c.ActivityTaskPollers, 1, maxPollers)
	check("TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS", c.MaxConcurrentWorkflowTasks, 2, maxSlots)
	check("TEMPORAL_MAX_CONCURRENT_ACTIVITIES", c.MaxConcurrentActivities, 1, maxSlots)
	check("TEMPORAL_MAX_CONCURRENT_LOCAL_ACTIVITIES", c.MaxConcurrentLocalActivities, 1, maxSlots)
	check("TEMPORAL_BULK_WORKFLOW_TASK_POLLERS", c.BulkWorkflowTaskPollers, 2, maxPollers)
	check("TEMPORAL_BULK_ACTIVITY_TASK_POLLERS", c.BulkActivityTaskPollers, 1, maxPollers)
	check("TEMPORAL_BULK_MAX_CONCURRENT_WORKFLOW_TASKS", c.BulkMaxConcurrentWorkflowTasks, 2, maxSlots)
	check("TEMPORAL_BULK_MAX_CONCURRENT_ACTIVITIES", c.BulkMaxConcurrentActivities, 1, maxSlots)
	check("TEMPORAL_BULK_MAX_CONCURRENT_LOCAL_ACTIVITIES", c.BulkMaxConcurrentLocalActivities, 1, maxSlots)
	check("TEMPORAL_WORKFLOW_CACHE_SIZE", c.WorkflowCacheSize, 1, maxCacheSize)
	return errors.Join(errs...)
}

// WorkerOptions builds the worker.Options of one task queue's worker: the
// bulk settings when bulk, the main queue's otherwise. A zero setting (a
// Config built in code rather than loaded) leaves the SDK's default.
func WorkerOptions(c WorkerConfig, bulk bool, stopTimeout time.Duration) worker.Options {
	wfPollers, actPollers := c.WorkflowTaskPollers, c.ActivityTaskPollers
	o := worker.Options{
		WorkerStopTimeout:                       stopTimeout,
		MaxConcurrentWorkflowTaskExecutionSize:  c.MaxConcurrentWorkflowTasks,
		MaxConcurrentActivityExecutionSize:      c.MaxConcurrentActivities,
		MaxConcurrentLocalActivityExecutionSize: c.MaxConcurrentLocalActivities,
	}
	if bulk {
		wfPollers, actPollers = c.BulkWorkflowTaskPollers, c.BulkActivityTaskPollers
		o.MaxConcurrentWorkflowTaskExecutionSize = c.BulkMaxConcurrentWorkflowTasks
		o.MaxConcurrentActivityExecutionSize = c.BulkMaxConcurrentActivities
		o.MaxConcurrentLocalActivityExecutionSize = c.BulkMaxConcurrentLocalActivities
	}
	if c.PollerAutoscaling {
		// Each poller count is the maximum; the SDK starts at min(5, maximum)
		// and scales on the server's decisions down to 1.
		if wfPollers > 0 {
			o.WorkflowTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{MaximumNumberOfPollers: wfPollers})
		}
		if actPollers > 0 {
			o.ActivityTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{MaximumNumberOfPollers: actPollers})
		}
		return o
	}
	o.MaxConcurrentWorkflowTaskPollers = wfPollers
	o.MaxConcurrentActivityTaskPollers = actPollers
	return o
}
