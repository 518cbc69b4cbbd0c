package customer_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/closeloop/closeloop/platform/telemetry"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// startWorker runs the workflow worker binary's app in-process against
// Temporal, and checks the ABC schedule its set-up registers.
func startWorker(t testing.TB, hostPort, namespace string, tel *telemetry.Telemetry) {
	t.Helper()
	app := stacktest.StartWorker(t, hostPort, namespace, tel)
	ctx := context.Background()
	desc, err := app.Deps().Temporal.ScheduleClient().GetHandle(ctx, "closeloop-abc-reclassification").Describe(ctx)
	if err != nil {
		t.Fatalf("the ABC schedule does not exist: %v", err)
	}
	// The server stores the cron as a structured calendar: 02:00 every day.
	if cal := desc.Schedule.Spec.Calendars; len(cal) != 1 || len(cal[0].Hour) != 1 || cal[0].Hour[0].Start != 2 {
		t.Fatalf("schedule spec %+v", desc.Schedule.Spec)
	}
}

// TestABCReclassificationThroughTemporal runs the real thing: the customer
// service (HTTP API + activities worker) and the workflow worker against the
// Temporal dev server, on each database. A manager triggers reclassification
// through the API; the workflow pages through the customers via the customer
// service's activities; classes and audit entries change; and the request's
// trace spans HTTP, the workflow, the activities and their SQL.
func TestABCReclassificationThroughTemporal(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			exporter := tracetest.NewInMemoryExporter()
			tel, err := telemetry.Setup(context.Background(), telemetry.Options{ServiceName: "closeloop-test", SpanExporter: exporter})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

			s := newStack(t, b.DSN(t), stackOpts{temporal: hostPort, namespace: namespace, telemetry: tel})
			startWorker(t, hostPort, namespace, tel)

			// Scores 50, 20, 10, 8, 5, 3, 2, 1, 1, 0 → A A A B B B C C C C.
			scores := []float64{50, 20, 10, 8, 5, 3, 2, 1, 1, 0}
			want := []string{"A", "A", "A", "B", "B", "B", "C", "C", "C", "C"}
			ids := make([]string, len(scores))
			for i, sc := range scores {
				ids[i] = s.create(mgrMia, company(map[string]any{"annual_revenue": sc * 1000}))
			}

			// A team manager may not reclassify the whole company.
			if r := s.call("POST", "/v1/abc/reclassifications", mgrMia, map[string]any{"reason": "mine"}); r.status != http.StatusForbidden {
				t.Fatalf("manager run: %d %s", r.status, r.body)
			}
			r := s.call("POST", "/v1/abc/reclassifications", analyst, map[string]any{"reason": "quarterly review", "b_share": 0.95})
			if r.status != http.StatusAccepted {
				t.Fatalf("reclassify: %d %s", r.status, r.body)
			}
			wfID := r.json(t)["workflow_id"].(string)
			var status map[string]any
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				st := s.call("GET", "/v1/abc/reclassifications/"+wfID, analyst, nil)
				if st.status != 200 {
					t.Fatalf("status: %d %s", st.status, st.body)
				}
				status = st.json(t)
				if status["status"] != "running" {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if status["status"] != "completed" {
				t.Fatalf("run did not complete: %v", status)
			}
			res := status["result"].(map[string]any)
			if res["customers_scanned"].(float64) != 10 || res["class_changes"].(float64) != 10 {
				t.Fatalf("result: %v", res)
			}
			for i, id := range ids {
				c := s.call("GET", "/v1/customers/"+id, mgrMia, nil).json(t)
				if c["value_class"] != want[i] {
					t.Errorf("customer with score %v: class %v, want %s", scores[i], c["value_class"], want[i])
				}
				audit := string(s.call("GET", "/v1/customers/"+id+"/audit", mgrMia, nil).body)
				if !strings.Contains(audit, `"action":"reclassify"`) || !strings.Contains(audit, wfID) {
					t.Errorf("class change of %s not in its audit trail: %s", id, audit)
				}
			}
			if cl := s.call("GET", "/v1/customers?value_class=A", mgrMia, nil).json(t)["items"].([]any); len(cl) != 3 {
				t.Errorf("filter by class A: %d", len(cl))
			}
			if st := s.call("GET", "/v1/abc/reclassifications/"+wfID, mgrMia, nil); st.status != http.StatusForbidden {
				t.Errorf("a manager reads the company-wide totals: %d %s", st.status, st.body)
			}

			// One trace from the HTTP request through the workflow and activities to SQL.
			if err := tel.TracerProvider().ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			spans := exporter.GetSpans()
			var traceID string
			for _, sp := range spans {
				if sp.Name == "POST /v1/abc/reclassifications" {
					traceID = sp.SpanContext.TraceID().String()
				}
			}
			if traceID == "" {
				t.Fatalf("no HTTP server span among %d spans", len(spans))
			}
			inTrace := map[string]bool{}
			sqlInActivity := false
			byID := map[string]tracetest.SpanStub{}
			for _, sp := range spans {
				byID[sp.SpanContext.SpanID().String()] = sp
			}
			for _, sp := range spans {
				if sp.SpanContext.TraceID().String() != traceID {
					continue
				}
				inTrace[sp.Name] = true
				for _, a := range sp.Attributes {
					if a.Key == "db.query.text" && strings.Contains(a.Value.AsString(), "value_score") {
						// Walk up: is this SQL statement under the activity span?
						for p := sp.Parent; p.IsValid(); {
							parent, ok := byID[p.SpanID().String()]
							if !ok {
								break
							}
							if parent.Name == "RunActivity:customer.ClassifyABCPage" {
								sqlInActivity = true
							}
							p = parent.Parent
						}
					}
				}
			}
			for _, name := range []string{"POST /v1/abc/reclassifications", "StartWorkflow:ReclassifyABC", "RunWorkflow:ReclassifyABC", "RunActivity:customer.ClassifyABCPage"} {
				if !inTrace[name] {
					t.Errorf("span %q missing from trace %s; have %v", name, traceID, keys(inTrace))
				}
			}
			if !sqlInActivity {
				t.Errorf("no SQL span under the ClassifyABCPage activity in trace %s", traceID)
			}
		})
	}
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return fmt.Sprint(out)
}

