package notice_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/notice"
	"github.com/closeloop/closeloop/workflows/policy"
)

var cst = followuptest.CST

// A notice published on Monday 09:00 that must be acknowledged by 17:00,
// shown until Friday.
var (
	published = cst(time.March, 2, 9, 0)
	deadline  = cst(time.March, 2, 17, 0)
	until     = cst(time.March, 6, 18, 0)
)

func input() *servicev1.NoticeInput {
	return &servicev1.NoticeInput{NoticeId: "n-1", Title: "New price list", AckDeadline: timestamppb.New(deadline),
		ValidUntil: timestamppb.New(until), PublishedAt: timestamppb.New(published), PublishedBy: "mgr-mia"}
}

// fakeService is the after-sales service's side: when it was asked to open
// and to cancel the readers' chases, and how one receipt stands.
type fakeService struct {
	env       *testsuite.TestWorkflowEnvironment
	mu        sync.Mutex
	calls     []string // "open@Mar 2 17:00", "cancel@… by: note"
	acked     bool     // how the receipt stands
	checkedAt []time.Time
}

func (f *fakeService) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s+"@"+f.env.Now().In(followuptest.Shanghai).Format("Jan 2 15:04"))
}

func newEnv(t *testing.T, start time.Time) (*testsuite.TestWorkflowEnvironment, *fakeService, *followuptest.Engine) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(notice.Notice, workflow.RegisterOptions{Name: wfc.WorkflowNotice})
	env.RegisterWorkflowWithOptions(notice.NoticeAck, workflow.RegisterOptions{Name: wfc.WorkflowNoticeAck})
	f := &fakeService{env: env}
	env.RegisterActivityWithOptions(func(_ context.Context, in *servicev1.NoticeChasesInput) (*servicev1.NoticeChasesResult, error) {
		f.note("open")
		return &servicev1.NoticeChasesResult{Started: 3, Closed: 1}, nil
	}, activity.RegisterOptions{Name: servicec.ActivityOpenNoticeChases})
	env.RegisterActivityWithOptions(func(_ context.Context, in *servicev1.NoticeChasesInput) (*servicev1.NoticeChasesResult, error) {
		f.note("cancel " + in.GetBy() + ": " + in.GetNote())
		return &servicev1.NoticeChasesResult{Closed: 2}, nil
	}, activity.RegisterOptions{Name: servicec.ActivityCancelNoticeChases})
	env.RegisterActivityWithOptions(func(_ context.Context, in *servicev1.NoticeReceiptInput) (*servicev1.NoticeReceiptState, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.checkedAt = append(f.checkedAt, env.Now())
		return &servicev1.NoticeReceiptState{Acknowledged: f.acked}, nil
	}, activity.RegisterOptions{Name: servicec.ActivityNoticeReceiptState})
	return env, f, followuptest.Register(env)
}

func revoke(env *testsuite.TestWorkflowEnvironment, at time.Time, reason string) {
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(wfc.SignalNoticeRevoked, &servicev1.NoticeRevoked{By: "mgr-mia", Reason: reason})
	}, at.Sub(env.Now()))
}

func TestNoticeChasesAtTheDeadlineAndEndsWithItsValidity(t *testing.T) {
	env, f, _ := newEnv(t, published)
	env.ExecuteWorkflow(wfc.WorkflowNotice, input())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"open@Mar 2 17:00"}; !slices.Equal(f.calls, want) {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
	var out servicev1.NoticeChasesResult
	if err := env.GetWorkflowResult(&out); err != nil || out.GetStarted() != 3 || out.GetClosed() != 1 {
		t.Errorf("result %v %v", &out, err)
	}
	if !env.Now().Equal(until) {
		t.Errorf("ended at %v, want when the notice stops being shown (%v)", env.Now(), until)
	}
}

func TestNoticeRevokedBeforeItsDeadlineChasesNobody(t *testing.T) {
	env, f, _ := newEnv(t, published)
	revoke(env, cst(time.March, 2, 11, 0), "wrong list")
	env.ExecuteWorkflow(wfc.WorkflowNotice, input())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls %v, want none", f.calls)
	}
	if want := cst(time.March, 2, 11, 0); !env.Now().Equal(want) {
		t.Errorf("ended at %v, want at the revocation", env.Now())
	}
}

