package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
)

func demoSpec() service.Spec {
	return service.Spec{
		Name: "demo", DefaultHTTPAddr: ":8081", Migrations: []migrate.Migration{idem.Migration(1)},
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) { return &service.Module{}, nil },
	}
}

// /metrics is served on the metrics listener only: the HTTP port (the API,
// reachable from wherever the API is) answers 404, and the metrics port
// serves nothing else.
func TestMetricsHaveAPortOfTheirOwn(t *testing.T) {
	r := servicetest.Start(t, demoSpec(), map[string]string{"DATABASE_URL": testenv.SQLite(t), "OIDC_ISSUER_URL": "http://127.0.0.1:1",
		"TEMPORAL_ADDRESS": "127.0.0.1:1", "LOG_LEVEL": "error"}, service.Options{Verifier: anyToken{}})
	if r.Metrics == "" || r.Metrics == r.Base {
		t.Fatalf("metrics listener %q, HTTP %q: want a listener of its own", r.Metrics, r.Base)
	}
	if code, body, _ := get(r.Base + "/metrics"); code != http.StatusNotFound || strings.Contains(body, "go_goroutines") {
		t.Fatalf("the HTTP port serves /metrics: %d %.200s", code, body)
	}
	resp, err := http.Get(r.Metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("metrics port /metrics: %d %v", resp.StatusCode, resp.Header)
	}
	if _, body, _ := get(r.Metrics + "/metrics"); !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics port /metrics: %.300s", body)
	}
	for _, p := range []string{"/readyz", "/healthz", "/openapi.json", "/v1/anything", "/"} {
		if code, _, _ := get(r.Metrics + p); code != http.StatusNotFound {
			t.Errorf("metrics port %s: %d, want 404", p, code)
		}
	}
	if code, _, _ := get(r.Base + "/readyz"); code == http.StatusNotFound {
		t.Error("the HTTP port lost /readyz")
	}

	// METRICS_ADDR=off: no metrics listener, and still none on the HTTP port.
	off := servicetest.Start(t, demoSpec(), map[string]string{"DATABASE_URL": testenv.SQLite(t), "OIDC_ISSUER_URL": "http://127.0.0.1:1",
		"TEMPORAL_ADDRESS": "127.0.0.1:1", "LOG_LEVEL": "error", "METRICS_ADDR": "off"}, service.Options{Verifier: anyToken{}})
	if off.Metrics != "" || off.App.MetricsAddr() != nil {
		t.Fatalf("METRICS_ADDR=off listens on %q", off.Metrics)
	}
	if code, _, _ := get(off.Base + "/metrics"); code != http.StatusNotFound {
		t.Fatalf("METRICS_ADDR=off: the HTTP port answers /metrics %d", code)
	}
}

// METRICS_ADDR defaults to the HTTP port + 1000 on the HTTP address's host;
// one on the HTTP port, or not host:port, is refused naming the variable.
func TestMetricsAddr(t *testing.T) {
	for _, tc := range []struct {
		http, metrics, want, err string
	}{
		{"", "", ":9081", ""}, // the spec's default HTTP address
		{":8081", "", ":9081", ""},
		{"127.0.0.1:8080", "", "127.0.0.1:9080", ""},
		{"127.0.0.1:0", "", "127.0.0.1:0", ""},
		{"[::1]:8086", "", "[::1]:9086", ""},
		{":8081", ":9090", ":9090", ""},
		{":8081", "10.0.0.5:9100", "10.0.0.5:9100", ""},
		{":8081", "off", "off", ""},
		{":8081", ":8081", "", "METRICS_ADDR"},
		{"127.0.0.1:8081", ":8081", "", "METRICS_ADDR"},
		{":8081", "9090", "", "METRICS_ADDR"},
		{":8081", ":metrics", "", "METRICS_ADDR"},
		{":65000", "", "", "set METRICS_ADDR"},
		{"8081", "", "", "HTTP_ADDR"},
	} {
		t.Setenv("HTTP_ADDR", tc.http)
		t.Setenv("METRICS_ADDR", tc.metrics)
		cfg, err := service.LoadConfig(demoSpec())
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("HTTP_ADDR=%q METRICS_ADDR=%q: error %v, want one naming %s", tc.http, tc.metrics, err, tc.err)
			}
			continue
		}
		if err != nil || cfg.MetricsAddr != tc.want {
			t.Errorf("HTTP_ADDR=%q METRICS_ADDR=%q: %q %v, want %q", tc.http, tc.metrics, cfg.MetricsAddr, err, tc.want)
		}
	}
}
