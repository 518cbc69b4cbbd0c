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
// server with every workflow as the worker registers it today:
// lead/testdata/*.json (written by the sales service's end-to-end tests: a
// converted lead, a won opportunity, a lead escalated across a killed worker,
// two runs of a lead that continued as new)
// and testdata/*.json (written by the customer service's: a customer-day
// visit (before and after its first request was decided while the
// policies were resolved), a care sweep, the ABC reclassification that starts one, care
// follow-ups answered and cancelled) and the follow-up service's (a
// delivery held for quiet hours, a webhook delivery retried after
// failures, a follow-up it hosts stepped and closed — before and after it kept its timer
// across a signal that moved nothing —, a policy rollout's first sweep
// before and after its two phases, and after its wake pages handed their
// pace on), and servicecase/testdata/*.json (written by the after-sales
// service's: a case's whole life, twenty concurrent replies), and
// infoslip/testdata/*.json (a slip to three departments, twenty recipients
// acknowledging at once, a recipient's chase escalated across a killed
// worker — that one by make chaos), and notice/testdata/*.json (a notice revoked after
// its deadline, a reader's follow-up closed by a late acknowledgement), and
// loyalty/testdata/*.json (a customer's sync after an answer, a
// reconciliation of every customer; the after-sales service's), and
// winback/testdata/*.json and campaign/testdata/*.json (the marketing
// service's: cadences handing over a lead, an inbound lead, an email then
// an unsubscribe, a worker killed at a touch — before and after the
// spread, the start at once and the touch read ahead (on time too) —, launches, outcomes and a campaign
// notice, before and after the bulk queues), all with
// UPDATE_HISTORIES=1. A change
// that would make such running executions non-deterministic after a worker
// upgrade fails here; it needs workflow.GetVersion.
func TestRecordedHistoriesReplay(t *testing.T) {
	var files []string
	for _, dir := range []struct {
		glob string
		min  int
	}{{"lead/testdata/*.json", 19}, {"testdata/*.json", 46}, {"servicecase/testdata/*.json", 2}, {"infoslip/testdata/*.json", 3}, {"notice/testdata/*.json", 2},
		{"winback/testdata/*.json", 16}, {"campaign/testdata/*.json", 6}, {"loyalty/testdata/*.json", 2}} {
		found, err := filepath.Glob(dir.glob)
		if err != nil || len(found) < dir.min {
			t.Fatalf("want at least %d recorded histories in %s, found %v (%v)", dir.min, dir.glob, found, err)
		}
		files = append(files, found...)
	}
	replayAll(t, files, func() (worker.WorkflowReplayer, error) { return worker.NewWorkflowReplayer(), nil }, "")
}

// replayAll replays each recorded history with a new replayer that
// registers every workflow; a failure names the file and, after it, what
// the run was about (why).
func replayAll(t *testing.T, files []string, replayer func() (worker.WorkflowReplayer, error), why string) {
	t.Helper()
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			r, err := replayer()
			if err != nil {
				t.Fatal(err)
			}
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
				t.Fatalf("%s no longer replays%s: %v", f, why, err)
			}
		})
	}
}
