package testenv

import (
	"bytes"
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresURLEnv names the variable holding an admin URL of a PostgreSQL
// server for tests (a database the user may CREATE DATABASE from).
const PostgresURLEnv = "CLOSELOOP_TEST_POSTGRES_URL"

const localPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	pgOnce  sync.Once
	pgAdmin string // admin URL of the server in use
	pgErr   error
)

// Postgres creates a fresh, empty database named closeloop_test_<random> and
// returns its URL (postgres://…). The database is dropped, with any open
// connections, when the test and its subtests end. The first call of the test
// process picks the server; see the package documentation.
func Postgres(t testing.TB) string {
	t.Helper()
	admin, err := postgresAdmin()
	if err != nil {
		t.Fatalf("testenv: no PostgreSQL for tests: %v\n"+
			"Set %s to an admin database URL (e.g. %s),\n"+
			"or install the PostgreSQL server (`apt-get install postgresql`, `brew install postgresql`) "+
			"so that testenv can start a throwaway cluster.", err, PostgresURLEnv, localPostgresURL)
	}
	name := "closeloop_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create database %s on %s: %v", name, redact(admin), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dropDatabase(ctx, admin, name); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dsn
}

func postgresAdmin() (string, error) {
	pgOnce.Do(func() { pgAdmin, pgErr = findPostgres() })
	return pgAdmin, pgErr
}

func findPostgres() (string, error) {
	if u := os.Getenv(PostgresURLEnv); u != "" {
		if _, err := withDatabase(u, "x"); err != nil {
			return "", fmt.Errorf("%s: %w", PostgresURLEnv, err)
		}
		if err := ping(u, 10*time.Second); err != nil {
			return "", fmt.Errorf("%s=%s does not answer: %w", PostgresURLEnv, redact(u), err)
		}
		return u, nil
	}
	localErr := ping(localPostgresURL, 3*time.Second)
	if localErr == nil {
		return localPostgresURL, nil
	}
	c, err := startThrowawayCluster()
	if err != nil {
		return "", fmt.Errorf("%s is unset, nothing usable answers at 127.0.0.1:5432 (%v), and no throwaway cluster could be started: %w",
			PostgresURLEnv, localErr, err)
	}
	atExit(c.stop)
	return c.url, nil
}

// withDatabase returns admin with its database replaced by name.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return "", fmt.Errorf("%q is not a postgres:// URL", redact(admin))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

func ping(dsn string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func dropDatabase(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42601" { // syntax error: server older than 13
		if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
			return err
		}
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident)
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// cluster is a PostgreSQL server that testenv started in a temp dir.
type cluster struct {
	url      string
	dir      string
	data     string
	bin      string
	logPath  string
	port     int
	owner    *user.User // the OS user it runs as (root's tests); nil: this process's
	settings []string   // -c name=value pairs

	child    // the postmaster (child.go)
	stopOnce sync.Once
}

// throwawaySettings switch durability off: fast, and nothing is kept.
var throwawaySettings = []string{"fsync=off", "synchronous_commit=off", "full_page_writes=off"}

// startThrowawayCluster creates a cluster with initdb in a new temp dir and
// runs postgres on a free 127.0.0.1 port with durability switched off (fast,
// disposable). The postmaster is a child of the test process rather than a
// pg_ctl daemon, so a watchdog can stop it if the process dies without
// calling stop. As root, initdb and postgres run as the postgres OS user.
func startThrowawayCluster() (*cluster, error) {
	c, err := newCluster(throwawaySettings)
	if err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// newCluster creates a cluster with initdb in a new temp dir, to run on a
// free 127.0.0.1 port with the given settings; start runs it.
func newCluster(settings []string) (_ *cluster, err error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	var owner *user.User
	if os.Geteuid() == 0 {
		owner, err = user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL refuses to run as root, and there is no postgres OS user to run it as (%v); run the tests as a normal user or set %s", err, PostgresURLEnv)
		}
	}
	dir, err := os.MkdirTemp("", "closeloop-pg-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	if owner != nil {
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	c := &cluster{dir: dir, data: filepath.Join(dir, "data"), bin: bin, logPath: filepath.Join(dir, "postgres.log"), owner: owner,
		settings: settings}
	initdb, err := c.command("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if err != nil {
		return nil, err
	}
	if out, err := initdb.CombinedOutput(); err != nil {
		hint := ""
		if owner != nil {
			hint = fmt.Sprintf(" (running as the postgres OS user: it must be able to reach %s; set TMPDIR to a directory it can)", dir)
		}
		return nil, fmt.Errorf("initdb%s: %v\n%s", hint, err, out)
	}
	if c.port, err = freePort(); err != nil {
		return nil, err
	}
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c, nil
}

// command is one of the cluster's server programs, run in its dir (as its
// owner when the tests run as root).
func (c *cluster) command(name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "HOME="+c.dir, "LC_ALL=C")
	if c.owner != nil {
		if err := runAs(cmd, c.owner); err != nil {
			return nil, err
		}
	}
	return cmd, nil
}

// start runs the postmaster on the cluster's port and waits until it
// answers (after crash recovery, when the last run was stopped by halt).
func (c *cluster) start() error {
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child keeps its own descriptor
	args := []string{"-D", c.data, "-p", strconv.Itoa(c.port), "-k", c.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"}
	for _, kv := range c.settings {
		args = append(args, "-c", kv)
	}
	postgres, err := c.command("postgres", args...)
	if err != nil {
		return err
	}
	postgres.Stdout, postgres.Stderr = logFile, logFile
	if err := postgres.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = postgres.Wait(); close(exited) }()
	c.set(postgres, exited, watch(postgres.Process.Pid, "INT", c.dir))

	deadline := time.Now().Add(60 * time.Second)
	for {
		lastErr := ping(c.url, time.Second)
		if lastErr == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("postgres exited during start-up:\n%s", tail(c.logPath))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not answer within 60s (%v):\n%s", lastErr, tail(c.logPath))
		}
	}
}

// stop shuts the cluster down (fast shutdown, then kill) and removes its dir.
func (c *cluster) stop() {
	c.stopOnce.Do(func() {
		c.halt(interrupt)
		_ = os.RemoveAll(c.dir)
	})
}

// pgBinDir finds a directory holding initdb and postgres: the newest
// /usr/lib/postgresql/<version>/bin (Debian, Ubuntu), else initdb on PATH.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb and postgres) in /usr/lib/postgresql/*/bin or on PATH")
}

func pgVersion(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines of a log file.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.TrimSpace(string(bytes.Join(lines, []byte("\n"))))
}