// TestABCThresholdTrialIsADryRun: trying other thresholds classifies the
// whole population and answers the outcome, but writes nothing — no class,
// no audit entry, no version change (issue 13, item 3). No Temporal needed:
// nothing is started.
func TestABCThresholdTrialIsADryRun(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN(t), stackOpts{})
			// Scores 50, 20, 10, 8, 5, 3, 2, 1, 1, 0 (thousands).
			scores := []float64{50, 20, 10, 8, 5, 3, 2, 1, 1, 0}
			ids := make([]string, len(scores))
			for i, sc := range scores {
				ids[i] = s.create(mgrMia, company(map[string]any{"annual_revenue": sc * 1000}))
			}
			snapshot := func() string {
				var sb strings.Builder
				for _, id := range ids {
					sb.Write(s.call("GET", "/v1/customers/"+id, admin, nil).body)
					sb.Write(s.call("GET", "/v1/customers/"+id+"/audit", admin, nil).body)
				}
				return sb.String()
			}
			before := snapshot()
			r := s.call("POST", "/v1/abc/trials", analyst, map[string]any{"a_share": 0.5, "b_share": 0.9})
			if r.status != http.StatusOK {
				t.Fatalf("trial: %d %s", r.status, r.body)
			}
			got := r.json(t)
			counts := got["counts"].(map[string]any)
			// a_share 0.5: only the first (0 above it) is A; b_share 0.9: the
			// next four (50, 70, 80, 88 above) B; the rest C. Nobody had a class.
			if got["dry_run"] != true || got["customers"].(float64) != 10 || got["total_value"].(float64) != 100000 ||
				counts["A"].(float64) != 1 || counts["B"].(float64) != 4 || counts["C"].(float64) != 5 || got["class_changes"].(float64) != 10 ||
				got["moves"].(map[string]any)["none→B"].(float64) != 4 {
				t.Fatalf("trial outcome: %s", r.body)
			}
			// Default thresholds when none are given, for admins too.
			if r := s.call("POST", "/v1/abc/trials", admin, nil); r.status != 200 || r.json(t)["counts"].(map[string]any)["A"].(float64) != 3 {
				t.Fatalf("default trial: %d %s", r.status, r.body)
			}
			if after := snapshot(); after != before {
				t.Fatal("a trial changed customers or their audit trail")
			}
		})
	}
}
