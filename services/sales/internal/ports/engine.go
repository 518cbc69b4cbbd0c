package ports

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/google/uuid"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// TemporalWorkflows starts, updates and queries the Lead and Opportunity
// workflows.
type TemporalWorkflows struct {
	Client client.Client
	// UpdateWait bounds how long an update may take before the API answers
	// 503 (the worker is down or overloaded).
	UpdateWait time.Duration
	// UI and Namespace build links to the Temporal web UI.
	UI, Namespace string
	// CallsLocal starts new leads asking the worker to run the customer and
	// follow-up services' calls as local activities (LeadInput.calls_local):
	// set when the service has a service identity and registered them
	// (RemoteActivities).
	CallsLocal bool
}

func (w TemporalWorkflows) wait() time.Duration {
	if w.UpdateWait <= 0 {
		return 10 * time.Second
	}
	return w.UpdateWait
}

// StartLead starts Lead:<id> and waits up to wait for its first assignment
// to settle, in one round trip (update-with-start of the await-settled
// update). A second start with the same id (a retried request with the same
// Idempotency-Key) joins the running workflow; a lead id is never reused. It
// returns nil without an error when the workflow started (or existed) but did
// not settle within wait, or has ended.
func (w TemporalWorkflows) StartLead(ctx context.Context, in *salesv1.LeadInput, wait time.Duration) (*salesv1.LeadSnapshot, error) {
	id := wfc.LeadWorkflowID(in.GetLead().GetId())
	if w.CallsLocal {
		in = proto.CloneOf(in)
		in.CallsLocal = true
	}
	start := w.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		// A new lead runs on the sales service's own queue, hosted by its
		// worker beside the sales activities (workflows/lead/host.go).
		ID: id, TaskQueue: salesc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("lead"),
			temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(in.GetLead().GetCustomerId()),
		),
	}, wfc.WorkflowLead, in)
	uctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var out salesv1.LeadSnapshot
	h, err := w.Client.UpdateWithStartWorkflow(uctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: wfc.UpdateAwaitSettled,
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err == nil {
		if err = h.Get(uctx, &out); err == nil {
			return &out, nil
		}
	}
	// The update did not answer in time, or the workflow has ended: what
	// matters now is whether the workflow exists. The start may have been
	// stored even when the call gave up waiting (a slow server, no worker
	// polling yet), so the server is asked rather than the call's error.
	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	if _, derr := w.Client.DescribeWorkflowExecution(sctx, id, ""); derr == nil {
		return nil, nil
	}
	if _, serr := start.Get(sctx); serr != nil {
		return nil, startError(serr)
	}
	return nil, startError(err)
}

// StartOpportunity starts Opportunity:<id>.
func (w TemporalWorkflows) StartOpportunity(ctx context.Context, in *salesv1.OpportunityInput) error {
	o := in.GetOpportunity()
	_, err := w.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: wfc.OpportunityWorkflowID(o.GetId()), TaskQueue: wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("opportunity"),
			temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(o.GetCustomerId()),
			temporal.NewSearchAttributeKeyKeyword(wfc.SAOwnerID.String()).ValueSet(o.GetOwnerId()),
		),
	}, wfc.WorkflowOpportunity, in)
	return startError(err)
}

func startError(err error) error {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err == nil || errors.As(err, &started) {
		return nil
	}
	return apperr.Unavailable("workflow_unavailable", "the workflow engine did not accept the request; retry shortly").Wrap(err)
}

// Reassign sends the reassign update.
func (w TemporalWorkflows) Reassign(ctx context.Context, leadID string, req *salesv1.ReassignRequest) (*salesv1.LeadSnapshot, error) {
	var out salesv1.LeadSnapshot
	return &out, w.update(ctx, wfc.LeadWorkflowID(leadID), wfc.UpdateReassign, req, &out, domain.ErrLeadClosed)
}

// LeadCommand sends the lead-command update.
func (w TemporalWorkflows) LeadCommand(ctx context.Context, cmd *salesv1.LeadCommand) (*salesv1.LeadSnapshot, error) {
	var out salesv1.LeadSnapshot
	return &out, w.update(ctx, wfc.LeadWorkflowID(cmd.GetLeadId()), wfc.UpdateLeadCommand, cmd, &out, domain.ErrLeadClosed)
}

