package servicecase_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
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
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/servicecase"
)

// cst is a wall-clock instant of 2026 in Asia/Shanghai.
var cst = followuptest.CST

// fakeCases is the after-sales service's side of the workflow: the case
// record (a plain state machine: the service's domain applies the real rules)
// and the SLA rows the workflow writes.
type fakeCases struct {
	env  *testsuite.TestWorkflowEnvironment
	mu   sync.Mutex
	c    *servicev1.CaseSnapshot
	rows map[string][]*servicev1.SlaRecord // target → every write, in order
	cmds []*servicev1.CaseCommand
	// surveys are the IssueSurvey calls, with the test clock's instant.
	surveys []time.Time
	// history is the customer's history items by id (event).
	history map[string]string
	order   []string
}

func (f *fakeCases) apply(_ context.Context, cmd *servicev1.CaseCommand) (*servicev1.CaseSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.cmds {
		if d.GetEntryId() == cmd.GetEntryId() {
			return proto.Clone(f.c).(*servicev1.CaseSnapshot), nil
		}
	}
	f.cmds = append(f.cmds, cmd)
	c, at := f.c, cmd.GetAt()
	opened := func() {
		if c.State == servicecase.StateNew {
			c.State = servicecase.StateOpen
		}
	}
	switch cmd.GetOp() {
	case servicecase.OpState:
		c.State = cmd.GetToState()
		switch c.State {
		case servicecase.StateResolved:
			c.ResolvedAt = at
		case servicecase.StateClosed:
			c.ClosedAt = at
		}
	case servicecase.OpAutoClose:
		c.State, c.ClosedAt = servicecase.StateClosed, at
	case servicecase.OpReopen:
		c.State, c.ResolvedAt, c.ReopenedCount = servicecase.StateOpen, nil, c.ReopenedCount+1
	case servicecase.OpReply:
		if cmd.GetDirection() == "outbound" {
			if c.FirstResponseAt == nil {
				c.FirstResponseAt = at
			}
			opened()
		} else if c.State == servicecase.StatePendingCustomer {
			c.State = servicecase.StateOpen
		}
	case servicecase.OpNote:
		opened()
	case servicecase.OpAssign:
		c.AssigneeId = cmd.GetAssigneeId()
		opened()
	case servicecase.OpPriority:
		if cmd.GetPriority() == "" || cmd.GetPriority() == "PX" {
			return nil, temporal.NewNonRetryableApplicationError("bad priority", "invalid", nil)
		}
		c.Priority = cmd.GetPriority()
	}
	c.Version++
	return proto.Clone(c).(*servicev1.CaseSnapshot), nil
}

func (f *fakeCases) record(_ context.Context, r *servicev1.SlaRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows[r.GetTarget()] = append(f.rows[r.GetTarget()], r)
	return nil
}

// last is a target's row as last written.
func (f *fakeCases) last(target string) *servicev1.SlaRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs := f.rows[target]
	if len(rs) == 0 {
		return nil
	}
	return rs[len(rs)-1]
}

// entries lists the timeline results written ("sla_breached first_response").
func (f *fakeCases) entries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, target := range []string{"first_response", "resolution"} {
		for _, r := range f.rows[target] {
			if r.GetEntryKind() != "" {
				out = append(out, r.GetEntryKind()+" "+target)
			}
		}
	}
	return out
}

type harness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	engine *followuptest.Engine
	cases  *fakeCases
	cal    *calendar.Calendar
}

