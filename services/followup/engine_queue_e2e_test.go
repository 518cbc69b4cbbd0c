package followup_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// TestFollowUpsReachTheEngineOnItsOwnQueue: a FollowUp run on the workflow
// worker's queue — one started before the follow-up service hosted new ones
// (host.go in workflows/followup) — calls the follow-up engine on the
// engine's own task queue under the engine's names
// (proto/contract/followup) and records the version marker of that switch;
// executions from before the switch keep the customer queue (their recorded
// histories replay in workflows/replay_test.go). The history is recorded for
// the replay test.
func TestFollowUpsReachTheEngineOnItsOwnQueue(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	startWorker(t, hostPort, namespace, nil)
	s := newStack(t, testenv.SQLite(t), stackOpts{temporal: hostPort, namespace: namespace})
	tc := s.app.Deps().Temporal
	ctx := context.Background()

	cust := s.create(repAna, company(nil))
	id := uuid.NewString()
	if _, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfc.FollowUpWorkflowID(id), TaskQueue: wfc.TaskQueue}, wfc.WorkflowFollowUp,
		&followupv1.FollowUpSpec{Id: id, Kind: "callback", CustomerId: cust, OwnerId: repAna, Team: "north", Territory: "north",
			Title: "call back about the quote", AnchorAt: timestamppb.Now(), OpenedBy: repAna}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the follow-up stored by the engine", 30*time.Second, func() bool {
		return s.call("GET", "/v1/follow-ups/"+id, repAna, nil).status == http.StatusOK
	})
	wid := s.complete(t, tc, id)

	var activities []string
	marker := false
	it := tc.GetWorkflowHistory(ctx, wid, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			activities = append(activities, a.GetTaskQueue().GetName()+"/"+a.GetActivityType().GetName())
		}
		if m := ev.GetMarkerRecordedEventAttributes(); m != nil && m.GetMarkerName() == "Version" {
			marker = true
		}
	}
	// ResolvePolicies opens the follow-up too (change resolve-and-open).
	want := []string{followupc.ActivityResolvePolicies, followupc.ActivityCloseFollowUp}
	got := strings.Join(activities, " ")
	for _, name := range want {
		if !strings.Contains(got, followupc.TaskQueue+"/"+name) {
			t.Errorf("activities %v: want %s on the %q queue", activities, name, followupc.TaskQueue)
		}
	}
	for _, a := range activities {
		if !strings.HasPrefix(a, followupc.TaskQueue+"/") {
			t.Errorf("activity %s is not on the engine's queue", a)
		}
	}
	if !marker {
		t.Error("no version marker: the queue switch is not recorded in the history")
	}
	testenv.SaveHistory(t, tc, wid, "../../workflows/testdata/follow-up-on-its-own-queue.json")
}

// complete has rep-ana complete follow-up id through the API and waits for
// its workflow to end; it returns the workflow's id.
func (s *stack) complete(t *testing.T, tc client.Client, id string) string {
	t.Helper()
	if r := s.call("POST", "/v1/follow-ups/"+id+"/complete", repAna, map[string]any{"note": "called, quote accepted"}); r.status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	wid := wfc.FollowUpWorkflowID(id)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tc.GetWorkflow(ctx, wid, "").Get(ctx, nil); err != nil {
		t.Fatalf("follow-up workflow: %v", err)
	}
	return wid
}
