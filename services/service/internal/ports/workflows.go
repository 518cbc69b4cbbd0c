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
	"github.com/closeloop/closeloop/platform/auth"
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
	ctx, cancel := context.WithTimeout(ctx, w.wait())
	defer cancel()
	id := wfc.ServiceCaseWorkflowID(c.ID)
	start := w.Client.NewWithStartWorkflowOperation(w.startOptions(c), wfc.WorkflowServiceCase, &servicev1.CaseInput{Case: CaseSnapshot(c)})
	h, err := w.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: wfc.UpdateCaseCommand, UpdateID: updateID(ctx, id),
			Args: []any{cmd}, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	var out servicev1.CaseSnapshot
	if err == nil {
		err = h.Get(ctx, &out)
	}
	if err != nil {
		return nil, workflowError(err)
	}
	return &out, nil
}

// Query asks the case's workflow for its live state (the SLA targets as of
// now).
func (w CaseWorkflows) Query(ctx context.Context, caseID string) (*servicev1.CaseSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, w.wait())
	defer cancel()
	v, err := w.Client.QueryWorkflow(ctx, wfc.ServiceCaseWorkflowID(caseID), "", wfc.QueryCaseState)
	var out servicev1.CaseSnapshot
	if err == nil {
		err = v.Get(&out)
	}
	if err != nil {
		return nil, workflowError(err)
	}
	return &out, nil
}

type idemKey struct{}

// WithIdempotencyKey carries the request's Idempotency-Key to Command.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKey{}, key)
}

// updateID derives an update id from the request's Idempotency-Key and who
// sent it; empty without a key (Temporal picks a random one).
func updateID(ctx context.Context, workflowID string) string {
	key, _ := ctx.Value(idemKey{}).(string)
	if key == "" {
		return ""
	}
	who := ""
	if p, ok := auth.FromContext(ctx); ok {
		who = p.Subject
	}
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/update\x00"+who+"\x00"+key+"\x00"+workflowID+"\x00"+wfc.UpdateCaseCommand)).String()
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
