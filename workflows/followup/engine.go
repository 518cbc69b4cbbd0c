package followup

import (
	"go.temporal.io/sdk/workflow"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// engine names the follow-up engine's task queue and activities for one
// execution. Executions that started before the engine had a queue of its
// own keep calling it on the customer queue under the customer service's
// names (their histories say so); every other execution calls the engine's
// own queue, whichever binary serves it (proto/contract/followup).
type engine struct {
	queue, resolve, open, update, record, close, rollout string
}

// engineQueueChange is the workflow.GetVersion change id of the switch.
const engineQueueChange = "followup-queue"

var (
	customerQueueEngine = engine{
		queue: customerc.TaskQueue, resolve: customerc.ActivityResolvePolicies, open: customerc.ActivityOpenFollowUp,
		update: customerc.ActivityUpdateFollowUpDeadline, record: customerc.ActivityRecordFollowUpStep,
		close: customerc.ActivityCloseFollowUp, rollout: customerc.ActivityRolloutPage,
	}
	ownQueueEngine = engine{
		queue: followupc.TaskQueue, resolve: followupc.ActivityResolvePolicies, open: followupc.ActivityOpenFollowUp,
		update: followupc.ActivityUpdateFollowUpDeadline, record: followupc.ActivityRecordFollowUpStep,
		close: followupc.ActivityCloseFollowUp, rollout: followupc.ActivityRolloutPage,
	}
)

// engineFor decides, once per execution (GetVersion answers every later call
// of the execution alike), where this execution reaches the engine.
func engineFor(ctx workflow.Context) engine {
	if workflow.GetVersion(ctx, engineQueueChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return customerQueueEngine
	}
	return ownQueueEngine
}

// ResolvePolicies asks the engine which versions of in.Names are in force, for
// a workflow that needs a policy outside Track (the visit's reminder): it
// reaches the engine where this execution does.
func ResolvePolicies(ctx workflow.Context, in *followupv1.ResolvePoliciesInput) (*followupv1.ResolvePoliciesResult, error) {
	eng := engineFor(ctx)
	ctx = wfx.Activities(ctx, wfx.Call{Queue: eng.queue, NonRetryable: []string{"invalid", "not_found"}})
	var res followupv1.ResolvePoliciesResult
	if err := workflow.ExecuteActivity(ctx, eng.resolve, in).Get(ctx, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
