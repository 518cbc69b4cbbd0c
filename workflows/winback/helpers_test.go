package winback_test

import (
	"context"
	"encoding/json"
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
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/winback"
)

var cst = followuptest.CST

func hm(t time.Time) string { return t.In(followuptest.Shanghai).Format("Jan 2 15:04:05") }

// china is the calendar the fake engine assigns.
func china(t *testing.T) *calendar.Calendar {
	t.Helper()
	raw, _ := json.Marshal(calendar.China2026(followuptest.Shanghai))
	cal, err := policy.CalendarFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// call is one activity the workflow called, with the test clock.
type call struct {
	name string
	at   time.Time
	msg  proto.Message
}

// harness is a time-skipping environment with the customer and marketing
// services' activities faked (every call recorded), a fake Lead workflow,
// and the follow-up engine faked with the shipped policies and the China
// 2026 calendar.
type harness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	engine *followuptest.Engine
	mu     sync.Mutex
	calls  []call
	// responded answers customer.WinBackResponses asked at an instant.
	responded func(at time.Time) *marketingv1.WinBackResponse
	// decide answers marketing.WinBackTouch (the n-th ask, from 1).
	decide func(t *marketingv1.Touch, n int) *marketingv1.WinBackTouchResult
	asks   int
	leads  []*salesv1.LeadInput
}

func newHarness(t *testing.T, start time.Time) *harness {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(winback.WinBack, workflow.RegisterOptions{Name: wfc.WorkflowWinBack})
	h := &harness{t: t, env: env, engine: followuptest.Register(env)}
	// No spread: the tests below check the cadence's own instants to the
	// second (TestTouchesSpread checks the spread).
	h.engine.PutPolicy(policy.WinBackTouchSpread, 2, time.Time{}, policy.Value{Timer: &policy.Timer{Clock: policy.ClockBusiness}})
	env.RegisterWorkflowWithOptions(func(_ workflow.Context, in *salesv1.LeadInput) (*salesv1.LeadSnapshot, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.leads = append(h.leads, in)
		return &salesv1.LeadSnapshot{LeadId: in.GetLead().GetId()}, nil
	}, workflow.RegisterOptions{Name: wfc.WorkflowLead})
	record := func(name string, m proto.Message) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.calls = append(h.calls, call{name: name, at: env.Now(), msg: m})
	}
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.WinBackMarkInput) error {
		record(customerc.ActivityMarkWinBack, in)
		return nil
	}, activity.RegisterOptions{Name: customerc.ActivityMarkWinBack})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.WinBackResponsesInput) (*marketingv1.WinBackResponsesResult, error) {
		record(customerc.ActivityWinBackResponses, in)
		if h.responded != nil {
			return &marketingv1.WinBackResponsesResult{Response: h.responded(env.Now())}, nil
		}
		return &marketingv1.WinBackResponsesResult{}, nil
	}, activity.RegisterOptions{Name: customerc.ActivityWinBackResponses})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.PlanTouchesInput) (*marketingv1.PlanTouchesResult, error) {
		record(customerc.ActivityPlanTouches, in)
		out := &marketingv1.PlanTouchesResult{}
		for _, t := range in.GetTouches() {
			out.ActionIds = append(out.ActionIds, "action-"+t.GetTouchId())
		}
		return out, nil
	}, activity.RegisterOptions{Name: customerc.ActivityPlanTouches})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.WinBackEndInput) error {
		record(customerc.ActivityWinBackReturned, in)
		return nil
	}, activity.RegisterOptions{Name: customerc.ActivityWinBackReturned})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.WinBackTouchInput) (*marketingv1.WinBackTouchResult, error) {
		record(marketingc.ActivityWinBackTouch, in)
		h.mu.Lock()
		h.asks++
		n := h.asks
		h.mu.Unlock()
		if h.decide != nil {
			return h.decide(in.GetTouch(), n), nil
		}
		return &marketingv1.WinBackTouchResult{}, nil
	}, activity.RegisterOptions{Name: marketingc.ActivityWinBackTouch})
	env.RegisterActivityWithOptions(func(_ context.Context, in *marketingv1.WinBackEndInput) error {
		record(marketingc.ActivityEndWinBack, in)
		return nil
	}, activity.RegisterOptions{Name: marketingc.ActivityEndWinBack})
	return h
}

