package sales_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/closeloop/closeloop/platform/testenv"
)

// historiesDir holds recorded workflow histories that the workflows module's replay
// test replays with the current code: a change to the Lead or Opportunity
// workflow that would break running executions fails there first.
const historiesDir = "../../workflows/lead/testdata"

// saveHistory records a workflow's history as <name>.json when
// UPDATE_HISTORIES is set (see testenv.SaveHistory).
func saveHistory(t testing.TB, c client.Client, workflowID, name string) {
	t.Helper()
	testenv.SaveHistory(t, c, workflowID, filepath.Join(historiesDir, name+".json"))
}

// versionsAsked lists the changes a workflow's current run asked with
// workflow.GetVersion, in history order (one marker each).
func versionsAsked(t testing.TB, c client.Client, workflowID string) []string {
	t.Helper()
	var out []string
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		m := ev.GetMarkerRecordedEventAttributes()
		if ev.GetEventType() != enums.EVENT_TYPE_MARKER_RECORDED || m.GetMarkerName() != "Version" {
			continue
		}
		var change string
		if err := converter.GetDefaultDataConverter().FromPayloads(m.GetDetails()["change-id"], &change); err != nil {
			t.Fatalf("%s: a version marker without its change: %v", workflowID, err)
		}
		out = append(out, change)
	}
	return out
}

// localCalls counts the local activities of the customer and follow-up
// services (customer.*, followup.*) in a workflow's current run: the ones a
// lead runs locally when it calls those services as the sales service.
func localCalls(t testing.TB, c client.Client, workflowID string) int {
	t.Helper()
	n := 0
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		m := ev.GetMarkerRecordedEventAttributes()
		if ev.GetEventType() != enums.EVENT_TYPE_MARKER_RECORDED || m.GetMarkerName() != "LocalActivity" {
			continue
		}
		var data struct {
			ActivityType string
		}
		if err := converter.GetDefaultDataConverter().FromPayloads(m.GetDetails()["data"], &data); err != nil {
			t.Fatalf("%s: a local activity marker without its data: %v", workflowID, err)
		}
		if strings.HasPrefix(data.ActivityType, "customer.") || strings.HasPrefix(data.ActivityType, "followup.") {
			n++
		}
	}
	return n
}
