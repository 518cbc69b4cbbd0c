package winback_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/winback"
)

// How a cadence ends: a response (signalled, found before a touch, or
// arriving while a touch is decided), an opt-out, a cancellation, an
// enrolment ended elsewhere.

// TestResponseASecondBeforeATouch: the customer calls back a second before
// the second touch: no touch is made, the first touch's follow-up is done,
// a lead is started for its owner's escalation, and the customer returns.
func TestResponseASecondBeforeATouch(t *testing.T) {
	h := newHarness(t, enrolled)
	when := touch1.Add(-time.Second)
	h.respond(when, "call")
	out := h.run(input(enrolled))

	if got, want := h.planned(), []string{"0 call@Mar 2 10:00:00"}; !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	if n := len(h.of(marketingc.ActivityWinBackTouch)); n != 1 {
		t.Errorf("%d touches decided, want 1", n)
	}
	if got, want := h.closed(), []string{"done: customer responded@Mar 16 09:59:59"}; !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
	leadID := winback.LeadID("camp-1", "cust-1")
	if len(h.leads) != 1 {
		t.Fatalf("leads %v, want one", h.leads)
	}
	l := h.leads[0].GetLead()
	if l.GetId() != leadID || l.GetSource() != "campaign" || l.GetCustomerId() != "cust-1" || l.GetCompanyName() != "Acme" ||
		l.GetRegion() != "east" || l.GetInterest() != "Win-back: Spring win-back" || l.GetCreatedBy() != "winback" ||
		!l.GetReceivedAt().AsTime().Equal(when) || !strings.Contains(l.GetNotes(), "a logged call (ref-1)") {
		t.Errorf("lead %v", l)
	}
	ret := h.of(customerc.ActivityWinBackReturned)
	if len(ret) != 1 || ret[0].msg.(*marketingv1.WinBackEndInput).GetLeadId() != leadID {
		t.Errorf("returned %v", ret)
	}
	e := h.ends()
	if len(e) != 1 || e[0].GetOutcome() != winback.OutcomeResponded || e[0].GetLeadId() != leadID || e[0].GetResponse().GetKind() != "call" ||
		!e[0].GetAt().AsTime().Equal(when) {
		t.Errorf("ends %v", e)
	}
	if out.GetLeadId() != leadID || h.marks() != "set camp-1, clear camp-1" {
		t.Errorf("result %v, marks %q", out, h.marks())
	}
}

// TestResponseASecondAfterATouch: a second after the second touch was
// planned: it stays on the owner's list, its follow-up (opened) is closed
// as done with the first one's, and the lead is started.
func TestResponseASecondAfterATouch(t *testing.T) {
	h := newHarness(t, enrolled)
	h.respond(touch1.Add(time.Second), "reply")
	out := h.run(input(enrolled))

	if got, want := h.planned(), []string{"0 call@Mar 2 10:00:00", "1 visit@Mar 16 10:00:00"}; !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	if len(h.opened()) != 2 {
		t.Errorf("opened %d follow-ups, want 2", len(h.opened()))
	}
	if got, want := h.closed(), repeat(2, "done: customer responded@Mar 16 10:00:01"); !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
	if len(h.leads) != 1 || out.GetOutcome() != winback.OutcomeResponded || out.GetLeadId() != winback.LeadID("camp-1", "cust-1") {
		t.Errorf("leads %v, result %v", h.leads, out)
	}
}

// TestOptOut: an opt-out stops the cadence without a lead; the open touch
// is cancelled.
func TestOptOut(t *testing.T) {
	h := newHarness(t, enrolled)
	h.respond(cst(time.March, 5, 14, 0), winback.ResponseOptOut)
	out := h.run(input(enrolled))

	if out.GetOutcome() != winback.OutcomeOptedOut || len(h.leads) != 0 || len(h.of(customerc.ActivityWinBackReturned)) != 0 {
		t.Errorf("result %v, leads %v", out, h.leads)
	}
	if e := h.ends(); len(e) != 1 || e[0].GetOutcome() != winback.OutcomeOptedOut || e[0].GetResponse().GetKind() != winback.ResponseOptOut {
		t.Errorf("ends %v", e)
	}
	if got, want := h.closed(), []string{"cancelled: the customer opted out@Mar 5 14:00:00"}; !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
	if h.marks() != "set camp-1, clear camp-1" {
		t.Errorf("marks %q", h.marks())
	}
}

// TestOptedOutFoundAtATouch: the marketing service answers that the
// customer opted out: the touch is not planned and the cadence ends.
func TestOptedOutFoundAtATouch(t *testing.T) {
	h := newHarness(t, enrolled)
	h.decide = func(tc *marketingv1.Touch, _ int) *marketingv1.WinBackTouchResult {
		if tc.GetStep() == 1 {
			return &marketingv1.WinBackTouchResult{SkipReason: winback.SkipOptedOut}
		}
		return &marketingv1.WinBackTouchResult{}
	}
	out := h.run(input(enrolled))
	if got := h.planned(); len(got) != 1 || out.GetOutcome() != winback.OutcomeOptedOut || !h.env.Now().Equal(touch1) || len(h.leads) != 0 {
		t.Errorf("planned %v, result %v at %s", got, out, hm(h.env.Now()))
	}
}

