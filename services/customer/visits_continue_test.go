package customer_test

import (
	"errors"
	"fmt"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/visit"
)

// continued returns the input a run that continued as new handed to the
// next run, failing the test if the run ended otherwise.
func (h *visitHarness) continued() *visit.Input {
	h.t.Helper()
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		h.t.Fatalf("the run did not continue as new: %v", err)
	}
	if can.WorkflowType.Name != wfc.WorkflowVisit {
		h.t.Fatalf("continued as %s", can.WorkflowType.Name)
	}
	next := &visit.Input{}
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		h.t.Fatal(err)
	}
	return next
}

// TestVisitWorkflowContinuesAsNew: a popular customer-day — dozens of
// requests — continues as new twice: once after continue_as_new_after
// decided requests (before the reminder), once when the server suggests it
// (after the reminder). Nothing of the day is lost: a request in flight is
// answered first, the next runs know the booked visit, its participants and
// that they were reminded, so a later request joins (one visit per
// customer-day), a repeat is a repeat, nobody is reminded twice, and the log
// ends the last run.
func TestVisitWorkflowContinuesAsNew(t *testing.T) {
	start := vcst(time.March, 2, 9, 0) // Monday
	h := newVisitHarness(t, start)
	const day = "2026-03-04"
	visitStart := vcst(time.March, 4, 10, 0) // reminded 24 h before: 3 March 10:00

	// Run 1: a booking, then 40 requests — joins and declines — then two
	// sent together: the first is the 42nd decided (continue_as_new_after),
	// the second waits for the workflow's mutex meanwhile and is answered
	// before the run continues as new.
	var asked []*vOutcome
	ask := func(who, dept string, join bool) {
		asked = append(asked, h.send(wfc.UpdateVisitRequest, h.request(day, who, dept, visitStart, join)))
	}
	h.at(start, func() { ask("rep-ana", visit.DeptSales, false) })
	for i := range 40 {
		h.at(start.Add(time.Duration(i+1)*time.Minute), func() {
			if i%2 == 0 {
				ask(fmt.Sprintf("svc-%02d", i), visit.DeptService, true)
			} else {
				ask(fmt.Sprintf("mkt-%02d", i), visit.DeptMarketing, false)
			}
		})
	}
	lastAt := start.Add(time.Hour)
	h.at(lastAt, func() {
		ask("svc-late", visit.DeptService, true)
		ask("rep-ana", visit.DeptSales, true) // the booker again
	})
	in := h.input(day)
	in.ContinueAsNewAfter = 42
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, in)
	next := h.continued()
	if ended := h.env.Now(); ended.Before(lastAt) || ended.After(lastAt.Add(time.Minute)) {
		t.Errorf("run 1 continued as new at %s; its 42nd request came at %s", ended.In(visitShanghai), lastAt.In(visitShanghai))
	}
	if len(asked) != 43 {
		t.Fatalf("%d requests sent in run 1, want 43", len(asked))
	}
	booked := h.decision(asked[0])
	for i, o := range asked[1:] { // every request in flight was answered before the run ended
		if !o.done {
			t.Fatalf("request %d of %d not answered", i+1, len(asked))
		}
		if d := h.decision(o); d.VisitId != booked.VisitId {
			t.Errorf("request %d: %v", i+1, d)
		}
	}
	if d := h.decision(asked[42]); d.Outcome != visit.OutcomeBooked || !d.Repeat {
		t.Errorf("the booker asking again: %v", d)
	}
	carried := next.GetCarried()
	if next.GetCustomerId() != h.customer || next.GetDay() != day || next.GetContinueAsNewAfter() != 42 || carried.GetVisitId() != booked.VisitId ||
		carried.GetStatus() != visit.StatusBooked || carried.GetBookedBy() != "rep-ana" || carried.GetReminded() ||
		len(carried.GetParticipants()) != 22 || carried.GetAnswered() != 43 || carried.GetStartAt() != visit.Stamp(visitStart) {
		t.Fatalf("run 1 handed over %v", next)
	}

	// Run 2: the same customer-day, the state carried. A new request joins
	// the booked visit (the day is not booked twice), a joined visitor asking
	// again is a repeat; the reminder goes out to the 23 visitors; after it,
	// the server suggests continue-as-new (run 2 decided only 3 requests).
	run2 := h.env.Now()
	h.newRun(run2)
	var joined, repeat *vOutcome
	h.at(run2.Add(time.Minute), func() {
		joined = h.send(wfc.UpdateVisitRequest, h.request(day, "mkt-new", visit.DeptMarketing, visitStart, true))
		repeat = h.send(wfc.UpdateVisitRequest, h.request(day, "svc-00", visit.DeptService, visitStart, false))
	})
	remindAt := vcst(time.March, 3, 10, 0)
	var afterReminder *vOutcome
	h.at(remindAt.Add(time.Hour), func() {
		afterReminder = h.send(wfc.UpdateVisitRequest, h.request(day, "mkt-01", visit.DeptMarketing, visitStart, false))
	})
	suggestAt := remindAt.Add(2 * time.Hour)
	h.at(suggestAt, func() { h.env.SetContinueAsNewSuggested(true) })
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, next)
	next = h.continued()
	if ended := h.env.Now(); !ended.Equal(suggestAt) {
		t.Errorf("run 2 continued as new at %s; the server suggested it at %s", ended.In(visitShanghai), suggestAt.In(visitShanghai))
	}
	if d := h.decision(joined); d.Outcome != visit.OutcomeJoined || d.Repeat || d.VisitId != booked.VisitId {
		t.Errorf("a new visitor in run 2: %v", d)
	}
	if d := h.decision(repeat); d.Outcome != visit.OutcomeJoined || !d.Repeat {
		t.Errorf("a joined visitor asking again in run 2: %v", d)
	}
	if d := h.decision(afterReminder); d.Outcome != visit.OutcomeOffered || d.OfferedDay == "" {
		t.Errorf("a decline after the reminder: %v", d)
	}
	if n := h.count(booked.VisitId, "reminder"); n != 23 {
		t.Errorf("%d reminders in run 2, want one per visitor (23)", n)
	}
	if c := next.GetCarried(); !c.GetReminded() || len(c.GetParticipants()) != 23 || c.GetAnswered() != 46 {
		t.Fatalf("run 2 handed over %v", next)
	}

	// Run 3: nobody is reminded again; the log after the visit ends the day.
	run3 := h.env.Now()
	h.newRun(run3)
	var logged *vOutcome
	h.at(vcst(time.March, 4, 11, 30), func() {
		logged = h.send(wfc.UpdateVisitLog, &visit.Log{Actor: "rep-ana", Summary: "met everyone"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, next)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("run 3: %v", err)
	}
	if !logged.done || logged.err != nil {
		t.Fatalf("log: %v", logged.err)
	}
	if n := h.count(booked.VisitId, "reminder"); n != 23 {
		t.Errorf("%d reminders after run 3, want 23: nobody reminded twice", n)
	}
	rows := h.rows()
	if len(rows) != 1 || rows[0].ID != booked.VisitId || rows[0].Status != visit.StatusDone {
		t.Fatalf("stored visits %+v, want the one booked visit, logged", rows)
	}
	ps, err := h.store.Participants(t.Context(), []string{rows[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	var who []string
	for _, p := range ps[rows[0].ID] {
		who = append(who, p.UserID)
	}
	if len(who) != 23 || who[0] != "rep-ana" || !contains(who, "mkt-new") || contains(who, "mkt-01") {
		t.Errorf("stored participants %s", strings.Join(who, ","))
	}
}

// TestVisitWorkflowLogFollowUpContinuesAsNew: the server suggests
// continue-as-new while the visit's log is overdue, between the ladder's
// reminder and its escalation. The log follow-up is suspended at its wait and
// the next run takes it up where it stood: not opened again, the reminder
// not repeated, the escalation exactly on time (a minute before: nothing),
// and the log closes it.
func TestVisitWorkflowLogFollowUpContinuesAsNew(t *testing.T) {
	start := vcst(time.September, 29, 9, 0)
	h := newVisitHarness(t, start)
	const day = "2026-09-30"
	visitStart := vcst(time.September, 30, 16, 0)
	due := vcst(time.October, 9, 18, 0)       // as in TestVisitWorkflowAcrossNationalDay
	escalate := vcst(time.October, 12, 9, 30) // 8 business hours after the due time
	var booked *vOutcome
	h.at(start, func() {
		booked = h.send(wfc.UpdateVisitRequest, h.request(day, "rep-ana", visit.DeptSales, visitStart, false))
	})
	suggestAt := vcst(time.October, 10, 12, 0) // after the reminder step at 09:00
	h.at(suggestAt, func() { h.env.SetContinueAsNewSuggested(true) })
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, h.input(day))
	next := h.continued()
	if ended := h.env.Now(); !ended.Equal(suggestAt) {
		t.Errorf("run 1 continued as new at %s, want %s", ended.In(visitShanghai), suggestAt.In(visitShanghai))
	}
	if got := strings.Join(h.steps(), ","); got != "remind@Oct 10 09:00" {
		t.Fatalf("run 1's steps: %s", got)
	}
	if n := len(h.eventsOf(followupc.ActivityCloseFollowUp)); n != 0 {
		t.Fatalf("run 1 closed the follow-up (%d)", n)
	}
	c, p := next.GetCarried(), next.GetLogProgress()
	if c.GetStatus() != visit.StatusBooked || c.GetVisitId() != h.decision(booked).VisitId || c.GetFollowUpId() == "" || c.GetLogDueAt() != visit.Stamp(due) ||
		p.GetLevel() != 1 || p.GetCalendar() == "" || len(p.GetVersions()) == 0 {
		t.Fatalf("run 1 handed over %v", next)
	}

	h.newRun(h.env.Now())
	h.at(escalate.Add(-time.Minute), func() {
		if s := h.steps(); len(s) != 0 {
			t.Errorf("a minute before the escalation, run 2 recorded %v", s)
		}
	})
	var logged *vOutcome
	h.at(escalate.Add(time.Hour), func() {
		logged = h.send(wfc.UpdateVisitLog, &visit.Log{Actor: "rep-ana", Summary: "met the buyer"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowVisit, next)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("run 2: %v", err)
	}
	if logged == nil {
		t.Fatalf("run 2 ended at %s before the log; steps %v, timeline %v", h.env.Now().In(visitShanghai), h.steps(), h.kinds(c.GetVisitId()))
	}
	if !logged.done || logged.err != nil {
		t.Fatalf("log: %v", logged.err)
	}
	if got := strings.Join(h.steps(), ","); got != "escalate_manager@Oct 12 09:30" {
		t.Errorf("run 2's steps: %s, want only the escalation, on time", got)
	}
	if n := len(h.eventsOf(followupc.ActivityOpenFollowUp)); n != 0 {
		t.Errorf("run 2 opened the follow-up again (%d)", n)
	}
	if cl := h.eventsOf(followupc.ActivityCloseFollowUp); len(cl) != 1 || cl[0].Msg.(*followupv1.CloseFollowUpInput).GetId() != c.GetFollowUpId() ||
		cl[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" {
		t.Errorf("closes %v", cl)
	}
	rows := h.rows()
	want := "booked,reminder/rep-ana,log_reminder/rep-ana,log_escalated/managers:north,logged"
	if got := strings.Join(h.kinds(rows[0].ID), ","); len(rows) != 1 || rows[0].Status != visit.StatusDone || got != want {
		t.Errorf("visits %d, status %s, timeline %s; want one, done, %s", len(rows), rows[0].Status, got, want)
	}
}
