package workflows_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer"
	"github.com/closeloop/closeloop/services/followup"
	"github.com/closeloop/closeloop/services/marketing"
	"github.com/closeloop/closeloop/services/sales"
	aftersales "github.com/closeloop/closeloop/services/service"
	"github.com/closeloop/closeloop/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSystemCheckReachesEveryService starts all five services, each on its own
// PostgreSQL database, and the workflow worker, against the Temporal dev server.
// SystemCheck must hear from every service's worker with its schema migrated;
// after the sales service stops, the check must say so.
func TestSystemCheckReachesEveryService(t *testing.T) {
	hostPort, ns := testenv.Temporal(t)
	common := map[string]string{"TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": ns,
		"OIDC_ISSUER_URL": "http://127.0.0.1:1", "LOG_LEVEL": "error", "SHUTDOWN_TIMEOUT": "5s", "SETUP_ON_START": "false"}
	env := func(extra ...string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	stops := map[string]func(){}
	want := map[string]int{} // each service's newest migration
	for _, spec := range []service.Spec{customer.Spec(), followup.Spec(), sales.Spec(), aftersales.Spec(), marketing.Spec()} {
		for _, m := range spec.Migrations {
			want[spec.Name] = max(want[spec.Name], m.Version)
		}
		r := servicetest.Start(t, spec, env("DATABASE_URL", testenv.Postgres(t)), service.Options{})
		stops[spec.Name] = r.Stop
		base := r.Base
		// Every service serves health, readiness and its OpenAPI document,
		// and refuses /v1 without a token; metrics only on their own port.
		for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 404, "/openapi.json": 200, "/v1/anything": 401} {
			if code, body := get(t, base+path); code != want {
				t.Errorf("%s %s: %d, want %d: %.200s", spec.Name, path, code, want, body)
			}
		}
		if code, body := get(t, r.Metrics+"/metrics"); code != 200 {
			t.Errorf("%s metrics port: %d: %.200s", spec.Name, code, body)
		}
	}
	// The worker serves no /v1 API: it must start without any token issuer.
	w := servicetest.Start(t, workflows.Spec(), env("OIDC_ISSUER_URL", ""), service.Options{})
	worker := w.App
	if code, _ := get(t, w.Base+"/readyz"); code != 200 {
		t.Errorf("worker /readyz: %d", code)
	}
	if code, _ := get(t, w.Metrics+"/metrics"); code != 200 {
		t.Errorf("worker metrics port: %d", code)
	}
	c := worker.Deps().Temporal

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := workflows.RunSystemCheck(ctx, c, nil)
	if err != nil {
		t.Fatalf("system check: %v (%+v)", err, out)
	}
	if len(want) != 5 || want["customer"] < 4 || want["followup"] < 1 || want["sales"] < 2 {
		t.Fatalf("schema versions %v", want)
	}
	for name, version := range want {
		r := out[name]
		if !r.OK || !r.Ping.DatabaseOK || r.Ping.SchemaVersion != version || r.Ping.Service != name {
			t.Errorf("%s: %+v (want schema version %d)", name, r, version)
		}
	}
	// The bulk queues answer from the same binaries, on the same databases.
	for _, q := range []struct{ queue, service string }{{"customer-bulk", "customer"}, {"marketing-bulk", "marketing"}} {
		if r := out[q.queue]; !r.OK || r.Ping.SchemaVersion != want[q.service] || r.Ping.Service != q.queue {
			t.Errorf("%s: %+v (want the %s service's schema version %d)", q.queue, r, q.service, want[q.service])
		}
	}

	stops["sales"]()
	out, err = workflows.RunSystemCheck(ctx, c, nil)
	if err == nil || !strings.Contains(err.Error(), "sales") || out["sales"].OK || !out["customer"].OK {
		t.Fatalf("with sales stopped the check must fail on sales only: %v %+v", err, out)
	}
}
