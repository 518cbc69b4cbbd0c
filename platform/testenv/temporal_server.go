package testenv

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/temporalx"
)

// TemporalServer is a Temporal dev server of one test's own, on a database
// file in the test's temp dir, for fault tests that kill it and start it
// again: never the shared server of Temporal, which other tests are using.
// Workflows, timers and the namespace TemporalNamespace live in the file, so
// they survive a SIGKILL; Start brings the server back on the same port, so
// clients dialled before reconnect by themselves.
type TemporalServer struct {
	cli, dbFile, hostPort string
	out                   *tailWriter

	child // the server process (child.go)
}

// StartTemporalServer starts a dev server of the test's own (the CLI that
// Temporal uses) on a database file in the test's temp dir and a free port;
// it is killed when the test ends. Register the search attributes it needs
// with the worker's setup, as on the shared server.
func StartTemporalServer(t testing.TB) *TemporalServer {
	t.Helper()
	cli, err := temporalCLI()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &TemporalServer{cli: cli, dbFile: filepath.Join(t.TempDir(), "temporal.db"),
		hostPort: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), out: &tailWriter{max: 32 << 10, name: "private dev server"}}
	t.Cleanup(func() { s.halt(interrupt) })
	s.Start(t)
	return s
}

// HostPort is the frontend's address.
func (s *TemporalServer) HostPort() string { return s.hostPort }

// Start runs the dev server (again, after Kill) on its port and database
// file, and returns once it answers and serves TemporalNamespace.
func (s *TemporalServer) Start(t testing.TB) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.hostPort)
	args := append([]string{"server", "start-dev", "--ip", "127.0.0.1", "--port", port, "--headless",
		"--namespace", TemporalNamespace, "--db-filename", s.dbFile, "--log-level", "error",
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false"}, temporalx.DevServerArgs()...)
	cmd := exec.Command(s.cli, args...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start %s: %v", s.cli, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.set(cmd, exited, watch(cmd.Process.Pid, "INT", ""))

	deadline := time.Now().Add(2 * time.Minute)
	var lastErr error
	for time.Now().Before(deadline) {
		if lastErr = s.answers(); lastErr == nil {
			return
		}
		select {
		case <-exited:
			t.Fatalf("testenv: the dev server exited during start-up\n%s", s.out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("testenv: the dev server did not serve namespace %s within 2 minutes (%v)\n%s", TemporalNamespace, lastErr, s.out.String())
}

// answers reports whether the frontend serves TemporalNamespace.
func (s *TemporalServer) answers() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: s.hostPort, Namespace: TemporalNamespace,
		Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := temporalx.Ping(ctx, c); err != nil {
		return err
	}
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: TemporalNamespace})
	return err
}

// Kill kills the dev server with SIGKILL — no shutdown, as a crash or an OOM
// kill — and returns once it has exited.
func (s *TemporalServer) Kill(t testing.TB) {
	t.Helper()
	s.halt(func(p *os.Process) error { return p.Kill() })
}

// Output is the end of what the dev server printed, for a failing test.
func (s *TemporalServer) Output() string { return s.out.String() }
