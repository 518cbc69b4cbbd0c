package workflows_test

import (
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/temporalx"
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
	replayAll(t, files, func() (worker.WorkflowReplayer, error) {
		return worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: temporalx.FailureConverter(dc)})
	}, " with payload encryption on")
}
