package followup_test

import (
	"context"
	"fmt"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// pager is a fake RolloutPage: each sweep (a call with after_id "") walks its
// own scripted pages, keyed by after_id.
type pager struct {
	env    *testsuite.TestWorkflowEnvironment
	sweeps []map[string]*followupv1.RolloutPageResult // by sweep, then after_id

	mu    sync.Mutex
	sweep int
	calls []pageCall
}

type pageCall struct {
	at    time.Time
	sweep int
	in    *followupv1.RolloutPageInput
}

func (p *pager) page(_ context.Context, in *followupv1.RolloutPageInput) (*followupv1.RolloutPageResult, error) {
	now := p.env.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.GetAfterId() == "" {
		p.sweep++
	}
	p.calls = append(p.calls, pageCall{at: now, sweep: p.sweep, in: in})
	if p.sweep > len(p.sweeps) {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unexpected sweep %d", p.sweep), "invalid", nil)
	}
	res, ok := p.sweeps[p.sweep-1][in.GetAfterId()]
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("sweep %d: unexpected after_id %q", p.sweep, in.GetAfterId()), "invalid", nil)
	}
	return res, nil
}

// Three pages in the first sweep, one straggler in the second.
func scriptedSweeps() []map[string]*followupv1.RolloutPageResult {
	return []map[string]*followupv1.RolloutPageResult{
		{
			"":        {Signalled: 500, OrphansClosed: 1, NextAfterId: "fu-0500"},
			"fu-0500": {Signalled: 300, NextAfterId: "fu-0800"},
			"fu-0800": {Signalled: 0, OrphansClosed: 2, NextAfterId: ""},
		},
		{
			"": {Signalled: 3, NextAfterId: ""},
		},
	}
}

func TestPolicyRollout(t *testing.T) {
	start := monday10
	later := start.Add(2 * time.Hour)
	cases := []struct {
		name          string
		in            *followupv1.RolloutInput
		firstAt       time.Time // when the first page is asked for
		wantSweeps    int32
		wantSignalled int64
		wantOrphans   int64
	}{
		{
			name:    "policy version in force later",
			in:      &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 3, EffectiveFrom: timestamppb.New(later)},
			firstAt: later, wantSweeps: 2, wantSignalled: 803, wantOrphans: 3,
		},
		{
			name:    "policy version already in force",
			in:      &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 3, EffectiveFrom: timestamppb.New(start.Add(-time.Hour))},
			firstAt: start, wantSweeps: 2, wantSignalled: 803, wantOrphans: 3,
		},
		{
			name:    "calendar version in force later",
			in:      &followupv1.RolloutInput{Calendar: cnMainland, Version: 8, EffectiveFrom: timestamppb.New(later)},
			firstAt: later, wantSweeps: 2, wantSignalled: 803, wantOrphans: 3,
		},
		{
			name:    "periodic reconciliation",
			in:      &followupv1.RolloutInput{},
			firstAt: start, wantSweeps: 1, wantSignalled: 800, wantOrphans: 3,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(start)
			p := &pager{env: env, sweeps: scriptedSweeps()}
			env.RegisterWorkflow(followup.PolicyRollout)
			env.RegisterActivityWithOptions(p.page, activity.RegisterOptions{Name: followupc.ActivityRolloutPage})
			env.ExecuteWorkflow(followup.PolicyRollout, tc.in)
			if !env.IsWorkflowCompleted() {
				t.Fatal("rollout did not complete")
			}
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var res followupv1.RolloutResult
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if res.GetSweeps() != tc.wantSweeps || res.GetSignalled() != tc.wantSignalled || res.GetOrphansClosed() != tc.wantOrphans {
				t.Errorf("result %v, want %d sweeps, %d signalled, %d orphans closed", &res, tc.wantSweeps, tc.wantSignalled, tc.wantOrphans)
			}

			wantAfter := []string{"", "fu-0500", "fu-0800"}
			if tc.wantSweeps == 2 {
				wantAfter = append(wantAfter, "")
			}
			var gotAfter []string
			for _, c := range p.calls {
				gotAfter = append(gotAfter, c.in.GetAfterId())
				if !proto.Equal(c.in.GetRollout(), tc.in) || c.in.GetLimit() != followup.RolloutPageSize {
					t.Errorf("page input %v: want the rollout %v and limit %d", c.in, tc.in, followup.RolloutPageSize)
				}
			}
			if !slices.Equal(gotAfter, wantAfter) {
				t.Fatalf("pages after %q, want %q", gotAfter, wantAfter)
			}
			if first := p.calls[0].at; !first.Equal(tc.firstAt) {
				t.Errorf("first page at %s, want %s", show(first), show(tc.firstAt))
			}
			if eff := tc.in.GetEffectiveFrom(); eff != nil && p.calls[0].at.Before(eff.AsTime()) {
				t.Errorf("first page at %s, before the version is in force at %s", show(p.calls[0].at), show(eff.AsTime()))
			}
			if tc.wantSweeps == 2 {
				lastOfFirst, resweep := p.calls[2].at, p.calls[3].at
				if got := resweep.Sub(lastOfFirst); got != followup.ResweepDelay {
					t.Errorf("second sweep %s after the first, want %s", got, followup.ResweepDelay)
				}
			}
		})
	}
}

func TestPolicyRolloutWithdrawnBeforeItIsInForce(t *testing.T) {
	env := newEnv(monday10)
	p := &pager{env: env, sweeps: scriptedSweeps()}
	env.RegisterWorkflow(followup.PolicyRollout)
	env.RegisterActivityWithOptions(p.page, activity.RegisterOptions{Name: followupc.ActivityRolloutPage})
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(followup.PolicyRollout, &followupv1.RolloutInput{
		Policy: policy.LeadFirstContactSLA, Version: 3, EffectiveFrom: timestamppb.New(monday10.Add(24 * time.Hour)),
	})
	if !env.IsWorkflowCompleted() {
		t.Fatal("rollout did not end")
	}
	if err := env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("error %v, want cancelled", err)
	}
	if len(p.calls) != 0 {
		t.Fatalf("a withdrawn version was rolled out: %d pages", len(p.calls))
	}
}
