package campaign

import (
	"go.temporal.io/sdk/workflow"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
)

// The paging workflows of this package — CampaignLaunch, WinBackSweep,
// CampaignOutcomes and SegmentPreview — run on the worker's bulk task queue
// (wfc.BulkTaskQueue, chosen by whoever starts them) and call the customer
// and marketing services' page activities on those services' bulk queues
// (customerc.BulkTaskQueue, marketingc.BulkTaskQueue): a launch that has
// just started thousands of win-back cadences reads its next page at once
// instead of after every first step of those cadences, which queue on the
// services' own task queues. Each service serves both of its queues with
// the same activities, from pollers and slots of its own.
//
// Runs that started before the bulk queues existed keep scheduling their
// activities on the services' own queues: the choice is behind
// workflow.GetVersion (BulkQueuesChange), asked once per run.

// BulkQueuesChange is the workflow.GetVersion change id of the page
// activities on the bulk task queues.
const BulkQueuesChange = "bulk-queues"

// Queues are the task queues a workflow schedules the customer and
// marketing services' activities on.
type Queues struct{ Customer, Marketing string }

// ServiceQueues are the services' own task queues: per-customer work (a
// win-back cadence's touches).
var ServiceQueues = Queues{Customer: customerc.TaskQueue, Marketing: marketingc.TaskQueue}

// BulkQueues are the services' bulk task queues, for the pages.
var BulkQueues = Queues{Customer: customerc.BulkTaskQueue, Marketing: marketingc.BulkTaskQueue}

// pageQueues are the queues of this run's page activities: the bulk ones,
// unless the run started before they existed.
func pageQueues(ctx workflow.Context) Queues {
	if workflow.GetVersion(ctx, BulkQueuesChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return ServiceQueues
	}
	return BulkQueues
}
