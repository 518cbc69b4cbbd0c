package followup_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ---------------------------------------------------------------------------
// Track embedded in another workflow

const activityOnStep = "test.OnStep"

// embedding is a workflow that embeds Track and carries out each ladder step
// itself, through an activity, as the lead workflow does.
func embedding(ctx workflow.Context, spec *followupv1.FollowUpSpec) (followup.Outcome, error) {
	return followup.Track(ctx, spec, followup.Options{OnStep: func(ctx workflow.Context, s followup.Step) error {
		return workflow.ExecuteActivity(ctx, activityOnStep, &followupv1.RecordStepInput{
			Id: spec.GetId(), Level: int32(s.Level), Action: string(s.Action), At: timestamppb.New(s.At),
		}).Get(ctx, nil)
	}})
}

func TestTrackHandsLadderStepsToTheEmbeddingWorkflow(t *testing.T) {
	cases := []struct {
		name      string
		kind      string
		closeAt   time.Time
		wantSteps int
		wantOwn   []policy.Action // steps handed to OnStep
	}{
		{"ladder steps", policy.KindFirstContact, monday10.Add(6*time.Hour + 30*time.Minute), 2,
			[]policy.Action{policy.ActionRemind, policy.ActionEscalateManager}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.env.RegisterWorkflow(embedding)
			h.env.RegisterActivityWithOptions(capture[*followupv1.RecordStepInput](h, activityOnStep), activity.RegisterOptions{Name: activityOnStep})
			h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
			h.store.putPolicy(policy.WinBackTouchDeadline, 1, time.Time{}, elapsedTimer(2*time.Hour))
			h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
			h.closeAt(tc.closeAt)
			spec := firstContact(monday10)
			spec.Kind = tc.kind
			h.env.ExecuteWorkflow(embedding, spec)
			if !h.env.IsWorkflowCompleted() || h.env.GetWorkflowError() != nil {
				t.Fatalf("workflow: %v; calls:%s", h.env.GetWorkflowError(), h.trace())
			}
			var out followup.Outcome
			if err := h.env.GetWorkflowResult(&out); err != nil {
				t.Fatal(err)
			}
			if out != (followup.Outcome{State: "done", By: "rep-ana", Note: "called", Level: tc.wantSteps}) {
				t.Errorf("outcome %+v, want done by rep-ana at level %d", out, tc.wantSteps)
			}

			recorded, own := h.steps(), callsTo[*followupv1.RecordStepInput](h, activityOnStep)
			h.wantCount("RecordFollowUpStep", len(recorded), tc.wantSteps)
			h.wantCount(activityOnStep, len(own), len(tc.wantOwn))
			for i, a := range tc.wantOwn {
				r, o := recorded[i].in, own[i].in
				if o.GetLevel() != int32(i+1) || o.GetAction() != string(a) || !o.GetAt().AsTime().Equal(r.GetAt().AsTime()) {
					t.Errorf("OnStep %d: %v, want level %d %s at %s", i, o, i+1, a, show(r.GetAt().AsTime()))
				}
				h.wantTime("OnStep ran at", own[i].at, recorded[i].at)
			}
			// Each step is recorded before the embedding workflow acts on it.
			var order []string
			for _, n := range h.names() {
				if n == followupc.ActivityRecordFollowUpStep || n == activityOnStep {
					order = append(order, n)
				}
			}
			for i, n := range order {
				want := followupc.ActivityRecordFollowUpStep
				if i%2 == 1 && len(tc.wantOwn) > 0 {
					want = activityOnStep
				}
				if n != want {
					t.Fatalf("step activities in order %v", order)
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Suspended for continue-as-new, resumed in the next run

const (
	signalSuspend         = "test.suspend"
	signalSuspendAndClose = "test.suspend-and-close"
)

// resumable embeds Track as a workflow with an unbounded loop does: on the
// test's suspend signal it stops tracking and continues as new with the
// follow-up's progress, and the next run resumes it.
func resumable(ctx workflow.Context, spec *followupv1.FollowUpSpec, resume *followup.Progress) (followup.Outcome, error) {
	suspend, interrupt := workflow.NewBufferedChannel(ctx, 1), workflow.NewBufferedChannel(ctx, 1)
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.GetSignalChannel(ctx, signalSuspend).Receive(ctx, nil)
		suspend.Send(ctx, true)
	})
	workflow.Go(ctx, func(ctx workflow.Context) { // the embedding workflow closes it while asking to suspend
		var note string
		workflow.GetSignalChannel(ctx, signalSuspendAndClose).Receive(ctx, &note)
		suspend.Send(ctx, true)
		interrupt.Send(ctx, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: note})
	})
	out, err := followup.Track(ctx, spec, followup.Options{Suspend: suspend, Interrupt: interrupt, Resume: resume})
	if err != nil || out.State != followup.Suspended {
		return out, err
	}
	return out, workflow.NewContinueAsNewError(ctx, resumable, spec, out.Resume)
}

// runResumable runs resumable from start until it ends, each continued run
// in a new environment starting where the previous run ended; before each
// run, between runs and during them, prepare registers what happens (it gets
// the run's number, from 0). It returns the outcome and the progress each
// run continued with.
func runResumable(h *harness, spec *followupv1.FollowUpSpec, prepare func(run int)) (followup.Outcome, []*followup.Progress) {
	h.t.Helper()
	var resume *followup.Progress
	var carried []*followup.Progress
	for run := 0; ; run++ {
		if run > 0 {
			h.use(newEnv(h.env.Now()))
		}
		h.env.RegisterWorkflow(resumable)
		prepare(run)
		h.env.ExecuteWorkflow(resumable, spec, resume)
		if !h.env.IsWorkflowCompleted() {
			h.t.Fatalf("run %d did not complete; calls:%s", run, h.trace())
		}
		err := h.env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			var again followupv1.FollowUpSpec
			resume = nil
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &again, &resume); err != nil {
				h.t.Fatal(err)
			}
			if !proto.Equal(&again, spec) || resume == nil {
				h.t.Fatalf("run %d continued with %v, %+v", run, &again, resume)
			}
			carried = append(carried, resume)
			continue
		}
		if err != nil {
			h.t.Fatalf("run %d: %v; calls:%s", run, err, h.trace())
		}
		var out followup.Outcome
		if err := h.env.GetWorkflowResult(&out); err != nil {
			h.t.Fatal(err)
		}
		return out, carried
	}
}

