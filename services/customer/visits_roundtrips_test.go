package customer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// firstTaskActivities lists the activities a workflow scheduled in its first
// workflow task.
func firstTaskActivities(t *testing.T, c client.Client, workflowID string) (scheduled []string) {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	completed := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			completed++
		case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			if completed == 1 {
				scheduled = append(scheduled, ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
			}
		}
		if completed > 1 {
			break
		}
	}
	return scheduled
}

// checkBookedInOneRoundTrip fails unless the day's first booking was decided
// while the reminder policy and calendar were being resolved: the booking's
// activity scheduled in the first workflow task beside the resolution (one
// activity round trip before the answer, not two in a row).
func checkBookedInOneRoundTrip(t *testing.T, c client.Client, workflowID string) {
	t.Helper()
	acts := firstTaskActivities(t, c, workflowID)
	if !slices.Contains(acts, "customer.BookVisit") || !slices.ContainsFunc(acts, func(a string) bool { return strings.HasSuffix(a, ".ResolvePolicies") }) {
		t.Errorf("%s: the first workflow task scheduled %v; want the booking beside the policy resolution", workflowID, acts)
	}
}
