package wfx

import (
	"slices"

	"go.temporal.io/sdk/workflow"
)

// Applied remembers the ids of the last updates a workflow applied, this
// run's and those carried from earlier runs: Temporal deduplicates update
// ids (derived from a request's Idempotency-Key) within one run only, so a
// workflow that continues as new carries them (IDs) to the next run (NewApplied),
// whose handlers answer a retried request without applying it again.
type Applied struct{ ids []string }

// MaxApplied bounds the update ids a run hands to the next.
const MaxApplied = 100

// NewApplied is the ids carried from the previous run.
func NewApplied(ids []string) Applied { return Applied{ids: slices.Clone(ids)} }

// Seen says whether the update being validated or handled was applied
// already, by this run or an earlier one.
func (a *Applied) Seen(ctx workflow.Context) bool {
	info := workflow.GetCurrentUpdateInfo(ctx)
	return info != nil && slices.Contains(a.ids, info.ID)
}

// Add records the update being handled as applied.
func (a *Applied) Add(ctx workflow.Context) {
	if info := workflow.GetCurrentUpdateInfo(ctx); info != nil {
		a.ids = append(a.ids, info.ID)
		if n := len(a.ids); n > MaxApplied {
			a.ids = slices.Clone(a.ids[n-MaxApplied:])
		}
	}
}

// IDs are the ids to carry to the next run.
func (a *Applied) IDs() []string { return slices.Clone(a.ids) }

// Runs is what a workflow that continues as new after many updates keeps
// of its run: the limit of updates per run (the input's
// continue_as_new_after; 0: only when the server suggests it), the updates
// decided in this run, and the update ids applied, carried across runs.
type Runs struct {
	Limit   int32
	Decided int32
	Applied Applied
}

// ContinueDue says whether the run should continue as new now: no handler
// is running, and the limit is reached or the server suggests it.
func (r *Runs) ContinueDue(ctx workflow.Context) bool {
	if !workflow.AllHandlersFinished(ctx) {
		return false
	}
	if r.Limit > 0 && r.Decided >= r.Limit {
		return true
	}
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}
