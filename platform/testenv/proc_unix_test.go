//go:build unix

package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// checkNotOwnedByRoot checks that a throwaway cluster started by root runs as
// another OS user (PostgreSQL refuses root).
func checkNotOwnedByRoot(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || st.Uid == 0 {
		t.Errorf("running as root, %s must belong to the postgres OS user", path)
	}
}

func TestWatchdogStopsTheServerWhenTheTestProcessIsGone(t *testing.T) {
	parent := exec.Command("sleep", "1") // stands in for a test process that dies
	child := exec.Command("sleep", "300")
	for _, c := range []*exec.Cmd{parent, child} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer child.Process.Kill()
	dir := filepath.Join(t.TempDir(), "cluster")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	unwatch := watchFor(parent.Process.Pid, child.Process.Pid, "TERM", dir)
	defer unwatch()
	_ = parent.Wait()

	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Fatalf("child ended with %v, want SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watchdog did not stop the child after its parent died")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watchdog did not remove the directory")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
