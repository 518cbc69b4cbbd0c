package infoslip_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

var cst = followuptest.CST

// fakeSlips is the after-sales service's side of the workflow: the slip
// record as a plain state machine (the service's domain applies the real
// rules), the chase entries and the customer's history.
type fakeSlips struct {
	mu      sync.Mutex
	s       *servicev1.SlipSnapshot
	cmds    []*servicev1.SlipCommand
	chased  []string // "kind n@Jan 2 15:04"
	history []string // events, in order, each once
	seen    map[string]bool
}

func (f *fakeSlips) apply(_ context.Context, cmd *servicev1.SlipCommand) (*servicev1.SlipSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.cmds {
		if d.GetEntryId() == cmd.GetEntryId() {
			return proto.Clone(f.s).(*servicev1.SlipSnapshot), nil
		}
	}
	f.cmds = append(f.cmds, cmd)
	s, at := f.s, cmd.GetAt()
	var r *servicev1.SlipRecipient
	for _, x := range s.GetRecipients() {
		if x.GetN() == cmd.GetRecipient() {
			r = x
		}
	}
	add := func(to *servicev1.RecipientSpec) int32 {
		n := int32(len(s.Recipients) + 1)
		team := to.GetTeam()
		if team == "" {
			team = "service"
		}
		s.Recipients = append(s.Recipients, &servicev1.SlipRecipient{N: n, Kind: to.GetKind(), Department: to.GetDepartment(),
			Team: team, UserId: to.GetUserId(), State: infoslip.RecipientPending, ReceivedAt: at})
		return n
	}
	switch cmd.GetOp() {
	case infoslip.OpRoute:
		r.UserId = cmd.GetUserId()
	case infoslip.OpAcknowledge:
		r.State, r.AcknowledgedAt = infoslip.RecipientAcknowledged, at
	case infoslip.OpDone:
		r.State, r.DoneAt = infoslip.RecipientDone, at
	case infoslip.OpReject:
		r.State = infoslip.RecipientRejected
	case infoslip.OpDismiss:
		r.State = infoslip.RecipientDismissed
	case infoslip.OpObject:
		r.State, r.DoneAt, s.AllDoneAt = infoslip.RecipientAcknowledged, nil, nil
	case infoslip.OpForward:
		r.State = infoslip.RecipientForwarded
		add(cmd.GetTo()[0])
	case infoslip.OpReroute:
		r.State = infoslip.RecipientDismissed
		add(cmd.GetTo()[0])
	case infoslip.OpAdd:
		for _, to := range cmd.GetTo() {
			add(to)
		}
	case infoslip.OpWithdraw:
		s.State, s.ClosedAt = infoslip.StateWithdrawn, at
	case infoslip.OpConfirm, infoslip.OpAutoClose:
		s.State, s.ClosedAt = infoslip.StateClosed, at
	}
	if s.AllDoneAt == nil && s.State == infoslip.StateOpen && f.view().AllDone() {
		s.AllDoneAt = at
	}
	s.Version++
	return proto.Clone(s).(*servicev1.SlipSnapshot), nil
}

func (f *fakeSlips) view() infoslip.Slip {
	v := infoslip.Slip{State: f.s.GetState()}
	for _, r := range f.s.GetRecipients() {
		v.Recipients = append(v.Recipients, infoslip.Recipient{N: r.GetN(), Kind: r.GetKind(), State: r.GetState(), UserID: r.GetUserId()})
	}
	return v
}

type harness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	engine *followuptest.Engine
	slips  *fakeSlips
}

