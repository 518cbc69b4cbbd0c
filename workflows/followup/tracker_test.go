package followup_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

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
		return h.store.resolve(in)
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

// ---------------------------------------------------------------------------
// Opening

func TestFollowUpOpensWithDueFromPolicyInForce(t *testing.T) {
	evening := calendar.Spec{Name: "evening shift", TimeZone: "Asia/Shanghai", Location: shanghai,
		Week: calendar.Weekdays(calendar.Range{Start: calendar.At(18, 0), End: calendar.At(22, 0)})}
	yesterday := monday10.Add(-24 * time.Hour)
	cases := []struct {
		name      string
		spec      *followupv1.FollowUpSpec
		setup     func(*store)
		wantNames []string
		wantDue   time.Time
		wantPol   string
		wantPolV  int64
		wantEscV  int64
		wantCal   string
		wantCalV  int64
	}{{
		// 10:00–12:00 and 13:30–15:30 make the shipped 4 business hours.
		name:      "shipped business SLA on the assigned calendar",
		spec:      firstContact(monday10),
		wantNames: []string{policy.LeadFirstContactSLA, policy.LeadEscalation},
		wantDue:   cst(time.March, 2, 15, 30),
		wantPol:   policy.LeadFirstContactSLA, wantPolV: 1, wantEscV: 1,
		wantCal: cnMainland, wantCalV: cnMainlandVersion,
	}, {
		name:      "SLA changed to 90 minutes of calendar time",
		spec:      firstContact(monday10),
		setup:     func(s *store) { s.putPolicy(policy.LeadFirstContactSLA, 3, yesterday, elapsedTimer(90*time.Minute)) },
		wantNames: []string{policy.LeadFirstContactSLA, policy.LeadEscalation},
		wantDue:   monday10.Add(90 * time.Minute),
		wantPol:   policy.LeadFirstContactSLA, wantPolV: 3, wantEscV: 1,
		// the ladder still counts business time on the assigned calendar
		wantCal: cnMainland, wantCalV: cnMainlandVersion,
	}, {
		name: "business SLA naming its own calendar",
		spec: firstContact(monday10),
		setup: func(s *store) {
			s.putCalendar("evening", 4, yesterday, evening)
			s.putPolicy(policy.LeadFirstContactSLA, 2, yesterday, businessTimer(4*time.Hour, "evening"))
		},
		wantNames: []string{policy.LeadFirstContactSLA, policy.LeadEscalation},
		wantDue:   cst(time.March, 2, 22, 0),
		wantPol:   policy.LeadFirstContactSLA, wantPolV: 2, wantEscV: 1,
		// the record names the deadline's calendar, not the ladder's
		wantCal: "evening", wantCalV: 4,
	}, {
		name: "calendar-clock SLA and ladder use no calendar",
		spec: firstContact(monday10),
		setup: func(s *store) {
			s.putPolicy(policy.LeadFirstContactSLA, 4, yesterday, elapsedTimer(3*time.Hour))
			s.putPolicy(policy.LeadEscalation, 5, yesterday, elapsedLadder())
		},
		wantNames: []string{policy.LeadFirstContactSLA, policy.LeadEscalation},
		wantDue:   monday10.Add(3 * time.Hour),
		wantPol:   policy.LeadFirstContactSLA, wantPolV: 4, wantEscV: 5,
		wantCal: "", wantCalV: 0,
	}, {
		name: "table policy entry for the spec's key",
		spec: func() *followupv1.FollowUpSpec {
			s := firstContact(monday10)
			s.Kind, s.PolicyKey = policy.KindStaleStage, "3"
			return s
		}(),
		setup: func(s *store) {
			s.putPolicy(policy.LeadStaleStage, 5, yesterday, policy.Value{Table: map[string]policy.Timer{
				"1": *elapsedTimer(30 * 24 * time.Hour).Timer, "2": *elapsedTimer(21 * 24 * time.Hour).Timer,
				"3": *elapsedTimer(10 * 24 * time.Hour).Timer, "4": *elapsedTimer(7 * 24 * time.Hour).Timer,
			}})
		},
		wantNames: []string{policy.LeadStaleStage, policy.LeadEscalation},
		wantDue:   monday10.Add(10 * 24 * time.Hour),
		wantPol:   policy.LeadStaleStage, wantPolV: 5, wantEscV: 1,
		wantCal: cnMainland, wantCalV: cnMainlandVersion,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The workflow starts an hour after the anchor: the due time counts
			// from the anchor, not from the start.
			start := monday10.Add(time.Hour)
			h := newHarness(t, start)
			if tc.setup != nil {
				tc.setup(h.store)
			}
			closeAt := tc.wantDue.Add(-time.Minute)
			h.closeAt(closeAt)
			out := h.run(tc.spec)

			if got, want := h.names(), []string{followupc.ActivityResolvePolicies, followupc.ActivityOpenFollowUp, followupc.ActivityCloseFollowUp}; !slices.Equal(got, want) {
				t.Fatalf("activities %v, want %v (nothing may happen before the due time); calls:%s", got, want, h.trace())
			}
			r := h.resolves()[0]
			h.wantTime("resolved at", r.at, start)
			h.wantTime("resolved for", ts(r.in.GetAt()), start)
			if !slices.Equal(r.in.GetNames(), tc.wantNames) || r.in.GetTeam() != "team-east" || r.in.GetTerritory() != "shanghai" {
				t.Errorf("resolve input %v, want names %v for team-east/shanghai", r.in, tc.wantNames)
			}
			o := h.opens()[0]
			h.wantTime("opened at", o.at, start)
			h.wantTime("due", ts(o.in.GetDueAt()), tc.wantDue)
			if !proto.Equal(o.in.GetSpec(), tc.spec) {
				t.Errorf("record spec %v, want %v", o.in.GetSpec(), tc.spec)
			}
			if o.in.GetPolicy() != tc.wantPol || o.in.GetPolicyVersion() != tc.wantPolV ||
				o.in.GetEscalationPolicy() != policy.LeadEscalation || o.in.GetEscalationPolicyVersion() != tc.wantEscV ||
				o.in.GetCalendar() != tc.wantCal || o.in.GetCalendarVersion() != tc.wantCalV {
				t.Errorf("record %s v%d / %s v%d / calendar %s v%d, want %s v%d / %s v%d / calendar %s v%d",
					o.in.GetPolicy(), o.in.GetPolicyVersion(), o.in.GetEscalationPolicy(), o.in.GetEscalationPolicyVersion(),
					o.in.GetCalendar(), o.in.GetCalendarVersion(),
					tc.wantPol, tc.wantPolV, policy.LeadEscalation, tc.wantEscV, tc.wantCal, tc.wantCalV)
			}
			if o.in.GetWorkflowId() == "" || o.in.GetRunId() == "" {
				t.Errorf("record lacks its workflow: %v", o.in)
			}
			c := h.closes()[0]
			h.wantTime("closed at", c.at, closeAt)
			if c.in.GetState() != "done" || c.in.GetBy() != "rep-ana" || c.in.GetId() != followUpID {
				t.Errorf("close %v", c.in)
			}
			if out.GetState() != "done" || out.GetBy() != "rep-ana" || out.GetNote() != "called" {
				t.Errorf("result %v", out)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Policy changes while the follow-up is open

func TestShortenedSLAFiresAtTheNewEarlierDueTime(t *testing.T) {
	cases := []struct {
		name       string
		v1, v2     policy.Value
		ladder     *policy.Value // nil: the shipped business ladder
		wantDue2   time.Time
		wantNext   time.Time // the step after the first one
		wantCalV   int64
		closeAfter time.Time
	}{{
		name:     "calendar clock 8h to 2h",
		v1:       elapsedTimer(8 * time.Hour),
		v2:       elapsedTimer(2 * time.Hour),
		ladder:   new(elapsedLadder()),
		wantDue2: monday10.Add(2 * time.Hour),
		wantNext: monday10.Add(6 * time.Hour),
		// no business time anywhere: no calendar
		wantCalV:   0,
		closeAfter: monday10.Add(2*time.Hour + 30*time.Minute),
	}, {
		// v1: Mon 10:00 + 8 business hours = Tue 10:30. v2: Mon 10:00–12:00
		// and 13:30–14:30 = Mon 14:30. The next step is 4 business hours
		// later: 14:30–18:00 and Tue 09:00–09:30.
		name:       "business clock 8h to 3h",
		v1:         businessTimer(8*time.Hour, ""),
		v2:         businessTimer(3*time.Hour, ""),
		wantDue2:   cst(time.March, 2, 14, 30),
		wantNext:   cst(time.March, 3, 9, 30),
		wantCalV:   cnMainlandVersion,
		closeAfter: cst(time.March, 2, 15, 0),
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, tc.v1)
			if tc.ladder != nil {
				h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, *tc.ladder)
			}
			h.after(time.Hour, func() {
				h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), tc.v2)
				h.signalPolicy(policy.LeadFirstContactSLA, 2)
			})
			h.closeAt(tc.closeAfter)
			h.run(firstContact(monday10))

			ups := h.updates()
			h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
			u := ups[0]
			h.wantTime("deadline updated at", u.at, monday10.Add(time.Hour))
			h.wantTime("updated due", ts(u.in.GetDueAt()), tc.wantDue2)
			h.wantTime("updated next step", ts(u.in.GetNextStepAt()), tc.wantDue2)
			if u.in.GetId() != followUpID || u.in.GetPolicyVersion() != 2 || u.in.GetEscalationPolicyVersion() != 1 || u.in.GetCalendarVersion() != tc.wantCalV {
				t.Errorf("update %v: want policy v2, escalation v1, calendar v%d", u.in, tc.wantCalV)
			}
			if !strings.Contains(u.in.GetReason(), policy.LeadFirstContactSLA+" v1→v2") {
				t.Errorf("reason %q does not name the change", u.in.GetReason())
			}
			steps := h.steps()
			h.wantCount("RecordFollowUpStep", len(steps), 1)
			h.wantStep(steps[0], tc.wantDue2, 1, policy.ActionRemind, tc.wantDue2, tc.wantNext)
		})
	}
}

