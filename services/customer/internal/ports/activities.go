package ports

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/activityhttp"
	"github.com/closeloop/closeloop/platform/apperr"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/app"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// Activities are the customer service's Temporal activities, run by its worker
// on the customer task queue. Workflows call them by the names in
// proto/contract/customer.
type Activities struct {
	app *app.App
}

// NewActivities returns the activities over app.
func NewActivities(a *app.App) *Activities { return &Activities{app: a} }

// Register adds the activities to a worker under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.BeginABCRun, activity.RegisterOptions{Name: customerc.ActivityBeginABCRun})
	r.RegisterActivityWithOptions(a.ClassifyABCPage, activity.RegisterOptions{Name: customerc.ActivityClassifyABCPage})
}

// BeginABCRun returns the total value the run classifies against.
func (a *Activities) BeginABCRun(ctx context.Context, in *customerv1.BeginABCRunInput) (*customerv1.BeginABCRunResult, error) {
	total, n, err := a.app.BeginABCRun(ctx)
	if err != nil {
		return nil, err
	}
	return &customerv1.BeginABCRunResult{TotalValue: total, CustomerCount: n}, nil
}

// ClassifyABCPage classifies one page and stores the changes.
func (a *Activities) ClassifyABCPage(ctx context.Context, in *customerv1.ClassifyABCPageInput) (*customerv1.ClassifyABCPageResult, error) {
	// A run without explicit thresholds (the schedule's) uses the service's configured ones.
	t := a.app.Thresholds()
	if in.GetThresholds() != nil {
		t = domain.Thresholds{AShare: in.GetThresholds().GetAShare(), BShare: in.GetThresholds().GetBShare()}
	}
	after := adapters.ABCPosition{Value: in.GetAfter().GetValue(), ID: in.GetAfter().GetId(), Set: in.GetAfter().GetSet()}
	page, err := a.app.ClassifyABCPage(ctx, in.GetRunId(), t, in.GetTotalValue(), in.GetCumulativeBefore(), after, int(in.GetPageSize()), in.GetActor())
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind != apperr.KindInternal {
			// A rule violation will not fix itself on retry.
			return nil, temporal.NewNonRetryableApplicationError(ae.Message, ae.Code, err)
		}
		return nil, err
	}
	return &customerv1.ClassifyABCPageResult{
		Scanned: int32(page.Scanned), Changed: int32(page.Changed), CumulativeAfter: page.CumulativeAfter,
		Next: &customerv1.ABCCursor{Value: page.Next.Value, Id: page.Next.ID, Set: page.Next.Set},
		Done: page.Done, ClassCounts: page.Counts,
	}, nil
}

// TemporalReclassifier starts and describes ReclassifyABC workflows.
type TemporalReclassifier struct {
	Client   client.Client
	PageSize int32
}

// Start runs a reclassification now. Only one manual run executes at a time:
// a request while one is running joins it (same workflow id).
func (r TemporalReclassifier) Start(ctx context.Context, t *domain.Thresholds, requestedBy, reason string) (app.RunRef, error) {
	var th *customerv1.ABCThresholds
	if t != nil {
		th = &customerv1.ABCThresholds{AShare: t.AShare, BShare: t.BShare}
	}
	run, err := r.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wfc.ReclassifyABCWorkflowID("manual"),
		TaskQueue:                wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionTimeout: time.Hour,
		TypedSearchAttributes:    temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("abc-reclassification")),
	}, wfc.WorkflowReclassifyABC, &customerv1.ReclassifyABCInput{
		Thresholds:  th,
		PageSize:    r.PageSize,
		RequestedBy: requestedBy,
		Reason:      reason,
	})
	if err != nil {
		return app.RunRef{}, apperr.Unavailable("workflow_unavailable", "the workflow engine did not accept the run; retry shortly").Wrap(err)
	}
	return app.RunRef{WorkflowID: run.GetID(), RunID: run.GetRunID()}, nil
}

