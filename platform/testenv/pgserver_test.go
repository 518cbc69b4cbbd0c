package testenv

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A cluster of the test's own keeps what it acknowledged across a crash:
// a committed row is there after Crash (immediate shutdown: connections
// drop, the server stops answering) and Start (crash recovery, same port).
func TestPostgresServerCrashKeepsCommittedRows(t *testing.T) {
	s := StartPostgresServer(t)
	dsn := s.Database(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	var sync string
	if err := conn.QueryRow(ctx, "SHOW synchronous_commit").Scan(&sync); err != nil || sync != "on" {
		t.Fatalf("synchronous_commit %q (%v), want on", sync, err)
	}
	s.Crash(t)
	if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
		t.Fatal("a connection still answers after Crash")
	}
	if err := ping(dsn, 2*time.Second); err == nil {
		t.Fatal("the server still answers after Crash")
	}
	s.Start(t)
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("after Start: %v\n%s", err, s.Log())
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != "kept" {
		t.Fatalf("after the crash: %q, %v", v, err)
	}
	if os.Geteuid() == 0 {
		checkNotOwnedByRoot(t, s.c.data)
	}
}