// OpportunityCommand sends the opportunity-command update.
func (w TemporalWorkflows) OpportunityCommand(ctx context.Context, cmd *salesv1.OpportunityCommand) (*salesv1.OpportunitySnapshot, error) {
	var out salesv1.OpportunitySnapshot
	return &out, w.update(ctx, wfc.OpportunityWorkflowID(cmd.GetOpportunityId()), wfc.UpdateOpportunityCommand, cmd, &out, domain.ErrOpportunityClosed)
}

// update sends an update and waits for its result. With an Idempotency-Key
// on the request the update id is derived from it, so a retried request is
// applied at most once (Temporal deduplicates updates by id). An update the
// workflow accepted but did not finish within the wait is durable: the
// caller learns it is pending, not that it failed.
func (w TemporalWorkflows) update(ctx context.Context, workflowID, name string, arg, out any, closed *apperr.Error) error {
	ctx, cancel := context.WithTimeout(ctx, w.wait())
	defer cancel()
	h, err := w.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, UpdateID: updateID(ctx, workflowID, name), Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	if err != nil {
		return workflowError(err, closed)
	}
	if err := h.Get(ctx, out); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errUpdatePending.Wrap(err)
		}
		return workflowError(err, closed)
	}
	return nil
}

var errUpdatePending = apperr.Unavailable("update_pending",
	"the workflow accepted the change and is still applying it; read the record to see it (a retry with the same Idempotency-Key applies it at most once)")

type idemKey struct{}

// updateID derives an update id from the request's Idempotency-Key (and who
// sent it, the workflow and the update); empty without a key (Temporal
// picks a random one).
func updateID(ctx context.Context, workflowID, name string) string {
	key, _ := ctx.Value(idemKey{}).(string)
	if key == "" {
		return ""
	}
	who := ""
	if p, ok := auth.FromContext(ctx); ok {
		who = p.Subject
	}
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/update\x00"+who+"\x00"+key+"\x00"+workflowID+"\x00"+name)).String()
}

// QueryLead asks the Lead workflow for its state.
func (w TemporalWorkflows) QueryLead(ctx context.Context, leadID string) (*salesv1.LeadSnapshot, error) {
	var out salesv1.LeadSnapshot
	return &out, w.query(ctx, wfc.LeadWorkflowID(leadID), wfc.QueryLeadState, &out)
}

// QueryOpportunity asks the Opportunity workflow for its state.
func (w TemporalWorkflows) QueryOpportunity(ctx context.Context, id string) (*salesv1.OpportunitySnapshot, error) {
	var out salesv1.OpportunitySnapshot
	return &out, w.query(ctx, wfc.OpportunityWorkflowID(id), wfc.QueryOpportunityState, &out)
}

func (w TemporalWorkflows) query(ctx context.Context, workflowID, name string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, w.wait())
	defer cancel()
	v, err := w.Client.QueryWorkflow(ctx, workflowID, "", name)
	if err == nil {
		err = v.Get(out)
	}
	return workflowError(err, nil)
}

// Link returns the Temporal UI page of a workflow.
func (w TemporalWorkflows) Link(workflowID string) string {
	if w.UI == "" {
		return ""
	}
	return w.UI + "/namespaces/" + url.PathEscape(w.Namespace) + "/workflows/" + url.PathEscape(workflowID)
}

// workflowError maps what Temporal answered to the API's errors: a refusal
// by an update validator or a failed activity carries a domain error code; a
// finished workflow means the lead or opportunity is closed.
func workflowError(err error, closed *apperr.Error) error {
	if err == nil {
		return nil
	}
	if r, ok := wfx.AsRefusal(err); ok { // the workflow's rules refused (workflows/lead)
		if e, ok := domain.ErrorByCode(r.Code, r.Message); ok {
			return e
		}
		var v apperr.Validation
		if r.Code == "invalid" {
			v.Add(r.Field, "invalid", r.Message)
			return v.Err()
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		if closed != nil {
			return closed
		}
		return apperr.NotFound("workflow_not_found", "the workflow has finished; its record is final")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return domain.ErrWorkflowBusy.Wrap(err)
	}
	return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
}