// Describe reports a run's status and, once completed, its result.
func (r TemporalReclassifier) Describe(ctx context.Context, workflowID string) (app.RunStatus, error) {
	desc, err := r.Client.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return app.RunStatus{}, apperr.NotFound("run_not_found", "no such reclassification run")
		}
		return app.RunStatus{}, apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	st := app.RunStatus{
		WorkflowID: info.GetExecution().GetWorkflowId(), RunID: info.GetExecution().GetRunId(),
		Status: statusName(info.GetStatus()), StartedAt: info.GetStartTime().AsTime(),
	}
	if info.GetCloseTime() != nil {
		t := info.GetCloseTime().AsTime()
		st.ClosedAt = &t
	}
	if info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		var res customerv1.ReclassifyABCResult
		if err := r.Client.GetWorkflow(ctx, st.WorkflowID, st.RunID).Get(ctx, &res); err == nil {
			st.Result = map[string]any{
				"customers_scanned": res.GetCustomersScanned(), "class_changes": res.GetClassChanges(), "pages": res.GetPages(),
				"total_value": res.GetTotalValue(), "class_counts": res.GetClassCounts(),
			}
		}
	}
	return st, nil
}

func statusName(s enums.WorkflowExecutionStatus) string {
	switch s {
	case enums.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "running"
	case enums.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "completed"
	case enums.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enums.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "canceled"
	case enums.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "terminated"
	case enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed_out"
	case enums.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "continued_as_new"
	default:
		return fmt.Sprintf("unknown(%d)", s)
	}
}

// RegisterLeadActivities adds the activities the sales service's Lead
// workflow uses to find or create a lead's customer and claim its ownership.
func (a *Activities) RegisterLeadActivities(r worker.Registry) {
	r.RegisterActivityWithOptions(a.EnsureCustomer, activity.RegisterOptions{Name: customerc.ActivityEnsureCustomer})
	r.RegisterActivityWithOptions(a.ClaimCustomerOwner, activity.RegisterOptions{Name: customerc.ActivityClaimCustomerOwner})
}

// InternalRoutes serves, on the routes for services, the activities another
// service's worker runs as local activities (platform/activityhttp): a new
// lead's EnsureCustomer.
func (a *Activities) InternalRoutes(g *gin.RouterGroup) {
	g.POST(activityhttp.Path(customerc.ActivityEnsureCustomer), activityhttp.Handler(a.EnsureCustomer))
}

// EnsureCustomer finds or creates the customer a lead names.
func (a *Activities) EnsureCustomer(ctx context.Context, in *salesv1.EnsureCustomerInput) (*salesv1.EnsureCustomerResult, error) {
	c, err := a.app.EnsureLeadCustomer(ctx, app.LeadCompany{NewID: in.GetNewId(), Name: in.GetName(), TaxID: in.GetTaxId(),
		Region: in.GetRegion(), Industry: in.GetIndustry(), ContactName: in.GetContactName(), ContactEmail: in.GetContactEmail(),
		ContactPhone: in.GetContactPhone(), Actor: in.GetActor(), ClaimOwner: in.GetClaimOwnerId(), ClaimTeam: in.GetClaimTeam(),
		ClaimReason: in.GetClaimReason()})
	if err != nil {
		return nil, activityError(err)
	}
	a.app.LeadNamed(ctx, c.ID, in.GetLeadId(), in.GetLeadSource(), in.GetLeadCreatedBy())
	return &salesv1.EnsureCustomerResult{CustomerId: c.ID, OwnerId: c.OwnerID, Team: c.Team, Created: c.Created, Region: c.Region,
		Claimed: c.Claimed}, nil
}

// ClaimCustomerOwner sets the customer's owner unless it has one.
func (a *Activities) ClaimCustomerOwner(ctx context.Context, in *salesv1.ClaimCustomerOwnerInput) (*salesv1.ClaimCustomerOwnerResult, error) {
	c, err := a.app.ClaimCustomerOwner(ctx, in.GetCustomerId(), in.GetOwnerId(), in.GetTeam(), in.GetReplaceOwnerId(), in.GetActor(), in.GetReason())
	if err != nil {
		return nil, activityError(err)
	}
	a.app.LeadNamed(ctx, in.GetCustomerId(), in.GetLeadId(), in.GetLeadSource(), in.GetLeadCreatedBy())
	return &salesv1.ClaimCustomerOwnerResult{OwnerId: c.OwnerID, Team: c.Team, Claimed: c.Claimed, Region: c.Region}, nil
}

// activityError makes a business error (not found, invalid, rule) fail the
// activity without retries; anything else is retried.
func activityError(err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind != apperr.KindInternal && ae.Kind != apperr.KindUnavailable {
		code := ae.Code
		if ae.Kind == apperr.KindNotFound {
			code = "not_found"
		}
		return temporal.NewNonRetryableApplicationError(ae.Message, code, err)
	}
	return err
}
