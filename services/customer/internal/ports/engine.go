package ports

import (
	"context"
	"errors"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/closeloop/closeloop/platform/apperr"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/care"
)

// TemporalEngine starts, signals and watches FollowUp workflows for care (the
// follow-up service owns their records; care owns when to open and close them).
type TemporalEngine struct {
	Client client.Client
}

func unavailable(err error) error {
	return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
}

// StartFollowUp starts a FollowUp workflow; an existing one with the id is kept.
func (t TemporalEngine) StartFollowUp(ctx context.Context, spec *followupv1.FollowUpSpec) error {
	_, err := t.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wfc.FollowUpWorkflowID(spec.GetId()),
		TaskQueue:                wfc.TaskQueue,
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
		return nil // the same idempotency key: that follow-up exists (or existed)
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Signal signals a running workflow.
func (t TemporalEngine) Signal(ctx context.Context, workflowID, name string, payload any) error {
	err := t.Client.SignalWorkflow(ctx, workflowID, "", name, payload)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return care.ErrWorkflowGone
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Ended asks Temporal visibility which of the workflow ids have ended: at
// least one closed run and no open one (a run that continued as new is not
// an end).
func (t TemporalEngine) Ended(ctx context.Context, workflowIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(workflowIDs) == 0 {
		return out, nil
	}
	quoted := make([]string, len(workflowIDs))
	for i, id := range workflowIDs {
		quoted[i] = "'" + strings.ReplaceAll(id, "'", "''") + "'"
	}
	in := "WorkflowId IN (" + strings.Join(quoted, ",") + ")"
	list := func(query string, fn func(id string)) error {
		var token []byte
		for {
			res, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token, PageSize: 1000})
			if err != nil {
				return unavailable(err)
			}
			for _, e := range res.GetExecutions() {
				fn(e.GetExecution().GetWorkflowId())
			}
			if token = res.GetNextPageToken(); len(token) == 0 {
				return nil
			}
		}
	}
	if err := list(in+" AND ExecutionStatus IN ('Completed','Failed','Canceled','Terminated','TimedOut')", func(id string) { out[id] = true }); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	if err := list(in+" AND ExecutionStatus = 'Running'", func(id string) { delete(out, id) }); err != nil {
		return nil, err
	}
	return out, nil
}
