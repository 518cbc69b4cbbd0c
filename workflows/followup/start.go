package followup

import (
	"context"
	"errors"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// Start starts the FollowUp workflow of spec, searchable by kind, customer
// and owner. Starting is idempotent: a workflow already started with the
// follow-up's id, running or ended, is kept and nil returned (a follow-up id
// is never reused). Client code, for the services that open follow-ups; not
// for workflows.
func Start(ctx context.Context, c client.Client, spec *followupv1.FollowUpSpec) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wfc.FollowUpWorkflowID(spec.GetId()),
		TaskQueue:                followupc.TaskQueue, // hosted by the follow-up service (host.go)
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("follow-up:"+spec.GetKind()),
			temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(spec.GetCustomerId()),
			temporal.NewSearchAttributeKeyKeyword(wfc.SAOwnerID.String()).ValueSet(spec.GetOwnerId()),
		),
	}, wfc.WorkflowFollowUp, spec)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}
