package winback_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/winback"
)

const day = 24 * time.Hour

// enrolled: Acme enters the campaign on an ordinary Monday at 10:00. The
// shipped cadence (calendar days) calls at once, visits after 14 days,
// offers after 30 and calls again after 60; each touch is due 24 business
// hours after it is made.
var (
	enrolled = cst(time.March, 2, 10, 0)
	touch1   = enrolled.Add(14 * day) // Mar 16 10:00
)

func ladder(clock policy.Clock, steps ...any) policy.Value {
	l := &policy.Ladder{Clock: clock}
	for i := 0; i < len(steps); i += 2 {
		l.Steps = append(l.Steps, policy.Step{After: policy.Duration(steps[i].(time.Duration)), Action: steps[i+1].(policy.Action)})
	}
	return policy.Value{Ladder: l}
}

func fuOf(step int) string {
	return winback.FollowUpID(winback.TouchID("camp-1", "cust-1", step))
}

// stepsOf lists the ladder steps recorded on a follow-up with their instants.
func (h *harness) stepsOf(id string) []time.Time {
	var out []time.Time
	for _, e := range h.engine.Events(followupc.ActivityRecordFollowUpStep) {
		if e.Msg.(*followupv1.RecordStepInput).GetId() == id {
			out = append(out, e.At)
		}
	}
	return out
}

// TestCadenceAcrossNationalDayAndItsMakeUpDay: a business-time cadence (call
// at once, visit after 8 and offer after 20 working hours, each due 4
// working hours later) for a customer enrolled the afternoon before the
// National Day holiday. The visit falls after the holiday; the offer on the
// make-up Saturday. Nothing is planned a second before an instant, each
// touch at it; each touch's follow-up is due at its deadline (reminded at
// it, not before); the cadence ends at the last touch's deadline, not a
// second earlier, with the customer still lost and the open touches
// cancelled.
func TestCadenceAcrossNationalDayAndItsMakeUpDay(t *testing.T) {
	start := cst(time.September, 30, 15, 0)
	h := newHarness(t, start)
	h.engine.PutPolicy(policy.WinBackCadence, 2, time.Time{}, ladder(policy.ClockBusiness,
		time.Duration(0), policy.ActionCall, 8*time.Hour, policy.ActionVisit, 20*time.Hour, policy.ActionOffer))
	h.engine.PutPolicy(policy.WinBackTouchDeadline, 2, time.Time{}, policy.Value{Timer: &policy.Timer{Duration: policy.Duration(4 * time.Hour), Clock: policy.ClockBusiness}})
	cal := china(t)
	at := []time.Time{start, cal.Add(start, 8*time.Hour), cal.Add(start, 20*time.Hour)}
	if !at[1].Equal(cst(time.October, 8, 15, 30)) || !at[2].Equal(cst(time.October, 10, 11, 0)) {
		t.Fatalf("test premise: touches at %s and %s", hm(at[1]), hm(at[2]))
	}
	var due []time.Time
	for i, a := range at {
		due = append(due, cal.Add(a, 4*time.Hour))
		h.at(a.Add(-time.Second), func() {
			if n := len(h.touches()); n != i {
				t.Errorf("a second before touch %d: %d touches planned, want %d", i, n, i)
			}
		})
	}
	h.at(due[0].Add(-time.Second), func() {
		if s := h.stepsOf(fuOf(0)); len(s) != 0 {
			t.Errorf("the first touch was escalated before its deadline: %v", s)
		}
	})
	h.at(due[2].Add(-time.Second), func() {
		if len(h.ends()) != 0 {
			t.Error("the cadence ended before the last touch's deadline")
		}
	})
	out := h.run(input(start))

	want := []string{"0 call@Sep 30 15:00:00", "1 visit@Oct 8 15:30:00", "2 offer@Oct 10 11:00:00"}
	if got := h.planned(); !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	for i, tc := range h.touches() {
		if !tc.GetDueAt().AsTime().Equal(due[i]) || tc.GetAssigneeId() != "rep-ana" || tc.GetTeam() != "north" ||
			tc.GetTouchId() != winback.TouchID("camp-1", "cust-1", i) || tc.GetCampaignName() != "Spring win-back" ||
			!tc.GetPlannedAt().AsTime().Equal(at[i]) {
			t.Errorf("touch %d: %v, want due %s", i, tc, hm(due[i]))
		}
	}
	opened := h.opened()
	if len(opened) != 3 {
		t.Fatalf("opened %d follow-ups, want one per touch", len(opened))
	}
	for i, o := range opened {
		sp := o.GetSpec()
		if sp.GetKind() != policy.KindWinBackTouch || sp.GetId() != fuOf(i) || sp.GetOwnerId() != "rep-ana" || sp.GetTeam() != "north" ||
			sp.GetTerritory() != "east" || sp.GetCustomerId() != "cust-1" || !o.GetDueAt().AsTime().Equal(due[i]) {
			t.Errorf("follow-up %d: %v due %s, want due %s", i, sp, hm(o.GetDueAt().AsTime()), hm(due[i]))
		}
	}
	if s := h.stepsOf(fuOf(0)); len(s) == 0 || !s[0].Equal(due[0]) {
		t.Errorf("the first touch's steps %v, want the reminder at its deadline %s", s, hm(due[0]))
	}
	if out.GetOutcome() != winback.OutcomeExhausted || !h.env.Now().Equal(due[2]) {
		t.Errorf("ended %q at %s, want exhausted at %s", out.GetOutcome(), hm(h.env.Now()), hm(due[2]))
	}
	if e := h.ends(); len(e) != 1 || e[0].GetOutcome() != winback.OutcomeExhausted || !e[0].GetAt().AsTime().Equal(due[2]) {
		t.Errorf("recorded ends %v", e)
	}
	if got, want := h.closed(), repeat(3, "cancelled: cadence ended@Oct 10 16:30:00"); !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
	if h.marks() != "set camp-1, clear camp-1" || len(h.leads) != 0 || len(h.of(customerc.ActivityWinBackReturned)) != 0 {
		t.Errorf("marks %q, leads %v", h.marks(), h.leads)
	}
}

