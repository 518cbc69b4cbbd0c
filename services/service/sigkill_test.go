package service_test

import (
	"context"
	"log/slog"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/workflows"
)

// TestWorkerKilledWhileABreachFallsDue kills the workflow worker with
// SIGKILL after a case's first response was breached and reminded, while
// the escalation to the managers falls due, and starts it again: the step
// that fell due while no worker ran is carried out on restart, and the
// breach and each step happen exactly once.
//
// The policies are set through the follow-up service's API, as an analyst
// would, to minutes of calendar time: first response within 15 minutes of a
// case reported 14m40s before it was filed, then remind at once and escalate
// a minute later.
func TestWorkerKilledWhileABreachFallsDue(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about two minutes")
	}
	hostPort, namespace := testenv.Temporal(t)
	s := newStackOn(t, testenv.Postgres, hostPort, namespace)
	if err := workflows.Setup(context.Background(), s.service.App.Deps().Temporal, namespace,
		workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 3}, slog.Default()); err != nil {
		t.Fatal(err)
	}
	policy := func(name string, value map[string]any) {
		r := s.call(s.followup.Base, "POST", "/v1/policies/"+name+"/versions", analyst, map[string]any{"value": value, "reason": "worker-kill test"})
		if r.status != http.StatusCreated {
			t.Fatalf("policy %s: %d %s", name, r.status, r.body)
		}
	}
	fifteen := map[string]any{"duration": "15m", "clock": "calendar"}
	policy("service.response_sla", map[string]any{"table": map[string]any{"urgent": fifteen, "high": fifteen, "normal": fifteen, "low": fifteen}})
	policy("service.escalation_ladder", map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
		{"after": "0m", "action": "remind"}, {"after": "1m", "action": "escalate_manager"}}}})

	worker := testenv.StartWorkerProcess(t, workerEnv, hostPort, namespace)
	reported := time.Now().Add(-15*time.Minute + 20*time.Second).UTC()
	due := reported.Add(15 * time.Minute)
	cust := s.customerOf(repAna)
	id := s.file(repAna, complaint(cust, map[string]any{"team": "service", "reported_at": reported.Format(time.RFC3339Nano)}))["id"].(string)
	path := "/v1/cases/" + id
	var fuID string
	followUp := func() map[string]any {
		r := s.call(s.followup.Base, "GET", "/v1/follow-ups/"+fuID, admin, nil)
		if r.status != http.StatusOK {
			t.Fatalf("follow-up %s: %d %s", fuID, r.status, r.body)
		}
		return r.json(t)
	}
	stacktest.Eventually(t, "the breach and the reminder", time.Until(due)+time.Minute, func() bool {
		fr := slaOf(s.must(http.StatusOK, "GET", path, admin, nil), "first_response")
		if fr == nil || fr["state"] != "breached" || fr["follow_up_id"] == "" {
			return false
		}
		fuID = fr["follow_up_id"].(string)
		return followUp()["escalation_level"] == float64(1)
	})

	// SIGKILL: no graceful stop; the escalation (due+1m) falls due while no
	// worker runs.
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	time.Sleep(time.Until(due.Add(time.Minute + 10*time.Second)))
	if lvl := followUp()["escalation_level"]; lvl != float64(1) {
		t.Fatalf("escalated with no worker running: level %v", lvl)
	}
	testenv.StartWorkerProcess(t, workerEnv, hostPort, namespace)
	// Generous: a task of the killed worker's sticky queue moves to the
	// shared queue only after its timeout.
	stacktest.Eventually(t, "the escalation after restart", 2*time.Minute, func() bool { return followUp()["escalation_level"] == float64(2) })
	time.Sleep(3 * time.Second) // anything repeated would show up now
	steps := map[string]int{}
	for _, e := range followUp()["events"].([]any) {
		steps[e.(map[string]any)["action"].(string)]++
	}
	if steps["remind"] != 1 || steps["escalate_manager"] != 1 {
		t.Errorf("follow-up steps %v, want one reminder and one escalation", steps)
	}
	if n := count(s.kinds(id), "sla_breached"); n != 1 {
		t.Errorf("%d breaches on the timeline, want 1", n)
	}
	if fr := slaOf(s.must(http.StatusOK, "GET", path, admin, nil), "first_response"); fr["breached_at"] == nil ||
		!mustTime(t, fr["breached_at"]).Equal(due.Truncate(time.Microsecond)) && mustTime(t, fr["breached_at"]).Sub(due).Abs() > time.Millisecond {
		t.Errorf("breached at %v, want the deadline %v", fr["breached_at"], due)
	}
	testenv.SaveHistory(t, s.service.App.Deps().Temporal, wfc.ServiceCaseWorkflowID(id), "../../workflows/servicecase/testdata/case-breach-worker-killed.json")
}

func mustTime(t *testing.T, v any) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, v.(string))
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
