package ports

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/closeloop/closeloop/platform/apperr"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// CaseWorkflows starts, updates and queries ServiceCase workflows.
type CaseWorkflows struct {
	Client client.Client
	// UpdateWait bounds how long a change may take before the API answers
	// 503 (the worker is down or overloaded).
	UpdateWait time.Duration
}

func (w CaseWorkflows) wait() time.Duration {
	if w.UpdateWait <= 0 {
		return 10 * time.Second
	}
	return w.UpdateWait
}

func (w CaseWorkflows) startOptions(c domain.Case) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID: wfc.ServiceCaseWorkflowID(c.ID), TaskQueue: wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("service-case"),
			temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(c.CustomerID),
		),
	}
}

// Start starts the case's workflow from its stored record; a workflow that
// exists (running or ended) is kept: a case id is never reused.
func (w CaseWorkflows) Start(ctx context.Context, c domain.Case) error {
	_, err := w.Client.ExecuteWorkflow(ctx, w.startOptions(c), wfc.WorkflowServiceCase, &servicev1.CaseInput{Case: CaseSnapshot(c)})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err == nil || errors.As(err, &started) {
		return nil
	}
	return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
}

// Command sends a change to the case's workflow — starting it from the
// stored record first if it does not run yet (update-with-start) — and
// waits for the result. With an Idempotency-Key on the request the update id
// is derived from it, so a retried request is applied at most once.
func (w CaseWorkflows) Command(ctx context.Context, c domain.Case, cmd *servicev1.CaseCommand) (*servicev1.CaseSnapshot, error) {
	var out servicev1.CaseSnapshot
	err := updateWithStart(ctx, w.Client, w.wait(), w.startOptions(c), wfc.WorkflowServiceCase, &servicev1.CaseInput{Case: CaseSnapshot(c)},
		wfc.UpdateCaseCommand, cmd, &out)
	if err != nil {
		return nil, workflowError(err)
	}
	return &out, nil
}

// Query asks the case's workflow for its live state (the SLA targets as of
// now).
func (w CaseWorkflows) Query(ctx context.Context, caseID string) (*servicev1.CaseSnapshot, error) {
	var out servicev1.CaseSnapshot
	if err := query(ctx, w.Client, w.wait(), wfc.ServiceCaseWorkflowID(caseID), wfc.QueryCaseState, &out); err != nil {
		return nil, workflowError(err)
	}
	return &out, nil
}

// updateWithStart sends update name with arg to the workflow opts.ID —
// starting it as wfType with input first if it does not run — waits at most
// wait for the update to complete and decodes its result into out. The
// update id comes from the request's Idempotency-Key (keyedUpdateID).
func updateWithStart(ctx context.Context, c client.Client, wait time.Duration, opts client.StartWorkflowOptions, wfType string, input any,
	name string, arg, out any) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: c.NewWithStartWorkflowOperation(opts, wfType, input),
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: opts.ID, UpdateName: name, UpdateID: keyedUpdateID(ctx, opts.ID, name),
			Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, out)
}

// query asks workflow id's query name, waiting at most wait, into out.
func query(ctx context.Context, c client.Client, wait time.Duration, id, name string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	v, err := c.QueryWorkflow(ctx, id, "", name)
	if err != nil {
		return err
	}
	return v.Get(out)
}

type idemKey struct{}

// WithIdempotencyKey carries the request's Idempotency-Key to Command.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKey{}, key)
}

// workflowError turns what the workflow engine answered into the API's error.
func workflowError(err error) error {
	if r, ok := wfx.AsRefusal(err); ok { // the case's rules refused (workflows/servicecase) or the activity did
		if e, ok := domain.ErrorByCode(r.Code, r.Message); ok {
			return e
		}
		if r.Code == "invalid" || r.Code == "validation" {
			var v apperr.Validation
			field := r.Field
			if field == "" {
				field = "body"
			}
			v.Add(field, "invalid", r.Message)
			return v.Err()
		}
	}
	var done *serviceerror.WorkflowExecutionAlreadyStarted
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) || errors.As(err, &done) {
		return domain.ErrCaseClosed
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return apperr.Unavailable("update_pending", "the case's workflow did not answer in time; read the case to see whether the change landed (a retry with the same Idempotency-Key applies it at most once)").Wrap(err)
	}
	return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
}
