package ports

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/closeloop/closeloop/platform/apperr"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/visit"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Temporal implements app.Workflows.
type Temporal struct {
	Client client.Client
	// Wait bounds how long a call waits for the workflow's answer before the
	// API answers 503 (the worker is down or overloaded).
	Wait time.Duration
}

func (t Temporal) wait() time.Duration {
	if t.Wait <= 0 {
		return 10 * time.Second
	}
	return t.Wait
}

// Request sends the request update with the start of Visit:<customer>:<day>
// (update-with-start, conflict policy USE_EXISTING): a running execution of
// the day gets the update, otherwise a new one starts with the update in its
// first workflow task. A refused first request therefore leaves nothing
// running: the run has no visit and ends at once. If the running execution
// ended before it took the update (its visit was cancelled or its day is
// over), the call is tried again, which starts a new run.
func (t Temporal) Request(ctx context.Context, in *visit.Input, r *visit.Request, updateID string) (*visit.Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, t.wait())
	defer cancel()
	id := wfc.VisitWorkflowID(in.CustomerId, in.Day)
	if updateID == "" {
		// Retries of this call must count once.
		updateID = uuid.NewString()
	}
	var out visit.Decision
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		start := t.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			// A new customer-day runs on the customer service's own queue,
			// hosted by its worker beside the visit activities
			// (workflows/visit/host.go); a running one keeps its queue.
			ID: id, TaskQueue: customerc.TaskQueue,
			WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("visit"),
				temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(in.CustomerId),
			),
		}, wfc.WorkflowVisit, in)
		var h client.WorkflowUpdateHandle
		h, err = t.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: start,
			UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: wfc.UpdateVisitRequest, UpdateID: updateID,
				Args: []any{r}, WaitForStage: client.WorkflowUpdateStageCompleted},
		})
		if err == nil {
			err = h.Get(ctx, &out)
		}
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			break
		}
	}
	if err != nil {
		return nil, workflowError(ctx, err)
	}
	return &out, nil
}

// Cancel sends the cancel update.
func (t Temporal) Cancel(ctx context.Context, workflowID string, c *visit.Cancel, updateID string) (*visit.State, error) {
	ctx, cancel := context.WithTimeout(ctx, t.wait())
	defer cancel()
	var out visit.State
	if err := t.update(ctx, workflowID, wfc.UpdateVisitCancel, updateID, c, &out); err != nil {
		return nil, workflowError(ctx, err)
	}
	return &out, nil
}

// Log sends the log update.
func (t Temporal) Log(ctx context.Context, workflowID string, l *visit.Log, updateID string) (*visit.State, error) {
	ctx, cancel := context.WithTimeout(ctx, t.wait())
	defer cancel()
	var out visit.State
	if err := t.update(ctx, workflowID, wfc.UpdateVisitLog, updateID, l, &out); err != nil {
		return nil, workflowError(ctx, err)
	}
	return &out, nil
}

func (t Temporal) update(ctx context.Context, workflowID, name, updateID string, arg, out any) error {
	h, err := t.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, UpdateID: updateID, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, out)
}

var errPending = apperr.Unavailable("update_pending",
	"the visit workflow has the request and is still deciding; read the customer's visits to see it (a retry with the same Idempotency-Key counts once)")

// workflowError maps what Temporal answered to the API's errors: a refusal
// by the workflow carries its code (and field).
func workflowError(ctx context.Context, err error) error {
	if r, ok := wfx.AsRefusal(err); ok {
		return domain.RefusalError(r)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return apperr.Rule(visit.CodeVisitClosed, "the visit's workflow has finished; its record is final")
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		// The wait ran out (the SDK also reports it as "timeout or
		// cancellation waiting for update"): the request is with the workflow.
		return errPending.Wrap(err)
	}
	return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
}
