package winback_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
)

// TestStartMarksWhileResolving: a new cadence marks its customer and
// resolves its terms at the same time (one round trip, not two: a launch
// starts thousands of cadences at once). The mark waits, in real time, for
// the terms' resolution to start: made one after the other, the
// resolution would only start once the mark had given up waiting.
func TestStartMarksWhileResolving(t *testing.T) {
	enrolled := cst(time.March, 2, 10, 0)
	h := newHarness(t, enrolled)
	resolving := make(chan struct{})
	var once sync.Once
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == followupc.ActivityResolvePolicies {
			once.Do(func() { close(resolving) })
		}
	})
	var mu sync.Mutex
	var overlapped, marked bool
	h.env.OnActivity(customerc.ActivityMarkWinBack, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in *marketingv1.WinBackMarkInput) error {
			if in.GetCampaignId() == "" {
				return nil // the clearing mark at the end
			}
			select {
			case <-resolving:
				mu.Lock()
				overlapped = true
				mu.Unlock()
			case <-time.After(3 * time.Second):
			}
			mu.Lock()
			marked = true
			mu.Unlock()
			return nil
		})
	h.respond(enrolled.Add(time.Hour), "call")
	end := h.run(input(enrolled))
	if end.GetOutcome() == "" {
		t.Fatalf("no outcome: %v", end)
	}
	mu.Lock()
	defer mu.Unlock()
	if !marked {
		t.Fatal("the customer was never marked")
	}
	if !overlapped {
		t.Fatal("the terms were resolved only after the customer was marked: two round trips at the start")
	}
}
