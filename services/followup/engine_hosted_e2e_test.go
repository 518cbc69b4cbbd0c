package followup_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/closeloop/closeloop/platform/testenv"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// TestTheFollowUpServiceHostsNewFollowUps: a follow-up opened today runs on
// the follow-up engine's own queue, hosted by the follow-up service alone
// (no workflow worker runs here), and calls the engine as local activities:
// its opening, the decision point where its due time passes, its ladder's
// first step and its close are written inside the workflow tasks that
// decided them — no activity task, one workflow task per decision — and
// the record shows each of them; a policy change that moves nothing leaves
// its timer running. The history is recorded for the replay test.
func TestTheFollowUpServiceHostsNewFollowUps(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	s := newStack(t, testenv.SQLite(t), stackOpts{temporal: hostPort, namespace: namespace})
	tc := s.app.Deps().Temporal
	stacktest.Setup(t, tc, namespace) // the search attributes, as the chart's hook makes them
	ctx := context.Background()

	// A ladder in calendar time, whose first step runs at the due time
	// whatever the hour the test runs at.
	if r := s.call("POST", "/v1/policies/followup.callback_escalation_ladder/versions", analyst, map[string]any{"value": map[string]any{"ladder": map[string]any{
		"clock": "calendar", "steps": []map[string]any{{"after": "0m", "action": "remind"}, {"after": "4h", "action": "escalate_manager"}},
	}}, "reason": "remind at the due time"}); r.status != http.StatusCreated {
		t.Fatalf("ladder: %d %s", r.status, r.body)
	}
	cust := s.create(repAna, company(nil))
	// Far enough ahead that the signal below arrives before the due time
	// on a slow machine too.
	due := time.Now().Add(8 * time.Second).UTC()
	r := s.call("POST", "/v1/follow-ups", repAna, map[string]any{"kind": "callback", "customer_id": cust, "title": "call back about the quote",
		"due_at": due.Format(time.RFC3339Nano)})
	if r.status != http.StatusCreated && r.status != http.StatusAccepted {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	// A policy change that moves nothing for it (the version it has): the
	// run keeps its timer (changeHostedAtCurrent version 2).
	ladder := int64(s.call("GET", "/v1/policies/followup.callback_escalation_ladder", analyst, nil).json(t)["active"].(map[string]any)["version"].(float64))
	if err := tc.SignalWorkflow(ctx, wfc.FollowUpWorkflowID(id), "", wfc.SignalPolicyChanged,
		&followupv1.PolicyChangedSignal{Policy: "followup.callback_escalation_ladder", Version: ladder}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ladder's first step recorded at the due time", 30*time.Second, func() bool {
		r := s.call("GET", "/v1/follow-ups/"+id, repAna, nil)
		return r.status == http.StatusOK && r.json(t)["escalation_level"] == float64(1)
	})
	wid := s.complete(t, tc, id)
	if got := s.call("GET", "/v1/follow-ups/"+id, repAna, nil).json(t); got["state"] != "done" || got["escalation_level"] != float64(1) {
		t.Errorf("record after the close: %v", got)
	}

	var queue string
	var activities, local, versions, timers []string
	tasks := 0
	it := tc.GetWorkflowHistory(ctx, wid, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			queue = a.GetTaskQueue().GetName()
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			activities = append(activities, a.GetActivityType().GetName())
		}
		if name := testenv.LocalActivityType(ev); name != "" {
			local = append(local, name)
		}
		if m := ev.GetMarkerRecordedEventAttributes(); m != nil && m.GetMarkerName() == "Version" {
			versions = append(versions, string(m.GetDetails()["change-id"].GetPayloads()[0].GetData()))
		}
		if ev.GetWorkflowTaskCompletedEventAttributes() != nil {
			tasks++
		}
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_TIMER_STARTED, enums.EVENT_TYPE_TIMER_FIRED, enums.EVENT_TYPE_TIMER_CANCELED, enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			timers = append(timers, ev.GetEventType().String())
		}
	}
	if queue != followupc.TaskQueue {
		t.Errorf("started on %q, want the engine's queue %q", queue, followupc.TaskQueue)
	}
	if len(activities) != 0 {
		t.Errorf("activity tasks %v, want none: the engine's activities are local", activities)
	}
	// Opening (resolve-and-open), the decision point at the due time, its
	// step, the close.
	want := []string{followupc.ActivityResolvePolicies, followupc.ActivityResolvePolicies, followupc.ActivityRecordFollowUpStep, followupc.ActivityCloseFollowUp}
	if !slices.Equal(local, want) {
		t.Errorf("local activities %v, want %v", local, want)
	}
	if len(versions) != 1 || versions[0] != `"followup-hosted-at-current"` {
		t.Errorf("version markers %v, want followup-hosted-at-current alone", versions)
	}
	// Open and wait; take the signal in; wake at the due time, step and
	// wait; close.
	if tasks != 4 {
		t.Errorf("%d workflow tasks, want 4", tasks)
	}
	// The signal left the timer of the due time running: started once,
	// fired; then the next step's, cancelled by the close.
	if want := []string{"TimerStarted", "WorkflowExecutionSignaled", "TimerFired", "TimerStarted", "WorkflowExecutionSignaled", "TimerCanceled"}; !slices.Equal(timers, want) {
		t.Errorf("timers and signals %v, want %v", timers, want)
	}
	// Recorded before the kept timer: follow-up-hosted-by-engine.
	testenv.SaveHistory(t, tc, wid, "../../workflows/testdata/follow-up-hosted-kept-timer.json")
}
