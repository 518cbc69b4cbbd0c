// Package testenv gives tests real infrastructure: a fresh PostgreSQL database
// per call, an SQLite file, and a Temporal dev server per test process.
//
// PostgreSQL is found in this order: the admin URL in CLOSELOOP_TEST_POSTGRES_URL;
// a server at 127.0.0.1:5432 (user postgres, trust auth); a throwaway cluster
// started from the machine's PostgreSQL binaries in a temp dir. Each call creates
// a uniquely named database and drops it when the test ends. Without any
// PostgreSQL the test fails saying how to get one — it is never skipped.
//
// Packages that use Postgres or Temporal call testenv.Main from TestMain so that
// what testenv started is stopped when the package's tests end.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"

	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
)

var (
	mu       sync.Mutex
	stoppers []func()
)

// Main runs the package's tests and then stops what testenv started.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	for i := len(stoppers) - 1; i >= 0; i-- {
		stoppers[i]()
	}
	mu.Unlock()
	os.Exit(code)
}

func onExit(f func()) {
	mu.Lock()
	stoppers = append(stoppers, f)
	mu.Unlock()
}

var (
	pgOnce  sync.Once
	pgAdmin string
	pgErr   error
)

// Postgres returns the URL of a new, empty database that is dropped after the test.
func Postgres(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgAdmin, pgErr = findPostgres() })
	if pgErr != nil {
		t.Fatalf("no PostgreSQL for tests: %v\n"+
			"Set CLOSELOOP_TEST_POSTGRES_URL to an admin URL (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable),\n"+
			"run a server on 127.0.0.1:5432, or install the server binaries (apt-get install postgresql) so tests can start a throwaway cluster.", pgErr)
	}
	name := "closeloop_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgAdmin)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pgAdmin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, _ := url.Parse(pgAdmin)
	u.Path = "/" + name
	return u.String()
}

func findPostgres() (string, error) {
	if u := os.Getenv("CLOSELOOP_TEST_POSTGRES_URL"); u != "" {
		if err := ping(u); err != nil {
			return "", fmt.Errorf("CLOSELOOP_TEST_POSTGRES_URL: %w", err)
		}
		return u, nil
	}
	local := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if ping(local) == nil {
		return local, nil
	}
	return startThrowawayCluster()
}

func ping(u string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// startThrowawayCluster runs initdb and pg_ctl from the machine's PostgreSQL
// binaries in a temp dir on a free port, and stops it at exit.
func startThrowawayCluster() (string, error) {
	bin, err := pgBinDir()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "closeloop-pg-")
	if err != nil {
		return "", err
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	// PostgreSQL refuses to run as root: run it as the postgres user then.
	asUser := func(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			return "", errors.New("running as root and there is no postgres user to run a throwaway cluster as")
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Chown(p, uid, gid) }); err != nil {
			return "", err
		}
		asUser = func(name string, args ...string) *exec.Cmd {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
		}
	}
	if out, err := asUser(filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, dir)
	if out, err := asUser(filepath.Join(bin, "pg_ctl"), "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		return "", fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	onExit(func() {
		_ = asUser(filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop").Run()
		_ = os.RemoveAll(dir)
	})
	u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return u, ping(u)
}

func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl) found")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SQLite returns the URL of a new SQLite database file in the test's temp dir.
func SQLite(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
}

var (
	tOnce     sync.Once
	tHostPort string
	tErr      error
)

// Temporal returns the address and namespace of a dev server shared by the
// test process, started from the Temporal CLI that `make tools` builds.
func Temporal(t testing.TB) (hostPort, namespace string) {
	t.Helper()
	tOnce.Do(func() { tHostPort, tErr = startTemporal() })
	if tErr != nil {
		t.Fatalf("Temporal dev server: %v", tErr)
	}
	return tHostPort, "default"
}

// TemporalCLI locates the temporal binary: $CLOSELOOP_TEMPORAL_CLI, else bin/temporal at the repo root.
func TemporalCLI() (string, error) {
	if p := os.Getenv("CLOSELOOP_TEMPORAL_CLI"); p != "" {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "temporal")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found: run `make tools` to build the Temporal CLI", p)
	}
	return p, nil
}

// RepoRoot walks up from the working directory to the directory holding go.work.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory")
		}
		dir = parent
	}
}

func startTemporal() (string, error) {
	cli, err := TemporalCLI()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		ClientOptions: &client.Options{Namespace: "default"},
		LogLevel:      "error",
		ExtraArgs:     []string{"--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true"},
		Stdout:        discard{},
		Stderr:        os.Stderr,
	})
	if err != nil {
		return "", fmt.Errorf("start %s: %w", cli, err)
	}
	onExit(func() { _ = srv.Stop() })
	return srv.FrontendHostPort(), nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
