package followup

import (
	"go.temporal.io/sdk/workflow"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// engine names the follow-up engine's task queue and activities.
type engine struct {
	queue, resolve, open, update, record, close, rollout string
}

// engineQueueChange is the workflow.GetVersion change id of the switch to the
// engine's own queue.
const engineQueueChange = "followup-queue"

var ownQueueEngine = engine{
	queue: followupc.TaskQueue, resolve: followupc.ActivityResolvePolicies, open: followupc.ActivityOpenFollowUp,
	update: followupc.ActivityUpdateFollowUpDeadline, record: followupc.ActivityRecordFollowUpStep,
	close: followupc.ActivityCloseFollowUp, rollout: followupc.ActivityRolloutPage,
}

// engineFor returns where this execution reaches the engine: the follow-up
// service's queue, for every execution.
//
// Executions started before the engine had a queue of its own (version
// DefaultVersion of engineQueueChange) called it on the customer queue as
// customer.OpenFollowUp and so on. The customer service no longer serves
// those, so they too go on, from their next call, to the engine's queue under
// its names. Their histories still replay: the SDK matches a recorded
// activity by its id and the last dot-separated segment of its name — which
// the two sets of names share on purpose (customer.OpenFollowUp,
// followup.OpenFollowUp) — not by task queue (TestReplayRecordedHistories
// replays histories recorded on the customer queue). GetVersion is still
// called, so the marker recorded by later executions is matched.
func engineFor(ctx workflow.Context) engine {
	_ = workflow.GetVersion(ctx, engineQueueChange, workflow.DefaultVersion, 1)
	return ownQueueEngine
}

// ResolvePolicies asks the engine which versions of in.Names are in force, for
// a workflow that needs a policy outside Track (the visit's reminder): it
// reaches the engine where this execution does.
func ResolvePolicies(ctx workflow.Context, in *followupv1.ResolvePoliciesInput) (*followupv1.ResolvePoliciesResult, error) {
	var res followupv1.ResolvePoliciesResult
	if err := ResolvePoliciesAsync(ctx, in).Get(ctx, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ResolvePoliciesAsync starts the resolution ResolvePolicies waits for and
// returns its future (a *followupv1.ResolvePoliciesResult), so a workflow
// can ask something else at the same time.
func ResolvePoliciesAsync(ctx workflow.Context, in *followupv1.ResolvePoliciesInput) workflow.Future {
	eng := engineFor(ctx)
	ctx = wfx.Activities(ctx, wfx.Call{Queue: eng.queue, NonRetryable: []string{"invalid", "not_found"}})
	return workflow.ExecuteActivity(ctx, eng.resolve, in)
}
