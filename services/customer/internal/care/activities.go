package care

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/temporalx"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// Activities are care's activities on the customer task queue: the CareSweep
// workflow's pages and the close notice of the care follow-ups.
type Activities struct {
	Care *Service
}

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.CareReconcilePage, activity.RegisterOptions{Name: customerc.ActivityCareReconcilePage})
	r.RegisterActivityWithOptions(a.CareOpenPage, activity.RegisterOptions{Name: customerc.ActivityCareOpenPage})
	r.RegisterActivityWithOptions(a.CareFollowUpClosed, activity.RegisterOptions{Name: customerc.ActivityCareFollowUpClosed})
}

// CareReconcilePage closes one page of open care follow-ups that no longer apply.
func (a *Activities) CareReconcilePage(ctx context.Context, in *followupv1.CareReconcilePageInput) (*followupv1.CareReconcilePageResult, error) {
	res, err := a.Care.ReconcilePage(ctx, in)
	return res, temporalx.NonRetryable(err)
}

// CareOpenPage opens the care follow-ups of one page of due customers.
func (a *Activities) CareOpenPage(ctx context.Context, in *followupv1.CareOpenPageInput) (*followupv1.CareOpenPageResult, error) {
	res, err := a.Care.OpenPage(ctx, in)
	return res, temporalx.NonRetryable(err)
}

// CareFollowUpClosed applies the close of a care follow-up (its FollowUp
// workflow's close notice), once however often it is called.
func (a *Activities) CareFollowUpClosed(ctx context.Context, in *followupv1.FollowUpClosed) error {
	return temporalx.NonRetryable(a.Care.Closed(ctx, in))
}
