package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// StartWorkerProcess runs the workflow worker as a child process so a test can
// kill it with SIGKILL: the test binary itself, re-executed with modeEnv=1,
// which its TestMain turns into the worker
// (`if os.Getenv(modeEnv) == "1" { service.Main(workflows.Spec()) }`). The
// process is killed at the end of the test; its output is logged if the test
// failed.
func StartWorkerProcess(t testing.TB, modeEnv, hostPort, namespace string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), modeEnv+"=1", "TEMPORAL_ADDRESS="+hostPort, "TEMPORAL_NAMESPACE="+namespace,
		"SETUP_ON_START=false", "HTTP_ADDR=127.0.0.1:0", "LOG_LEVEL=warn", "SHUTDOWN_TIMEOUT=2s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && strings.TrimSpace(out.String()) != "" {
			t.Logf("worker output:\n%s", out.String())
		}
	})
	return cmd
}
