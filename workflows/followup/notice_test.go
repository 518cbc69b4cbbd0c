package followup_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/policy"
)

// The owning service's notice activity, as a care follow-up names it.
const (
	noticeQueue    = "owner-queue"
	noticeActivity = "owner.FollowUpClosed"
	noticeChange   = "followup-close-notice"
)

// Test signals of noticeTracked, the embedding workflow.
const (
	signalNoticeSuspend   = "test.notice.suspend"
	signalNoticeInterrupt = "test.notice.interrupt"
)

// noticeTracked embeds Track as the lead and visit workflows do: the test
// may suspend it, close it through the embedding workflow's interrupt, or
// (handover) have the first ladder step hand the follow-up over.
func noticeTracked(ctx workflow.Context, spec *followupv1.FollowUpSpec, handover bool) (followup.Outcome, error) {
	suspend, interrupt := workflow.NewBufferedChannel(ctx, 1), workflow.NewBufferedChannel(ctx, 1)
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.GetSignalChannel(ctx, signalNoticeSuspend).Receive(ctx, nil)
		suspend.Send(ctx, true)
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		var note string
		workflow.GetSignalChannel(ctx, signalNoticeInterrupt).Receive(ctx, &note)
		interrupt.Send(ctx, &followupv1.CloseSignal{State: "done", By: "lead-workflow", Note: note})
	})
	opts := followup.Options{Suspend: suspend, Interrupt: interrupt}
	if handover {
		opts.OnStep = func(workflow.Context, followup.Step) error {
			return &followup.Handover{Note: "owner left the company"}
		}
	}
	return followup.Track(ctx, spec, opts)
}

// noticeHarness runs one follow-up with the fake engine and a fake owner
// that records the notices it receives (failing the first failFirst
// attempts, or refusing them all when refuse is set).
type noticeHarness struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	eng       *followuptest.Engine
	start     time.Time
	mu        sync.Mutex
	notices   []*followupv1.FollowUpClosed
	attempts  int
	failFirst int
	refuse    bool
	versions  int // GetVersion(noticeChange) calls
}

func newNoticeHarness(t *testing.T, oldVersion bool) *noticeHarness {
	h := &noticeHarness{t: t, env: newEnv(monday10), start: monday10}
	h.env.RegisterWorkflow(followup.FollowUp)
	h.env.RegisterWorkflow(noticeTracked)
	h.eng = followuptest.Register(h.env)
	v := workflow.Version(1)
	if oldVersion {
		v = workflow.DefaultVersion
	}
	h.env.OnGetVersion(noticeChange, workflow.DefaultVersion, 1).Run(func(mock.Arguments) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.versions++
	}).Return(v)
	h.env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.FollowUpClosed) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.attempts++
		if h.refuse {
			return temporal.NewNonRetryableApplicationError("customer deleted", "not_found", nil)
		}
		if h.attempts <= h.failFirst {
			return errors.New("owner's database is down")
		}
		h.notices = append(h.notices, in)
		return nil
	}, activity.RegisterOptions{Name: noticeActivity})
	return h
}

// careSpec is a care contact due two hours after monday10 that asks for a
// close notice.
func careSpec() *followupv1.FollowUpSpec {
	return &followupv1.FollowUpSpec{
		Id: "care-1", Kind: policy.KindCareContact, CustomerId: "cust-9", OwnerId: "rep-ana", Team: "north", Territory: "north",
		AnchorAt: timestamppb.New(monday10.Add(2*time.Hour - 30*24*time.Hour)), PolicyKey: "A", OpenedBy: "system:care",
		Notify: &followupv1.CloseNotice{TaskQueue: noticeQueue, Activity: noticeActivity},
	}
}

func (h *noticeHarness) closeRecord() *followupv1.CloseFollowUpInput {
	h.t.Helper()
	closes := h.eng.Events(followupc.ActivityCloseFollowUp)
	if len(closes) != 1 {
		h.t.Fatalf("CloseFollowUp called %d times, want once", len(closes))
	}
	return closes[0].Msg.(*followupv1.CloseFollowUpInput)
}

