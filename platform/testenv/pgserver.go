package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresServer is a PostgreSQL cluster of one test's own, for fault tests
// that crash it and start it again while services use it: never the shared
// server of Postgres, which other tests are using. It is made with initdb in
// a temp dir and runs on a free 127.0.0.1 port, as the throwaway cluster of
// the package documentation does (as the postgres OS user when the tests run
// as root), but durable against a crash of its processes: synchronous_commit
// stays on, so a commit PostgreSQL acknowledged is in the WAL the kernel
// holds, and crash recovery replays it. (fsync and full-page writes are off:
// they guard against a crash of the machine, which a test does not stage.)
type PostgresServer struct {
	c *cluster
}

// durableSettings keep every acknowledged commit across a crash of the
// server's processes.
var durableSettings = []string{"fsync=off", "full_page_writes=off", "synchronous_commit=on"}

// StartPostgresServer starts a PostgreSQL cluster of the test's own; it is
// stopped and removed when the test ends.
func StartPostgresServer(t testing.TB) *PostgresServer {
	t.Helper()
	c, err := newCluster(durableSettings)
	if err != nil {
		t.Fatalf("testenv: a PostgreSQL cluster of the test's own: %v", err)
	}
	t.Cleanup(c.stop)
	if err := c.start(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return &PostgresServer{c: c}
}

// URL is the admin URL (database postgres, user postgres, trust).
func (s *PostgresServer) URL() string { return s.c.url }

// Database creates a fresh database on the server and returns its URL.
func (s *PostgresServer) Database(t testing.TB) string {
	t.Helper()
	name := "closeloop_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adminExec(ctx, s.c.url, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	dsn, err := withDatabase(s.c.url, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Crash stops the server as `pg_ctl stop -m immediate` does — every server
// process exits at once, connections drop, nothing is checkpointed — and
// returns once the postmaster has exited.
func (s *PostgresServer) Crash(t testing.TB) {
	t.Helper()
	s.c.halt(quit)
}

// Start starts the server again on the same port and data (crash recovery
// first, after Crash) and returns once it answers.
func (s *PostgresServer) Start(t testing.TB) {
	t.Helper()
	if err := s.c.start(); err != nil {
		t.Fatalf("testenv: restart PostgreSQL: %v", err)
	}
}

// Log is the end of the server's log, for a failing test's message.
func (s *PostgresServer) Log() string { return tail(s.c.logPath) }
