package notify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/notify"
)

// fake is the follow-up service's delivery activities: send fails `fails`
// times (permanently when permanent), then succeeds.
type fake struct {
	fails     int
	permanent bool
	sends     []time.Time
	gaveUp    string
	clock     *testsuite.TestWorkflowEnvironment
}

func (f *fake) env(*testing.T) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	f.clock = env
	env.RegisterWorkflow(notify.Delivery)
	env.RegisterActivityWithOptions(func(ctx context.Context, in *followupv1.SendDeliveryInput) error {
		f.sends = append(f.sends, f.clock.Now())
		if len(f.sends) <= f.fails {
			if f.permanent {
				return temporal.NewNonRetryableApplicationError("550 no such mailbox", "email_refused", nil)
			}
			return errors.New("webhook receiver answered 500 Internal Server Error")
		}
		return nil
	}, activity.RegisterOptions{Name: followupc.ActivitySendDelivery})
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.GiveUpDeliveryInput) error {
		f.gaveUp = in.GetError()
		return nil
	}, activity.RegisterOptions{Name: followupc.ActivityGiveUpDelivery})
	return env
}

func TestHeldUntilNotBefore(t *testing.T) {
	f := &fake{}
	env := f.env(t)
	start := env.Now()
	morning := start.Add(9 * time.Hour)
	env.ExecuteWorkflow(notify.Delivery, &followupv1.DeliverInput{DeliveryId: "d1", NotBefore: timestamppb.New(morning)})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.sends) != 1 || f.sends[0].Before(morning) || f.gaveUp != "" {
		t.Fatalf("sends %v (not before %v), gave up %q", f.sends, morning, f.gaveUp)
	}
}

func TestRetriedWithBackoffThenSent(t *testing.T) {
	f := &fake{fails: 3}
	env := f.env(t)
	env.ExecuteWorkflow(notify.Delivery, &followupv1.DeliverInput{DeliveryId: "d1", RetryFor: durationpb.New(time.Hour),
		RetryInitial: durationpb.New(10 * time.Second), RetryMaxInterval: durationpb.New(time.Minute)})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.sends) != 4 || f.gaveUp != "" {
		t.Fatalf("%d sends, gave up %q", len(f.sends), f.gaveUp)
	}
	// 10 s, 20 s, 40 s apart: doubling.
	for i, want := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		if gap := f.sends[i+1].Sub(f.sends[i]); gap < want {
			t.Errorf("retry %d after %v, want at least %v", i+1, gap, want)
		}
	}
}

func TestGivesUpWhenTheRetryPeriodEnds(t *testing.T) {
	f := &fake{fails: 1 << 30}
	env := f.env(t)
	env.ExecuteWorkflow(notify.Delivery, &followupv1.DeliverInput{DeliveryId: "d1", RetryFor: durationpb.New(10 * time.Minute),
		RetryInitial: durationpb.New(30 * time.Second), RetryMaxInterval: durationpb.New(2 * time.Minute)})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed instead of recording the failure: %v", err)
	}
	if f.gaveUp == "" || len(f.sends) < 4 || len(f.sends) > 12 {
		t.Fatalf("%d sends, gave up %q", len(f.sends), f.gaveUp)
	}
}

func TestAPermanentRefusalIsNotRetried(t *testing.T) {
	f := &fake{fails: 1, permanent: true}
	env := f.env(t)
	env.ExecuteWorkflow(notify.Delivery, &followupv1.DeliverInput{DeliveryId: "d1"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.sends) != 1 || f.gaveUp != "550 no such mailbox" {
		t.Fatalf("%d sends, gave up %q", len(f.sends), f.gaveUp)
	}
}