// newHarness is a time-skipping environment with a slip sent at sent by
// rep-ana (team north, sales) about cust-1 to the recipients, the follow-up
// engine faked with the shipped policies and the China 2026 calendar.
func newHarness(t *testing.T, sent time.Time, recipients ...*servicev1.SlipRecipient) *harness {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(sent)
	env.RegisterWorkflowWithOptions(infoslip.InfoSlip, workflow.RegisterOptions{Name: wfc.WorkflowInfoSlip})
	h := &harness{t: t, env: env, engine: followuptest.Register(env)}
	for i, r := range recipients {
		r.N, r.State, r.ReceivedAt = int32(i+1), infoslip.RecipientPending, timestamppb.New(sent)
	}
	h.slips = &fakeSlips{seen: map[string]bool{}, s: &servicev1.SlipSnapshot{
		SlipId: "slip-1", CustomerId: "cust-1", Subject: "Competitor offered 10% off", Category: "competitor", Urgency: "high",
		State: infoslip.StateOpen, OriginatorId: "rep-ana", OriginatorTeams: []string{"north"}, OriginatorDepartment: "sales",
		CreatedAt: timestamppb.New(sent), Version: 1, Recipients: recipients}}
	env.RegisterActivityWithOptions(h.slips.apply, activity.RegisterOptions{Name: servicec.ActivityApplySlipCommand})
	env.RegisterActivityWithOptions(func(_ context.Context, in *servicev1.SlipChaseRecord) error {
		h.slips.mu.Lock()
		defer h.slips.mu.Unlock()
		if !h.slips.seen[in.GetEntryId()] {
			h.slips.seen[in.GetEntryId()] = true
			h.slips.chased = append(h.slips.chased, in.GetKind()+" "+string(rune('0'+in.GetRecipient()))+"@"+
				in.GetAt().AsTime().In(followuptest.Shanghai).Format("Jan 2 15:04"))
		}
		return nil
	}, activity.RegisterOptions{Name: servicec.ActivityRecordSlipChase})
	env.RegisterActivityWithOptions(func(_ context.Context, in *customerv1.SlipEventInput) error {
		h.slips.mu.Lock()
		defer h.slips.mu.Unlock()
		if !h.slips.seen[in.GetId()] {
			h.slips.seen[in.GetId()] = true
			h.slips.history = append(h.slips.history, in.GetEvent())
		}
		return nil
	}, activity.RegisterOptions{Name: customerc.ActivityRecordSlipEvent})
	return h
}

func person(user, team string) *servicev1.SlipRecipient {
	return &servicev1.SlipRecipient{Kind: infoslip.KindPerson, UserId: user, Team: team, Department: "service"}
}

func department(dept, team string) *servicev1.SlipRecipient {
	return &servicev1.SlipRecipient{Kind: infoslip.KindDepartment, Department: dept, Team: team}
}

// at runs fn at instant when of the test's clock.
func (h *harness) at(when time.Time, fn func()) {
	h.env.RegisterDelayedCallback(fn, when.Sub(h.env.Now()))
}

// send sends a slip command at when; want is the refusal code expected ("" none).
func (h *harness) send(when time.Time, cmd *servicev1.SlipCommand, want string) {
	h.at(when, func() {
		h.env.UpdateWorkflow(wfc.UpdateSlipCommand, "", &followuptest.UpdateCallback{T: h.t, Want: want, What: cmd.GetOp() + " at " + when.String()}, cmd)
	})
}

// state queries the slip at the current test time.
func (h *harness) state() *servicev1.SlipSnapshot {
	v, err := h.env.QueryWorkflow(wfc.QuerySlipState)
	if err != nil {
		h.t.Fatalf("query: %v", err)
	}
	var s servicev1.SlipSnapshot
	if err := v.Get(&s); err != nil {
		h.t.Fatal(err)
	}
	return &s
}

// run starts the workflow and runs it until it ends or until.
func (h *harness) run(until time.Time, limit int32) {
	h.at(until, func() { h.env.CancelWorkflow() })
	h.env.ExecuteWorkflow(wfc.WorkflowInfoSlip, &servicev1.SlipInput{Slip: proto.Clone(h.slips.s).(*servicev1.SlipSnapshot),
		ContinueAsNewAfter: limit})
}

// opened lists the follow-ups opened, in order.
func (h *harness) opened() []*followupv1.FollowUpRecord {
	var out []*followupv1.FollowUpRecord
	for _, e := range h.engine.Events(followupc.ActivityOpenFollowUp) {
		out = append(out, e.Msg.(*followupv1.FollowUpRecord))
	}
	return out
}

// closed maps each closed follow-up's id to "state: note".
func (h *harness) closed() map[string]string {
	out := map[string]string{}
	for _, e := range h.engine.Events(followupc.ActivityCloseFollowUp) {
		c := e.Msg.(*followupv1.CloseFollowUpInput)
		out[c.GetId()] = c.GetState() + ": " + c.GetNote()
	}
	return out
}

// stepsOf lists the steps recorded on follow-up id, as "action@Jan 2 15:04".
func (h *harness) stepsOf(id string) string {
	var out []string
	for _, e := range h.engine.Events(followupc.ActivityRecordFollowUpStep) {
		if s := e.Msg.(*followupv1.RecordStepInput); s.GetId() == id {
			out = append(out, s.GetAction()+"@"+e.At.In(followuptest.Shanghai).Format("Jan 2 15:04"))
		}
	}
	return strings.Join(out, " ")
}