// TestResponseFoundBeforeATouch: the response's signal was lost (the engine
// was down when the visit was logged); the customer service reports it when
// asked before the next touch (PrefetchLead before its instant), and it is
// handled exactly as the signal, there and then.
func TestResponseFoundBeforeATouch(t *testing.T) {
	h := newHarness(t, enrolled)
	logged := cst(time.March, 9, 16, 0)
	h.responded = func(at time.Time) *marketingv1.WinBackResponse {
		if at.Before(logged) {
			return nil
		}
		return &marketingv1.WinBackResponse{Kind: "visit", Ref: "visit-9", At: timestamppb.New(logged), By: "rep-bo"}
	}
	out := h.run(input(enrolled))

	if got := h.planned(); len(got) != 1 || len(h.of(marketingc.ActivityWinBackTouch)) != 1 {
		t.Errorf("planned %v: the second touch was made", got)
	}
	if out.GetOutcome() != winback.OutcomeResponded || out.GetResponse().GetRef() != "visit-9" || !h.env.Now().Equal(touch1.Add(-winback.PrefetchLead)) {
		t.Errorf("result %v at %s", out, hm(h.env.Now()))
	}
	if len(h.leads) != 1 || !strings.Contains(h.leads[0].GetLead().GetNotes(), "a logged visit (visit-9)") {
		t.Errorf("leads %v", h.leads)
	}
	if got, want := h.closed(), []string{"done: customer responded@Mar 16 09:59:58"}; !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
}

// TestCancelled: the campaign is cancelled: the open touches are
// cancelled, the outcome recorded, the mark cleared, no lead.
func TestCancelled(t *testing.T) {
	h := newHarness(t, enrolled)
	when := cst(time.March, 20, 12, 0)
	h.at(when, func() { h.env.SignalWorkflow(wfc.SignalWinBackCancel, &marketingv1.WinBackEndInput{}) })
	out := h.run(input(enrolled))

	if out.GetOutcome() != winback.OutcomeCancelled || !h.env.Now().Equal(when) || len(h.leads) != 0 {
		t.Errorf("result %v at %s", out, hm(h.env.Now()))
	}
	if e := h.ends(); len(e) != 1 || e[0].GetOutcome() != winback.OutcomeCancelled {
		t.Errorf("ends %v", e)
	}
	if got, want := h.closed(), repeat(2, "cancelled: the win-back was cancelled@Mar 20 12:00:00"); !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
	if h.marks() != "set camp-1, clear camp-1" {
		t.Errorf("marks %q", h.marks())
	}
}

// TestResponseWhileATouchIsDecided: the customer calls while the marketing
// service is deciding the second touch: the touch is not planned, and the
// response stops the cadence as any other.
func TestResponseWhileATouchIsDecided(t *testing.T) {
	h := newHarness(t, enrolled)
	h.decide = func(tc *marketingv1.Touch, _ int) *marketingv1.WinBackTouchResult {
		if tc.GetStep() == 1 {
			h.env.SignalWorkflow(wfc.SignalWinBackResponse, &marketingv1.WinBackResponse{Kind: "call", Ref: "act-3"})
		}
		return &marketingv1.WinBackTouchResult{}
	}
	out := h.run(input(enrolled))
	if got, want := h.planned(), []string{"0 call@Mar 2 10:00:00"}; !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	if n := len(h.of(marketingc.ActivityWinBackTouch)); n != 2 {
		t.Errorf("%d touches decided, want 2", n)
	}
	if out.GetOutcome() != winback.OutcomeResponded || out.GetResponse().GetRef() != "act-3" || len(h.leads) != 1 || !h.env.Now().Equal(touch1) {
		t.Errorf("result %v at %s, leads %v", out, hm(h.env.Now()), h.leads)
	}
}

// TestEnrolmentAlreadyEnded: the marketing service answers that the
// enrolment ended (the cancellation's signal was lost): the cadence ends
// quietly, its open touch cancelled and its mark cleared, with nothing
// more recorded.
func TestEnrolmentAlreadyEnded(t *testing.T) {
	h := newHarness(t, enrolled)
	h.decide = func(tc *marketingv1.Touch, _ int) *marketingv1.WinBackTouchResult {
		if tc.GetStep() == 1 {
			return &marketingv1.WinBackTouchResult{SkipReason: winback.SkipStopped}
		}
		return &marketingv1.WinBackTouchResult{}
	}
	out := h.run(input(enrolled))
	if out.GetOutcome() != winback.OutcomeStopped || len(h.ends()) != 0 || len(h.leads) != 0 || h.marks() != "set camp-1, clear camp-1" {
		t.Errorf("result %v, ends %v, marks %q", out, h.ends(), h.marks())
	}
	if got, want := h.closed(), []string{"cancelled: the enrolment ended@Mar 16 10:00:00"}; !slices.Equal(got, want) {
		t.Errorf("closes %v, want %v", got, want)
	}
}

// TestInboundLeadIsTheHandOver: the customer's response is an inbound lead:
// that lead's own workflow routes it, so no second lead is started; the
// cadence ends responded with that lead.
func TestInboundLeadIsTheHandOver(t *testing.T) {
	h := newHarness(t, enrolled)
	h.at(cst(time.March, 4, 9, 0), func() {
		h.env.SignalWorkflow(wfc.SignalWinBackResponse, &marketingv1.WinBackResponse{Kind: winback.ResponseLead, Ref: "lead-42"})
	})
	out := h.run(input(enrolled))
	if len(h.leads) != 0 || out.GetOutcome() != winback.OutcomeResponded || out.GetLeadId() != "lead-42" {
		t.Errorf("leads %v, result %v", h.leads, out)
	}
	if ret := h.of(customerc.ActivityWinBackReturned); len(ret) != 1 || ret[0].msg.(*marketingv1.WinBackEndInput).GetLeadId() != "lead-42" {
		t.Errorf("returned %v", ret)
	}
}
