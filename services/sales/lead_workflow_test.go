package sales_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/ports"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/lead"
	"github.com/closeloop/closeloop/workflows/policy"
)

// These tests run the Lead and Opportunity workflows in Temporal's
// time-skipping test environment with the sales service's real activities on
// a real (SQLite) database, and fakes of the customer service's activities:
// customers, and the follow-up engine's store answering with the shipped
// policies and the China 2026 business calendar (09:00–12:00, 13:30–18:00,
// Asia/Shanghai; National Day 1–7 October, make-up Saturday 10 October).

var shanghai = followuptest.Shanghai

func cst(month time.Month, day, hour, minute int) time.Time {
	return followuptest.CST(month, day, hour, minute)
}

type fuEvent = followuptest.Event

// fakeCustomers is the customer service as the Lead workflow sees it.
type fakeCustomers struct {
	mu     sync.Mutex
	byName map[string]string // normalised name → id
	owner  map[string]string // id → owner
	team   map[string]string
	claims int
}

type wfHarness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	store *adapters.Store
	start time.Time
	cust  *fakeCustomers

	engine *followuptest.Engine
	// past are the engines of earlier runs of a workflow that continued as
	// new (each run gets a new environment); their calls count too.
	past []*followuptest.Engine
}

func newWFHarness(t *testing.T, start time.Time) *wfHarness {
	t.Helper()
	ctx := context.Background()
	gdb, err := db.Open(ctx, db.Config{URL: testenv.SQLite(t), MaxOpenConns: 1, MaxIdleConns: 1, ConnMaxLifetime: time.Hour, SlowQuery: time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "sales", adapters.Migrations, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	h := &wfHarness{t: t, store: adapters.NewStore(gdb),
		cust: &fakeCustomers{byName: map[string]string{}, owner: map[string]string{}, team: map[string]string{}}}
	h.use(start)
	// Two reps in the east/software territory, round-robin, capacity 5.
	if err := h.store.CreateTerritory(ctx, &adapters.Territory{ID: uuid.NewString(), Name: "East software", Region: "east", Industry: "software",
		Team: "east", ManagerID: "mgr-eve", Strategy: "round_robin", CreatedBy: "admin"},
		[]adapters.TerritoryRep{{RepID: "rep-ana", Capacity: 5, Active: true}, {RepID: "rep-bo", Capacity: 5, Active: true}}); err != nil {
		t.Fatal(err)
	}
	return h
}

// use gives the harness a new time-skipping environment starting at start,
// with the workflows and activities registered on it: the first run's, or
// the next run's of a workflow that continued as new.
func (h *wfHarness) use(start time.Time) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	if h.engine != nil {
		h.past = append(h.past, h.engine)
	}
	h.env, h.start = env, start
	env.RegisterWorkflowWithOptions(lead.Lead, workflow.RegisterOptions{Name: wfc.WorkflowLead})
	env.RegisterWorkflowWithOptions(lead.Opportunity, workflow.RegisterOptions{Name: wfc.WorkflowOpportunity})
	(&ports.Activities{Store: h.store}).Register(env)
	h.engine = followuptest.Register(env)
	h.registerCustomers()
}

func (h *wfHarness) putPolicy(name string, n int64, from time.Time, v policy.Value) {
	h.engine.PutPolicy(name, n, from, v)
}

func (h *wfHarness) registerCustomers() {
	c := h.cust
	h.env.RegisterActivityWithOptions(func(_ context.Context, in *salesv1.EnsureCustomerInput) (*salesv1.EnsureCustomerResult, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		key := strings.ToLower(strings.TrimSpace(in.GetName()))
		if id, ok := c.byName[key]; ok {
			return &salesv1.EnsureCustomerResult{CustomerId: id, OwnerId: c.owner[id], Team: c.team[id], Region: in.GetRegion()}, nil
		}
		c.byName[key] = in.GetNewId()
		return &salesv1.EnsureCustomerResult{CustomerId: in.GetNewId(), Created: true, Region: in.GetRegion()}, nil
	}, activity.RegisterOptions{Name: customerc.ActivityEnsureCustomer})
	h.env.RegisterActivityWithOptions(func(_ context.Context, in *salesv1.ClaimCustomerOwnerInput) (*salesv1.ClaimCustomerOwnerResult, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		id := in.GetCustomerId()
		claimed := false
		if in.GetOwnerId() != "" && (c.owner[id] == "" || (in.GetReplaceOwnerId() != "" && c.owner[id] == in.GetReplaceOwnerId())) {
			c.owner[id], c.team[id], claimed = in.GetOwnerId(), in.GetTeam(), true
			c.claims++
		}
		return &salesv1.ClaimCustomerOwnerResult{OwnerId: c.owner[id], Team: c.team[id], Claimed: claimed}, nil
	}, activity.RegisterOptions{Name: customerc.ActivityClaimCustomerOwner})
}

func (c *fakeCustomers) add(name, owner, team string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := uuid.NewString()
	c.byName[strings.ToLower(name)], c.owner[id], c.team[id] = id, owner, team
	return id
}

// leadInput is a lead for a new company in the east/software territory,
// received at the harness's start.
func (h *wfHarness) leadInput(company string) *salesv1.LeadInput {
	return &salesv1.LeadInput{Lead: &salesv1.LeadData{Id: uuid.NewString(), Source: "web", CompanyName: company, Region: "east",
		Industry: "software", ReceivedAt: timestamppb.New(h.start), CreatedBy: "rep-ana"}}
}

func (h *wfHarness) at(at time.Time, fn func()) { h.env.RegisterDelayedCallback(fn, at.Sub(h.start)) }

func (h *wfHarness) steps() []fuEvent  { return h.eventsOf(followupc.ActivityRecordFollowUpStep) }
func (h *wfHarness) opens() []fuEvent  { return h.eventsOf(followupc.ActivityOpenFollowUp) }
func (h *wfHarness) closes() []fuEvent { return h.eventsOf(followupc.ActivityCloseFollowUp) }

func (h *wfHarness) eventsOf(name string) []fuEvent {
	var out []fuEvent
	for _, e := range append(h.past, h.engine) {
		out = append(out, e.Events(name)...)
	}
	return out
}

func (h *wfHarness) lead(id string) adapters.Lead {
	l, err := h.store.Lead(context.Background(), id)
	if err != nil {
		h.t.Fatalf("lead %s: %v", id, err)
	}
	return l
}

func (h *wfHarness) timeline(subject, id string) []string {
	evs, err := h.store.Timeline(context.Background(), subject, id, 200, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func (h *wfHarness) query(id string) *salesv1.LeadSnapshot {
	v, err := h.env.QueryWorkflow(wfc.QueryLeadState)
	if err != nil {
		h.t.Fatalf("query: %v", err)
	}
	var s salesv1.LeadSnapshot
	if err := v.Get(&s); err != nil {
		h.t.Fatal(err)
	}
	return &s
}

// outcome is the answer to an update, known once the workflow processed it.
type outcome struct {
	done bool
	err  error
	// onResult, when set, receives the lead an accepted update answered.
	onResult func(*salesv1.LeadSnapshot)
}

// send sends an update; its outcome is filled in when the workflow answers.
func (h *wfHarness) send(name string, arg proto.Message) *outcome {
	return h.sendID(name, uuid.NewString(), arg)
}

// sendID sends an update with the given update id.
func (h *wfHarness) sendID(name, id string, arg proto.Message) *outcome {
	o := &outcome{}
	h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnReject: func(err error) { o.done, o.err = true, err },
		OnAccept: func() {},
		OnComplete: func(res any, err error) {
			o.done, o.err = true, err
			if s, ok := res.(*salesv1.LeadSnapshot); ok && o.onResult != nil {
				o.onResult(s)
			}
		},
	}, arg)
	return o
}

// expect checks, after the run, that an update was answered with the error
// code want ("" for accepted and completed).
func expect(t *testing.T, what string, o *outcome, want string) {
	t.Helper()
	switch {
	case !o.done:
		t.Errorf("%s: no answer", what)
	case want == "" && o.err != nil:
		t.Errorf("%s: %v", what, o.err)
	case want != "" && code(o.err) != want:
		t.Errorf("%s: got %v, want %s", what, o.err, want)
	}
}

func code(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return fmt.Sprint(err)
}

// stepAt reports the escalation steps recorded so far, as "action@time".
func (h *wfHarness) stepsSeen() []string {
	var out []string
	for _, e := range append(h.past, h.engine) {
		out = append(out, e.Steps()...)
	}
	return out
}

// TestLeadEscalationAcrossNationalDay walks the shipped ladder (remind at the
// due time, escalate to the manager 4 business hours later, reassign 16
// business hours after the due time) for a lead that arrives the day before
// the National Day holiday, checking the minute before and just after every
// step: the SLA clock stops for the seven holidays, and the make-up Saturday
// counts as a working day.
func TestLeadEscalationAcrossNationalDay(t *testing.T) {
	start := cst(time.September, 30, 15, 0) // Wed: 3 business hours left today
	h := newWFHarness(t, start)
	in := h.leadInput("Harbour Logistics")
	id := in.GetLead().GetId()

	due := cst(time.October, 8, 10, 0)       // 3h on 30 Sep + 1h after the holiday
	escalate := cst(time.October, 8, 15, 30) // due + 4 business hours (lunch break skipped)
	reassign := cst(time.October, 10, 11, 0) // due + 16h: 6.5h on 8 Oct, 7.5h on 9 Oct, 2h on make-up Sat 10 Oct
	checks := []struct {
		at    time.Time
		steps int
		owner string
	}{
		{due.Add(-time.Minute), 0, "rep-ana"}, {due.Add(time.Second), 1, "rep-ana"},
		{escalate.Add(-time.Minute), 1, "rep-ana"}, {escalate.Add(time.Second), 2, "rep-ana"},
		{reassign.Add(-time.Minute), 2, "rep-ana"}, {reassign.Add(time.Second), 3, "rep-bo"},
	}
	for _, c := range checks {
		h.at(c.at, func() {
			if got := len(h.steps()); got != c.steps {
				t.Errorf("at %s: %d escalation steps %v, want %d", c.at.In(shanghai), got, h.stepsSeen(), c.steps)
			}
			if o := h.lead(id).OwnerID; o != c.owner {
				t.Errorf("at %s: owner %q, want %q", c.at.In(shanghai), o, c.owner)
			}
		})
	}
	// The new owner's follow-up counts from the reassignment; answer it then.
	var afterReassign *salesv1.LeadSnapshot
	var contact, disq *outcome
	h.at(reassign.Add(time.Hour), func() {
		afterReassign = h.query(id)
		contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-bo", Channel: "call", Summary: "intro call"})
	})
	h.at(reassign.Add(2*time.Hour), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-bo", Reason: "no budget"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	expect(t, "contact", contact, "")
	expect(t, "disqualify", disq, "")
	want := []string{"remind@Oct 8 10:00", "escalate_manager@Oct 8 15:30", "reassign@Oct 10 11:00"}
	if got := h.stepsSeen(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("steps %v, want %v", got, want)
	}
	opens := h.opens()
	if len(opens) != 2 {
		t.Fatalf("%d follow-ups opened, want 2 (rep-ana, then rep-bo)", len(opens))
	}
	first, second := opens[0].Msg.(*followupv1.FollowUpRecord), opens[1].Msg.(*followupv1.FollowUpRecord)
	if first.GetSpec().GetOwnerId() != "rep-ana" || !first.GetDueAt().AsTime().Equal(due) || !first.GetSpec().GetAnchorAt().AsTime().Equal(start) {
		t.Errorf("first follow-up %v", first)
	}
	// Reassigned at Sat 10 Oct 11:00: 4 business hours → 13:30+3h = 16:30.
	if second.GetSpec().GetOwnerId() != "rep-bo" || !second.GetDueAt().AsTime().Equal(cst(time.October, 10, 16, 30)) {
		t.Errorf("second follow-up %v, want rep-bo due Oct 10 16:30", second)
	}
	if !afterReassign.GetDueAt().AsTime().Equal(cst(time.October, 10, 16, 30)) || afterReassign.GetNextAction() != "remind" ||
		afterReassign.GetAssignment().GetOwnerId() != "rep-bo" {
		t.Errorf("query after reassignment: %v", afterReassign)
	}
	closes := h.closes()
	if len(closes) != 2 || closes[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "cancelled" || closes[1].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" {
		t.Errorf("closes %v", closes)
	}
	l := h.lead(id)
	if l.State != lead.StateDisqualified || l.OwnerID != "rep-bo" || l.CloseReason != "no budget" {
		t.Errorf("lead %+v", l)
	}
	wantKinds := []string{"created", "assigned", "reminder", "escalated", "reassigned", "first_contact", "disqualified"}
	if got := h.timeline("lead", id); strings.Join(got, ",") != strings.Join(wantKinds, ",") {
		t.Errorf("timeline %v, want %v", got, wantKinds)
	}
	// Each step's timeline entry keeps when the ladder had it due beside
	// when it ran (here on time: the timers fired at the due instants).
	wantDue := map[string]time.Time{"reminder": due, "escalated": escalate, "reassigned": reassign}
	evs, err := h.store.Timeline(context.Background(), "lead", id, 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		want, ok := wantDue[e.Kind]
		if !ok {
			continue
		}
		var data struct {
			ScheduledAt time.Time `json:"scheduled_at"`
		}
		if err := json.Unmarshal([]byte(e.Data), &data); err != nil || !data.ScheduledAt.Equal(want) || !e.At.Equal(want) {
			t.Errorf("%s event: ran at %v, data %s, want scheduled_at %v", e.Kind, e.At, e.Data, want)
		}
	}
	// The customer created for the lead followed it to its new owner.
	if o := h.cust.owner[h.lead(id).CustomerID]; o != "rep-bo" {
		t.Errorf("customer owner %q, want rep-bo", o)
	}
}

// TestFirstContactJustBeforeTheDeadline: contact a minute before the due
// time — nothing escalates, ever.
func TestFirstContactJustBeforeTheDeadline(t *testing.T) {
	start := cst(time.March, 2, 10, 0) // ordinary Monday
	h := newWFHarness(t, start)
	in := h.leadInput("Quay Systems")
	due := cst(time.March, 2, 15, 30) // 2h before lunch + 2h after
	var contact, qualify, disq *outcome
	h.at(due.Add(-time.Minute), func() {
		contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-ana", Channel: "call", Summary: "first call"})
	})
	h.at(cst(time.March, 20, 0, 0), func() {
		qualify = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpQualify, Actor: "rep-ana"})
	})
	h.at(cst(time.March, 20, 1, 0), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-ana", Reason: "went elsewhere"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "contact", contact, "")
	expect(t, "qualify", qualify, "")
	expect(t, "disqualify", disq, "")
	if s := h.steps(); len(s) != 0 {
		t.Fatalf("escalated although contacted in time: %v", h.stepsSeen())
	}
	if o := h.opens(); len(o) != 1 || !o[0].Msg.(*followupv1.FollowUpRecord).GetDueAt().AsTime().Equal(due) {
		t.Fatalf("opens %v", o)
	}
	if c := h.closes(); len(c) != 1 || c[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" || !c[0].At.Equal(due.Add(-time.Minute)) {
		t.Fatalf("closes %v", c)
	}
	l := h.lead(in.GetLead().GetId())
	if l.FirstContactAt == nil || !l.FirstContactAt.Equal(due.Add(-time.Minute)) || l.State != lead.StateDisqualified {
		t.Fatalf("lead %+v", l)
	}
	if got := h.timeline("lead", l.ID); strings.Join(got, ",") != "created,assigned,first_contact,qualified,disqualified" {
		t.Fatalf("timeline %v", got)
	}
}

// TestShortenedSLAReachesARunningLead: an analyst shortens the first-contact
// SLA to 1 business hour while the lead waits; the policy-changed signal
// moves the due time to 11:00 (not 15:30), where the reminder fires.
func TestShortenedSLAReachesARunningLead(t *testing.T) {
	start := cst(time.March, 2, 10, 0)
	h := newWFHarness(t, start)
	in := h.leadInput("Ridge Analytics")
	h.at(cst(time.March, 2, 10, 30), func() {
		h.putPolicy(policy.LeadFirstContactSLA, 2, cst(time.March, 2, 10, 30), policy.Value{Timer: &policy.Timer{Duration: policy.Duration(time.Hour), Clock: policy.ClockBusiness}})
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Policy: policy.LeadFirstContactSLA, Version: 2})
	})
	h.at(cst(time.March, 2, 10, 59), func() {
		if n := len(h.steps()); n != 0 {
			t.Errorf("a step before the new due time: %v", h.stepsSeen())
		}
	})
	var contact, disq *outcome
	h.at(cst(time.March, 2, 11, 1), func() {
		if got := h.stepsSeen(); len(got) != 1 || got[0] != "remind@Mar 2 11:00" {
			t.Errorf("steps %v, want the reminder at 11:00", got)
		}
		contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-ana", Channel: "email", Summary: "sent brochure"})
	})
	h.at(cst(time.March, 2, 11, 2), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-ana", Reason: "test over"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "contact", contact, "")
	expect(t, "disqualify", disq, "")
	ups := h.eventsOf(followupc.ActivityUpdateFollowUpDeadline)
	if len(ups) != 1 || !ups[0].Msg.(*followupv1.UpdateDeadlineInput).GetDueAt().AsTime().Equal(cst(time.March, 2, 11, 0)) ||
		ups[0].Msg.(*followupv1.UpdateDeadlineInput).GetPolicyVersion() != 2 {
		t.Fatalf("deadline updates %v", ups)
	}
}

