//go:build faults

package faults

import (
	"os"
	"syscall"
)

// Env names the fault point at which the process kills itself.
const Env = "CLOSELOOP_FAULT"

// Point kills the process with SIGKILL when $CLOSELOOP_FAULT names it.
func Point(name string) {
	if os.Getenv(Env) == name {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}
