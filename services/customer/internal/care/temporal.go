package care

import (
	"context"
	"errors"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// Temporal is the service's Temporal port (Workflows: it starts, signals
// and watches the workflows) with, when Client is set, what it takes to read
// how an ended FollowUp workflow closed its follow-up (its result): it is
// then an Outcomes.
type Temporal struct {
	Workflows
	Client client.Client
}

// Outcome reads the result of the ended FollowUp workflow: the state, who
// closed it and the note, at the instant the workflow closed. ok is false
// when it did not complete (failed, terminated, timed out, cancelled) or is
// unknown.
func (t Temporal) Outcome(ctx context.Context, workflowID string) (Outcome, bool, error) {
	if t.Client == nil {
		return Outcome{}, false, nil
	}
	d, err := t.Client.DescribeWorkflowExecution(ctx, workflowID, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return Outcome{}, false, nil
	}
	if err != nil {
		return Outcome{}, false, err
	}
	info := d.GetWorkflowExecutionInfo()
	if info.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED || info.GetCloseTime() == nil {
		return Outcome{}, false, nil
	}
	var sig followupv1.CloseSignal
	if err := t.Client.GetWorkflow(ctx, workflowID, info.GetExecution().GetRunId()).Get(ctx, &sig); err != nil {
		return Outcome{}, false, err
	}
	if sig.GetState() != StateDone && sig.GetState() != StateCancelled {
		return Outcome{}, false, nil
	}
	return Outcome{State: sig.GetState(), By: sig.GetBy(), Note: sig.GetNote(), At: info.GetCloseTime().AsTime()}, true, nil
}
