package sales_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
)

// historiesDir holds recorded workflow histories that workflows/lead's replay
// test replays with the current code: a change to the Lead or Opportunity
// workflow that would break running executions fails there first.
const historiesDir = "../../workflows/lead/testdata"

// saveHistory records a workflow's history as <name>.json when
// UPDATE_HISTORIES is set (refresh them only for a deliberate, versioned
// change: the point of the files is to keep yesterday's executions).
func saveHistory(t testing.TB, c client.Client, workflowID, name string) {
	t.Helper()
	if os.Getenv("UPDATE_HISTORIES") == "" {
		return
	}
	it := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
	if err := os.WriteFile(filepath.Join(historiesDir, name+".json"), append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