// wantNotice checks that exactly one notice was received, for the record
// as closed (state, by, note, the close instant) and the spec.
func (h *noticeHarness) wantNotice(spec *followupv1.FollowUpSpec, state, by, note string, at time.Time) {
	h.t.Helper()
	rec := h.closeRecord()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.notices) != 1 {
		h.t.Fatalf("%d notices, want one: %v", len(h.notices), h.notices)
	}
	n := h.notices[0]
	if n.GetId() != spec.GetId() || n.GetKind() != spec.GetKind() || n.GetCustomerId() != spec.GetCustomerId() ||
		n.GetOwnerId() != spec.GetOwnerId() || n.GetPolicyKey() != spec.GetPolicyKey() ||
		!n.GetAnchorAt().AsTime().Equal(spec.GetAnchorAt().AsTime()) {
		h.t.Errorf("notice %v does not describe the follow-up %v", n, spec)
	}
	if n.GetState() != state || n.GetBy() != by || n.GetNote() != note {
		h.t.Errorf("notice %v, want state %q by %q note %q", n, state, by, note)
	}
	if !n.GetAt().AsTime().Equal(at) || !n.GetAt().AsTime().Equal(rec.GetAt().AsTime()) {
		h.t.Errorf("notice at %s, record closed at %s, want both %s", show(n.GetAt().AsTime()), show(rec.GetAt().AsTime()), show(at))
	}
	if rec.GetState() != state || rec.GetBy() != by || rec.GetNote() != note {
		h.t.Errorf("record closed with %v, notice says %v", rec, n)
	}
}

func (h *noticeHarness) wantNoNotice() {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.attempts != 0 {
		h.t.Fatalf("notice activity attempted %d times (%v), want none", h.attempts, h.notices)
	}
}

func (h *noticeHarness) completed() {
	h.t.Helper()
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatal(err)
	}
}

func TestCloseNoticeIsSentOnceAfterEveryClose(t *testing.T) {
	closeAt := monday10.Add(30 * time.Minute)
	t.Run("done by a close signal", func(t *testing.T) {
		h := newNoticeHarness(t, false)
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "called"})
		}, closeAt.Sub(h.start))
		spec := careSpec()
		h.env.ExecuteWorkflow(followup.FollowUp, spec)
		h.completed()
		h.wantNotice(spec, "done", "rep-ana", "called", closeAt)
	})
	t.Run("cancelled by a close signal", func(t *testing.T) {
		h := newNoticeHarness(t, false)
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "cancelled", By: "mgr-li", Note: "customer reclassified"})
		}, closeAt.Sub(h.start))
		spec := careSpec()
		h.env.ExecuteWorkflow(followup.FollowUp, spec)
		h.completed()
		h.wantNotice(spec, "cancelled", "mgr-li", "customer reclassified", closeAt)
	})
	t.Run("on workflow cancellation", func(t *testing.T) {
		h := newNoticeHarness(t, false)
		h.env.RegisterDelayedCallback(h.env.CancelWorkflow, closeAt.Sub(h.start))
		spec := careSpec()
		h.env.ExecuteWorkflow(followup.FollowUp, spec)
		if !h.env.IsWorkflowCompleted() || !temporal.IsCanceledError(h.env.GetWorkflowError()) {
			t.Fatalf("workflow error %v, want cancelled", h.env.GetWorkflowError())
		}
		h.wantNotice(spec, "cancelled", "workflow", "the workflow was cancelled", closeAt)
	})
	t.Run("closed through the embedding workflow", func(t *testing.T) {
		h := newNoticeHarness(t, false)
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(signalNoticeInterrupt, "first contact logged") }, closeAt.Sub(h.start))
		spec := careSpec()
		h.env.ExecuteWorkflow(noticeTracked, spec, false)
		h.completed()
		h.wantNotice(spec, "done", "lead-workflow", "first contact logged", closeAt)
	})
	t.Run("handed over by a ladder step", func(t *testing.T) {
		h := newNoticeHarness(t, false)
		spec := careSpec()
		h.env.ExecuteWorkflow(noticeTracked, spec, true)
		h.completed()
		// The first step of the care ladder is due with the contact, at +2h.
		h.wantNotice(spec, "cancelled", "workflow", "owner left the company", monday10.Add(2*time.Hour))
	})
	t.Run("retried while the owner is down, then once, despite a cancellation meanwhile", func(t *testing.T) {
		h := newNoticeHarness(t, false)
		h.failFirst = 4 // attempts at +0s, +1s, +3s, +7s fail; +15s succeeds
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "called"})
		}, closeAt.Sub(h.start))
		h.env.RegisterDelayedCallback(h.env.CancelWorkflow, closeAt.Sub(h.start)+2*time.Second)
		spec := careSpec()
		h.env.ExecuteWorkflow(followup.FollowUp, spec)
		if !h.env.IsWorkflowCompleted() {
			t.Fatal("workflow did not complete")
		}
		h.wantNotice(spec, "done", "rep-ana", "called", closeAt)
		if h.attempts != 5 {
			t.Fatalf("%d attempts, want 5", h.attempts)
		}
	})
}

