package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/closeloop/closeloop/workflows"
)

// TestRecordedHistoriesReplay replays histories recorded on a real Temporal
// server (testdata/*.json, written by the customer service's end-to-end
// tests with UPDATE_HISTORIES=1) with every workflow as the worker registers
// it today: the care sweep, the ABC reclassification that starts one, and
// care follow-ups answered and cancelled. A change that would make such
// running executions non-deterministic after a worker upgrade fails here;
// it needs workflow.GetVersion. (Lead and opportunity histories are
// replayed by workflows/lead.)
func TestRecordedHistoriesReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least 4 recorded histories in testdata/, found %v (%v)", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			workflows.RegisterWorkflows(r)
			raw, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			h, err := client.HistoryFromJSON(raw, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// The workflow id, for workflows whose code uses it (the ABC
			// run names its care sweep after itself).
			var opts worker.ReplayWorkflowHistoryOptions
			if id, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".workflow-id"); err == nil {
				opts.OriginalExecution = workflow.Execution{ID: strings.TrimSpace(string(id))}
			}
			if err := r.ReplayWorkflowHistoryWithOptions(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), h, opts); err != nil {
				t.Fatalf("%s no longer replays: %v", f, err)
			}
		})
	}
}
