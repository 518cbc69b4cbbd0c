package sales_test

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
)

// TestWorkerKilledMidEscalation kills the workflow worker with SIGKILL in the
// middle of the escalation of a lead it hosts (one started by an older
// release), while the next step comes due, and starts it
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
	// The lead is started as a release before the sales service hosted new
	// leads started it: on the workflow worker's queue (a lead the API
	// starts now runs in the sales service, with its sales activities local).
	l := startLeadOnWorkflowsQueue(t, s.sales.App.Deps().Temporal, &salesv1.LeadData{Id: uuid.NewString(), Source: "phone",
		CompanyName: companyName("Killed Worker Ltd"), Region: "north", Industry: "steel", ReceivedAt: timestamppb.New(received),
		CreatedBy: mgrMia, Imported: true})
	id, owner := l.GetLeadId(), l.GetAssignment().GetOwnerId()
	if owner == "" {
		t.Fatalf("the lead was not assigned: %v", l)
	}
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

// startLeadOnWorkflowsQueue starts a lead's workflow as the API did before
// the sales service hosted new leads — on the workflow worker's queue, with
// the await-settled update (update-with-start) — and returns its snapshot
// once the first assignment has settled.
func startLeadOnWorkflowsQueue(t *testing.T, c client.Client, data *salesv1.LeadData) *salesv1.LeadSnapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := wfc.LeadWorkflowID(data.GetId())
	op := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{ID: id, TaskQueue: wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("lead")),
	}, wfc.WorkflowLead, &salesv1.LeadInput{Lead: data})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: wfc.UpdateAwaitSettled, WaitForStage: client.WorkflowUpdateStageCompleted}})
	if err != nil {
		t.Fatal(err)
	}
	var snap salesv1.LeadSnapshot
	if err := h.Get(ctx, &snap); err != nil {
		t.Fatalf("lead %s: %v", id, err)
	}
	return &snap
}

// startWorkerProcess runs the workflow worker as a child process (this test
// binary in worker mode, see TestMain).
func startWorkerProcess(t testing.TB, hostPort, namespace string) *exec.Cmd {
	t.Helper()
	return testenv.StartWorkerProcess(t, workerEnv, hostPort, namespace)
}
