package followup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ---------------------------------------------------------------------------
// Time

var shanghai = func() *time.Location {
	l, err := policy.Location("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// cst is a wall-clock instant of 2026 in Asia/Shanghai.
func cst(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, shanghai)
}

// monday10 is 10:00 on an ordinary working Monday of the China 2026 calendar
// (office hours 09:00–12:00 and 13:30–18:00).
var monday10 = cst(time.March, 2, 10, 0)

const (
	cnMainland        = "cn-mainland"
	cnMainlandVersion = 7 // not 1, so that versions of different things are not confused
	followUpID        = "fu-1"
)

func show(t time.Time) string {
	if t.IsZero() {
		return "<none>"
	}
	return t.In(shanghai).Format("Mon Jan 2 15:04:05")
}

func ts(p *timestamppb.Timestamp) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.AsTime()
}

// ---------------------------------------------------------------------------
// Policy values

func elapsedTimer(d time.Duration) policy.Value {
	return policy.Value{Timer: &policy.Timer{Duration: policy.Duration(d), Clock: policy.ClockCalendar}}
}

func businessTimer(d time.Duration, cal string) policy.Value {
	return policy.Value{Timer: &policy.Timer{Duration: policy.Duration(d), Clock: policy.ClockBusiness, Calendar: cal}}
}

// elapsedLadder is the shipped lead ladder counted in calendar time, for
// tests with simple arithmetic: remind at due, escalate 4h later, reassign 16h
// after due.
func elapsedLadder() policy.Value {
	return policy.Value{Ladder: &policy.Ladder{Clock: policy.ClockCalendar, Steps: []policy.Step{
		{After: 0, Action: policy.ActionRemind},
		{After: policy.Duration(4 * time.Hour), Action: policy.ActionEscalateManager},
		{After: policy.Duration(16 * time.Hour), Action: policy.ActionReassign},
	}}}
}

// ---------------------------------------------------------------------------
// Fake policy store: versioned policies and calendars, each in force from an
// instant, answering ResolvePolicies like the customer service does.

type version struct {
	n    int64
	from time.Time
	raw  []byte
}

type store struct {
	mu        sync.Mutex
	policies  map[string][]version
	calendars map[string][]version
	assigned  string
}

func newStore() *store {
	s := &store{policies: map[string][]version{}, calendars: map[string][]version{}, assigned: cnMainland}
	for _, d := range policy.Catalogue() {
		s.putPolicy(d.Name, 1, time.Time{}, d.Default)
	}
	s.putCalendar(cnMainland, cnMainlandVersion, time.Time{}, calendar.China2026(shanghai))
	return s
}

func put(vs []version, v version) []version {
	for i := range vs {
		if vs[i].n == v.n {
			vs[i] = v
			return vs
		}
	}
	return append(vs, v)
}

// putPolicy stores version n of a policy, in force from from (replacing an
// existing version n).
func (s *store) putPolicy(name string, n int64, from time.Time, v policy.Value) {
	s.putRawPolicy(name, n, from, v.MustJSON())
}

func (s *store) putRawPolicy(name string, n int64, from time.Time, raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policies[name] = put(s.policies[name], version{n: n, from: from, raw: raw})
}

func (s *store) putCalendar(name string, n int64, from time.Time, spec calendar.Spec) {
	raw, err := json.Marshal(spec)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calendars[name] = put(s.calendars[name], version{n: n, from: from, raw: raw})
}

// inForce is the version with the latest from at or before at.
func inForce(vs []version, at time.Time) (version, bool) {
	var best version
	found := false
	for _, v := range vs {
		if v.from.After(at) {
			continue
		}
		if !found || v.from.After(best.from) || (v.from.Equal(best.from) && v.n > best.n) {
			best, found = v, true
		}
	}
	return best, found
}

