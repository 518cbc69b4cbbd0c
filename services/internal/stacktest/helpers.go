package stacktest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/telemetry"
	"github.com/closeloop/closeloop/workflows"
)

// Dev users (see devissuer.DevUsers).
const (
	RepAna  = "rep-ana"     // rep, team north
	RepBo   = "rep-bo"      // rep, team south
	MgrMia  = "mgr-mia"     // manager of north
	Analyst = "analyst-ali" // analyst
	Admin   = "admin-ada"   // admin
)

var seq atomic.Int64

// Company returns a minimal valid customer create body with a unique name.
func Company(extra map[string]any) map[string]any {
	b := map[string]any{"name": fmt.Sprintf("Company %d %d", os.Getpid(), seq.Add(1)), "region": "north", "industry": "steel"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// Eventually polls fn until it returns true or the deadline passes.
func Eventually(t testing.TB, what string, d time.Duration, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartWorker runs the workflow worker binary's app in-process against
// Temporal, with its namespace set-up (search attributes, schedules) done
// twice, since set-up must be idempotent.
func StartWorker(t testing.TB, hostPort, namespace string, tel *telemetry.Telemetry) *service.App {
	t.Helper()
	r := servicetest.Start(t, workflows.Spec(), map[string]string{"TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": namespace,
		"LOG_LEVEL": "warn", "SETUP_ON_START": "false", "SHUTDOWN_TIMEOUT": "5s"}, service.Options{Telemetry: tel})
	Setup(t, r.App.Deps().Temporal, namespace)
	return r.App
}

// Setup does in namespace what the workflow worker's setup does (the
// chart's hook in production): its search attributes and schedules — twice,
// as a second replica's start would. For a test that runs no workflow
// worker.
func Setup(t testing.TB, c client.Client, namespace string) {
	t.Helper()
	wcfg := workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 3}
	for i := 0; i < 2; i++ {
		if err := workflows.Setup(context.Background(), c, namespace, wcfg, slog.Default()); err != nil {
			t.Fatalf("setup pass %d: %v", i+1, err)
		}
	}
}

// Percentile returns the p-th percentile (0..1) of d, sorting d.
func Percentile(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// Ms is d in milliseconds.
func Ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
