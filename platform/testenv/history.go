package testenv

import (
	"context"
	"os"
	"strings"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// SaveHistory writes a workflow's history as JSON to path (and its workflow
// id beside it, in the same name ending .workflow-id, for replays of workflows
// whose code uses their own id) when the
// UPDATE_HISTORIES environment variable is set, for replay tests that run
// yesterday's executions with today's workflow code. Refresh recorded
// histories only for a deliberate, versioned change: their point is to keep
// the executions that were running before it.
func SaveHistory(t testing.TB, c client.Client, workflowID, path string) {
	t.Helper()
	SaveRunHistory(t, c, workflowID, "", path)
}

// SaveRunHistory is SaveHistory for one run of the workflow (runID; empty for
// the current run), such as a run that ended by continuing as new.
func SaveRunHistory(t testing.TB, c client.Client, workflowID, runID, path string) {
	t.Helper()
	if os.Getenv("UPDATE_HISTORIES") == "" {
		return
	}
	it := c.GetWorkflowHistory(context.Background(), workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(strings.TrimSuffix(path, ".json")+".workflow-id", []byte(workflowID+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// LocalActivityType is the activity type a local activity's marker records
// (the SDK's marker "LocalActivity", its "data" detail), "" for any other
// event: histories show local activities only as such markers.
func LocalActivityType(ev *historypb.HistoryEvent) string {
	m := ev.GetMarkerRecordedEventAttributes()
	if m.GetMarkerName() != "LocalActivity" {
		return ""
	}
	var data struct{ ActivityType string }
	if p := m.GetDetails()["data"].GetPayloads(); len(p) > 0 {
		if err := converter.GetDefaultDataConverter().FromPayload(p[0], &data); err != nil {
			return ""
		}
	}
	return data.ActivityType
}
