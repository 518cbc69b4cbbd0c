package customer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// historyOf is the current run's history of the workflow.
func historyOf(t *testing.T, c client.Client, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		out = append(out, ev)
	}
	return out
}

// firstTaskActivities lists the activities a workflow scheduled in its first
// workflow task.
func firstTaskActivities(t *testing.T, c client.Client, workflowID string) (scheduled []string) {
	t.Helper()
	completed := 0
	for _, ev := range historyOf(t, c, workflowID) {
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

// checkBookedInOneRoundTrip fails unless the day's first booking ran one
// activity before its answer and no other: the booking alone, scheduled by
// the first workflow task, the reminder policy and calendar coming with the
// request (change visit-resolved-at-request; before it, the booking beside
// their resolution; before that, after it).
func checkBookedInOneRoundTrip(t *testing.T, c client.Client, workflowID string) {
	t.Helper()
	if acts := firstTaskActivities(t, c, workflowID); !slices.Equal(acts, []string{"customer.BookVisit"}) {
		t.Errorf("%s: the first workflow task scheduled %v; want the booking alone", workflowID, acts)
	}
	if n := scheduledActivities(t, c, workflowID, func(a string) bool { return strings.HasSuffix(a, ".ResolvePolicies") }); n != 0 {
		t.Errorf("%s: the run resolved its policies %d times; the request carried them", workflowID, n)
	}
}

// scheduledActivities counts the activities the workflow's current run has
// scheduled whose type matches.
func scheduledActivities(t *testing.T, c client.Client, workflowID string, match func(string) bool) int {
	t.Helper()
	n := 0
	for _, ev := range historyOf(t, c, workflowID) {
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && match(a.GetActivityType().GetName()) {
			n++
		}
	}
	return n
}
