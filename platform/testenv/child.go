package testenv

import (
	"os"
	"os/exec"
	"sync"
	"time"
)

// child is a server process a test starts, crashes and restarts (a private
// PostgreSQL cluster, a private Temporal dev server): the running command, a
// channel closed once it has exited, and the watch that kills it if the test
// process dies first (proc_*.go).
type child struct {
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	unwatch func()
}

// set records a newly started process.
func (c *child) set(cmd *exec.Cmd, exited chan struct{}, unwatch func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cmd, c.exited, c.unwatch = cmd, exited, unwatch
}

// halt signals the running process with sig (for PostgreSQL, os.Interrupt
// is a fast shutdown and SIGQUIT an immediate one, as `pg_ctl stop -m
// immediate`; Kill is a crash) and waits until it has exited, killing it
// after 15 s. Its files stay.
func (c *child) halt(sig func(*os.Process) error) {
	c.mu.Lock()
	cmd, exited, unwatch := c.cmd, c.exited, c.unwatch
	c.unwatch = func() {}
	c.mu.Unlock()
	if unwatch != nil {
		unwatch()
	}
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	_ = sig(cmd.Process)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}