func TestCloseNoticeIsNotSentWhenNotAskedFor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		notify *followupv1.CloseNotice
	}{
		{"no notify", nil},
		{"no activity", &followupv1.CloseNotice{TaskQueue: noticeQueue}},
		{"no task queue", &followupv1.CloseNotice{Activity: noticeActivity}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newNoticeHarness(t, false)
			h.env.RegisterDelayedCallback(func() {
				h.env.SignalWorkflow(wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "done", By: "rep-ana"})
			}, time.Hour)
			spec := careSpec()
			spec.Notify = tc.notify
			h.env.ExecuteWorkflow(followup.FollowUp, spec)
			h.completed()
			h.closeRecord()
			h.wantNoNotice()
			// Without a notice the history is what it was: no version marker.
			if h.versions != 0 {
				t.Fatalf("GetVersion(%s) asked %d times without a notice", noticeChange, h.versions)
			}
		})
	}
}

func TestCloseNoticeIsNotSentWhenSuspended(t *testing.T) {
	h := newNoticeHarness(t, false)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(signalNoticeSuspend, nil) }, time.Hour)
	h.env.ExecuteWorkflow(noticeTracked, careSpec(), false)
	h.completed()
	var out followup.Outcome
	if err := h.env.GetWorkflowResult(&out); err != nil || out.State != followup.Suspended {
		t.Fatalf("outcome %+v, %v; want suspended", out, err)
	}
	if n := len(h.eng.Events(followupc.ActivityCloseFollowUp)); n != 0 {
		t.Fatalf("a suspended follow-up was closed %d times", n)
	}
	h.wantNoNotice()
}

func TestCloseNoticeIsNotSentByExecutionsBeforeTheChange(t *testing.T) {
	h := newNoticeHarness(t, true)
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, time.Hour)
	h.env.ExecuteWorkflow(followup.FollowUp, careSpec())
	if !h.env.IsWorkflowCompleted() || !temporal.IsCanceledError(h.env.GetWorkflowError()) {
		t.Fatalf("workflow error %v, want cancelled", h.env.GetWorkflowError())
	}
	h.closeRecord()
	h.wantNoNotice()
	if h.versions != 1 {
		t.Fatalf("GetVersion(%s) asked %d times, want once", noticeChange, h.versions)
	}
}

// A notice its owner refuses (a non-retryable error) is not retried and does
// not fail the follow-up: the record is closed either way.
func TestCloseNoticeRefusedByItsOwnerDoesNotFailTheFollowUp(t *testing.T) {
	h := newNoticeHarness(t, false)
	h.refuse = true
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "called"})
	}, time.Hour)
	h.env.ExecuteWorkflow(followup.FollowUp, careSpec())
	h.completed()
	var out followupv1.CloseSignal
	if err := h.env.GetWorkflowResult(&out); err != nil || out.GetState() != "done" {
		t.Fatalf("result %v, %v; want done", &out, err)
	}
	h.closeRecord()
	if h.attempts != 1 {
		t.Fatalf("a refused notice was attempted %d times, want once", h.attempts)
	}
}