func TestLengthenedSLAWaitsForTheNewLaterDueTime(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(8*time.Hour))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.closeAt(monday10.Add(8*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline updated at", ups[0].at, monday10.Add(time.Hour))
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(8*time.Hour))
	h.wantTime("updated next step", ts(ups[0].in.GetNextStepAt()), monday10.Add(8*time.Hour))
	if ups[0].in.GetPolicyVersion() != 2 {
		t.Errorf("update %v: want policy v2", ups[0].in)
	}
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], monday10.Add(8*time.Hour), 1, policy.ActionRemind, monday10.Add(8*time.Hour), monday10.Add(12*time.Hour))
	// No decision point at the old due time: the signal replaced its timer.
	for _, r := range h.resolves() {
		if r.at.Equal(monday10.Add(2 * time.Hour)) {
			t.Errorf("the workflow still woke at the old due time; calls:%s", h.trace())
		}
	}
}

func TestChangeWithoutSignalIsPickedUpAtTheNextDecisionPoint(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	// The rollout's signal is lost: only the store changes.
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(8*time.Hour))
	})
	h.closeAt(monday10.Add(8*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	var resolvedAt []time.Duration
	for _, r := range h.resolves() {
		resolvedAt = append(resolvedAt, r.at.Sub(monday10))
		h.wantTime("resolved for", ts(r.in.GetAt()), r.at)
	}
	if want := []time.Duration{0, 2 * time.Hour, 8 * time.Hour}; !slices.Equal(resolvedAt, want) {
		t.Errorf("resolved at %v, want %v (start, the old due time, the new one); calls:%s", resolvedAt, want, h.trace())
	}
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline updated at", ups[0].at, monday10.Add(2*time.Hour))
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(8*time.Hour))
	if ups[0].in.GetPolicyVersion() != 2 {
		t.Errorf("update %v: want policy v2", ups[0].in)
	}
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], monday10.Add(8*time.Hour), 1, policy.ActionRemind, monday10.Add(8*time.Hour), monday10.Add(12*time.Hour))
}

