// Package abc holds the ABC reclassification workflow: it ranks every live
// customer by value score and assigns class A, B or C by the cumulative-share
// rule (by default the Pareto rule: the top 80% of value is A, the next 15% B,
// the rest C).
//
// The workflow owns only the order of work and the running totals; the customer
// service owns the data and does the classifying in its activities, on its own
// task queue, one page at a time. Each page's result is recorded in history, so
// a crashed worker resumes at the next page and a retried page is idempotent.
//
// History grows by about six events per page: at the default 2,000 customers a
// page, ten million customers stay well under Temporal's history limits, so the
// workflow does not continue-as-new.
package abc

import (
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// DefaultPageSize is used when the input names none.
const DefaultPageSize = 2000

// ReclassifyABC classifies every live customer and reports what changed.
func ReclassifyABC(ctx workflow.Context, in *customerv1.ReclassifyABCInput) (*customerv1.ReclassifyABCResult, error) {
	log := workflow.GetLogger(ctx)
	info := workflow.GetInfo(ctx)
	runID := info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID
	actor := "system:abc-reclassification"
	if in.GetRequestedBy() != "" {
		actor = in.GetRequestedBy()
	}
	pageSize := in.GetPageSize()
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	ctx = wfx.Activities(ctx, wfx.Call{Queue: customerc.TaskQueue, Timeout: 2 * time.Minute, NonRetryable: []string{"abc_thresholds_invalid"}})

	res := &customerv1.ReclassifyABCResult{StartedAt: timestamppb.New(workflow.Now(ctx)), ClassCounts: map[string]int64{}}
	var begin customerv1.BeginABCRunResult
	if err := workflow.ExecuteActivity(ctx, customerc.ActivityBeginABCRun, &customerv1.BeginABCRunInput{RunId: runID}).Get(ctx, &begin); err != nil {
		return nil, err
	}
	res.TotalValue = begin.GetTotalValue()
	log.Info("ABC reclassification started", "customers", begin.GetCustomerCount(), "total_value", begin.GetTotalValue())

	cumulative := 0.0
	var after *customerv1.ABCCursor
	for {
		var page customerv1.ClassifyABCPageResult
		err := workflow.ExecuteActivity(ctx, customerc.ActivityClassifyABCPage, &customerv1.ClassifyABCPageInput{
			RunId: runID, Thresholds: in.GetThresholds(), TotalValue: begin.GetTotalValue(),
			CumulativeBefore: cumulative, After: after, PageSize: pageSize, Actor: actor,
		}).Get(ctx, &page)
		if err != nil {
			return nil, err
		}
		res.Pages++
		res.CustomersScanned += int64(page.GetScanned())
		res.ClassChanges += int64(page.GetChanged())
		// Adding counts per class gives the same totals in any order.
		//workflowcheck:ignore
		for class, n := range page.GetClassCounts() {
			res.ClassCounts[class] += n
		}
		cumulative = page.GetCumulativeAfter()
		after = page.GetNext()
		if page.GetDone() {
			break
		}
	}
	res.FinishedAt = timestamppb.New(workflow.Now(ctx))
	// Class changes take effect on care at once: a care sweep closes the care
	// follow-ups opened under the old class and opens those now due.
	if res.ClassChanges > 0 && workflow.GetVersion(ctx, "care-sweep-after-reclassification", workflow.DefaultVersion, 1) == 1 {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            wfc.CareSweepWorkflowID("after-reclassification:" + runID),
			TaskQueue:             wfc.TaskQueue,
			ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		})
		child := workflow.ExecuteChildWorkflow(cctx, wfc.WorkflowCareSweep, &followupv1.CareSweepInput{
			Reason: "after ABC reclassification " + runID,
		})
		var started workflow.Execution
		if err := child.GetChildWorkflowExecution().Get(ctx, &started); err != nil {
			// The scheduled sweep catches up; the reclassification itself succeeded.
			log.Warn("could not start the care sweep after reclassification", "error", err)
		} else {
			log.Info("care sweep started after reclassification", "workflow_id", started.ID)
		}
	}
	log.Info("ABC reclassification finished", "scanned", res.CustomersScanned, "changes", res.ClassChanges, "pages", res.Pages)
	return res, nil
}