// TestReassignUpdate: the validator refuses with a reason what is not
// allowed, and a refusal changes nothing; an accepted reassignment ends the
// old owner's follow-up and opens one for the new owner counted from the
// reassignment; a pooled lead owes nothing.
func TestReassignUpdate(t *testing.T) {
	start := cst(time.March, 2, 10, 0)
	h := newWFHarness(t, start)
	in := h.leadInput("Lantern Foods")
	id := in.GetLead().GetId()
	var same, noReason, outside, ok, stale, pool, poolTwice, fromPool, disq, closed *outcome
	h.at(cst(time.March, 2, 11, 0), func() {
		same = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-ana", Actor: "mgr-eve", Reason: "x"})
		noReason = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-bo", Actor: "mgr-eve"})
		outside = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-zed", Actor: "mgr-eve", Reason: "x"})
	})
	h.at(cst(time.March, 2, 11, 1), func() {
		if l := h.lead(id); l.OwnerID != "rep-ana" || l.AssignmentSeq != 1 {
			t.Errorf("a refused reassignment changed the lead: %+v", l)
		}
		ok = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-bo", Actor: "mgr-eve", Reason: "ana is on leave"})
	})
	h.at(cst(time.March, 2, 11, 30), func() {
		// Ana's contact sent after the lead went to Bo is refused.
		stale = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-ana", ExpectedOwnerId: "rep-ana", Channel: "call", Summary: "late"})
	})
	h.at(cst(time.March, 2, 12, 0), func() {
		s := h.query(id)
		// 11:01 + 4 business hours: 59 min to 12:00, 3h01 from 13:30 → 16:31.
		if s.GetAssignment().GetOwnerId() != "rep-bo" || !s.GetDueAt().AsTime().Equal(cst(time.March, 2, 16, 31)) {
			t.Errorf("after reassignment: %v", s)
		}
		pool = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToPool: true, Actor: "mgr-eve", Reason: "back to the pool"})
	})
	h.at(cst(time.March, 2, 12, 1), func() {
		poolTwice = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToPool: true, Actor: "mgr-eve", Reason: "again"})
	})
	h.at(cst(time.March, 9, 0, 0), func() {
		if n := len(h.steps()); n != 0 {
			t.Errorf("a pooled lead escalated: %v", h.stepsSeen())
		}
		fromPool = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-ana", Actor: "mgr-eve", Reason: "from the pool"})
	})
	h.at(cst(time.March, 9, 0, 1), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "mgr-eve", Reason: "duplicate"})
	})
	h.at(cst(time.March, 9, 0, 2), func() {
		closed = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-bo", Actor: "mgr-eve", Reason: "x"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "reassign to the owner", same, "same_owner")
	expect(t, "reassign without reason", noReason, "invalid")
	expect(t, "reassign outside the territory", outside, "rep_not_in_territory")
	expect(t, "reassign", ok, "")
	expect(t, "contact by the previous owner", stale, "lead_not_found")
	expect(t, "to the pool", pool, "")
	expect(t, "to the pool twice", poolTwice, "already_pooled")
	expect(t, "from the pool", fromPool, "")
	expect(t, "disqualify", disq, "")
	if closed != nil && closed.done && closed.err == nil {
		t.Errorf("reassigned a closed lead")
	}
	if got := h.timeline("lead", id); strings.Join(got, ",") != "created,assigned,reassigned,pooled,assigned,disqualified" {
		evs, _ := h.store.Timeline(context.Background(), "lead", id, 100, nil)
		for _, e := range evs {
			t.Logf("%s %s %s %s", e.At.In(shanghai), e.Kind, e.Actor, e.Summary)
		}
		t.Fatalf("timeline %v", got)
	}
	if n := len(h.opens()); n != 3 {
		t.Fatalf("%d follow-ups opened, want 3 (ana, bo, ana again)", n)
	}
}

// TestCustomerOwnerGetsTheLead: a lead for a company that already has an
// owner goes to that owner whatever the territory says, and a lead no
// territory covers waits in the pool without any follow-up.
func TestCustomerOwnerGetsTheLead(t *testing.T) {
	h := newWFHarness(t, cst(time.March, 2, 10, 0))
	h.cust.add("Owned Metals", "rep-cy", "west")
	in := h.leadInput("Owned Metals")
	var d1 *outcome
	h.at(cst(time.March, 2, 10, 1), func() {
		d1 = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-cy", Reason: "test over"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "disqualify", d1, "")
	if l := h.lead(in.GetLead().GetId()); l.OwnerID != "rep-cy" || l.AssignmentWhy != "owner of the customer" {
		t.Fatalf("lead %+v", l)
	}

	h2 := newWFHarness(t, cst(time.March, 2, 10, 0))
	in2 := h2.leadInput("Faraway Mining")
	in2.Lead.Region = "north-pole"
	var d2 *outcome
	h2.at(cst(time.March, 20, 0, 0), func() {
		d2 = h2.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "mgr-eve", Reason: "test over"})
	})
	h2.env.ExecuteWorkflow(wfc.WorkflowLead, in2)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "disqualify", d2, "")
	if l := h2.lead(in2.GetLead().GetId()); !l.Pooled || l.OwnerID != "" || len(h2.opens()) != 0 {
		t.Fatalf("unmatched lead %+v, %d follow-ups", l, len(h2.opens()))
	}
}