func TestShortenedToAPassedDueTimeStepsAtOnce(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(8*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	h.after(5*time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(2*time.Hour))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.closeAt(monday10.Add(6*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline updated at", ups[0].at, monday10.Add(5*time.Hour))
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(2*time.Hour))
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 2)
	// The first step, due at +2h, is carried out as soon as the change is
	// known; the second keeps its own time, due+4h.
	h.wantStep(steps[0], monday10.Add(5*time.Hour), 1, policy.ActionRemind, monday10.Add(2*time.Hour), monday10.Add(6*time.Hour))
	h.wantStep(steps[1], monday10.Add(6*time.Hour), 2, policy.ActionEscalateManager, monday10.Add(6*time.Hour), monday10.Add(18*time.Hour))
}

func TestLengthenedAfterAStepKeepsTheStepDone(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	h.after(3*time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(8*time.Hour))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	var mid *followupv1.FollowUpState
	h.after(4*time.Hour, func() { mid = h.query() })
	h.closeAt(monday10.Add(12*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 2)
	h.wantStep(steps[0], monday10.Add(2*time.Hour), 1, policy.ActionRemind, monday10.Add(2*time.Hour), monday10.Add(6*time.Hour))
	// Level 1 is not repeated at the new due time; level 2 is 4h after it.
	h.wantStep(steps[1], monday10.Add(12*time.Hour), 2, policy.ActionEscalateManager, monday10.Add(12*time.Hour), monday10.Add(24*time.Hour))
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(8*time.Hour))
	h.wantTime("updated next step", ts(ups[0].in.GetNextStepAt()), monday10.Add(12*time.Hour))
	if mid.GetLevel() != 1 || mid.GetPolicyVersion() != 2 || mid.GetRecomputations() != 1 {
		t.Errorf("state after the change %v: want level 1, policy v2, one recomputation", mid)
	}
}

func TestCalendarChangeMovesABusinessDeadline(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, businessTimer(8*time.Hour, ""))
	h.after(time.Hour, func() {
		// Tuesday becomes a day off.
		spec := calendar.China2026(shanghai)
		spec.Holidays = append(spec.Holidays, calendar.Holiday{Name: "closure", Start: calendar.DateOf(2026, time.March, 3)})
		h.store.putCalendar(cnMainland, cnMainlandVersion+1, h.env.Now(), spec)
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Calendar: cnMainland, Version: cnMainlandVersion + 1})
	})
	h.closeAt(monday10.Add(2 * time.Hour))
	h.run(firstContact(monday10))

	if o := h.opens()[0]; !ts(o.in.GetDueAt()).Equal(cst(time.March, 3, 10, 30)) {
		t.Fatalf("opened due %s, want Tue 10:30", show(ts(o.in.GetDueAt())))
	}
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), cst(time.March, 4, 10, 30))
	if u := ups[0].in; u.GetCalendar() != cnMainland || u.GetCalendarVersion() != cnMainlandVersion+1 || u.GetPolicyVersion() != 1 {
		t.Errorf("update %v: want calendar %s v%d and policy v1", u, cnMainland, cnMainlandVersion+1)
	}
}