// input is Acme's enrolment in the spring win-back at enrolled.
func input(enrolled time.Time) *marketingv1.WinBackInput {
	return &marketingv1.WinBackInput{CampaignId: "camp-1", CampaignName: "Spring win-back", CustomerId: "cust-1",
		CustomerName: "Acme", OwnerId: "rep-ana", Team: "north", Region: "east", EnrolledAt: timestamppb.New(enrolled)}
}

// at runs fn at instant when of the test's clock.
func (h *harness) at(when time.Time, fn func()) {
	h.env.RegisterDelayedCallback(fn, when.Sub(h.env.Now()))
}

func (h *harness) respond(when time.Time, kind string) {
	h.at(when, func() {
		h.env.SignalWorkflow(wfc.SignalWinBackResponse, &marketingv1.WinBackResponse{Kind: kind, Ref: "ref-1",
			At: timestamppb.New(when), By: "rep-ana"})
	})
}

// run runs the workflow to its end and returns how it ended.
func (h *harness) run(in *marketingv1.WinBackInput) *marketingv1.WinBackEndInput {
	h.t.Helper()
	h.env.ExecuteWorkflow(wfc.WorkflowWinBack, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("the workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatal(err)
	}
	var out marketingv1.WinBackEndInput
	if err := h.env.GetWorkflowResult(&out); err != nil {
		h.t.Fatal(err)
	}
	return &out
}

// of lists the calls of one activity.
func (h *harness) of(name string) []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []call
	for _, c := range h.calls {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

// planned lists the touches planned, each as "step action@Jan 2 15:04:05".
func (h *harness) planned() []string {
	var out []string
	for _, c := range h.of(customerc.ActivityPlanTouches) {
		for _, t := range c.msg.(*marketingv1.PlanTouchesInput).GetTouches() {
			out = append(out, string(rune('0'+t.GetStep()))+" "+t.GetAction()+"@"+hm(c.at))
		}
	}
	return out
}

// touches lists the touches planned.
func (h *harness) touches() []*marketingv1.Touch {
	var out []*marketingv1.Touch
	for _, c := range h.of(customerc.ActivityPlanTouches) {
		out = append(out, c.msg.(*marketingv1.PlanTouchesInput).GetTouches()...)
	}
	return out
}

// opened lists the follow-ups opened.
func (h *harness) opened() []*followupv1.FollowUpRecord {
	var out []*followupv1.FollowUpRecord
	for _, e := range h.engine.Events(followupc.ActivityOpenFollowUp) {
		out = append(out, e.Msg.(*followupv1.FollowUpRecord))
	}
	return out
}

// closed lists the follow-ups closed as "state: note@Jan 2 15:04:05", in order.
func (h *harness) closed() []string {
	var out []string
	for _, e := range h.engine.Events(followupc.ActivityCloseFollowUp) {
		c := e.Msg.(*followupv1.CloseFollowUpInput)
		out = append(out, c.GetState()+": "+c.GetNote()+"@"+hm(e.At))
	}
	return out
}

// ends lists marketing.EndWinBack's records.
func (h *harness) ends() []*marketingv1.WinBackEndInput {
	var out []*marketingv1.WinBackEndInput
	for _, c := range h.of(marketingc.ActivityEndWinBack) {
		out = append(out, c.msg.(*marketingv1.WinBackEndInput))
	}
	return out
}

// marks lists the marks as "set camp-1" / "clear camp-1".
func (h *harness) marks() string {
	var out []string
	for _, c := range h.of(customerc.ActivityMarkWinBack) {
		m := c.msg.(*marketingv1.WinBackMarkInput)
		if m.GetCampaignId() != "" {
			out = append(out, "set "+m.GetCampaignId())
		} else {
			out = append(out, "clear "+m.GetClearCampaignId())
		}
	}
	return strings.Join(out, ", ")
}

func repeat(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