// newHarness is a time-skipping environment with the case filed at filed
// with priority p, the follow-up engine faked with the shipped policies and
// the China 2026 calendar.
func newHarness(t *testing.T, filed time.Time, p string) *harness {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(filed)
	env.RegisterWorkflowWithOptions(servicecase.ServiceCase, workflow.RegisterOptions{Name: wfc.WorkflowServiceCase})
	h := &harness{t: t, env: env, engine: followuptest.Register(env)}
	h.cases = &fakeCases{env: env, rows: map[string][]*servicev1.SlaRecord{}, c: &servicev1.CaseSnapshot{
		CaseId: "case-1", CustomerId: "cust-1", State: servicecase.StateNew, Priority: p, AssigneeId: "svc-sam", Team: "service",
		Subject: "Pump leaks", Type: "repair", CreatedBy: "svc-sam", CreatedAt: timestamppb.New(filed), Version: 1}}
	env.RegisterActivityWithOptions(h.cases.apply, activity.RegisterOptions{Name: servicec.ActivityApplyCaseCommand})
	env.RegisterActivityWithOptions(h.cases.record, activity.RegisterOptions{Name: servicec.ActivityRecordCaseSla})
	env.RegisterActivityWithOptions(func(_ context.Context, in *servicev1.IssueSurveyInput) (*servicev1.IssueSurveyResult, error) {
		h.cases.mu.Lock()
		defer h.cases.mu.Unlock()
		h.cases.surveys = append(h.cases.surveys, env.Now())
		return &servicev1.IssueSurveyResult{Outcome: "sent"}, nil
	}, activity.RegisterOptions{Name: servicec.ActivityIssueSurvey})
	h.cases.history = map[string]string{}
	env.RegisterActivityWithOptions(func(_ context.Context, in *customerv1.CaseEventInput) error {
		h.cases.mu.Lock()
		defer h.cases.mu.Unlock()
		if _, ok := h.cases.history[in.GetId()]; !ok {
			h.cases.history[in.GetId()] = in.GetEvent()
			h.cases.order = append(h.cases.order, in.GetEvent())
		}
		return nil
	}, activity.RegisterOptions{Name: customerc.ActivityRecordCaseEvent})
	raw, _ := json.Marshal(calendar.China2026(followuptest.Shanghai))
	cal, err := policy.CalendarFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	h.cal = cal
	return h
}

// at runs fn at instant when of the test's clock.
func (h *harness) at(when time.Time, fn func()) {
	h.env.RegisterDelayedCallback(fn, when.Sub(h.env.Now()))
}

// send sends a case command at when; want is the refusal code expected ("" none).
func (h *harness) send(when time.Time, cmd *servicev1.CaseCommand, want string) {
	h.at(when, func() {
		h.env.UpdateWorkflow(wfc.UpdateCaseCommand, "", &followuptest.UpdateCallback{T: h.t, Want: want, What: cmd.GetOp() + " at " + when.String()}, cmd)
	})
}

// state queries the case at the current test time.
func (h *harness) state() *servicev1.CaseSnapshot {
	v, err := h.env.QueryWorkflow(wfc.QueryCaseState)
	if err != nil {
		h.t.Fatalf("query: %v", err)
	}
	var s servicev1.CaseSnapshot
	if err := v.Get(&s); err != nil {
		h.t.Fatal(err)
	}
	return &s
}

// sla is the view of one target in the queried state.
func (h *harness) sla(target string) *servicev1.SlaView {
	for _, v := range h.state().GetSla() {
		if v.GetTarget() == target {
			return v
		}
	}
	h.t.Fatalf("no SLA target %s", target)
	return nil
}

// run starts the workflow and runs it until it ends or until.
func (h *harness) run(until time.Time) {
	h.at(until, func() { h.env.CancelWorkflow() })
	h.env.ExecuteWorkflow(wfc.WorkflowServiceCase, &servicev1.CaseInput{Case: proto.Clone(h.cases.c).(*servicev1.CaseSnapshot)})
}

// opened lists the follow-ups opened, as "kind due@Jan 2 15:04".
func (h *harness) opened() []*followupv1.FollowUpRecord {
	var out []*followupv1.FollowUpRecord
	for _, e := range h.engine.Events(followupc.ActivityOpenFollowUp) {
		out = append(out, e.Msg.(*followupv1.FollowUpRecord))
	}
	return out
}

func followupTZ() *time.Location { return followuptest.Shanghai }

// stepsOf lists the steps recorded on the follow-ups of one kind, as
// "action@Jan 2 15:04" (Shanghai time).
func (h *harness) stepsOf(kind string) string {
	ids := map[string]bool{}
	for _, f := range h.opened() {
		if f.GetSpec().GetKind() == kind {
			ids[f.GetSpec().GetId()] = true
		}
	}
	var out []string
	for _, e := range h.engine.Events(followupc.ActivityRecordFollowUpStep) {
		if s := e.Msg.(*followupv1.RecordStepInput); ids[s.GetId()] || len(ids) == 0 {
			out = append(out, s.GetAction()+"@"+e.At.In(followuptest.Shanghai).Format("Jan 2 15:04"))
		}
	}
	return strings.Join(out, " ")
}