func TestNoticeRevokedAfterItsDeadlineCancelsTheChases(t *testing.T) {
	env, f, _ := newEnv(t, published)
	revoke(env, cst(time.March, 3, 10, 0), "superseded")
	env.ExecuteWorkflow(wfc.WorkflowNotice, input())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := []string{"open@Mar 2 17:00", "cancel mgr-mia: the notice was revoked: superseded@Mar 3 10:00"}
	if !slices.Equal(f.calls, want) {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
}

// A revocation after the notice's workflow ended (its validity passed)
// starts it again with the signal (signal-with-start): it cancels at once.
func TestNoticeRevokedAfterItsWorkflowEnded(t *testing.T) {
	env, f, _ := newEnv(t, until.Add(time.Hour))
	revoke(env, until.Add(time.Hour), "")
	env.ExecuteWorkflow(wfc.WorkflowNotice, input())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"cancel mgr-mia: the notice was revoked@Mar 6 19:00"}; !slices.Equal(f.calls, want) {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
}

func ackInput() *servicev1.NoticeAckInput {
	return &servicev1.NoticeAckInput{Notice: input(), ReaderId: "rep-ana", ReaderTeam: "north", FollowUpId: "fu-1"}
}

func close(env *testsuite.TestWorkflowEnvironment, at time.Time, s *followupv1.CloseSignal) {
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(wfc.SignalCloseFollowUp, s) }, at.Sub(env.Now()))
}

// The reader's follow-up: due at the notice's deadline, about no customer,
// reminded at once and escalated to their team's managers 8 business hours
// later (the shipped ladder), closed by their acknowledgement.
func TestNoticeAckEscalatesUntilAcknowledged(t *testing.T) {
	env, f, engine := newEnv(t, deadline)
	close(env, cst(time.March, 4, 9, 30), &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "acknowledged"})
	env.ExecuteWorkflow(wfc.WorkflowNoticeAck, ackInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	opened := engine.Events(followupc.ActivityOpenFollowUp)
	if len(opened) != 1 {
		t.Fatalf("opened %d follow-ups", len(opened))
	}
	rec := opened[0].Msg.(*followupv1.FollowUpRecord)
	sp := rec.GetSpec()
	if sp.GetKind() != policy.KindNoticeAck || sp.GetCustomerId() != "" || sp.GetOwnerId() != "rep-ana" || sp.GetTeam() != "north" ||
		sp.GetId() != "fu-1" || !rec.GetDueAt().AsTime().Equal(deadline) || sp.GetTitle() != "Acknowledge the notice “New price list”" {
		t.Errorf("follow-up %v due %v", sp, rec.GetDueAt().AsTime())
	}
	// Mar 2 17:00 + 8 business hours of the China 2026 calendar: Mar 3 17:30.
	if want := []string{"remind@Mar 2 17:00", "escalate_manager@Mar 3 17:30"}; !slices.Equal(engine.Steps(), want) {
		t.Errorf("steps %v, want %v", engine.Steps(), want)
	}
	closes := engine.Events(followupc.ActivityCloseFollowUp)
	if len(closes) != 1 || closes[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" {
		t.Errorf("closes %v", closes)
	}
	if len(f.checkedAt) != 2 {
		t.Errorf("the receipt was checked %d times, want at each of the 2 steps", len(f.checkedAt))
	}
}

// A close signal that was lost: the next step finds the receipt
// acknowledged and ends the follow-up as done, without escalating.
func TestNoticeAckEndsWhenItFindsTheReceiptAcknowledged(t *testing.T) {
	env, f, engine := newEnv(t, deadline)
	f.acked = true
	env.ExecuteWorkflow(wfc.WorkflowNoticeAck, ackInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"remind@Mar 2 17:00"}; !slices.Equal(engine.Steps(), want) {
		t.Errorf("steps %v, want %v", engine.Steps(), want)
	}
	var out followupv1.CloseSignal
	if err := env.GetWorkflowResult(&out); err != nil || out.GetState() != "done" || out.GetNote() != "acknowledged" {
		t.Errorf("outcome %v %v", &out, err)
	}
}

func TestNoticeAckCancelledWhenTheNoticeIsRevoked(t *testing.T) {
	env, _, engine := newEnv(t, deadline)
	close(env, cst(time.March, 3, 10, 0), &followupv1.CloseSignal{State: "cancelled", By: "mgr-mia", Note: "the notice was revoked"})
	env.ExecuteWorkflow(wfc.WorkflowNoticeAck, ackInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"remind@Mar 2 17:00"}; !slices.Equal(engine.Steps(), want) {
		t.Errorf("steps %v, want %v", engine.Steps(), want)
	}
	closes := engine.Events(followupc.ActivityCloseFollowUp)
	if len(closes) != 1 || closes[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "cancelled" {
		t.Errorf("closes %v", closes)
	}
}
