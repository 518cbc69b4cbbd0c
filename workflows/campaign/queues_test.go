package campaign_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
)

// TestPagesRunOnTheBulkQueues: a launch's and a sweep's page activities
// are scheduled on the customer and marketing services' bulk task queues,
// never on their own queues, where the cadences a launch starts queue their
// first steps; the follow-up engine's look-ups stay on its one queue.
func TestPagesRunOnTheBulkQueues(t *testing.T) {
	for _, c := range []struct {
		name     string
		workflow string
		input    any
	}{
		{"launch", wfc.WorkflowCampaignLaunch, launchInput()},
		{"sweep", wfc.WorkflowWinBackSweep, &marketingv1.WinBackSweepInput{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &services{n: 7, per: 4}
			env, _ := newEnv(t, s, launched.Add(time.Minute))
			var mu sync.Mutex
			queues := map[string]map[string]bool{} // activity → queues
			env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				mu.Lock()
				defer mu.Unlock()
				if queues[info.ActivityType.Name] == nil {
					queues[info.ActivityType.Name] = map[string]bool{}
				}
				queues[info.ActivityType.Name][info.TaskQueue] = true
			})
			env.ExecuteWorkflow(c.workflow, c.input)
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(queues[customerc.ActivitySegmentPage]) == 0 {
				t.Fatalf("no page read: %v", queues)
			}
			for name, qs := range queues {
				want := map[string]string{customerc.ActivitySegmentPage: customerc.BulkTaskQueue, customerc.ActivityPlanTouches: customerc.BulkTaskQueue,
					marketingc.ActivityEnrolPage: marketingc.BulkTaskQueue, marketingc.ActivityRecordTouches: marketingc.BulkTaskQueue,
					marketingc.ActivityFinishLaunch: marketingc.BulkTaskQueue, marketingc.ActivityWinBackSweepPage: marketingc.BulkTaskQueue,
					followupc.ActivityResolvePolicies: followupc.TaskQueue, followupc.ActivityCalendarSet: followupc.TaskQueue}[name]
				if want == "" {
					t.Errorf("unexpected activity %s", name)
					continue
				}
				if len(qs) != 1 || !qs[want] {
					t.Errorf("%s ran on %v, want only %s", name, qs, want)
				}
			}
		})
	}
}
