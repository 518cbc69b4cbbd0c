package testenv

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/closeloop/closeloop/platform/temporalx"
)

func TestMain(m *testing.M) { Main(m) }

func dbName(dsn string) string {
	u, _ := url.Parse(dsn)
	return strings.TrimPrefix(u.Path, "/")
}

func TestPostgresDatabasesAreFreshAndDropped(t *testing.T) {
	var first string
	t.Run("create", func(t *testing.T) {
		first = Postgres(t)
		second := Postgres(t)
		if dbName(first) == dbName(second) {
			t.Fatal("two calls gave the same database")
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE t (id int)"); err != nil {
			t.Fatal(err)
		}
	})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgAdmin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", dbName(first)).Scan(&n); err != nil || n != 0 {
		t.Fatalf("database %s survived its test (%d, %v)", dbName(first), n, err)
	}
}

func TestThrowawayCluster(t *testing.T) {
	u, err := startThrowawayCluster()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil || v == "" {
		t.Fatalf("throwaway cluster does not answer: %v", err)
	}
}

func greet(ctx workflow.Context, name string) (string, error) { return "hello " + name, nil }

func TestTemporalDevServerRunsWorkflowsAndSetupIsIdempotent(t *testing.T) {
	hostPort, ns := Temporal(t)
	ctx := context.Background()
	c, err := temporalx.Dial(ctx, temporalx.Config{Address: hostPort, Namespace: ns, DialTimeout: 10 * time.Second}, temporalx.Options{})
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
		t.Fatalf("%q %v", out, err)
	}

	attrs := map[string]enums.IndexedValueType{"TestenvKindA": enums.INDEXED_VALUE_TYPE_KEYWORD, "TestenvKindB": enums.INDEXED_VALUE_TYPE_KEYWORD}
	for i := 0; i < 2; i++ {
		if err := temporalx.EnsureNamespace(ctx, c, "closeloop-test", 24*time.Hour); err != nil {
			t.Fatalf("namespace, pass %d: %v", i, err)
		}
		if err := temporalx.EnsureSearchAttributes(ctx, c, ns, attrs); err != nil {
			t.Fatalf("search attributes, pass %d: %v", i, err)
		}
	}
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	for name := range attrs {
		if list.GetCustomAttributes()[name] != enums.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("search attribute %s not registered", name)
		}
	}
	if err := temporalx.Ping(ctx, c); err != nil {
		t.Fatal(err)
	}
}

func TestTemporalTLSConfigErrors(t *testing.T) {
	if _, err := temporalx.ClientOptions(temporalx.Config{TLSCertFile: "x.pem"}, temporalx.Options{}); err == nil {
		t.Fatal("a certificate without key must be refused")
	}
	if _, err := temporalx.ClientOptions(temporalx.Config{TLSCAFile: "/nonexistent"}, temporalx.Options{}); err == nil {
		t.Fatal("an unreadable CA file must be refused")
	}
	co, err := temporalx.ClientOptions(temporalx.Config{APIKey: "k", Address: "x:7233"}, temporalx.Options{})
	if err != nil || co.ConnectionOptions.TLS == nil || co.Credentials == nil {
		t.Fatalf("API key implies TLS and credentials: %v", err)
	}
}
