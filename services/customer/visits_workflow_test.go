package customer_test

import (
	"context"
	"errors"
	"fmt"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
	"github.com/closeloop/closeloop/services/customer/internal/visits"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/visit"
)

// These tests run the Visit workflow in Temporal's time-skipping test
// environment with the customer service's real visit activities on a real
// (SQLite) database, and fakes of the follow-up engine's activities: policy
// resolution answers with the shipped policy defaults and the China 2026
// business calendar as the customer's calendar (09:00–12:00, 13:30–18:00,
// Asia/Shanghai; National Day 1–7 October, make-up Saturday 10 October).

var visitShanghai = followuptest.Shanghai

func vcst(month time.Month, day, hour, minute int) time.Time {
	return followuptest.CST(month, day, hour, minute)
}

type vEvent = followuptest.Event

type visitHarness struct {
	t        *testing.T
	env      *testsuite.TestWorkflowEnvironment
	store    *visits.Store
	gdb      *gorm.DB
	start    time.Time
	customer string

	engine *followuptest.Engine
}

func newVisitHarness(t *testing.T, start time.Time) *visitHarness {
	t.Helper()
	ctx := context.Background()
	gdb, err := db.Open(ctx, db.Config{URL: testenv.SQLite(t), MaxOpenConns: 1, MaxIdleConns: 1, ConnMaxLifetime: time.Hour, SlowQuery: time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	h := &visitHarness{t: t, store: visits.NewStore(gdb), gdb: gdb, customer: uuid.NewString()}
	now := time.Now().UTC()
	if err := gdb.Exec(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage, created_by, created_at, updated_at)
		VALUES (?, 'Harbour Steel', 'harbour steel', 'north', 'steel', 'rep-ana', 'north', 'prospect', 'test', ?, ?)`, h.customer, now, now).Error; err != nil {
		t.Fatal(err)
	}
	h.newRun(start)
	return h
}

// newRun gives the harness a fresh test environment starting at start, on
// the same database and customer: the next run of a customer-day workflow
// (the previous one ended).
func (h *visitHarness) newRun(start time.Time) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	h.env, h.start = suite.NewTestWorkflowEnvironment(), start
	h.env.SetStartTime(start)
	h.env.RegisterWorkflowWithOptions(visit.Visit, workflow.RegisterOptions{Name: wfc.WorkflowVisit})
	(&visits.Activities{Store: h.store}).Register(h.env)
	h.engine = followuptest.Register(h.env)
}

func (h *visitHarness) eventsOf(name string) []vEvent { return h.engine.Events(name) }

// steps are the follow-up's escalation steps so far, as "action@time".
func (h *visitHarness) steps() []string { return h.engine.Steps() }

// at runs fn at instant at; at the run's start instant it runs as the
// workflow starts, as the API's update-with-start delivers the first request
// (a customer-day workflow with nothing to decide ends at once).
func (h *visitHarness) at(at time.Time, fn func()) {
	h.env.RegisterDelayedCallback(fn, at.Sub(h.start))
}

// rows are the customer's stored visits, oldest first.
func (h *visitHarness) rows() []visits.Row {
	var rows []visits.Row
	if err := h.gdb.Where("customer_id = ?", h.customer).Order("created_at, id").Find(&rows).Error; err != nil {
		h.t.Fatal(err)
	}
	return rows
}

// kinds are the kinds of the visit's timeline entries, with the recipient
// after a slash for notifications.
func (h *visitHarness) kinds(visitID string) []string {
	evs, err := h.store.Events(context.Background(), visitID)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		k := e.Kind
		if e.Recipient != "" {
			k += "/" + e.Recipient
		}
		out = append(out, k)
	}
	return out
}

func (h *visitHarness) count(visitID, kind string) int {
	n := 0
	for _, k := range h.kinds(visitID) {
		if k == kind || strings.HasPrefix(k, kind+"/") {
			n++
		}
	}
	return n
}

type vOutcome struct {
	done bool
	val  any
	err  error
}

func (h *visitHarness) send(name string, arg any) *vOutcome {
	o := &vOutcome{}
	h.env.UpdateWorkflow(name, uuid.NewString(), &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { o.done, o.err = true, err },
		OnAccept:   func() {},
		OnComplete: func(v any, err error) { o.done, o.val, o.err = true, v, err },
	}, arg)
	return o
}

func (h *visitHarness) decision(o *vOutcome) *visit.Decision {
	h.t.Helper()
	if !o.done || o.err != nil {
		h.t.Fatalf("request: done=%v err=%v", o.done, o.err)
	}
	d, ok := o.val.(*visit.Decision)
	if !ok {
		h.t.Fatalf("answer %T", o.val)
	}
	return d
}

func vcode(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return fmt.Sprint(err)
}

func (h *visitHarness) input(day string) *visit.Input {
	return &visit.Input{CustomerId: h.customer, Day: day, Team: "north", Region: "north"}
}

func (h *visitHarness) request(day, who, dept string, start time.Time, join bool) *visit.Request {
	return &visit.Request{CustomerId: h.customer, Day: day, RequesterId: who, Team: "north", Department: dept, Purpose: dept + " business",
		StartAt: visit.Stamp(start), EndAt: visit.Stamp(start.Add(time.Hour)), Join: join}
}

// TestVisitWorkflowAcrossNationalDay books a visit the day before the National Day
// holiday: a second department joins (the booker is told who and why), a
// third declines to join and is offered the next working day without a
// visit, after the holiday. The reminder comes 24 hours (calendar time)
// before the start, not a minute earlier. The log is due 16 business hours
// after the visit's end — past the seven holidays, due at 18:00 on 9 October
// — then the ladder reminds at the next working instant (09:00 on the make-up
// Saturday) and escalates to the team's managers 8 business hours after the
// due time, counting the make-up Saturday and skipping the Sunday. Each is
// checked a minute before and just after.
func TestVisitWorkflowAcrossNationalDay(t *testing.T) {
	start := vcst(time.September, 29, 9, 0) // Tuesday
	h := newVisitHarness(t, start)
	const day = "2026-09-30"
	visitStart := vcst(time.September, 30, 16, 0)
	remind := visitStart.Add(-24 * time.Hour)
	due := vcst(time.October, 9, 18, 0)       // end 17:00 + 1h on 30 Sep + 7.5h on 8 Oct + 7.5h on 9 Oct
	remindLog := vcst(time.October, 10, 9, 0) // the ladder's first step, "at once", is the next working instant: the make-up Saturday
	escalate := vcst(time.October, 12, 9, 30) // + 7.5h on make-up Sat 10 Oct, Sunday off, 0.5h on Mon 12 Oct

	var booked, joined, offered *vOutcome
	h.at(start, func() {
		booked = h.send(wfc.UpdateVisitRequest, h.request(day, "rep-ana", visit.DeptSales, visitStart, false))
	})
	h.at(start.Add(2*time.Minute), func() {
		joined = h.send(wfc.UpdateVisitRequest, h.request(day, "svc-sam", visit.DeptService, visitStart.Add(-2*time.Hour), true))
	})
	h.at(start.Add(3*time.Minute), func() {
		offered = h.send(wfc.UpdateVisitRequest, h.request(day, "mkt-mo", visit.DeptMarketing, visitStart, false))
	})
	visitID := func() string { return h.rows()[0].ID }
	h.at(remind.Add(-time.Minute), func() {
		if n := h.count(visitID(), "reminder"); n != 0 {
			t.Errorf("a minute before the reminder: %d reminders", n)
		}
	})
	h.at(remind.Add(time.Second), func() {
		if k := h.kinds(visitID()); h.count(visitID(), "reminder") != 2 || !contains(k, "reminder/rep-ana") || !contains(k, "reminder/svc-sam") {
			t.Errorf("just after the reminder time: %v, want a reminder to each visitor", k)
		}
	})
	var earlyLog *vOutcome
	h.at(visitStart.Add(-time.Minute), func() {
		earlyLog = h.send(wfc.UpdateVisitLog, &visit.Log{Actor: "rep-ana", Summary: "not yet"})
	})
	checks := []struct {
		at    time.Time
		steps int
	}{{due.Add(-time.Minute), 0}, {due.Add(time.Second), 0}, {remindLog.Add(-time.Minute), 0}, {remindLog.Add(time.Second), 1},
		{escalate.Add(-time.Minute), 1}, {escalate.Add(time.Second), 2}}
	for _, c := range checks {
		h.at(c.at, func() {
			if got := h.steps(); len(got) != c.steps {
				t.Errorf("at %s: steps %v, want %d", c.at.In(visitShanghai), got, c.steps)
			}
		})
	}
	var logged *vOutcome
	h.at(escalate.Add(time.Hour), func() {
		logged = h.send(wfc.UpdateVisitLog, &visit.Log{Actor: "rep-ana", Summary: "met the buyer", Outcome: "order expected", NextStep: "send offer"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	if d := h.decision(booked); d.Outcome != visit.OutcomeBooked {
		t.Errorf("first request: %+v", d)
	}
	if d := h.decision(joined); d.Outcome != visit.OutcomeJoined || d.VisitId != h.decision(booked).VisitId {
		t.Errorf("second request: %+v", d)
	}
	if d := h.decision(offered); d.Outcome != visit.OutcomeOffered || d.OfferedDay != "2026-10-08" {
		t.Errorf("declined request: %+v, want offered 2026-10-08 (first working day after the holiday)", d)
	}
	if !earlyLog.done || vcode(earlyLog.err) != visit.CodeVisitNotHappened {
		t.Errorf("log before the visit: %v", earlyLog.err)
	}
	if !logged.done || logged.err != nil {
		t.Errorf("log: %v", logged.err)
	}
	rows := h.rows()
	if len(rows) != 1 || rows[0].Status != visit.StatusDone || rows[0].LogOutcome != "order expected" {
		t.Fatalf("visits %+v", rows)
	}
	if got, want := strings.Join(h.steps(), ","), "remind@Oct 10 09:00,escalate_manager@Oct 12 09:30"; got != want {
		t.Errorf("steps %s, want %s", got, want)
	}
	opens := h.eventsOf(followupc.ActivityOpenFollowUp)
	if len(opens) != 1 {
		t.Fatalf("%d follow-ups opened", len(opens))
	}
	rec := opens[0].Msg.(*followupv1.FollowUpRecord)
	if rec.GetSpec().GetKind() != policy.KindVisitLog || rec.GetSpec().GetOwnerId() != "rep-ana" || rec.GetSpec().GetTeam() != "north" ||
		!rec.GetSpec().GetAnchorAt().AsTime().Equal(visitStart.Add(time.Hour)) || !rec.GetDueAt().AsTime().Equal(due) {
		t.Errorf("visit-log follow-up %v", rec)
	}
	if cl := h.eventsOf(followupc.ActivityCloseFollowUp); len(cl) != 1 || cl[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" {
		t.Errorf("closes %v", cl)
	}
	want := []string{"booked", "joined/rep-ana", "offered", "reminder/rep-ana", "reminder/svc-sam", "log_reminder/rep-ana", "log_escalated/managers:north", "logged"}
	if got := h.kinds(rows[0].ID); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("timeline %v, want %v", got, want)
	}
	evs, _ := h.store.Events(context.Background(), rows[0].ID)
	for _, e := range evs {
		if e.Kind == "joined" && e.Summary != "svc-sam of service joins: service business" {
			t.Errorf("the booker was told %q", e.Summary)
		}
	}
	ps, _ := h.store.Participants(context.Background(), []string{rows[0].ID})
	if len(ps[rows[0].ID]) != 2 {
		t.Errorf("participants %+v", ps)
	}
}

// TestVisitWorkflowLogJustBeforeTheDeadline: a Friday visit's log is due 16 business
// hours after its end, on Tuesday across the weekend; logged a minute before,
// nothing escalates. The reminder, booked less than 24 hours ahead, goes out
// at once.
func TestVisitWorkflowLogJustBeforeTheDeadline(t *testing.T) {
	start := vcst(time.March, 5, 17, 0) // Thursday
	h := newVisitHarness(t, start)
	const day = "2026-03-06"
	visitStart := vcst(time.March, 6, 15, 0)
	due := vcst(time.March, 10, 17, 0) // 2h on Fri, 7.5h on Mon, 6.5h on Tue
	var booked, logged *vOutcome
	h.at(start, func() {
		booked = h.send(wfc.UpdateVisitRequest, h.request(day, "rep-ana", visit.DeptSales, visitStart, false))
	})
	h.at(start.Add(2*time.Minute), func() {
		if n := h.count(h.rows()[0].ID, "reminder"); n != 1 {
			t.Errorf("booked less than the reminder time ahead: %d reminders, want 1 at once", n)
		}
	})
	h.at(due.Add(-time.Minute), func() {
		logged = h.send(wfc.UpdateVisitLog, &visit.Log{Actor: "rep-ana", Summary: "demo done"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	if d := h.decision(booked); d.Outcome != visit.OutcomeBooked {
		t.Fatalf("booked %+v", d)
	}
	if !logged.done || logged.err != nil {
		t.Fatalf("log: %v", logged.err)
	}
	if s := h.steps(); len(s) != 0 {
		t.Errorf("steps %v, want none", s)
	}
	opens := h.eventsOf(followupc.ActivityOpenFollowUp)
	if len(opens) != 1 || !opens[0].Msg.(*followupv1.FollowUpRecord).GetDueAt().AsTime().Equal(due) {
		t.Fatalf("follow-up %v, want due %s", opens, due)
	}
	if r := h.rows(); r[0].Status != visit.StatusDone {
		t.Errorf("status %s", r[0].Status)
	}
}

// TestVisitWorkflowCancelReleasesTheDay: a cancelled visit frees its day —
// the joined visitor is told, and with no visit left the day's workflow ends
// at once instead of waiting for the day to pass; a later request starts a
// new run and books a new visit (a join-only request, sent while the day
// held a visit, is refused). A visit cannot be cancelled once it has
// started.
func TestVisitWorkflowCancelReleasesTheDay(t *testing.T) {
	start := vcst(time.March, 2, 9, 0) // Monday
	h := newVisitHarness(t, start)
	const day = "2026-03-04"
	visitStart := vcst(time.March, 4, 10, 0)
	var first, join, cancel, second, lateCancel, logged *vOutcome
	h.at(start, func() {
		first = h.send(wfc.UpdateVisitRequest, h.request(day, "rep-ana", visit.DeptSales, visitStart, false))
	})
	h.at(start.Add(2*time.Minute), func() {
		join = h.send(wfc.UpdateVisitRequest, h.request(day, "svc-sam", visit.DeptService, visitStart, true))
	})
	cancelAt := start.Add(time.Hour)
	h.at(cancelAt, func() {
		cancel = h.send(wfc.UpdateVisitCancel, &visit.Cancel{Actor: "rep-ana", Reason: "customer asked", MovedTo: "2026-03-05"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	if ended := h.env.Now(); ended.After(cancelAt.Add(time.Minute)) {
		t.Errorf("the day's workflow, its visit cancelled, ran on until %s (cancelled at %s)", ended.In(visitShanghai), cancelAt.In(visitShanghai))
	}
	st := &visit.State{}
	if err := h.env.GetWorkflowResult(&st); err != nil || st.Status != "" || len(st.Cancelled) != 1 {
		t.Errorf("first run's result %v %v", st, err)
	}
	b1 := h.decision(first)
	if h.decision(join).Outcome != visit.OutcomeJoined || !cancel.done || cancel.err != nil {
		t.Fatalf("join %+v, cancel %v", join, cancel.err)
	}

	h.newRun(start.Add(2 * time.Hour))
	// The test environment gives every run the same run id, and a visit's id
	// derives from the workflow's id and run id: a real server's new run has
	// a new run id; here the workflow id stands in for it.
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: wfc.VisitWorkflowID(h.customer, day) + "/run-2"})
	var joinOnly *vOutcome
	h.at(h.start, func() {
		// Sent join-only while the day held svc-sam's visit: the day is
		// free now, so it is refused rather than booking it.
		r := h.request(day, "svc-sam", visit.DeptService, visitStart, true)
		r.JoinOnly = true
		joinOnly = h.send(wfc.UpdateVisitRequest, r)
		second = h.send(wfc.UpdateVisitRequest, h.request(day, "mkt-mo", visit.DeptMarketing, vcst(time.March, 4, 14, 0), false))
	})
	h.at(vcst(time.March, 4, 14, 30), func() {
		lateCancel = h.send(wfc.UpdateVisitCancel, &visit.Cancel{Actor: "mkt-mo", Reason: "too late"})
		logged = h.send(wfc.UpdateVisitLog, &visit.Log{Actor: "mkt-mo", Summary: "brochures handed over"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if joinOnly == nil || !joinOnly.done || vcode(joinOnly.err) != visit.CodeDayFree {
		t.Errorf("a join-only request on the freed day: %+v", joinOnly)
	}
	b2 := h.decision(second)
	if b2.Outcome != visit.OutcomeBooked || b1.VisitId == b2.VisitId {
		t.Fatalf("first %+v, second %+v", b1, b2)
	}
	if vcode(lateCancel.err) != visit.CodeVisitStarted {
		t.Errorf("cancel after the start: %v", lateCancel.err)
	}
	if !logged.done || logged.err != nil {
		t.Errorf("log: %v", logged.err)
	}
	rows := h.rows()
	if len(rows) != 2 || rows[0].Status != visit.StatusCancelled || rows[0].MovedTo != "2026-03-05" || rows[1].Status != visit.StatusDone {
		t.Fatalf("visits %+v", rows)
	}
	if k := h.kinds(rows[0].ID); !contains(k, "cancel_notice/svc-sam") || contains(k, "reminder/rep-ana") {
		t.Errorf("cancelled visit's timeline %v", k)
	}
	if n := h.count(rows[1].ID, "reminder"); n != 1 {
		t.Errorf("the new visit got %d reminders", n)
	}
}

// TestVisitWorkflowEndsWithoutAVisit: a customer-day workflow with nothing
// to decide ends at once — it does not wait for its day to pass.
func TestVisitWorkflowEndsWithoutAVisit(t *testing.T) {
	start := vcst(time.March, 2, 9, 0)
	h := newVisitHarness(t, start)
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input("2026-03-03"))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	s := &visit.State{}
	if err := h.env.GetWorkflowResult(&s); err != nil || s.Status != "" || s.Answered != 0 {
		t.Fatalf("state %v %v", s, err)
	}
	if ended := h.env.Now(); ended.After(start.Add(time.Minute)) {
		t.Errorf("ended at %s, idle since its start at %s", ended.In(visitShanghai), start.In(visitShanghai))
	}
}

// TestVisitWorkflowRefusedFirstRequestLeavesNothingRunning: the first
// request of a day (sent with the start, as the API does) wants a start
// that has passed; it is refused and the run ends at once instead of
// staying until midnight.
func TestVisitWorkflowRefusedFirstRequestLeavesNothingRunning(t *testing.T) {
	start := vcst(time.March, 4, 11, 0)
	h := newVisitHarness(t, start)
	const day = "2026-03-04"
	var refused *vOutcome
	h.at(start, func() {
		refused = h.send(wfc.UpdateVisitRequest, h.request(day, "rep-ana", visit.DeptSales, vcst(time.March, 4, 10, 0), false))
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if refused == nil || !refused.done || vcode(refused.err) != visit.CodeInThePast {
		t.Fatalf("a start that has passed: %+v", refused)
	}
	if ended := h.env.Now(); ended.After(start.Add(time.Minute)) {
		t.Errorf("the refused day's workflow ran on until %s", ended.In(visitShanghai))
	}
	if rows := h.rows(); len(rows) != 0 {
		t.Errorf("visits %+v", rows)
	}
}

// TestVisitWorkflowOneParticipantPerPerson: whoever takes part in the
// visit and asks again — to join or not — gets what she has: the booker is
// told she is the booker, a joined visitor that she already joins; nobody is
// added twice, the booker is not told she joined her own visit, and nobody
// already in the visit is offered another day.
func TestVisitWorkflowOneParticipantPerPerson(t *testing.T) {
	start := vcst(time.March, 2, 9, 0)
	h := newVisitHarness(t, start)
	const day = "2026-03-04"
	visitStart := vcst(time.March, 4, 10, 0)
	asks := []struct {
		who, dept string
		join      bool
		outcome   string
		repeat    bool
		role      string
	}{
		{"rep-ana", visit.DeptSales, false, visit.OutcomeBooked, false, visit.RoleBooker},
		{"svc-sam", visit.DeptService, true, visit.OutcomeJoined, false, visit.RoleJoined},
		{"svc-sam", visit.DeptService, true, visit.OutcomeJoined, true, visit.RoleJoined},
		{"rep-ana", visit.DeptSales, true, visit.OutcomeBooked, true, visit.RoleBooker},
		{"rep-ana", visit.DeptMarketing, false, visit.OutcomeBooked, true, visit.RoleBooker},
		{"svc-sam", visit.DeptService, false, visit.OutcomeJoined, true, visit.RoleJoined},
	}
	got := make([]*vOutcome, len(asks))
	for i, a := range asks {
		h.at(start.Add(time.Duration(i)*time.Minute), func() {
			got[i] = h.send(wfc.UpdateVisitRequest, h.request(day, a.who, a.dept, visitStart, a.join))
		})
	}
	h.at(start.Add(time.Hour), func() {
		h.send(wfc.UpdateVisitCancel, &visit.Cancel{Actor: "rep-ana", Reason: "end of test"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	for i, a := range asks {
		d := h.decision(got[i])
		if d.Outcome != a.outcome || d.Repeat != a.repeat || d.Role != a.role {
			t.Errorf("request %d by %s (join %v): %+v, want %s repeat=%v role %s", i, a.who, a.join, d, a.outcome, a.repeat, a.role)
		}
	}
	if d := h.decision(got[3]); !strings.Contains(d.Message, "you are its booker") {
		t.Errorf("the booker was told %q", d.Message)
	}
	rows := h.rows()
	ps, _ := h.store.Participants(context.Background(), []string{rows[0].ID})
	var who []string
	for _, p := range ps[rows[0].ID] {
		who = append(who, p.UserID+"/"+p.Role)
	}
	if strings.Join(who, ",") != "rep-ana/booker,svc-sam/joined" {
		t.Errorf("participants %v, want rep-ana/booker,svc-sam/joined", who)
	}
	if k := h.kinds(rows[0].ID); h.count(rows[0].ID, "joined") != 1 || h.count(rows[0].ID, "offered") != 0 {
		t.Errorf("timeline %v, want one join notice and no offer", k)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestVisitStoreOnePersonOnce: the store adds a person to a visit once,
// whatever asks (runs started before one participant per person still call
// the join activity for a repeat): one row, one notice to the booker.
func TestVisitStoreOnePersonOnce(t *testing.T) {
	h := newVisitHarness(t, vcst(time.March, 2, 9, 0))
	ctx := context.Background()
	at := vcst(time.March, 2, 9, 0)
	book := &visit.BookInput{VisitId: uuid.NewString(), WorkflowId: "Visit:x", RequestId: "r0", CustomerId: h.customer, Day: "2026-03-04",
		StartAt: visit.Stamp(vcst(time.March, 4, 10, 0)), EndAt: visit.Stamp(vcst(time.March, 4, 11, 0)), BookedBy: "rep-ana", Team: "north",
		Department: visit.DeptSales, Purpose: "renewal", At: visit.Stamp(at)}
	if err := h.store.Book(ctx, book); err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"svc-sam", "svc-sam", "rep-ana"} {
		if err := h.store.Join(ctx, &visit.JoinInput{VisitId: book.VisitId, RequestId: fmt.Sprint("r", i+1), UserId: who,
			Department: visit.DeptService, Purpose: "check", Notify: "rep-ana", At: visit.Stamp(at)}); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := h.store.Participants(ctx, []string{book.VisitId})
	if err != nil {
		t.Fatal(err)
	}
	var who []string
	for _, p := range ps[book.VisitId] {
		who = append(who, p.UserID+"/"+p.Role)
	}
	if strings.Join(who, ",") != "rep-ana/booker,svc-sam/joined" || h.count(book.VisitId, "joined") != 1 {
		t.Errorf("participants %v, timeline %v", who, h.kinds(book.VisitId))
	}
}
