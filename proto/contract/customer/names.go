// Package customer holds the names under which the customer service exposes
// its Temporal activities. These strings are the cross-service contract between
// the customer service (which registers the activities on TaskQueue) and the
// workflows (which schedule them by name): change them only together with
// every caller, and never while workflows that use the old names are running.
//
// Activity payloads are the protobuf messages in
// github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1.
package customer

// TaskQueue is the Temporal task queue the customer service's worker polls for
// its activities.
const TaskQueue = "customer"

// Activity names registered by the customer service.
const (
	// ActivityBeginABCRun sums the value scores of all live customers.
	// Input customerv1.BeginABCRunInput, result customerv1.BeginABCRunResult.
	ActivityBeginABCRun = "customer.BeginABCRun"
	// ActivityClassifyABCPage classifies one keyset page of the ABC ranking.
	// Input customerv1.ClassifyABCPageInput, result customerv1.ClassifyABCPageResult.
	ActivityClassifyABCPage = "customer.ClassifyABCPage"
)
