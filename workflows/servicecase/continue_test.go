package servicecase_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
)

// TestContinuesAsNewMidEscalation: after its limit of updates the workflow
// continues as new while the first response is being escalated; the next
// run carries the clocks and resumes the same follow-up — not opened again,
// no step repeated — and escalates on from where it stood.
func TestContinuesAsNewMidEscalation(t *testing.T) {
	filed := cst(time.November, 2, 9, 0)
	h := newHarness(t, filed, "P3")
	due := h.cal.Add(filed, 8*time.Hour)
	h.send(due.Add(30*time.Minute), &servicev1.CaseCommand{Op: "note", Body: "looking", Actor: "svc-sam"}, "")
	h.send(due.Add(40*time.Minute), &servicev1.CaseCommand{Op: "state", ToState: "pending_internal", Actor: "svc-sam"}, "")
	h.at(due.Add(time.Hour), func() {}) // keep the clock moving past the updates
	h.env.ExecuteWorkflow(wfc.WorkflowServiceCase, &servicev1.CaseInput{Case: h.cases.c, ContinueAsNewAfter: 2})
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("the run ended with %v, want continue-as-new", err)
	}
	var next servicev1.CaseInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	carried := next.GetCarried()
	if len(carried.GetClocks()) != 2 || carried.GetClocks()[0].GetBreachedAt() == nil {
		t.Fatalf("carried clocks %v, want both, first response breached", carried.GetClocks())
	}
	var tracked *servicev1.TrackedTarget
	for _, tr := range carried.GetTracked() {
		if tr.GetTarget() == "first_response" {
			tracked = tr
		}
	}
	if tracked == nil || tracked.GetLevel() != 1 {
		t.Fatalf("carried follow-ups %v, want the first response's at level 1 (reminded)", carried.GetTracked())
	}

	// The next run, in a fresh environment at the same instant.
	h2 := newHarness(t, filed, "P3")
	h2.env.SetStartTime(h.env.Now())
	h2.cases.c = carried.GetSnapshot()
	h2.at(h.env.Now().Add(3*24*time.Hour), func() { h2.env.CancelWorkflow() })
	h2.env.ExecuteWorkflow(wfc.WorkflowServiceCase, &next)
	if n := len(h2.opened()); n != 0 && h2.opened()[0].GetSpec().GetId() == tracked.GetSpec().GetId() {
		t.Errorf("the resumed follow-up was opened again")
	}
	// The first step of the next run is the resumed follow-up's next one:
	// the escalation, not the reminder again.
	if steps := h2.engine.Steps(); len(steps) == 0 || !strings.HasPrefix(steps[0], "escalate_manager@") {
		t.Errorf("steps in the next run %v: want the escalation first", steps)
	}
	if len(h2.engine.Events(followupc.ActivityRecordFollowUpStep)) == 0 {
		t.Error("no step recorded in the next run")
	}
}
