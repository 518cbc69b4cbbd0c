package testenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/closeloop/closeloop/platform/temporalx"
)

// TemporalCLIEnv names the variable that points at a Temporal CLI binary to
// use instead of bin/temporal.
const TemporalCLIEnv = "CLOSELOOP_TEMPORAL_CLI"

// TemporalArgsEnv names a variable of extra arguments for the dev server
// (space-separated), for experiments such as
// `--dynamic-config-value matching.numTaskqueueReadPartitions=1`.
const TemporalArgsEnv = "CLOSELOOP_TEMPORAL_ARGS"

// TemporalNamespace is the namespace of the dev server Temporal starts.
const TemporalNamespace = "default"

var (
	temporalOnce sync.Once
	temporalAddr string
	temporalNS   string
	temporalErr  error
	temporalPID  int           // for the test of the watchdog's assumptions
	temporalTook time.Duration // start-up time, reported by the tests
)

// Temporal returns the frontend address (host:port) and namespace of a
// Temporal server shared by the whole test process. By default that is a dev
// server the first call starts (in-memory database, no UI, log level error, a
// free port) and Main stops, with namespace TemporalNamespace. With
// CLOSELOOP_TEMPORAL_ADDRESS set (TemporalAddressEnv) it is that running
// server instead, with the namespace of CLOSELOOP_TEMPORAL_NAMESPACE or one of
// the process's own (see TemporalNamespaceEnv), registered when missing with
// Closeloop's search attributes. Tests that need isolation use their own task
// queues and workflow IDs, or register their own namespace with
// temporalx.EnsureNamespace.
func Temporal(t testing.TB) (hostPort, namespace string) {
	t.Helper()
	temporalOnce.Do(func() {
		start := time.Now()
		if addr := strings.TrimSpace(os.Getenv(TemporalAddressEnv)); addr != "" {
			temporalAddr = addr
			temporalNS, temporalErr = useExistingTemporal(addr)
		} else {
			temporalAddr, temporalErr = startTemporal()
			temporalNS = TemporalNamespace
		}
		temporalTook = time.Since(start)
	})
	if temporalErr != nil {
		if TemporalBackend() != "dev" {
			t.Fatalf("testenv: no Temporal: %v", temporalErr)
		}
		t.Fatalf("testenv: no Temporal dev server: %v", temporalErr)
	}
	return temporalAddr, temporalNS
}

// temporalCLI locates the temporal binary: $CLOSELOOP_TEMPORAL_CLI, else
// bin/temporal at the repository root.
func temporalCLI() (string, error) {
	if p := os.Getenv(TemporalCLIEnv); p != "" {
		if !isFile(p) {
			return "", fmt.Errorf("%s=%s is not a file; unset it to use bin/temporal (built by `make tools`)", TemporalCLIEnv, p)
		}
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("%w; run `make tools` to build bin/temporal at the repository root, or set %s", err, TemporalCLIEnv)
	}
	p := filepath.Join(root, "bin", "temporal")
	if !isFile(p) {
		return "", fmt.Errorf("%s not found: run `make tools` to build bin/temporal (or set %s to a temporal CLI binary)", p, TemporalCLIEnv)
	}
	return p, nil
}

// repoRoot walks up from the working directory (a package directory under
// `go test`) to the first directory that holds go.work or .git.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		for _, marker := range []string{"go.work", ".git"} {
			if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work or .git above %s", wd)
		}
		dir = parent
	}
}

func startTemporal() (string, error) {
	cli, err := temporalCLI()
	if err != nil {
		return "", err
	}
	out := &tailWriter{max: 32 << 10}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: cli, // never download
		ClientOptions: &client.Options{
			Namespace: TemporalNamespace,
			Logger:    log.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		},
		LogLevel:  "error",
		ExtraArgs: append(temporalx.DevServerArgs(), strings.Fields(os.Getenv(TemporalArgsEnv))...),
		// DBFilename empty: in-memory; EnableUI false: --headless.
		Stdout: out,
		Stderr: out,
	})
	if err != nil {
		return "", fmt.Errorf("start %s server start-dev: %w\n%s", cli, err, out.String())
	}
	temporalPID = devServerPID(srv)
	unwatch := func() {}
	if temporalPID != 0 {
		unwatch = watch(temporalPID, "INT", "")
	}
	atExit(func() {
		unwatch()
		srv.Client().Close()
		done := make(chan struct{})
		go func() { _ = srv.Stop(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			if p, err := os.FindProcess(temporalPID); err == nil && temporalPID != 0 {
				_ = p.Kill()
			}
		}
	})
	return srv.FrontendHostPort(), nil
}

// devServerPID reads the process id of the dev server's CLI process, which
// the SDK keeps unexported; 0 when the SDK's layout changed (a test notices).
func devServerPID(s *testsuite.DevServer) (pid int) {
	defer func() {
		if recover() != nil {
			pid = 0
		}
	}()
	cmd := reflect.ValueOf(s).Elem().FieldByName("cmd")
	if cmd.Kind() != reflect.Pointer || cmd.IsNil() {
		return 0
	}
	proc := cmd.Elem().FieldByName("Process")
	if proc.Kind() != reflect.Pointer || proc.IsNil() {
		return 0
	}
	v := proc.Elem().FieldByName("Pid")
	if v.Kind() != reflect.Int {
		return 0
	}
	return int(v.Int())
}

// tailWriter keeps the last max bytes written to it, for error messages.
type tailWriter struct {
	mu   sync.Mutex
	max  int
	name string // of the process writing; "dev server" when empty
	buf  []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > w.max {
		w.buf = append([]byte(nil), w.buf[len(w.buf)-w.max:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	name := w.name
	if name == "" {
		name = "dev server"
	}
	s := strings.TrimSpace(string(w.buf))
	if s == "" {
		return "(the " + name + " printed nothing)"
	}
	return name + " output:\n" + s
}