func TestPolicyChangeSignals(t *testing.T) {
	// Default store: business SLA due at Mon 15:30; the signal comes at 11:00
	// and the follow-up is closed at 12:00, before anything is due.
	cases := []struct {
		name         string
		signal       *followupv1.PolicyChangedSignal
		newSLA       bool // the store has a v2 of the SLA from the signal on
		wantResolves int
		wantUpdates  int
	}{
		{"policy the follow-up does not use", &followupv1.PolicyChangedSignal{Policy: policy.CareCadence, Version: 5}, false, 1, 0},
		{"version already in use", &followupv1.PolicyChangedSignal{Policy: policy.LeadFirstContactSLA, Version: 1}, false, 1, 0},
		{"calendar version already in use", &followupv1.PolicyChangedSignal{Calendar: cnMainland, Version: cnMainlandVersion}, false, 1, 0},
		{"new version of the SLA", &followupv1.PolicyChangedSignal{Policy: policy.LeadFirstContactSLA, Version: 2}, true, 2, 1},
		{"calendar not in use may now be assigned", &followupv1.PolicyChangedSignal{Calendar: "hong-kong", Version: 1}, false, 2, 0},
		{"signal naming nothing", &followupv1.PolicyChangedSignal{}, false, 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.after(time.Hour, func() {
				if tc.newSLA {
					h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), businessTimer(2*time.Hour, ""))
				}
				h.env.SignalWorkflow(wfc.SignalPolicyChanged, tc.signal)
			})
			h.closeAt(monday10.Add(2 * time.Hour))
			h.run(firstContact(monday10))
			h.wantCount("ResolvePolicies", len(h.resolves()), tc.wantResolves)
			h.wantCount("UpdateFollowUpDeadline", len(h.updates()), tc.wantUpdates)
			if tc.wantResolves > 1 {
				h.wantTime("re-resolved at", h.resolves()[1].at, monday10.Add(time.Hour))
			}
			h.wantCount("RecordFollowUpStep", len(h.steps()), 0)
		})
	}
}

