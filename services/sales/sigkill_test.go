package sales_test

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// TestWorkerKilledMidEscalation kills the workflow worker with SIGKILL in the
// middle of a lead's escalation, while the next step comes due, and starts it
// again: the step that fell due while no worker ran is carried out on restart,
// and every step — reminder, escalation to the manager, reassignment — happens
// exactly once, on the lead's timeline and on its follow-up.
//
// The policies are set (through the customer service's API, as an analyst
// would) to minutes of calendar time: SLA 15 minutes counted from a lead that
// arrived 14m40s ago (imported, so received_at counts), then remind at once, escalate a minute later, reassign
// two minutes later.
func TestWorkerKilledMidEscalation(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about two and a half minutes")
	}
	hostPort, namespace := testenv.Temporal(t)
	s := newStack(t, testenv.Postgres, stackOpts{temporal: hostPort, namespace: namespace, noWorker: true})
	policy := func(name string, value map[string]any) {
		r := s.call(s.customer.Base, "POST", "/v1/policies/"+name+"/versions", analyst, map[string]any{"value": value, "reason": "worker-kill test"})
		if r.status != 201 {
			t.Fatalf("policy %s: %d %s", name, r.status, r.body)
		}
	}
	policy("lead.first_contact_sla", map[string]any{"timer": map[string]any{"duration": "15m", "clock": "calendar"}})
	policy("lead.escalation_ladder", map[string]any{"ladder": map[string]any{"clock": "calendar", "steps": []map[string]any{
		{"after": "0m", "action": "remind"}, {"after": "1m", "action": "escalate_manager"}, {"after": "2m", "action": "reassign"}}}})
	s.northSteel(10)

	worker := startWorkerProcess(t, hostPort, s.namespace)
	received := time.Now().Add(-15*time.Minute + 20*time.Second).UTC()
	due := received.Add(15 * time.Minute)
	l := s.must(201, "POST", "/v1/leads", mgrMia, map[string]any{"source": "phone", "company_name": companyName("Killed Worker Ltd"),
		"region": "north", "industry": "steel", "received_at": received.Format(time.RFC3339Nano), "import": true})
	id, owner := l["id"].(string), l["owner_id"].(string)
	kinds := func() map[string]int {
		out := map[string]int{}
		for _, e := range s.must(200, "GET", "/v1/leads/"+id+"/timeline", admin, nil)["items"].([]any) {
			out[e.(map[string]any)["kind"].(string)]++
		}
		return out
	}
	eventually(t, "the reminder", time.Until(due)+30*time.Second, func() bool { return kinds()["reminder"] == 1 })

	// SIGKILL: no graceful stop, in-flight tasks are lost; the escalation step
	// falls due (due+1m) while no worker runs.
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	time.Sleep(time.Until(due.Add(time.Minute + 10*time.Second)))
	if k := kinds(); k["escalated"] != 0 {
		t.Fatalf("escalated with no worker running: %v", k)
	}
	startWorkerProcess(t, hostPort, s.namespace)
	// Generous waits: on a loaded CI machine a task of the killed worker's
	// sticky queue moves to the shared queue only after its timeout.
	eventually(t, "the escalation after restart", 2*time.Minute, func() bool { return kinds()["escalated"] == 1 })
	eventually(t, "the reassignment", time.Until(due.Add(2*time.Minute))+2*time.Minute, func() bool { return kinds()["reassigned"] == 1 })
	time.Sleep(3 * time.Second) // anything repeated would show up now
	k := kinds()
	if k["reminder"] != 1 || k["escalated"] != 1 || k["reassigned"] != 1 || k["assigned"] != 1 {
		t.Fatalf("timeline kinds %v, want each step once", k)
	}
	saveHistory(t, s.sales.App.Deps().Temporal, "Lead:"+id, "lead-escalated-worker-killed")
	after := s.must(200, "GET", "/v1/leads/"+id, admin, nil)
	if after["owner_id"] == owner || after["owner_id"] == "" {
		t.Fatalf("lead not reassigned: %v", after)
	}
	// The first owner's follow-up has each step once, and is closed.
	fus := s.call(s.customer.Base, "GET", "/v1/follow-ups?customer_id="+after["customer_id"].(string)+"&state=closed", admin, nil)
	if fus.status != 200 {
		t.Fatalf("follow-ups: %d %s", fus.status, fus.body)
	}
	items := fus.json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["owner_id"] != owner || items[0].(map[string]any)["escalation_level"] != float64(3) {
		t.Fatalf("closed follow-ups %s", mustJSON(items))
	}
	fu := s.call(s.customer.Base, "GET", "/v1/follow-ups/"+items[0].(map[string]any)["id"].(string), admin, nil).json(t)
	steps := map[string]int{}
	for _, e := range fu["events"].([]any) {
		steps[fmt.Sprint(e.(map[string]any)["action"])]++
	}
	if steps["remind"] != 1 || steps["escalate_manager"] != 1 || steps["reassign"] != 1 {
		t.Fatalf("follow-up history steps %v: %s", steps, mustJSON(fu["events"]))
	}
}

// startWorkerProcess runs the workflow worker as a child process (this test
// binary in worker mode, see TestMain).
func startWorkerProcess(t testing.TB, hostPort, namespace string) *exec.Cmd {
	t.Helper()
	return testenv.StartWorkerProcess(t, workerEnv, hostPort, namespace)
}