func (s *store) resolve(in *followupv1.ResolvePoliciesInput) (*followupv1.ResolvePoliciesResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := in.GetAt().AsTime()
	res := &followupv1.ResolvePoliciesResult{AssignedCalendar: s.assigned}
	cals := []string{s.assigned}
	for _, name := range in.GetNames() {
		v, ok := inForce(s.policies[name], at)
		if !ok {
			return nil, temporal.NewNonRetryableApplicationError("no version of "+name+" in force", "not_found", nil)
		}
		res.Policies = append(res.Policies, &followupv1.ResolvedPolicy{
			Name: name, Version: v.n, ValueJson: v.raw, EffectiveFrom: timestamppb.New(v.from),
		})
		if val, err := policy.Parse(v.raw); err == nil {
			for _, c := range val.Calendars() {
				if !slices.Contains(cals, c) {
					cals = append(cals, c)
				}
			}
		}
	}
	for _, name := range cals {
		v, ok := inForce(s.calendars[name], at)
		if !ok {
			return nil, temporal.NewNonRetryableApplicationError("no version of calendar "+name+" in force", "not_found", nil)
		}
		res.Calendars = append(res.Calendars, &followupv1.ResolvedCalendar{Name: name, Version: v.n, SpecJson: v.raw})
	}
	return res, nil
}

// ---------------------------------------------------------------------------
// Harness: a FollowUp workflow in a time-skipping environment with fake
// customer-service activities that record every call with the environment's
// clock at the time of the call.

type call struct {
	name string
	at   time.Time
	in   proto.Message
}

type rec[T proto.Message] struct {
	at time.Time
	in T
}

type harness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	start time.Time
	store *store

	mu     sync.Mutex
	calls  []call
	timers []time.Time // when each workflow timer was started
}

func newHarness(t *testing.T, start time.Time) *harness {
	t.Helper()
	h := &harness{t: t, start: start, store: newStore()}
	h.use(newEnv(start))
	return h
}

// use makes env the harness's environment (a new one for each run of a
// workflow that continues as new), with the fake customer service
// registered; the calls keep being recorded in one list.
func (h *harness) use(env *testsuite.TestWorkflowEnvironment) {
	h.env = env
	env.SetOnTimerScheduledListener(func(string, time.Duration) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.timers = append(h.timers, env.Now())
	})
	env.RegisterWorkflow(followup.FollowUp)
	env.RegisterActivityWithOptions(func(_ context.Context, in *followupv1.ResolvePoliciesInput) (*followupv1.ResolvePoliciesResult, error) {
		h.note(followupc.ActivityResolvePolicies, in)
		res, err := h.store.resolve(in)
		if o := in.GetOpen(); o != nil && err == nil {
			// Opened as the follow-up service does (resolve-and-open): the
			// record of the workflow's own plan, noted as an OpenFollowUp.
			kind, _ := policy.LookupKind(o.GetSpec().GetKind())
			if p, perr := followup.NewPlan(followup.PlanInputOf(kind, o.GetSpec()), res); perr == nil {
				h.note(followupc.ActivityOpenFollowUp, p.Record(o.GetSpec(), o.GetWorkflowId(), o.GetRunId()))
			}
		}
		return res, err
	}, activity.RegisterOptions{Name: followupc.ActivityResolvePolicies})
	env.RegisterActivityWithOptions(capture[*followupv1.FollowUpRecord](h, followupc.ActivityOpenFollowUp),
		activity.RegisterOptions{Name: followupc.ActivityOpenFollowUp})
	env.RegisterActivityWithOptions(capture[*followupv1.UpdateDeadlineInput](h, followupc.ActivityUpdateFollowUpDeadline),
		activity.RegisterOptions{Name: followupc.ActivityUpdateFollowUpDeadline})
	env.RegisterActivityWithOptions(capture[*followupv1.RecordStepInput](h, followupc.ActivityRecordFollowUpStep),
		activity.RegisterOptions{Name: followupc.ActivityRecordFollowUpStep})
	env.RegisterActivityWithOptions(capture[*followupv1.CloseFollowUpInput](h, followupc.ActivityCloseFollowUp),
		activity.RegisterOptions{Name: followupc.ActivityCloseFollowUp})
}

// newEnv is a time-skipping environment starting at start, logging nothing.
func newEnv(start time.Time) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	return env
}

func capture[T proto.Message](h *harness, name string) func(context.Context, T) error {
	return func(_ context.Context, in T) error {
		h.note(name, in)
		return nil
	}
}

func (h *harness) note(name string, in proto.Message) {
	now := h.env.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call{name: name, at: now, in: in})
}

func callsTo[T proto.Message](h *harness, name string) []rec[T] {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []rec[T]
	for _, c := range h.calls {
		if c.name == name {
			out = append(out, rec[T]{at: c.at, in: c.in.(T)})
		}
	}
	return out
}