func TestPolicyChangeBurstCostsOneResolution(t *testing.T) {
	h := newHarness(t, monday10)
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), businessTimer(8*time.Hour, ""))
		h.store.putPolicy(policy.LeadEscalation, 2, h.env.Now(), elapsedLadder())
		// Both signals are waiting when the workflow next runs.
		h.env.SignalWorkflowSkippingWorkflowTask(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Policy: policy.LeadFirstContactSLA, Version: 2})
		h.env.SignalWorkflowSkippingWorkflowTask(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Policy: policy.LeadEscalation, Version: 2})
		// A calendar the follow-up does not use always asks for a
		// re-resolution on its own; in the burst it costs nothing more.
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Calendar: "hong-kong", Version: 1})
	})
	h.closeAt(monday10.Add(2 * time.Hour))
	h.run(firstContact(monday10))

	h.wantCount("ResolvePolicies", len(h.resolves()), 2)
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	u := ups[0].in
	h.wantTime("updated due", ts(u.GetDueAt()), cst(time.March, 3, 10, 30))
	if u.GetPolicyVersion() != 2 || u.GetEscalationPolicyVersion() != 2 {
		t.Errorf("update %v: want both policies at v2", u)
	}
	for _, want := range []string{"policy:" + policy.LeadEscalation + " v1→v2", "policy:" + policy.LeadFirstContactSLA + " v1→v2"} {
		if !strings.Contains(u.GetReason(), want) {
			t.Errorf("reason %q lacks %q", u.GetReason(), want)
		}
	}
}

// ---------------------------------------------------------------------------
// Closing and cancelling

