package sales_test

import (
	"os"
	"testing"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/workflows"
)

// workerEnv, when set, makes the test binary run the workflow worker instead
// of the tests: TestWorkerKilledMidEscalation starts it as a child process so
// it can kill it with SIGKILL.
const workerEnv = "CLOSELOOP_SALES_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		service.Main(workflows.Spec())
		return
	}
	testenv.Main(m)
}