func (h *harness) resolves() []rec[*followupv1.ResolvePoliciesInput] {
	return callsTo[*followupv1.ResolvePoliciesInput](h, followupc.ActivityResolvePolicies)
}
func (h *harness) opens() []rec[*followupv1.FollowUpRecord] {
	return callsTo[*followupv1.FollowUpRecord](h, followupc.ActivityOpenFollowUp)
}
func (h *harness) updates() []rec[*followupv1.UpdateDeadlineInput] {
	return callsTo[*followupv1.UpdateDeadlineInput](h, followupc.ActivityUpdateFollowUpDeadline)
}
func (h *harness) steps() []rec[*followupv1.RecordStepInput] {
	return callsTo[*followupv1.RecordStepInput](h, followupc.ActivityRecordFollowUpStep)
}
func (h *harness) closes() []rec[*followupv1.CloseFollowUpInput] {
	return callsTo[*followupv1.CloseFollowUpInput](h, followupc.ActivityCloseFollowUp)
}

// names lists the activities called, in order.
func (h *harness) names() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.calls))
	for i, c := range h.calls {
		out[i] = c.name
	}
	return out
}

// trace describes every call, for failure messages.
func (h *harness) trace() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, c := range h.calls {
		fmt.Fprintf(&b, "\n  %s (+%s) %s %v", show(c.at), c.at.Sub(h.start), c.name, c.in)
	}
	return b.String()
}

// after runs fn at start+d of the environment's clock.
func (h *harness) after(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// until runs fn at the instant at.
func (h *harness) until(at time.Time, fn func()) { h.after(at.Sub(h.start), fn) }

func (h *harness) signalPolicy(name string, v int64) {
	h.env.SignalWorkflow(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Policy: name, Version: v})
}

func (h *harness) closeAt(at time.Time) {
	h.until(at, func() {
		h.env.SignalWorkflow(wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "called"})
	})
}

func (h *harness) query() *followupv1.FollowUpState {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(wfc.QueryFollowUpState)
	if err != nil {
		h.t.Fatalf("query: %v", err)
	}
	var s followupv1.FollowUpState
	if err := v.Get(&s); err != nil {
		h.t.Fatalf("query result: %v", err)
	}
	return &s
}

// run executes the workflow to its end and returns its result, failing the
// test if it did not complete successfully.
func (h *harness) run(spec *followupv1.FollowUpSpec) *followupv1.CloseSignal {
	h.t.Helper()
	h.env.ExecuteWorkflow(followup.FollowUp, spec)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatalf("workflow did not complete; calls:%s", h.trace())
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v; calls:%s", err, h.trace())
	}
	var out followupv1.CloseSignal
	if err := h.env.GetWorkflowResult(&out); err != nil {
		h.t.Fatal(err)
	}
	return &out
}

func (h *harness) wantTime(what string, got, want time.Time) {
	h.t.Helper()
	if !got.Equal(want) {
		h.t.Errorf("%s: %s, want %s; calls:%s", what, show(got), show(want), h.trace())
	}
}

func (h *harness) wantCount(what string, got, want int) {
	h.t.Helper()
	if got != want {
		h.t.Fatalf("%s: %d calls, want %d; calls:%s", what, got, want, h.trace())
	}
}

// wantStep checks a recorded step: when it ran, its level, action, due
// instant and the next step it announced (zero for none).
func (h *harness) wantStep(s rec[*followupv1.RecordStepInput], ranAt time.Time, level int32, action policy.Action, due, next time.Time) {
	h.t.Helper()
	what := fmt.Sprintf("step level %d", level)
	h.wantTime(what+" ran at", s.at, ranAt)
	h.wantTime(what+" ran_at", ts(s.in.GetRanAt()), ranAt)
	if s.in.GetLevel() != level || s.in.GetAction() != string(action) || s.in.GetId() != followUpID {
		h.t.Errorf("%s: recorded %v, want level %d action %s", what, s.in, level, action)
	}
	h.wantTime(what+" at", ts(s.in.GetAt()), due)
	h.wantTime(what+" next_step_at", ts(s.in.GetNextStepAt()), next)
}

func firstContact(anchor time.Time) *followupv1.FollowUpSpec {
	return &followupv1.FollowUpSpec{
		Id: followUpID, Kind: policy.KindFirstContact, CustomerId: "cust-1", OwnerId: "rep-ana",
		Team: "team-east", Territory: "shanghai", Title: "call the new lead",
		AnchorAt: timestamppb.New(anchor), OpenedBy: "lead-workflow",
	}
}
