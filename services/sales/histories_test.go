package sales_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
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

// markers returns the details of a workflow current run's markers named
// name (Version, LocalActivity), in history order.
func markers(t testing.TB, c client.Client, workflowID, name string) []map[string]*commonpb.Payloads {
	t.Helper()
	var out []map[string]*commonpb.Payloads
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		if m := ev.GetMarkerRecordedEventAttributes(); ev.GetEventType() == enums.EVENT_TYPE_MARKER_RECORDED && m.GetMarkerName() == name {
			out = append(out, m.GetDetails())
		}
	}
	return out
}

// versionsAsked lists the changes a workflow's current run asked with
// workflow.GetVersion, in history order (one marker each).
func versionsAsked(t testing.TB, c client.Client, workflowID string) []string {
	t.Helper()
	var out []string
	for _, d := range markers(t, c, workflowID, "Version") {
		var change string
		if err := converter.GetDefaultDataConverter().FromPayloads(d["change-id"], &change); err != nil {
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
	for _, d := range markers(t, c, workflowID, "LocalActivity") {
		var data struct {
			ActivityType string
		}
		if err := converter.GetDefaultDataConverter().FromPayloads(d["data"], &data); err != nil {
			t.Fatalf("%s: a local activity marker without its data: %v", workflowID, err)
		}
		if strings.HasPrefix(data.ActivityType, "customer.") || strings.HasPrefix(data.ActivityType, "followup.") {
			n++
		}
	}
	return n
}
