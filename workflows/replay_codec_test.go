package workflows_test

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/closeloop/closeloop/platform/temporalx"
	"github.com/closeloop/closeloop/workflows"
)

// TestRecordedHistoriesReplayWithPayloadEncryption replays every recorded
// history (all written without encryption) with the data and failure
// converters a worker gets once TEMPORAL_PAYLOAD_KEYS is set: turning
// encryption on must not break the executions already running, whose
// payloads stay in clear and pass through the codec.
func TestRecordedHistoriesReplayWithPayloadEncryption(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	ring, err := temporalx.ParseKeyRing("test", "k1:"+base64.StdEncoding.EncodeToString(key))
	if err != nil {
		t.Fatal(err)
	}
	dc := ring.DataConverter()
	files, _ := filepath.Glob("testdata/*.json")
	more, _ := filepath.Glob("*/testdata/*.json")
	files = append(files, more...)
	if len(files) < 48 {
		t.Fatalf("want the recorded histories of TestRecordedHistoriesReplay, found %d", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: temporalx.FailureConverter(dc)})
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
			var opts worker.ReplayWorkflowHistoryOptions
			if id, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".workflow-id"); err == nil {
				opts.OriginalExecution = workflow.Execution{ID: strings.TrimSpace(string(id))}
			}
			if err := r.ReplayWorkflowHistoryWithOptions(log.NewStructuredLogger(slog.New(slog.DiscardHandler)), h, opts); err != nil {
				t.Fatalf("%s no longer replays with payload encryption on: %v", f, err)
			}
		})
	}
}