// TestOpportunityStaleStage: stage 1 goes stale after 30 calendar days
// (shipped policy); a stage change restarts the clock for the new stage (21
// days for stage 2); backwards moves need permission; lost needs a reason.
func TestOpportunityStaleStage(t *testing.T) {
	start := cst(time.March, 2, 10, 0)
	h := newWFHarness(t, start)
	in := &salesv1.OpportunityInput{Opportunity: &salesv1.OpportunityData{Id: uuid.NewString(), CustomerId: uuid.NewString(), Name: "ERP rollout",
		OwnerId: "rep-ana", Team: "east", Region: "east", Stage: 1, AmountMinor: 5_000_000, Currency: "CNY", CreatedBy: "rep-ana",
		CreatedAt: timestamppb.New(start)}}
	id := in.GetOpportunity().GetId()
	send := func(c *salesv1.OpportunityCommand) *outcome { return h.send(wfc.UpdateOpportunityCommand, c) }
	var same, stage2, back, lostNoReason, lost *outcome
	stale1 := start.Add(30 * 24 * time.Hour)
	h.at(stale1.Add(-time.Minute), func() {
		if n := len(h.steps()); n != 0 {
			t.Errorf("stale before 30 days: %v", h.stepsSeen())
		}
	})
	moved := stale1.Add(time.Hour)
	h.at(moved, func() {
		if got := h.stepsSeen(); len(got) != 1 || got[0] != "remind@Apr 1 10:00" {
			t.Errorf("steps %v, want the reminder after 30 days", got)
		}
		same = send(&salesv1.OpportunityCommand{Op: lead.OpStage, ToStage: 1, Actor: "rep-ana"})
		stage2 = send(&salesv1.OpportunityCommand{Op: lead.OpStage, ToStage: 2, Actor: "rep-ana", Reason: "kick-off booked"})
	})
	stale2 := moved.Add(21 * 24 * time.Hour)
	h.at(stale2.Add(-time.Minute), func() {
		if n := len(h.steps()); n != 1 {
			t.Errorf("stage 2 stale too early: %v", h.stepsSeen())
		}
		back = send(&salesv1.OpportunityCommand{Op: lead.OpStage, ToStage: 1, Actor: "rep-ana", Reason: "x"})
		lostNoReason = send(&salesv1.OpportunityCommand{Op: lead.OpLost, Actor: "rep-ana"})
	})
	h.at(stale2.Add(time.Minute), func() {
		if got := h.stepsSeen(); len(got) != 2 || got[1] != "remind@"+stale2.In(shanghai).Format("Jan 2 15:04") {
			t.Errorf("steps %v, want stage 2's reminder at %s", got, stale2.In(shanghai))
		}
		lost = send(&salesv1.OpportunityCommand{Op: lead.OpLost, Actor: "rep-ana", Reason: "price", Competitor: "Acme"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowOpportunity, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "same stage", same, "stage_unchanged")
	expect(t, "stage 2", stage2, "")
	expect(t, "back without permission", back, "stage_backwards_forbidden")
	expect(t, "lost without reason", lostNoReason, "invalid")
	expect(t, "lost", lost, "")
	o, err := h.store.Opportunity(context.Background(), id)
	if err != nil || o.Status != "lost" || o.Stage != 2 || o.Competitor != "Acme" || o.MaxStage != 2 {
		t.Fatalf("opportunity %+v %v", o, err)
	}
	if got := h.timeline("opportunity", id); strings.Join(got, ",") != "created,reminder,stage_changed,reminder,lost" {
		t.Fatalf("timeline %v", got)
	}
	opens := h.opens()
	if len(opens) != 2 || opens[1].Msg.(*followupv1.FollowUpRecord).GetSpec().GetPolicyKey() != "2" ||
		!opens[1].Msg.(*followupv1.FollowUpRecord).GetDueAt().AsTime().Equal(stale2) {
		t.Fatalf("opens %v", opens)
	}
}

// TestConvertStartsTheOpportunity: converting a contacted lead stores the
// opportunity and starts its workflow, which outlives the lead's.
func TestConvertStartsTheOpportunity(t *testing.T) {
	start := cst(time.March, 2, 10, 0)
	h := newWFHarness(t, start)
	in := h.leadInput("Summit Builders")
	id := in.GetLead().GetId()
	oppID := uuid.NewString()
	var started *salesv1.OpportunityInput
	h.env.OnWorkflow(wfc.WorkflowOpportunity, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in *salesv1.OpportunityInput) (*salesv1.OpportunitySnapshot, error) {
		started = in
		return &salesv1.OpportunitySnapshot{}, nil
	})
	var early, contact, convert *outcome
	h.at(cst(time.March, 2, 10, 30), func() {
		early = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpConvert, Actor: "rep-ana", Opportunity: &salesv1.OpportunityData{Id: oppID}})
		contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-ana", Channel: "visit", Summary: "site visit"})
	})
	h.at(cst(time.March, 2, 10, 31), func() {
		l := h.lead(id)
		opp := &salesv1.OpportunityData{Id: oppID, LeadId: id, CustomerId: l.CustomerID, Name: "Tower crane fleet", OwnerId: l.OwnerID, Team: l.Team,
			Stage: 2, AmountMinor: 100, Currency: "CNY", CreatedBy: "rep-ana"}
		convert = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpConvert, Actor: "rep-ana", Opportunity: opp})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "convert before contact", early, "invalid_lead_transition")
	expect(t, "contact", contact, "")
	expect(t, "convert", convert, "")
	l := h.lead(id)
	if l.State != lead.StateConverted || l.OpportunityID != oppID || started == nil || started.GetOpportunity().GetId() != oppID {
		t.Fatalf("lead %+v, child %v", l, started)
	}
	if o, err := h.store.Opportunity(context.Background(), oppID); err != nil || o.Stage != 2 || o.LeadID != id {
		t.Fatalf("opportunity %+v %v", o, err)
	}
}
