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
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
)

// Workflows starts and signals the marketing workflows (app.Workflows).
type Workflows struct {
	Client client.Client
	// PreviewWait bounds how long a preview waits for the customer service.
	PreviewWait time.Duration
}

// ErrPreviewUnavailable: the segment could not be read now.
var ErrPreviewUnavailable = apperr.Unavailable("segment_unavailable",
	"the customers of the segment could not be read just now (the workflow engine or the customer service did not answer); retry shortly")

// Preview runs a SegmentPreview workflow and waits for its page.
func (w Workflows) Preview(ctx context.Context, in *marketingv1.SegmentPageInput) (*marketingv1.SegmentPageResult, error) {
	ctx, cancel := context.WithTimeout(ctx, w.PreviewWait)
	defer cancel()
	run, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: wfc.SegmentPreviewWorkflowID(uuid.Must(uuid.NewV7()).String()), TaskQueue: wfc.BulkTaskQueue,
		WorkflowExecutionTimeout: w.PreviewWait,
	}, wfc.WorkflowSegmentPreview, in)
	if err != nil {
		return nil, ErrPreviewUnavailable.Wrap(err)
	}
	var out marketingv1.SegmentPageResult
	if err := run.Get(ctx, &out); err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.Type() == "invalid" {
			return nil, apperr.Invalid("invalid_segment", app.Error())
		}
		return nil, ErrPreviewUnavailable.Wrap(err)
	}
	return &out, nil
}

// Launch starts CampaignLaunch:<campaign>: a run that is still going is
// joined; once it has ended, a new run starts (a newcomers run, or a launch
// whose run failed).
func (w Workflows) Launch(ctx context.Context, in *marketingv1.CampaignLaunchInput) error {
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: wfc.CampaignLaunchWorkflowID(in.GetCampaignId()), TaskQueue: wfc.BulkTaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, wfc.WorkflowCampaignLaunch, in)
	return started(err)
}

// StartWinBack starts WinBack:<customer>:<campaign> (once: a customer's
// cadence in a campaign never runs twice).
func (w Workflows) StartWinBack(ctx context.Context, in *marketingv1.WinBackInput) error {
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: wfc.WinBackWorkflowID(in.GetCustomerId(), in.GetCampaignId()), TaskQueue: wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("winback"),
			temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(in.GetCustomerId()),
		),
	}, wfc.WorkflowWinBack, in)
	return started(err)
}

// Respond signals a customer's WinBack workflow that they responded.
func (w Workflows) Respond(ctx context.Context, customerID, campaignID string, r *marketingv1.WinBackResponse) error {
	return ended(w.Client.SignalWorkflow(ctx, wfc.WinBackWorkflowID(customerID, campaignID), "", wfc.SignalWinBackResponse, r))
}

// Cancel signals a customer's WinBack workflow that its campaign ended.
func (w Workflows) Cancel(ctx context.Context, customerID, campaignID string, end *marketingv1.WinBackEndInput) error {
	return ended(w.Client.SignalWorkflow(ctx, wfc.WinBackWorkflowID(customerID, campaignID), "", wfc.SignalWinBackCancel, end))
}

// started: a workflow that exists already is started.
func started(err error) error {
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err == nil || errors.As(err, &already) {
		return nil
	}
	return apperr.Unavailable("workflow_unavailable", "the workflow engine did not accept the request; retry shortly").Wrap(err)
}

// ended: a workflow that has ended (or never started) has nothing to stop.
func ended(err error) error {
	var nf *serviceerror.NotFound
	if err == nil || errors.As(err, &nf) {
		return nil
	}
	return err
}
