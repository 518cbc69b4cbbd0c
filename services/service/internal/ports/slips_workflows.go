package ports

import (
	"context"
	"errors"
	"strconv"
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
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/infoslip"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// SlipWorkflows starts, updates and queries InfoSlip workflows.
type SlipWorkflows struct {
	Client client.Client
	Org    domain.Org
	// UpdateWait bounds how long a change may take before the API answers
	// 503 (the worker is down or overloaded).
	UpdateWait time.Duration
}

func (w SlipWorkflows) wait() time.Duration {
	if w.UpdateWait <= 0 {
		return 10 * time.Second
	}
	return w.UpdateWait
}

func (w SlipWorkflows) start(s domain.Slip) (client.StartWorkflowOptions, *servicev1.SlipInput) {
	return client.StartWorkflowOptions{
		ID: wfc.InfoSlipWorkflowID(s.ID), TaskQueue: wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("info-slip"),
			temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(s.CustomerID),
		),
	}, &servicev1.SlipInput{Slip: app.SlipSnapshot(s, w.Org)}
}

// Start starts the slip's workflow from its stored record; a workflow that
// exists (running or ended) is kept: a slip id is never reused.
func (w SlipWorkflows) Start(ctx context.Context, s domain.Slip) error {
	opts, in := w.start(s)
	_, err := w.Client.ExecuteWorkflow(ctx, opts, wfc.WorkflowInfoSlip, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err == nil || errors.As(err, &started) {
		return nil
	}
	return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
}

// Command sends a change to the slip's workflow — starting it from the
// stored record first if it does not run yet (update-with-start) — and
// waits for the result. With an Idempotency-Key on the request the update
// id is derived from it, so a retried request is applied at most once.
func (w SlipWorkflows) Command(ctx context.Context, s domain.Slip, cmd *servicev1.SlipCommand) (*servicev1.SlipSnapshot, error) {
	opts, in := w.start(s)
	var out servicev1.SlipSnapshot
	if err := updateWithStart(ctx, w.Client, w.wait(), opts, wfc.WorkflowInfoSlip, in, wfc.UpdateSlipCommand, cmd, &out); err != nil {
		return nil, slipWorkflowError(err)
	}
	return &out, nil
}

// Query asks the slip's workflow for its live state.
func (w SlipWorkflows) Query(ctx context.Context, slipID string) (*servicev1.SlipSnapshot, error) {
	var out servicev1.SlipSnapshot
	if err := query(ctx, w.Client, w.wait(), wfc.InfoSlipWorkflowID(slipID), wfc.QuerySlipState, &out); err != nil {
		return nil, slipWorkflowError(err)
	}
	return &out, nil
}

// keyedUpdateID derives an update id from the request's Idempotency-Key, who
// sent it and the update; empty without a key (Temporal picks one).
func keyedUpdateID(ctx context.Context, workflowID, update string) string {
	key, _ := ctx.Value(idemKey{}).(string)
	if key == "" {
		return ""
	}
	who := ""
	if p, ok := auth.FromContext(ctx); ok {
		who = p.Subject
	}
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/update\x00"+who+"\x00"+key+"\x00"+workflowID+"\x00"+update)).String()
}

// slipWorkflowError turns what the workflow engine answered into the API's
// error.
func slipWorkflowError(err error) error {
	if r, ok := wfx.AsRefusal(err); ok { // the slip's rules refused (workflows/infoslip) or the activity did
		if r.Code == "invalid" || r.Code == "validation" {
			var v apperr.Validation
			field := r.Field
			if field == "" {
				field = "body"
			}
			v.Add(field, "invalid", r.Message)
			return v.Err()
		}
		return domain.SlipRefusal(r)
	}
	var done *serviceerror.WorkflowExecutionAlreadyStarted
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) || errors.As(err, &done) {
		return domain.ErrSlipClosed
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return apperr.Unavailable("update_pending", "the slip's workflow did not answer in time; read the slip to see whether the change landed (a retry with the same Idempotency-Key applies it at most once)").Wrap(err)
	}
	return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
}

// recipientNumber reads a recipient's number from the path.
func recipientNumber(s string) (int32, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > infoslip.MaxChain {
		return 0, domain.SlipRefusal(&wfx.Refusal{Code: infoslip.CodeRecipientNotFound, Field: "recipient", Message: "the slip has no such recipient"})
	}
	return int32(n), nil
}
