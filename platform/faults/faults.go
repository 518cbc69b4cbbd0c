// Package faults marks the points where the kill tests stop a process: in
// the middle of an operation that must survive it (a message sent but not
// yet recorded, …). Point does nothing unless the process armed it with
// KillAt, which only a test's child process does (a service started by the
// test binary itself, so the test can run the real service and watch it
// die): then the process kills itself with SIGKILL at that point — no
// deferred function, no graceful shutdown, as a crash or an OOM kill.
package faults

import (
	"os"
	"sync/atomic"
)

var armed atomic.Pointer[string]

// Point is a named fault point: one atomic load unless armed.
func Point(name string) {
	if p := armed.Load(); p != nil && *p == name {
		self, err := os.FindProcess(os.Getpid())
		if err == nil {
			_ = self.Kill() // SIGKILL on Unix
		}
		select {} // the signal is on its way
	}
}

// KillAt arms the fault point name: the process kills itself when it gets
// there. For the child processes of kill tests only.
func KillAt(name string) { armed.Store(&name) }
