package winback_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/winback"
)

// TestTouchIsReadAheadOfItsInstant: PrefetchLead before each touch's
// instant the terms are re-resolved and the customer service asked for a
// missed response, both at once; at the instant only the marketing service
// is asked, so the touch is decided one round trip after its instant. A
// touch deferred by contact pressure is read again ahead of its new
// instant; a policy changed between the read and the instant is read again
// at once.
func TestTouchIsReadAheadOfItsInstant(t *testing.T) {
	h := newHarness(t, enrolled)
	deferredTo := touch1.Add(3 * time.Hour)
	h.decide = func(tc *marketingv1.Touch, n int) *marketingv1.WinBackTouchResult {
		if tc.GetStep() == 1 && n == 2 {
			return &marketingv1.WinBackTouchResult{SkipReason: winback.SkipPressure, NotBefore: timestamppb.New(deferredTo)}
		}
		return &marketingv1.WinBackTouchResult{}
	}
	// An analyst edits the deadline a second before the deferred touch:
	// read again then, not at the instant.
	h.at(deferredTo.Add(-time.Second), func() {
		h.engine.PutPolicy(policy.WinBackTouchDeadline, 9, deferredTo.Add(-time.Second), policy.Value{Timer: &policy.Timer{Duration: policy.Duration(2 * day), Clock: policy.ClockBusiness}})
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Policy: policy.WinBackTouchDeadline})
	})
	h.respond(deferredTo.Add(time.Hour), "call")
	resolved := map[string]bool{}
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == followupc.ActivityResolvePolicies {
			resolved[hm(h.env.Now())] = true
		}
	})
	h.run(input(enrolled))

	lead := winback.PrefetchLead
	var asked, decided []string
	for _, c := range h.of(customerc.ActivityWinBackResponses) {
		asked = append(asked, hm(c.at))
	}
	for _, c := range h.of(marketingc.ActivityWinBackTouch) {
		decided = append(decided, hm(c.at))
	}
	// The first touch is due at the enrolment: asked at its instant (the
	// cadence has just started and has nothing read ahead).
	if want := []string{hm(enrolled), hm(touch1.Add(-lead)), hm(deferredTo.Add(-lead)), hm(deferredTo.Add(-time.Second))}; !slices.Equal(asked, want) {
		t.Errorf("asked for a missed response at %v, want %v", asked, want)
	}
	if want := []string{hm(enrolled), hm(touch1), hm(deferredTo)}; !slices.Equal(decided, want) {
		t.Errorf("touches decided at %v, want %v", decided, want)
	}
	if got, want := h.planned(), []string{"0 call@" + hm(enrolled), "1 visit@" + hm(deferredTo)}; !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	// Each read re-resolved the terms at the same instant as the ask.
	for _, at := range asked[1:] {
		if !resolved[at] {
			t.Errorf("asked for a missed response at %s without re-resolving the terms then", at)
		}
	}
}

// TestAnswerServesOnlyWhileFresh: the answer read ahead serves a touch
// decided up to PrefetchFresh after it, never one decided before it was
// read or later than that.
func TestAnswerServesOnlyWhileFresh(t *testing.T) {
	asked := touch1.Add(-winback.PrefetchLead)
	for _, c := range []struct {
		decided time.Time
		serves  bool
	}{
		{touch1, true},
		{asked, true},
		{asked.Add(winback.PrefetchFresh), true},
		{asked.Add(winback.PrefetchFresh + time.Millisecond), false}, // the engine was down at the instant
		{asked.Add(-time.Millisecond), false},
	} {
		if got := winback.AnswerServes(asked, c.decided); got != c.serves {
			t.Errorf("AnswerServes(asked, asked%+v) = %v, want %v", c.decided.Sub(asked), got, c.serves)
		}
	}
}
