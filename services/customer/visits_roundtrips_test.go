package customer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/testenv"
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

// firstTask lists what a workflow's first workflow task ran: the local
// activities it recorded and the activities it scheduled, whether it
// completed an update (the answer), and how many version markers it recorded.
func firstTask(t *testing.T, c client.Client, workflowID string) (local, scheduled []string, answered bool, versions int) {
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
		case enums.EVENT_TYPE_MARKER_RECORDED:
			if a := testenv.LocalActivityType(ev); a != "" && completed == 1 {
				local = append(local, a)
			}
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "Version" && completed == 1 {
				versions++
			}
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			answered = answered || completed == 1
		}
		if completed > 1 {
			break
		}
	}
	return local, scheduled, answered, versions
}

// checkBookedInOneRoundTrip fails unless the day's first booking was decided
// by the run's first workflow task alone: the customer service hosts the run
// and stores the booking as a local activity of that task, which also
// completes the request's update, recording one version marker for all the
// workflow's changes; it schedules no activity, and the run resolves nothing (the request carried the reminder policy and calendar,
// change visit-resolved-at-request). Before the customer service hosted new
// days, the booking was an activity task and a second workflow task; before
// that, it ran beside the resolution; before that, after it.
func checkBookedInOneRoundTrip(t *testing.T, c client.Client, workflowID string) {
	t.Helper()
	local, scheduled, answered, versions := firstTask(t, c, workflowID)
	if !slices.Equal(local, []string{"customer.DecideVisitRequest"}) || len(scheduled) != 0 || !answered {
		t.Errorf("%s: the first workflow task ran local activities %v, scheduled %v, answered %v; want the booking alone, local, and the answer",
			workflowID, local, scheduled, answered)
	}
	if versions != 1 { // change visit-hosted-at-current stands for the others
		t.Errorf("%s: the first workflow task recorded %d version markers, want 1", workflowID, versions)
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