func TestCloseSignalClosesTheFollowUp(t *testing.T) {
	cases := []struct {
		name      string
		at        time.Duration
		signal    *followupv1.CloseSignal
		wantState string
		wantSteps int
	}{
		{"done by the rep before due", 30 * time.Minute, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "called"}, "done", 0},
		{"cancelled by a manager", 30 * time.Minute, &followupv1.CloseSignal{State: "cancelled", By: "mgr-li", Note: "duplicate lead"}, "cancelled", 0},
		{"unknown state counts as done", 30 * time.Minute, &followupv1.CloseSignal{State: "finished", By: "rep-ana"}, "done", 0},
		{"done after the first step", 2*time.Hour + 30*time.Minute, &followupv1.CloseSignal{State: "done", By: "rep-ana"}, "done", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
			h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
			h.after(tc.at, func() { h.env.SignalWorkflow(wfc.SignalCloseFollowUp, tc.signal) })
			out := h.run(firstContact(monday10))

			closes := h.closes()
			h.wantCount("CloseFollowUp", len(closes), 1)
			c := closes[0]
			h.wantTime("closed at", c.at, monday10.Add(tc.at))
			h.wantTime("close input at", ts(c.in.GetAt()), monday10.Add(tc.at))
			if c.in.GetId() != followUpID || c.in.GetState() != tc.wantState || c.in.GetBy() != tc.signal.GetBy() || c.in.GetNote() != tc.signal.GetNote() {
				t.Errorf("close %v, want state %s by %s", c.in, tc.wantState, tc.signal.GetBy())
			}
			if out.GetState() != tc.wantState || out.GetBy() != tc.signal.GetBy() || out.GetNote() != tc.signal.GetNote() {
				t.Errorf("result %v, want state %s by %s", out, tc.wantState, tc.signal.GetBy())
			}
			h.wantCount("RecordFollowUpStep", len(h.steps()), tc.wantSteps)
			if names := h.names(); names[len(names)-1] != followupc.ActivityCloseFollowUp {
				t.Errorf("activity after closing: %v", names)
			}
		})
	}
}

func TestCancellationClosesTheFollowUp(t *testing.T) {
	cases := []struct {
		name      string
		at        time.Duration
		wantSteps int
	}{
		{"while waiting for the due time", time.Hour, 0},
		{"after the first step", 3 * time.Hour, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
			h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
			h.after(tc.at, h.env.CancelWorkflow)
			h.env.ExecuteWorkflow(followup.FollowUp, firstContact(monday10))
			if !h.env.IsWorkflowCompleted() {
				t.Fatalf("workflow did not end; calls:%s", h.trace())
			}
			if err := h.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
				t.Fatalf("workflow error %v, want cancelled; calls:%s", err, h.trace())
			}
			closes := h.closes()
			h.wantCount("CloseFollowUp", len(closes), 1)
			c := closes[0]
			h.wantTime("closed at", c.at, monday10.Add(tc.at))
			if c.in.GetId() != followUpID || c.in.GetState() != "cancelled" || c.in.GetBy() != "workflow" {
				t.Errorf("close %v, want cancelled by workflow", c.in)
			}
			h.wantCount("RecordFollowUpStep", len(h.steps()), tc.wantSteps)
		})
	}
}

// ---------------------------------------------------------------------------
// The escalation ladder

