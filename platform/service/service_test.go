package service_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type anyToken struct{}

func (anyToken) Verify(ctx context.Context, raw string) (auth.Principal, error) {
	return auth.Principal{Subject: "u", Roles: []auth.Role{auth.RoleAdmin}}, nil
}

func get(url string) (int, string, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// TestGracefulShutdown: on stop, readiness turns to draining at once, the
// in-flight request still completes, and then the listener closes.
func TestGracefulShutdownAndMetrics(t *testing.T) {
	started := make(chan struct{}, 1)
	spec := service.Spec{
		Name: "demo", Migrations: []migrate.Migration{idem.Migration(1)},
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			return &service.Module{Routes: func(v1 *gin.RouterGroup) {
				v1.GET("/slow", func(c *gin.Context) {
					started <- struct{}{}
					time.Sleep(1200 * time.Millisecond)
					c.JSON(200, gin.H{"done": true})
				})
			}}, nil
		},
	}
	for k, v := range map[string]string{"HTTP_ADDR": "127.0.0.1:0", "DATABASE_URL": testenv.SQLite(t), "OIDC_ISSUER_URL": "http://127.0.0.1:1",
		"TEMPORAL_ADDRESS": "127.0.0.1:1", "LOG_LEVEL": "error", "SHUTDOWN_TIMEOUT": "10s", "SHUTDOWN_DRAIN_DELAY": "600ms"} {
		t.Setenv(k, v)
	}
	cfg, err := service.LoadConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, err := service.Build(ctx, spec, cfg, service.Options{Verifier: anyToken{}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	base := "http://" + (<-app.Addr()).String()

	if code, _, _ := get(base + "/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	// Temporal is unreachable: not ready, and the body says which dependency.
	if code, body, _ := get(base + "/readyz"); code != 503 || !strings.Contains(body, `"temporal":"unavailable"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz without Temporal: %d %s", code, body)
	}

	type result struct {
		code int
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		code, _, err := get(base + "/v1/slow")
		slow <- result{code, err}
	}()
	<-started
	cancel()
	time.Sleep(100 * time.Millisecond)
	if code, body, err := get(base + "/readyz"); err != nil || code != 503 || !strings.Contains(body, "draining") {
		t.Fatalf("while draining, readyz must say so: %d %s %v", code, body, err)
	}
	r := <-slow
	if r.err != nil || r.code != 200 {
		t.Fatalf("the in-flight request was cut off: %d %v", r.code, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, _, err := get(base + "/healthz"); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestMetricsCoverHTTPAndDatabase(t *testing.T) {
	spec := service.Spec{
		Name: "demo", Migrations: []migrate.Migration{idem.Migration(1)},
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			return &service.Module{Routes: func(v1 *gin.RouterGroup) {
				v1.GET("/things/:id", func(c *gin.Context) {
					var n int64
					d.DB.WithContext(c.Request.Context()).Table("idempotency_keys").Count(&n)
					c.JSON(200, gin.H{"n": n})
				})
			}}, nil
		},
	}
	r := servicetest.Start(t, spec, map[string]string{"DATABASE_URL": testenv.SQLite(t), "OIDC_ISSUER_URL": "http://127.0.0.1:1",
		"TEMPORAL_ADDRESS": "127.0.0.1:1", "LOG_LEVEL": "error"}, service.Options{Verifier: anyToken{}})
	base := r.Base
	for _, id := range []string{"1", "2", "3"} {
		if code, body, _ := get(base + "/v1/things/" + id); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
	}
	_, metrics, _ := get(r.Metrics + "/metrics") // the metrics listener (metrics_test.go)
	for _, want := range []string{
		`http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/v1/things/:id"`,
		`db_client_operation_duration_seconds_count{db_collection_name="idempotency_keys",db_operation_name="SELECT",db_system_name="sqlite"} 3`,
		`go_sql_open_connections{db_name="demo"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, `http_route="/v1/things/1"`) {
		t.Error("raw paths as labels explode cardinality")
	}
}
