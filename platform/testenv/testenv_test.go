package testenv

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"
)

func TestMain(m *testing.M) { Main(m) }

func dbName(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func databaseExists(t *testing.T, admin, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestPostgresGivesFreshDatabasesThatAreDroppedAfterTheTest(t *testing.T) {
	var names []string
	t.Run("use", func(t *testing.T) {
		first, second := Postgres(t), Postgres(t)
		names = []string{dbName(t, first), dbName(t, second)}
		if names[0] == names[1] {
			t.Fatalf("two calls gave the same database %s", names[0])
		}
		for _, n := range names {
			if !strings.HasPrefix(n, "closeloop_test_") {
				t.Errorf("database name %q lacks the closeloop_test_ prefix", n)
			}
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		// The connection stays open: the drop must force it closed.
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		var current string
		if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&current); err != nil || current != names[0] {
			t.Fatalf("connected to %q (%v), want %q", current, err, names[0])
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE t (id int primary key)"); err != nil {
			t.Fatal(err)
		}
		admin, _ := postgresAdmin()
		for _, n := range names {
			if !databaseExists(t, admin, n) {
				t.Fatalf("database %s does not exist during its test", n)
			}
		}
	})
	admin, err := postgresAdmin()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL admin URL: %s", redact(admin))
	for _, n := range names {
		if databaseExists(t, admin, n) {
			t.Errorf("database %s survived its test", n)
		}
	}
}

func TestPostgresURLFromTheEnvironmentIsCheckedNotSkipped(t *testing.T) {
	t.Setenv(PostgresURLEnv, "host=127.0.0.1 user=postgres")
	if _, err := findPostgres(); err == nil || !strings.Contains(err.Error(), "not a postgres:// URL") {
		t.Fatalf("a keyword/value DSN must be refused with a clear message, got %v", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(PostgresURLEnv, "postgres://postgres:secret@127.0.0.1:"+strconv.Itoa(port)+"/postgres?sslmode=disable")
	_, err = findPostgres()
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("an unreachable server must be an error, got %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("the error leaks the password: %v", err)
	}
	if u, err := withDatabase("postgres://u:p@h:5/admin?sslmode=disable", "closeloop_test_x"); err != nil || u != "postgres://u:p@h:5/closeloop_test_x?sslmode=disable" {
		t.Fatalf("withDatabase = %q, %v", u, err)
	}
}

func TestThrowawayClusterStartsAnswersAndStops(t *testing.T) {
	start := time.Now()
	c, err := startThrowawayCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	t.Logf("throwaway cluster at %s ready in %v", c.url, time.Since(start).Round(time.Millisecond))

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.url)
	if err != nil {
		t.Fatal(err)
	}
	var version, dataDir string
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('data_directory')").Scan(&version, &dataDir); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE closeloop_test_throwaway"); err != nil {
		t.Fatal(err)
	}
	if err := dropDatabase(ctx, c.url, "closeloop_test_throwaway"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	t.Logf("server_version %s, data directory %s", version, dataDir)
	if !strings.HasPrefix(dataDir, c.dir) {
		t.Errorf("data directory %s is not inside the temp dir %s", dataDir, c.dir)
	}
	if os.Geteuid() == 0 {
		checkNotOwnedByRoot(t, dataDir)
	}

	c.stop()
	select {
	case <-c.exited:
	default:
		t.Fatal("postgres still runs after stop")
	}
	if err := ping(c.url, 2*time.Second); err == nil {
		t.Fatal("the cluster still answers after stop")
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temp dir %s left behind (%v)", c.dir, err)
	}
	c.stop() // idempotent
}

func TestSQLiteDSNOpensWithGlebarez(t *testing.T) {
	a, b := SQLite(t), SQLite(t)
	if a == b || !strings.HasPrefix(a, "sqlite://") || !strings.HasSuffix(a, "/test.db") {
		t.Fatalf("unexpected DSNs %q, %q", a, b)
	}
	path := strings.TrimPrefix(a, "sqlite://")
	gdb, err := gorm.Open(sqlite.Open(path), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := gdb.DB()
	defer sqlDB.Close()
	type row struct {
		ID   int
		Name string
	}
	if err := gdb.AutoMigrate(&row{}); err != nil {
		t.Fatal(err)
	}
	if err := gdb.Create(&row{ID: 1, Name: "closeloop"}).Error; err != nil {
		t.Fatal(err)
	}
	var got row
	if err := gdb.First(&got, 1).Error; err != nil || got.Name != "closeloop" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database file is not at %s: %v", path, err)
	}
}

func greet(_ workflow.Context, name string) (string, error) { return "hello " + name, nil }

func TestTemporalDevServerRunsAWorkflowEndToEnd(t *testing.T) {
	hostPort, namespace := Temporal(t)
	t.Logf("%s Temporal at %s (namespace %s) ready in %v", TemporalBackend(), hostPort, namespace, temporalTook.Round(time.Millisecond))
	if again, _ := Temporal(t); again != hostPort {
		t.Fatalf("second call gave another server: %s vs %s", again, hostPort)
	}
	if TemporalBackend() == "dev" && runtime.GOOS != "windows" && temporalPID == 0 {
		t.Fatal("could not read the dev server's pid from the SDK: the watchdog is off; update devServerPID")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "testenv", worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "testenv"}, greet, "closeloop")
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil || out != "hello closeloop" {
		t.Fatalf("workflow result %q, %v", out, err)
	}
}

func TestTemporalCLIIsFoundOrTheFailureSaysHowToGetIt(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repo root %s has no go.work", root)
	}
	t.Setenv(TemporalCLIEnv, filepath.Join(t.TempDir(), "missing"))
	if _, err := temporalCLI(); err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Fatalf("a missing CLI must be an error that mentions `make tools`, got %v", err)
	}
}