func TestShippedLadderStepsInBusinessTime(t *testing.T) {
	// Due Mon 15:30 (4 business hours from 10:00). Escalation 4 business hours
	// later: 15:30–18:00 and Tue 09:00–10:30. Reassignment 16 business hours
	// after due: Mon 2.5h, Tue 7.5h, Wed 09:00–12:00 and 13:30–16:30.
	h := newHarness(t, monday10)
	due, escalate, reassign := cst(time.March, 2, 15, 30), cst(time.March, 3, 10, 30), cst(time.March, 4, 16, 30)
	var before, after *followupv1.FollowUpState
	h.until(due.Add(-time.Minute), func() { before = h.query() })
	h.after(20*24*time.Hour, func() { after = h.query() })
	end := monday10.Add(30 * 24 * time.Hour)
	h.closeAt(end)
	h.run(firstContact(monday10))

	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 3)
	h.wantStep(steps[0], due, 1, policy.ActionRemind, due, escalate)
	h.wantStep(steps[1], escalate, 2, policy.ActionEscalateManager, escalate, reassign)
	h.wantStep(steps[2], reassign, 3, policy.ActionReassign, reassign, time.Time{})
	// One resolution at the start and one per decision point; none after the
	// last step: the workflow only waits for the close signal.
	h.wantCount("ResolvePolicies", len(h.resolves()), 4)
	h.mu.Lock()
	for _, at := range h.timers {
		if !at.Before(reassign) {
			t.Errorf("a timer was started at %s, after the last step", show(at))
		}
	}
	h.mu.Unlock()
	h.wantCount("UpdateFollowUpDeadline", len(h.updates()), 0)
	h.wantTime("closed at", h.closes()[0].at, end)

	if before.GetLevel() != 0 || !ts(before.GetDueAt()).Equal(due) || !ts(before.GetNextAt()).Equal(due) ||
		before.GetPolicyVersion() != 1 || before.GetEscalationPolicyVersion() != 1 || before.GetRecomputations() != 0 {
		t.Errorf("state before due %v", before)
	}
	if after.GetLevel() != 3 || after.GetNextAt() != nil || !ts(after.GetDueAt()).Equal(due) {
		t.Errorf("state after the ladder %v: want level 3 and nothing next", after)
	}
}

func TestKindWithoutLadderMarksOverdueOnce(t *testing.T) {
	// winback.touch_deadline ships as 24 business hours: Mon 6.5h, Tue 7.5h,
	// Wed 7.5h, Thu 09:00–11:30.
	h := newHarness(t, monday10)
	spec := firstContact(monday10)
	spec.Kind = policy.KindWinBackTouch
	due := cst(time.March, 5, 11, 30)
	end := monday10.Add(30 * 24 * time.Hour)
	h.closeAt(end)
	h.run(spec)

	r := h.resolves()
	if len(r) == 0 || !slices.Equal(r[0].in.GetNames(), []string{policy.WinBackTouchDeadline}) {
		t.Fatalf("resolved %v", r)
	}
	if o := h.opens()[0].in; o.GetEscalationPolicy() != "" || !ts(o.GetDueAt()).Equal(due) || o.GetPolicy() != policy.WinBackTouchDeadline {
		t.Errorf("record %v, want due %s and no escalation policy", o, show(due))
	}
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], due, 1, "overdue", due, time.Time{})
	h.wantCount("ResolvePolicies", len(r), 2)
}

func TestExplicitDueTimeIgnoresTheDeadlinePolicy(t *testing.T) {
	h := newHarness(t, monday10)
	spec := firstContact(monday10)
	due := cst(time.March, 2, 14, 0)
	spec.DueAt = timestamppb.New(due)
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(30*time.Minute))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.closeAt(due.Add(30 * time.Minute))
	h.run(spec)

	r := h.resolves()
	if len(r) == 0 || !slices.Equal(r[0].in.GetNames(), []string{policy.LeadEscalation}) {
		t.Fatalf("resolved %v, want only the escalation policy", r)
	}
	o := h.opens()[0].in
	if o.GetPolicy() != "" || o.GetPolicyVersion() != 0 || o.GetEscalationPolicy() != policy.LeadEscalation ||
		o.GetEscalationPolicyVersion() != 1 || o.GetCalendar() != cnMainland {
		t.Errorf("record %v", o)
	}
	h.wantTime("due", ts(o.GetDueAt()), due)
	// The SLA signal does not concern this follow-up: the only other
	// resolution is the decision point at the due time.
	h.wantCount("ResolvePolicies", len(r), 2)
	h.wantTime("decision point", r[1].at, due)
	h.wantCount("UpdateFollowUpDeadline", len(h.updates()), 0)
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], due, 1, policy.ActionRemind, due, cst(time.March, 2, 18, 0)) // 14:00 + 4 business hours
}

// ---------------------------------------------------------------------------
// Invalid follow-ups