// TestCadenceShortenedMidFlight: three days in, the cadence is shortened to
// a visit after one day and an offer after four. The running cadence finds
// the change within a day: the visit, whose new instant has passed, is made
// at once (the call is not repeated), the offer at its new instant.
func TestCadenceShortenedMidFlight(t *testing.T) {
	h := newHarness(t, enrolled)
	h.engine.PutPolicy(policy.WinBackCadence, 2, cst(time.March, 4, 12, 0), ladder(policy.ClockCalendar,
		time.Duration(0), policy.ActionCall, day, policy.ActionVisit, 4*day, policy.ActionOffer))
	out := h.run(input(enrolled))

	want := []string{"0 call@Mar 2 10:00:00", "1 visit@Mar 5 10:00:00", "2 offer@Mar 6 10:00:00"}
	if got := h.planned(); !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	lastDue := china(t).Add(cst(time.March, 6, 10, 0), 24*time.Hour)
	if out.GetOutcome() != winback.OutcomeExhausted || !h.env.Now().Equal(lastDue) {
		t.Errorf("ended %q at %s, want exhausted at %s", out.GetOutcome(), hm(h.env.Now()), hm(lastDue))
	}
}

// TestCadenceLengthenedMidFlight: after the second touch the cadence is
// changed: the visit it made would now come after one day, the offer after
// 45 days and a new visit after 50. Nothing is repeated; the offer waits for
// its new instant, and the new step is made.
func TestCadenceLengthenedMidFlight(t *testing.T) {
	h := newHarness(t, enrolled)
	h.engine.PutPolicy(policy.WinBackCadence, 2, cst(time.March, 20, 0, 0), ladder(policy.ClockCalendar,
		time.Duration(0), policy.ActionCall, day, policy.ActionVisit, 45*day, policy.ActionOffer, 50*day, policy.ActionVisit))
	offer := enrolled.Add(45 * day)
	h.at(offer.Add(-time.Second), func() {
		if n := len(h.touches()); n != 2 {
			t.Errorf("%d touches before the offer's new instant, want 2", n)
		}
	})
	out := h.run(input(enrolled))

	want := []string{"0 call@Mar 2 10:00:00", "1 visit@Mar 16 10:00:00", "2 offer@Apr 16 10:00:00", "3 visit@Apr 21 10:00:00"}
	if got := h.planned(); !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	if out.GetOutcome() != winback.OutcomeExhausted {
		t.Errorf("ended %q", out.GetOutcome())
	}
}

// TestTouchDeferredByContactPressure: the second touch would exceed the
// contact-pressure limit; it waits until the marketing service's
// not_before, then asks again (responses first) and is made then, due a
// full deadline later.
func TestTouchDeferredByContactPressure(t *testing.T) {
	h := newHarness(t, enrolled)
	notBefore := cst(time.March, 19, 9, 0)
	h.decide = func(tc *marketingv1.Touch, n int) *marketingv1.WinBackTouchResult {
		if tc.GetStep() == 1 && n == 2 {
			return &marketingv1.WinBackTouchResult{SkipReason: winback.SkipPressure, NotBefore: timestamppb.New(notBefore)}
		}
		return &marketingv1.WinBackTouchResult{}
	}
	h.at(notBefore.Add(-time.Second), func() {
		if n := len(h.touches()); n != 1 {
			t.Errorf("%d touches planned before not_before, want 1", n)
		}
	})
	h.at(cst(time.March, 20, 12, 0), func() { h.env.SignalWorkflow(wfc.SignalWinBackCancel, &marketingv1.WinBackEndInput{}) })
	h.run(input(enrolled))

	if got, want := h.planned(), []string{"0 call@Mar 2 10:00:00", "1 visit@Mar 19 09:00:00"}; !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	var asked []string
	for _, c := range h.of(marketingc.ActivityWinBackTouch) {
		asked = append(asked, hm(c.at))
	}
	if want := []string{"Mar 2 10:00:00", "Mar 16 10:00:00", "Mar 19 09:00:00"}; !slices.Equal(asked, want) {
		t.Errorf("touches decided at %v, want %v", asked, want)
	}
	for _, c := range h.of(marketingc.ActivityWinBackTouch) {
		if p := c.msg.(*marketingv1.WinBackTouchInput).GetPressure(); len(p) != 3 || p[1].GetMaxTouches() != 2 ||
			p[1].GetWindow().AsDuration() != 14*day {
			t.Errorf("touch decided with pressure %v, want the shipped limits", p)
		}
	}
	if n := len(h.of(customerc.ActivityWinBackResponses)); n != 3 {
		t.Errorf("responses asked %d times, want before each decision (3)", n)
	}
	if tc := h.touches()[1]; !tc.GetDueAt().AsTime().Equal(china(t).Add(notBefore, 24*time.Hour)) {
		t.Errorf("the deferred touch is due %s", hm(tc.GetDueAt().AsTime()))
	}
}

