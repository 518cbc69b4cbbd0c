package ports

import (
	"context"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// Notify starts CampaignNotice:<event>: the workflow id is the event's, and
// a notice that ran already is never run again (an outbox that hands the
// same event over twice tells it once).
func (w Workflows) Notify(ctx context.Context, in *followupv1.NotifyInput) error {
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: wfc.CampaignNoticeWorkflowID(in.GetEventId()), TaskQueue: wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("campaign_notice"),
		),
	}, wfc.WorkflowCampaignNotice, in)
	return started(err)
}
