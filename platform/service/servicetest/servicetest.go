// Package servicetest runs a service binary's app in-process for tests: built
// from its Spec with the given environment, serving on a free port, stopped
// (gracefully, with its error checked) when the test ends.
package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/platform/service"
)

// Running is a started app.
type Running struct {
	App  *service.App
	Base string // http://127.0.0.1:port
	// Metrics is the metrics listener, http://127.0.0.1:port: GET
	// Metrics+"/metrics" ("" with METRICS_ADDR=off).
	Metrics string
	stop    func()
}

// Stop stops the app now (it is also stopped at test cleanup; stopping twice is fine).
func (r *Running) Stop() { r.stop() }

// Start sets env (HTTP_ADDR defaults to a free port, and so METRICS_ADDR), builds the app and runs it
// until Stop or the end of the test. Tests run with the rate limits' and
// timeouts' defaults; benchmarks (t a *testing.B) without the rate limits and
// the write timeout, unless env sets them: they measure the services, not the
// limits (a thousand visit requests at once as a few users, each waiting up to
// a VISIT_DECISION_WAIT of 120 s).
func Start(t testing.TB, spec service.Spec, env map[string]string, opts service.Options) *Running {
	t.Helper()
	if _, ok := env["HTTP_ADDR"]; !ok {
		t.Setenv("HTTP_ADDR", "127.0.0.1:0")
	}
	if _, bench := t.(*testing.B); bench {
		for _, k := range []string{"RATE_LIMIT_IP_RPS", "RATE_LIMIT_USER_RPS", "RATE_LIMIT_USER_WRITE_RPS", "HTTP_WRITE_TIMEOUT"} {
			if _, ok := env[k]; !ok {
				t.Setenv(k, "0")
			}
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := service.LoadConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := service.Build(ctx, spec, cfg, opts)
	if err != nil {
		cancel()
		t.Fatalf("%s: %v", spec.Name, err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	r := &Running{App: app}
	select {
	case addr := <-app.Addr():
		r.Base = "http://" + addr.String()
		if m := app.MetricsAddr(); m != nil {
			r.Metrics = "http://" + m.String()
		}
	case err := <-done:
		cancel()
		app.Close()
		t.Fatalf("%s stopped before listening: %v", spec.Name, err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("%s did not start listening", spec.Name)
	}
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s stopped with %v", spec.Name, err)
		}
		app.Close()
	}
	t.Cleanup(r.stop)
	return r
}

// CheckOpenAPI fails t when the running service's /openapi.json misses one of
// its /v1 routes or documents one it does not serve, and when published (the
// committed copy, e.g. docs/api/customer.openapi.json) differs from doc.
// With UPDATE_OPENAPI set it rewrites published first.
func CheckOpenAPI(t testing.TB, app *service.App, base string, doc []byte, published string) {
	t.Helper()
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var served struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&served); err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(served.OpenAPI, "3.") {
		t.Fatalf("/openapi.json: %d, not an OpenAPI 3 document: %v", resp.StatusCode, err)
	}
	documented := map[string]bool{}
	for path, ops := range served.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routes := map[string]bool{}
	for _, rt := range app.Engine().Routes() {
		if strings.HasPrefix(rt.Path, "/v1/") {
			routes[rt.Method+" "+openapi.OpenAPIPath(rt.Path)] = true
		}
	}
	if len(routes) == 0 {
		t.Fatal("no /v1 routes found")
	}
	for k := range routes {
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !routes[k] {
			t.Errorf("OpenAPI documents %s, which is not served", k)
		}
	}
	if os.Getenv("UPDATE_OPENAPI") != "" {
		if err := os.WriteFile(published, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(published)
	if err != nil || !bytes.Equal(committed, doc) {
		t.Fatalf("%s is stale: run the test again with UPDATE_OPENAPI=1", published)
	}
}