// TestSuspendedFollowUpResumesInTheNextRun: a follow-up suspended after its
// first step goes on in the next run — not opened again, the step not
// repeated — and a ladder change that came into force between the runs is
// picked up and recorded when it resumes.
func TestSuspendedFollowUpResumesInTheNextRun(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	due := monday10.Add(2 * time.Hour)
	out, carried := runResumable(h, firstContact(monday10), func(run int) {
		switch run {
		case 0: // remind at 12:00; suspended at 13:00
			h.until(monday10.Add(3*time.Hour), func() { h.env.SignalWorkflow(signalSuspend, nil) })
		case 1: // the escalation now comes 3h after the due time, not 4h
			faster := elapsedLadder()
			faster.Ladder.Steps[1].After = policy.Duration(3 * time.Hour)
			h.store.putPolicy(policy.LeadEscalation, 2, h.env.Now(), faster)
			h.until(monday10.Add(6*time.Hour), func() { // a query answers from the resumed state
				if s := h.query(); s.GetLevel() != 2 || !ts(s.GetDueAt()).Equal(due) || s.GetNextAction() != string(policy.ActionReassign) {
					t.Errorf("state after resuming %v", s)
				}
			})
			h.closeAt(monday10.Add(7 * time.Hour))
		}
	})
	if len(carried) != 1 || carried[0].Level != 1 || carried[0].Versions["policy:"+policy.LeadEscalation] != 1 {
		t.Fatalf("continued with %+v, want one run carrying level 1 and the ladder v1", carried)
	}
	if out.State != "done" || out.Level != 2 || out.Resume != nil {
		t.Errorf("outcome %+v, want done at level 2", out)
	}
	h.wantCount("OpenFollowUp", len(h.opens()), 1)
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline re-recorded when resumed at", ups[0].at, monday10.Add(3*time.Hour))
	h.wantTime("next step announced", ts(ups[0].in.GetNextStepAt()), due.Add(3*time.Hour))
	if ups[0].in.GetEscalationPolicyVersion() != 2 || !strings.Contains(ups[0].in.GetReason(), policy.LeadEscalation+" v1→v2") {
		t.Errorf("update on resuming %v", ups[0].in)
	}
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 2)
	h.wantStep(steps[0], due, 1, policy.ActionRemind, due, due.Add(4*time.Hour))
	h.wantStep(steps[1], due.Add(3*time.Hour), 2, policy.ActionEscalateManager, due.Add(3*time.Hour), due.Add(16*time.Hour))
	if c := h.closes(); len(c) != 1 || c[0].in.GetState() != "done" {
		t.Errorf("closes %v", c)
	}
}

// TestSuspendLosesNoClose: a close that arrives together with the request
// to suspend (in one workflow task) is applied; the run does not continue as
// new, where the close would be lost.
func TestSuspendLosesNoClose(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	out, carried := runResumable(h, firstContact(monday10), func(run int) {
		h.until(monday10.Add(time.Hour), func() { h.env.SignalWorkflow(signalSuspendAndClose, "called") })
	})
	if len(carried) != 0 || out.State != "done" || out.By != "rep-ana" {
		t.Errorf("outcome %+v after %d continued runs, want done by rep-ana in the first", out, len(carried))
	}
	if c := h.closes(); len(c) != 1 {
		t.Errorf("closes %v", c)
	}
}
