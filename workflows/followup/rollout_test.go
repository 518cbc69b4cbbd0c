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
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// pager is a fake RolloutPage. A sweep begins with a page after_id "" of
// the store phase (or, before the two phases, of the one phase); its store
// pages (and one-phase pages) are scripted by after_id, its wake pages in
// the order they are asked for.
type pager struct {
	env    *testsuite.TestWorkflowEnvironment
	sweeps []sweepScript

	mu    sync.Mutex
	sweep int
	woken int // wake pages asked for in the current sweep
	calls []pageCall
}

type sweepScript struct {
	pages map[string]*followupv1.RolloutPageResult // by after_id
	wakes []*followupv1.RolloutPageResult
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
	wake := in.GetPhase() == followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE
	if in.GetAfterId() == "" && !wake {
		p.sweep++
		p.woken = 0
	}
	p.calls = append(p.calls, pageCall{at: now, sweep: p.sweep, in: in})
	if p.sweep > len(p.sweeps) {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unexpected sweep %d", p.sweep), "invalid", nil)
	}
	sw := p.sweeps[p.sweep-1]
	if wake {
		if in.GetAfterId() != "" || p.woken >= len(sw.wakes) {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("sweep %d: unexpected wake page %d after %q", p.sweep, p.woken, in.GetAfterId()), "invalid", nil)
		}
		p.woken++
		return sw.wakes[p.woken-1], nil
	}
	res, ok := sw.pages[in.GetAfterId()]
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("sweep %d: unexpected after_id %q", p.sweep, in.GetAfterId()), "invalid", nil)
	}
	return res, nil
}

// Three store pages and two wake pages in the first sweep, one straggler in
// the second.
func scriptedSweeps() []sweepScript {
	return []sweepScript{
		{
			pages: map[string]*followupv1.RolloutPageResult{
				"":        {Stored: 500, OrphansClosed: 1, NextAfterId: "fu-0500"},
				"fu-0500": {Stored: 300, NextAfterId: "fu-0800"},
				"fu-0800": {OrphansClosed: 2, NextAfterId: ""},
			},
			wakes: []*followupv1.RolloutPageResult{
				{Signalled: 500, Late: 2, NextAfterId: "fu-0733", Pace: pace(140, "wf-0731", "wf-0732")},
				{Signalled: 300, NextAfterId: "", Pace: pace(152, "wf-0799")},
			},
		},
		{
			pages: map[string]*followupv1.RolloutPageResult{"": {Stored: 3}},
			wakes: []*followupv1.RolloutPageResult{{Signalled: 3, Pace: pace(152, "wf-0799", "wf-0801")}},
		},
	}
}

// wakeIndex is how many wake pages of sweep calls asked for.
func wakeIndex(calls []pageCall, sweep int) int {
	n := 0
	for _, c := range calls {
		if c.sweep == sweep && c.in.GetPhase() == followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE {
			n++
		}
	}
	return n
}

// pace is a wake page's pacing at its end: its window and last signals.
func pace(window int32, wids ...string) *followupv1.RolloutPace {
	p := &followupv1.RolloutPace{Window: window}
	for i, w := range wids {
		p.Tail = append(p.Tail, &followupv1.RolloutSignal{WorkflowId: w, SignalledAt: timestamppb.New(monday10.Add(time.Duration(i) * time.Millisecond))})
	}
	return p
}

// The same before the two phases: each page stores and signals.
func scriptedOnePhaseSweeps() []sweepScript {
	return []sweepScript{
		{pages: map[string]*followupv1.RolloutPageResult{
			"":        {Signalled: 500, OrphansClosed: 1, NextAfterId: "fu-0500"},
			"fu-0500": {Signalled: 300, NextAfterId: "fu-0800"},
			"fu-0800": {Signalled: 0, OrphansClosed: 2, NextAfterId: ""},
		}},
		{pages: map[string]*followupv1.RolloutPageResult{"": {Signalled: 3, NextAfterId: ""}}},
	}
}

type pageWant struct {
	phase followupv1.RolloutPhase
	after string
}

