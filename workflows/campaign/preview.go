package campaign

import (
	"time"

	"go.temporal.io/sdk/workflow"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// SegmentPreview is the SegmentPreview workflow: one page of a segment with
// its count, read by the customer service (customer.SegmentPage) for the
// marketing API — a campaign's preview, the launch's check that its segment
// is not empty, a manual enrolment's customer. The marketing service holds
// no customers and a marketer's token sees only the customers they own, so
// a segment over every customer is read by the customer service's worker;
// the API waits for this short workflow (one activity).
func SegmentPreview(ctx workflow.Context, in *marketingv1.SegmentPageInput) (*marketingv1.SegmentPageResult, error) {
	ctx = wfx.Activities(ctx, wfx.Call{Queue: pageQueues(ctx).Customer, Timeout: 30 * time.Second, NonRetryable: []string{"invalid"}})
	var out marketingv1.SegmentPageResult
	if err := workflow.ExecuteActivity(ctx, customerc.ActivitySegmentPage, in).Get(ctx, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
