package sales_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"

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