func TestPolicyRollout(t *testing.T) {
	start := monday10
	later := start.Add(2 * time.Hour)
	const (
		store = followupv1.RolloutPhase_ROLLOUT_PHASE_STORE
		wake  = followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE
		both  = followupv1.RolloutPhase_ROLLOUT_PHASE_UNSPECIFIED
	)
	twoPhases := []pageWant{{store, ""}, {store, "fu-0500"}, {store, "fu-0800"}, {wake, ""}, {wake, ""}}
	onePhase := []pageWant{{both, ""}, {both, "fu-0500"}, {both, "fu-0800"}}
	cases := []struct {
		name          string
		in            *followupv1.RolloutInput
		before        bool      // a rollout started before the two phases
		paceKept      bool      // a rollout started before wake pages handed their pace on
		firstAt       time.Time // when the first page is asked for
		wantSweeps    int32
		wantSignalled int64
		wantOrphans   int64
		wantLate      int64
	}{
		{
			name:    "policy version in force later",
			in:      &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 3, EffectiveFrom: timestamppb.New(later)},
			firstAt: later, wantSweeps: 2, wantSignalled: 803, wantOrphans: 3, wantLate: 2,
		},
		{
			name:    "policy version already in force",
			in:      &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 3, EffectiveFrom: timestamppb.New(start.Add(-time.Hour))},
			firstAt: start, wantSweeps: 2, wantSignalled: 803, wantOrphans: 3, wantLate: 2,
		},
		{
			name:    "calendar version in force later",
			in:      &followupv1.RolloutInput{Calendar: cnMainland, Version: 8, EffectiveFrom: timestamppb.New(later)},
			firstAt: later, wantSweeps: 2, wantSignalled: 803, wantOrphans: 3, wantLate: 2,
		},
		{
			name:    "periodic reconciliation",
			in:      &followupv1.RolloutInput{},
			firstAt: start, wantSweeps: 1, wantSignalled: 800, wantOrphans: 3, wantLate: 2,
		},
		{
			name:    "policy version rolled out as before the two phases",
			in:      &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 3, EffectiveFrom: timestamppb.New(later)},
			before:  true,
			firstAt: later, wantSweeps: 2, wantSignalled: 803, wantOrphans: 3,
		},
		{
			name:     "policy version rolled out as before wake pages handed their pace on",
			in:       &followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 3, EffectiveFrom: timestamppb.New(later)},
			paceKept: true,
			firstAt:  later, wantSweeps: 2, wantSignalled: 803, wantOrphans: 3, wantLate: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(start)
			p := &pager{env: env, sweeps: scriptedSweeps()}
			sweep := twoPhases
			if tc.before {
				p.sweeps, sweep = scriptedOnePhaseSweeps(), onePhase
				env.OnGetVersion(followup.ChangeRolloutStoresFirst, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
			if tc.paceKept {
				env.OnGetVersion(followup.ChangeRolloutHandsOnPace, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			}
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
			if res.GetSweeps() != tc.wantSweeps || res.GetSignalled() != tc.wantSignalled || res.GetOrphansClosed() != tc.wantOrphans || res.GetLate() != tc.wantLate {
				t.Errorf("result %v, want %d sweeps, %d signalled, %d orphans closed, %d late", &res, tc.wantSweeps, tc.wantSignalled, tc.wantOrphans, tc.wantLate)
			}

			want := slices.Clone(sweep)
			if tc.wantSweeps == 2 {
				if tc.before {
					want = append(want, pageWant{both, ""})
				} else {
					want = append(want, pageWant{store, ""}, pageWant{wake, ""})
				}
			}
			var got []pageWant
			for _, c := range p.calls {
				got = append(got, pageWant{c.in.GetPhase(), c.in.GetAfterId()})
				if !proto.Equal(c.in.GetRollout(), tc.in) || c.in.GetLimit() != followup.RolloutPageSize {
					t.Errorf("page input %v: want the rollout %v and limit %d", c.in, tc.in, followup.RolloutPageSize)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pages %v, want %v", got, want)
			}
			// Each wake page goes on from the last wake page's pace — across
			// the store pages and the second sweep too; a first wake page,
			// and every one of a rollout from before, is handed none.
			var last *followupv1.RolloutPace
			for i, c := range p.calls {
				if c.in.GetPhase() != wake {
					if c.in.GetPace() != nil {
						t.Errorf("page %d (%v) was handed a pace %v", i, c.in.GetPhase(), c.in.GetPace())
					}
					continue
				}
				want := last
				if tc.paceKept {
					want = nil
				}
				if !proto.Equal(c.in.GetPace(), want) {
					t.Errorf("wake page %d was handed %v, want %v (handed on: %v)", i, c.in.GetPace(), want, !tc.paceKept)
				}
				last = p.sweeps[c.sweep-1].wakes[wakeIndex(p.calls[:i], c.sweep)].GetPace()
			}
			if first := p.calls[0].at; !first.Equal(tc.firstAt) {
				t.Errorf("first page at %s, want %s", show(first), show(tc.firstAt))
			}
			if eff := tc.in.GetEffectiveFrom(); eff != nil && p.calls[0].at.Before(eff.AsTime()) {
				t.Errorf("first page at %s, before the version is in force at %s", show(p.calls[0].at), show(eff.AsTime()))
			}
			if tc.wantSweeps == 2 {
				lastOfFirst, resweep := p.calls[len(sweep)-1].at, p.calls[len(sweep)].at
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
