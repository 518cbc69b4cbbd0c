package campaign

import (
	"go.temporal.io/sdk/workflow"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// CampaignNotice is the CampaignNotice workflow (the Go function bears the
// registered name: a function named like another workflow's type would
// shadow it, see TestNoWorkflowFunctionShadowsAnotherType): it tells the people concerned of
// one campaign event — approval requested, approved, cancelled, launch
// finished, completed — through the follow-up service, which keeps every
// person's inbox and email and webhook preferences (followup.Notify).
//
// Exactly once, by construction: the marketing service stores the event in
// the transaction of the campaign's change (its outbox) and starts this
// workflow with the event's id as workflow id (CampaignNotice:<event>), so
// an outbox that starts it twice starts one; and the follow-up service
// derives each message's id from the event's id, so a retried activity
// stores nothing more. The call is retried until the follow-up service
// takes it; a malformed event ("invalid") is not.
func CampaignNotice(ctx workflow.Context, in *followupv1.NotifyInput) (*followupv1.NotifyResult, error) {
	ctx = wfx.Activities(ctx, wfx.Call{Queue: followupc.TaskQueue, NonRetryable: []string{"invalid"}})
	var out followupv1.NotifyResult
	if err := workflow.ExecuteActivity(ctx, followupc.ActivityNotify, in).Get(ctx, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
