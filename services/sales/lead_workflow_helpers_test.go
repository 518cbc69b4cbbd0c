package sales_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
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
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
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
		// A routed lead (claim_owner_id) has the customer claimed for its rep
		// in the same call: created owned, or claimed when it has no owner.
		key, rep := strings.ToLower(strings.TrimSpace(in.GetName())), in.GetClaimOwnerId()
		if key == "" { // as the customer service refuses a company without a name
			return nil, temporal.NewNonRetryableApplicationError("name is required", "validation_failed", nil)
		}
		if strings.HasPrefix(key, "older:") { // as a customer service of the release before, which knows no claim
			rep = ""
		}
		id, found := c.byName[key]
		if !found {
			id, c.byName[key] = in.GetNewId(), in.GetNewId()
		}
		claimed := false
		if rep != "" && c.owner[id] == "" {
			c.owner[id], c.team[id], claimed = rep, in.GetClaimTeam(), true
			c.claims++
		}
		return &salesv1.EnsureCustomerResult{CustomerId: id, OwnerId: c.owner[id], Team: c.team[id], Region: in.GetRegion(),
			Created: !found, Claimed: claimed}, nil
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

// reassignContactDisqualify runs lead in on h to its end: reassigned to
// rep-bo at 11:00 on 2 March, rep-bo's first contact at 11:30, disqualified
// by mgr-eve at 10:00 the next day. Each is answered without error, and the
// lead ends rep-bo's after two assignments, disqualified.
func (h *wfHarness) reassignContactDisqualify(t *testing.T, in *salesv1.LeadInput) {
	t.Helper()
	var moved, contacted, disq *outcome
	h.at(cst(time.March, 2, 11, 0), func() {
		moved = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-bo", Actor: "mgr-eve", Reason: "ana is on leave"})
	})
	h.at(cst(time.March, 2, 11, 30), func() {
		contacted = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-bo", ExpectedOwnerId: "rep-bo",
			Channel: "call", Summary: "first call"})
	})
	h.at(cst(time.March, 3, 10, 0), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "mgr-eve", Reason: "no budget"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "reassign", moved, "")
	expect(t, "contact", contacted, "")
	expect(t, "disqualify", disq, "")
	if l := h.lead(in.GetLead().GetId()); l.OwnerID != "rep-bo" || l.AssignmentSeq != 2 || l.State != lead.StateDisqualified {
		t.Errorf("lead %+v, want rep-bo's after two assignments, disqualified", l)
	}
}
