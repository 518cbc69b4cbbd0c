package campaign_test

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/campaign"
)

// TestNotice: the event goes to the follow-up service as it is, retried
// until it is taken; a malformed one ("invalid") is not retried.
func TestNotice(t *testing.T) {
	in := &followupv1.NotifyInput{EventId: "c1:approved:v2", Kind: "campaign", Action: "approved", SubjectId: "c1",
		To: []*followupv1.NotifyAudience{{UserId: "mkt-mo"}}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	calls := 0
	env.RegisterActivityWithOptions(func(_ context.Context, got *followupv1.NotifyInput) (*followupv1.NotifyResult, error) {
		calls++
		if got.GetEventId() != in.GetEventId() || got.GetTo()[0].GetUserId() != "mkt-mo" {
			t.Errorf("handed over %v", got)
		}
		if calls == 1 {
			return nil, errors.New("the follow-up service is restarting")
		}
		return &followupv1.NotifyResult{MessageIds: []string{"m1"}}, nil
	}, activity.RegisterOptions{Name: followupc.ActivityNotify})
	env.ExecuteWorkflow(campaign.CampaignNotice, in)
	var out followupv1.NotifyResult
	if err := env.GetWorkflowError(); err != nil || env.GetWorkflowResult(&out) != nil || len(out.GetMessageIds()) != 1 || calls != 2 {
		t.Fatalf("err %v, result %v, %d calls", err, out.GetMessageIds(), calls)
	}

	env = suite.NewTestWorkflowEnvironment()
	calls = 0
	env.RegisterActivityWithOptions(func(_ context.Context, _ *followupv1.NotifyInput) (*followupv1.NotifyResult, error) {
		calls++
		return nil, temporal.NewNonRetryableApplicationError("to: required", "invalid", nil)
	}, activity.RegisterOptions{Name: followupc.ActivityNotify})
	env.ExecuteWorkflow(campaign.CampaignNotice, in)
	if err := env.GetWorkflowError(); err == nil || calls != 1 {
		t.Fatalf("a malformed event: %v after %d calls", err, calls)
	}
}