// TestCadenceRunsOut: the shipped cadence's four touches are made; the last
// (May 1, in the Labour Day holiday) is due 24 business hours later, on the
// make-up Saturday; the cadence ends then as exhausted, not a second
// earlier.
func TestCadenceRunsOut(t *testing.T) {
	h := newHarness(t, enrolled)
	lastDue := china(t).Add(enrolled.Add(60*day), 24*time.Hour)
	if !lastDue.Equal(cst(time.May, 9, 10, 30)) {
		t.Fatalf("test premise: the last touch is due %s", hm(lastDue))
	}
	h.at(lastDue.Add(-time.Second), func() {
		if len(h.ends()) != 0 || len(h.closed()) != 0 {
			t.Error("ended before the last touch's deadline")
		}
	})
	out := h.run(input(enrolled))

	want := []string{"0 call@Mar 2 10:00:00", "1 visit@Mar 16 10:00:00", "2 offer@Apr 1 10:00:00", "3 call@May 1 10:00:00"}
	if got := h.planned(); !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	if out.GetOutcome() != winback.OutcomeExhausted || !h.env.Now().Equal(lastDue) || len(h.leads) != 0 {
		t.Errorf("result %v at %s", out, hm(h.env.Now()))
	}
	if got, want := h.closed(), repeat(4, "cancelled: cadence ended@May 9 10:30:00"); !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
	marks := h.of(customerc.ActivityMarkWinBack)
	if clear := marks[len(marks)-1].msg.(*marketingv1.WinBackMarkInput); clear.GetCampaignId() != "" || clear.GetClearCampaignId() != "camp-1" ||
		clear.GetCustomerId() != "cust-1" {
		t.Errorf("last mark %v, want the campaign's mark cleared", clear)
	}
}

// TestContinuesAsNewBetweenTouches: the owner closed the first touch from
// the board (the close reaches that touch's follow-up by its id); when the
// server suggests continuing as new, the workflow does so at its next wake
// with no touch open, carrying the touches made; the next run makes the
// second touch, not the first again.
func TestContinuesAsNewBetweenTouches(t *testing.T) {
	h := newHarness(t, enrolled)
	h.at(cst(time.March, 3, 12, 0), func() {
		h.env.SignalWorkflow(wfc.SignalCloseFollowUp, &followupv1.CloseSignal{State: "done", By: "rep-ana", Note: "called", FollowUpId: fuOf(0)})
	})
	h.at(cst(time.March, 4, 12, 0), func() { h.env.SetContinueAsNewSuggested(true) })
	h.env.ExecuteWorkflow(wfc.WorkflowWinBack, input(enrolled))
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("the run ended with %v, want continue-as-new", err)
	}
	if got, want := h.closed(), []string{"done: called@Mar 3 12:00:00"}; !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
	if want := cst(time.March, 5, 10, 0); !h.env.Now().Equal(want) {
		t.Errorf("continued at %s, want at the next daily wake %s", hm(h.env.Now()), hm(want))
	}
	var next marketingv1.WinBackInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.GetTouchesMade() != 1 || next.GetCustomerId() != "cust-1" || !next.GetEnrolledAt().AsTime().Equal(enrolled) {
		t.Fatalf("carried %v", &next)
	}

	h2 := newHarness(t, h.env.Now())
	h2.at(cst(time.March, 17, 12, 0), func() {
		h2.env.SignalWorkflow(wfc.SignalWinBackCancel, &marketingv1.WinBackEndInput{Outcome: "superseded"})
	})
	out := h2.run(&next)
	if got, want := h2.planned(), []string{"1 visit@Mar 16 10:00:00"}; !slices.Equal(got, want) {
		t.Errorf("the next run planned %v, want %v", got, want)
	}
	if out.GetOutcome() != "superseded" {
		t.Errorf("ended %q, want the cancellation's outcome", out.GetOutcome())
	}
}
