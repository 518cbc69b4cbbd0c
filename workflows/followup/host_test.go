package followup_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/workflows/policy"
)

// TestAFollowUpTheEngineHostsCallsTheEngineLocally: a FollowUp run started
// on the follow-up engine's own queue (as followup.Start starts every new
// one) makes exactly the engine calls a run on the workflow worker's queue
// makes — the same activities, inputs and instants through opening, a
// shortened SLA, the ladder's steps and the close — but as local
// activities, no activity task among them; the run on the workflow
// worker's queue (one started before) keeps its activity tasks.
func TestAFollowUpTheEngineHostsCallsTheEngineLocally(t *testing.T) {
	type run struct {
		h             *harness
		remote, local []string
	}
	play := func(queue string) run {
		h := newHarness(t, monday10)
		r := run{h: h}
		h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: queue})
		h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
			r.remote = append(r.remote, info.ActivityType.Name)
		})
		h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
			r.local = append(r.local, info.ActivityType.Name)
		})
		shortenedThenClosed(h, time.Hour) // due at 12:00
		return r
	}
	hosted, before := play(followupc.TaskQueue), play(wfc.TaskQueue)

	if len(hosted.remote) != 0 {
		t.Errorf("hosted run: activity tasks %v, want none", hosted.remote)
	}
	if len(before.local) != 0 {
		t.Errorf("run on the workflow worker's queue: local activities %v, want none", before.local)
	}
	wantLocal := []string{followupc.ActivityResolvePolicies, followupc.ActivityResolvePolicies, followupc.ActivityUpdateFollowUpDeadline,
		followupc.ActivityResolvePolicies, followupc.ActivityRecordFollowUpStep}
	if len(hosted.local) < len(wantLocal) {
		t.Fatalf("hosted run: local activities %v, want at least %v", hosted.local, wantLocal)
	}
	for i, name := range wantLocal {
		if hosted.local[i] != name {
			t.Fatalf("hosted run: local activities %v, want them to begin %v", hosted.local, wantLocal)
		}
	}
	if len(hosted.local) != len(before.remote) {
		t.Errorf("hosted run: %d local activities %v; the run on the workflow worker's queue: %d activity tasks %v",
			len(hosted.local), hosted.local, len(before.remote), before.remote)
	}

	if steps := sameCalls(t, hosted.h, before.h); steps != 3 {
		t.Errorf("%d steps recorded, want the shipped ladder's 3", steps)
	}
}

// shortenedThenClosed runs a first-contact follow-up opened at monday10
// whose SLA is shortened to 2 hours after d (the change signalled), closed
// ten days on.
func shortenedThenClosed(h *harness, d time.Duration) {
	h.after(d, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(2*time.Hour))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.closeAt(monday10.Add(10 * 24 * time.Hour))
	h.run(firstContact(monday10))
}

// sameCalls checks that the hosted run (a) made the engine calls the run
// on the workflow worker's queue (b) made, with the same inputs, at the
// same instants, and returns how many of them recorded a step.
func sameCalls(t *testing.T, a, b *harness) (steps int) {
	t.Helper()
	a.mu.Lock()
	b.mu.Lock()
	defer a.mu.Unlock()
	defer b.mu.Unlock()
	if len(a.calls) != len(b.calls) {
		t.Fatalf("hosted run: %d engine calls, the other %d", len(a.calls), len(b.calls))
	}
	for i := range a.calls {
		x, y := a.calls[i], b.calls[i]
		if x.name != y.name || !x.at.Equal(y.at) || !proto.Equal(x.in, y.in) {
			t.Errorf("call %d: hosted %s at %s %v; the other %s at %s %v", i, x.name, show(x.at), x.in, y.name, show(y.at), y.in)
		}
		if x.name == followupc.ActivityRecordFollowUpStep {
			steps++
		}
	}
	return steps
}

// TestAHostedFollowUpKeepsATimerAWakeUpDidNotMove: a FollowUp run the
// engine hosts (changeHostedAtCurrent version 2) keeps waiting on its timer
// when a signal leaves its next action where it was — here a policy change
// naming the version it already has — where a run on the workflow worker's
// queue cancels the timer and starts another for the same instant. A
// change that moves the due time moves the timer in both, and both make
// the same engine calls.
func TestAHostedFollowUpKeepsATimerAWakeUpDidNotMove(t *testing.T) {
	type run struct {
		h         *harness
		cancelled int
	}
	play := func(queue string) *run {
		r := &run{h: newHarness(t, monday10)}
		h := r.h
		h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: queue})
		h.env.SetOnTimerCanceledListener(func(string) { r.cancelled++ })
		h.after(time.Hour, func() { h.signalPolicy(policy.LeadFirstContactSLA, 1) }) // the version it has
		shortenedThenClosed(h, 90*time.Minute)
		return r
	}
	hosted, before := play(followupc.TaskQueue), play(wfc.TaskQueue)

	startedAt := func(r *run, at time.Time) bool {
		return slices.ContainsFunc(r.h.timers, func(t time.Time) bool { return t.Equal(at) })
	}
	unmoved, moved := monday10.Add(time.Hour), monday10.Add(90*time.Minute)
	if startedAt(hosted, unmoved) || !startedAt(hosted, moved) {
		t.Errorf("hosted run: timers started at %v, want one when the due time moved (%s) and none when nothing did (%s)", hosted.h.timers, show(moved), show(unmoved))
	}
	if !startedAt(before, unmoved) || !startedAt(before, moved) {
		t.Errorf("run on the workflow worker's queue: timers started at %v, want one at each signal (%s, %s)", before.h.timers, show(unmoved), show(moved))
	}
	if len(before.h.timers) != len(hosted.h.timers)+1 || before.cancelled != hosted.cancelled+1 {
		t.Errorf("timers started/cancelled: hosted %d/%d, the other %d/%d; want one of each fewer in the hosted run",
			len(hosted.h.timers), hosted.cancelled, len(before.h.timers), before.cancelled)
	}
	sameCalls(t, hosted.h, before.h)
}