func TestInvalidFollowUpFailsWithoutRetry(t *testing.T) {
	cases := []struct {
		name         string
		edit         func(*followupv1.FollowUpSpec)
		setup        func(*store)
		wantType     string
		wantActivity []string
	}{
		{"unknown kind", func(s *followupv1.FollowUpSpec) { s.Kind = "sing_a_song" }, nil, followup.ErrUnknownKind, nil},
		{"no owner", func(s *followupv1.FollowUpSpec) { s.OwnerId = "" }, nil, followup.ErrInvalidSpec, nil},
		{"no anchor", func(s *followupv1.FollowUpSpec) { s.AnchorAt = nil }, nil, followup.ErrInvalidSpec, nil},
		{"no id", func(s *followupv1.FollowUpSpec) { s.Id = "" }, nil, followup.ErrInvalidSpec, nil},
		{
			"table key the policy lacks",
			func(s *followupv1.FollowUpSpec) { s.Kind, s.PolicyKey = policy.KindStaleStage, "9" },
			nil, followup.ErrInvalidSpec, []string{followupc.ActivityResolvePolicies},
		},
		{
			"unusable policy value", nil,
			func(s *store) {
				s.putRawPolicy(policy.LeadFirstContactSLA, 2, time.Time{}, []byte(`{"timer":{"duration":"8x","clock":"calendar"}}`))
			},
			followup.ErrPolicyUnusable, []string{followupc.ActivityResolvePolicies},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			if tc.setup != nil {
				tc.setup(h.store)
			}
			spec := firstContact(monday10)
			if tc.edit != nil {
				tc.edit(spec)
			}
			h.env.ExecuteWorkflow(followup.FollowUp, spec)
			if !h.env.IsWorkflowCompleted() {
				t.Fatal("workflow did not end")
			}
			var appErr *temporal.ApplicationError
			if err := h.env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != tc.wantType || !appErr.NonRetryable() {
				t.Fatalf("workflow error %v, want a non-retryable %s", err, tc.wantType)
			}
			if got := h.names(); !slices.Equal(got, tc.wantActivity) {
				t.Errorf("activities %v, want %v", got, tc.wantActivity)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Query

func TestStateQueryFollowsChanges(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, businessTimer(8*time.Hour, ""))
	var states []*followupv1.FollowUpState
	h.after(30*time.Minute, func() { states = append(states, h.query()) })
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), businessTimer(3*time.Hour, ""))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.after(2*time.Hour, func() { states = append(states, h.query()) })
	h.until(cst(time.March, 2, 15, 0), func() { states = append(states, h.query()) })
	h.closeAt(cst(time.March, 2, 15, 30))
	h.run(firstContact(monday10))

	tue1030, mon1430, tue0930 := cst(time.March, 3, 10, 30), cst(time.March, 2, 14, 30), cst(time.March, 3, 9, 30)
	want := []struct {
		due, next      time.Time
		version        int64
		level, recomps int32
	}{
		{tue1030, tue1030, 1, 0, 0},
		{mon1430, mon1430, 2, 0, 1},
		{mon1430, tue0930, 2, 1, 1},
	}
	if len(states) != len(want) {
		t.Fatalf("%d answers, want %d", len(states), len(want))
	}
	for i, w := range want {
		s := states[i]
		if !ts(s.GetDueAt()).Equal(w.due) || !ts(s.GetNextAt()).Equal(w.next) || s.GetPolicyVersion() != w.version ||
			s.GetEscalationPolicyVersion() != 1 || s.GetLevel() != w.level || s.GetRecomputations() != w.recomps {
			t.Errorf("answer %d: due %s next %s %v; want due %s next %s v%d level %d recomputations %d",
				i, show(ts(s.GetDueAt())), show(ts(s.GetNextAt())), s, show(w.due), show(w.next), w.version, w.level, w.recomps)
		}
	}
}

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
		// Marking a follow-up without a ladder overdue is not a ladder step.
		{"overdue without a ladder", policy.KindWinBackTouch, monday10.Add(6*time.Hour + 30*time.Minute), 1, nil},
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
