package lead_test

import (
	"log/slog"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/workflows/lead"
)

// TestRecordedHistoriesReplay replays histories recorded on a real Temporal
// server (testdata/*.json, written by the sales service's end-to-end tests
// with UPDATE_HISTORIES=1) with the current workflow code. A change that
// would make running Lead or Opportunity executions non-deterministic after a
// worker upgrade fails here; such a change needs workflow.GetVersion.
func TestRecordedHistoriesReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 3 {
		t.Fatalf("want at least 3 recorded histories in testdata/, found %v (%v)", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(lead.Lead, workflow.RegisterOptions{Name: wfc.WorkflowLead})
			r.RegisterWorkflowWithOptions(lead.Opportunity, workflow.RegisterOptions{Name: wfc.WorkflowOpportunity})
			if err := r.ReplayWorkflowHistoryFromJSONFile(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), f); err != nil {
				t.Fatalf("%s no longer replays: %v", f, err)
			}
		})
	}
}
