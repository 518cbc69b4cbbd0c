package infoslip_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup/followuptest"
	"github.com/closeloop/closeloop/workflows/infoslip"
	"github.com/closeloop/closeloop/workflows/policy"
)

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

func hm(t time.Time) string { return t.In(followuptest.Shanghai).Format("Jan 2 15:04") }

// TestEachRecipientChasedAcrossNationalDay: a slip sent the afternoon
// before the National Day holiday to a person and to a department. The
// acknowledgement is due 8 business hours later, after the holiday. The
// person acknowledges a minute before it — nothing is escalated, and their
// action is chased from the same receipt; the department's part, routed to
// nobody, is escalated to its managers at the instant it falls due (not a
// minute earlier), and once its manager routes it to a person, that person
// is reminded at once (the deadline has passed).
func TestEachRecipientChasedAcrossNationalDay(t *testing.T) {
	sent := cst(time.September, 30, 15, 0)
	h := newHarness(t, sent, person("svc-sam", "service"), department("marketing", "marketing"))
	cal := china(t)
	ackDue := cal.Add(sent, 8*time.Hour)
	if !ackDue.After(cst(time.October, 8, 0, 0)) {
		t.Fatalf("test premise: the acknowledgement is due after the holiday, got %s", hm(ackDue))
	}
	h.send(ackDue.Add(-time.Minute), &servicev1.SlipCommand{Op: infoslip.OpAcknowledge, Recipient: 1, Actor: "svc-sam"}, "")
	h.at(ackDue.Add(-time.Second), func() {
		if len(h.slips.chased) != 0 {
			t.Errorf("chased before the deadline: %v", h.slips.chased)
		}
	})
	h.send(ackDue.Add(time.Minute), &servicev1.SlipCommand{Op: infoslip.OpRoute, Recipient: 2, UserId: "mkt-mo", Actor: "mgr-mona"}, "")
	h.send(ackDue.Add(2*time.Minute), &servicev1.SlipCommand{Op: infoslip.OpAcknowledge, Recipient: 1, Actor: "svc-sam"}, infoslip.CodeAlreadyAcknowledged)
	h.send(ackDue.Add(3*time.Minute), &servicev1.SlipCommand{Op: infoslip.OpReject, Recipient: 2, Actor: "mkt-mo"}, infoslip.CodeReasonRequired)
	h.run(ackDue.Add(time.Hour), 0)

	opened := h.opened()
	if len(opened) != 4 {
		var ks []string
		for _, o := range opened {
			ks = append(ks, o.GetSpec().GetKind()+" "+o.GetSpec().GetOwnerId())
		}
		t.Fatalf("opened %v, want 4: both acknowledgements, svc-sam's action, mkt-mo's acknowledgement", ks)
	}
	find := func(kind, owner, team string) *followupv1.FollowUpRecord {
		for _, o := range opened {
			if o.GetSpec().GetKind() == kind && o.GetSpec().GetOwnerId() == owner && o.GetSpec().GetTeam() == team {
				return o
			}
		}
		t.Fatalf("no %s follow-up of %s in team %s", kind, owner, team)
		return nil
	}
	samAck, deptAck := find(policy.KindSlipAck, "svc-sam", "service"), find(policy.KindSlipAck, "rep-ana", "marketing")
	samAct, moAck := find(policy.KindSlipClose, "svc-sam", "service"), find(policy.KindSlipAck, "mkt-mo", "marketing")
	if samAck.GetSpec().GetKind() != policy.KindSlipAck || !samAck.GetDueAt().AsTime().Equal(ackDue) {
		t.Errorf("svc-sam's acknowledgement: %s due %s, want slip_ack due %s", samAck.GetSpec().GetKind(), hm(samAck.GetDueAt().AsTime()), hm(ackDue))
	}
	if deptAck.GetSpec().GetOwnerId() != "rep-ana" || deptAck.GetSpec().GetTeam() != "marketing" || deptAck.GetSpec().GetRequesterTeam() != "north" {
		t.Errorf("the department's follow-up: owner %q team %q requester %q, want the originator rep-ana, team marketing, requester north",
			deptAck.GetSpec().GetOwnerId(), deptAck.GetSpec().GetTeam(), deptAck.GetSpec().GetRequesterTeam())
	}
	closeDue := cal.Add(sent, 40*time.Hour)
	if samAct.GetSpec().GetKind() != policy.KindSlipClose || !samAct.GetDueAt().AsTime().Equal(closeDue) {
		t.Errorf("svc-sam's action: %s due %s, want slip_close due %s (from the receipt)", samAct.GetSpec().GetKind(),
			hm(samAct.GetDueAt().AsTime()), hm(closeDue))
	}
	if got := h.stepsOf(samAck.GetSpec().GetId()); got != "" {
		t.Errorf("svc-sam acknowledged in time, yet steps %q", got)
	}
	if got, want := h.stepsOf(deptAck.GetSpec().GetId()), "escalate_manager@"+hm(ackDue); got != want {
		t.Errorf("the unrouted department's steps %q, want %q (nobody to remind: its managers route it)", got, want)
	}
	if got, want := h.stepsOf(moAck.GetSpec().GetId()), "remind@"+hm(ackDue.Add(time.Minute)); got != want {
		t.Errorf("mkt-mo's steps %q, want %q (routed after the deadline: reminded at once)", got, want)
	}
	cl := h.closed()
	if cl[samAck.GetSpec().GetId()] != "done: acknowledged" || !strings.HasPrefix(cl[deptAck.GetSpec().GetId()], "cancelled: re-routed") {
		t.Errorf("closes %v", cl)
	}
	if !slices.Equal(h.slips.chased, []string{"escalated 2@" + hm(ackDue), "reminded 2@" + hm(ackDue.Add(time.Minute))}) {
		t.Errorf("slip timeline chase entries %v", h.slips.chased)
	}
}

// TestLadderToTheOriginatorsManagers: a person who never acknowledges is
// reminded at the deadline, escalated to their managers 8 business hours
// later and to the originator's managers after 16.
func TestLadderToTheOriginatorsManagers(t *testing.T) {
	sent := cst(time.November, 2, 9, 0)
	h := newHarness(t, sent, person("svc-sam", "service"))
	cal := china(t)
	due := cal.Add(sent, 8*time.Hour)
	h.run(cal.Add(due, 20*time.Hour), 0)
	fu := h.opened()[0].GetSpec().GetId()
	want := "remind@" + hm(due) + " escalate_manager@" + hm(cal.Add(due, 8*time.Hour)) + " escalate_originator@" + hm(cal.Add(due, 16*time.Hour))
	if got := h.stepsOf(fu); got != want {
		t.Errorf("steps %q, want %q", got, want)
	}
	if len(h.slips.chased) != 3 || !strings.HasPrefix(h.slips.chased[2], "escalated 1@") {
		t.Errorf("slip timeline chase entries %v", h.slips.chased)
	}
}

// TestLateRecipientDelaysNobodyElse: svc-sam acts at once; svc-sue is
// late and reminded; svc-sam's chase ends when they are done, untouched by
// svc-sue's lateness. Once both are done and the originator says nothing,
// the slip closes itself after the confirmation period.
func TestLateRecipientDelaysNobodyElse(t *testing.T) {
	sent := cst(time.November, 2, 9, 0)
	h := newHarness(t, sent, person("svc-sam", "service"), person("svc-sue", "service"))
	cal := china(t)
	closeDue := cal.Add(sent, 40*time.Hour)
	h.send(sent.Add(time.Hour), &servicev1.SlipCommand{Op: infoslip.OpDone, Recipient: 1, Text: "called them back", Actor: "svc-sam"}, "")
	h.send(cst(time.November, 2, 15, 0), &servicev1.SlipCommand{Op: infoslip.OpAcknowledge, Recipient: 2, Actor: "svc-sue"}, "")
	sueDone := closeDue.Add(2 * time.Hour)
	h.send(sueDone, &servicev1.SlipCommand{Op: infoslip.OpDone, Recipient: 2, Text: "price matched", Actor: "svc-sue"}, "")
	h.send(sueDone.Add(time.Minute), &servicev1.SlipCommand{Op: infoslip.OpDone, Recipient: 2, Text: "again", Actor: "svc-sue"}, infoslip.CodeAlreadyDone)
	confirmDue := cal.Add(sueDone, 24*time.Hour)
	h.at(confirmDue.Add(-time.Minute), func() {
		s := h.state()
		if s.GetState() != infoslip.StateOpen || !s.GetAutoCloseAt().AsTime().Equal(confirmDue) {
			t.Errorf("a minute before the confirmation period ends: %s closing at %v, want open closing at %s", s.GetState(), s.GetAutoCloseAt(), hm(confirmDue))
		}
	})
	h.run(confirmDue.Add(10*24*time.Hour), 0)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow ended with %v, want it to complete", err)
	}
	var end servicev1.SlipSnapshot
	if err := h.env.GetWorkflowResult(&end); err != nil {
		t.Fatal(err)
	}
	if end.GetState() != infoslip.StateClosed || !end.GetClosedAt().AsTime().Equal(confirmDue) {
		t.Errorf("ended %s at %v, want closed at %s", end.GetState(), end.GetClosedAt(), hm(confirmDue))
	}
	var samSteps, sueSteps string
	for _, o := range h.opened() {
		switch o.GetSpec().GetOwnerId() {
		case "svc-sam":
			samSteps += h.stepsOf(o.GetSpec().GetId())
		case "svc-sue":
			sueSteps += h.stepsOf(o.GetSpec().GetId())
		}
	}
	if samSteps != "" {
		t.Errorf("svc-sam acted at once, yet steps %q", samSteps)
	}
	if !strings.HasPrefix(sueSteps, "remind@"+hm(closeDue)) {
		t.Errorf("svc-sue's steps %q, want a reminder at %s", sueSteps, hm(closeDue))
	}
	if want := []string{"sent", "done", "acknowledged", "done", "closed"}; !slices.Equal(h.slips.history, want) {
		t.Errorf("customer's history %v, want %v", h.slips.history, want)
	}
}

// TestForwardKeepsTheChain: svc-sam forwards the slip to svc-sue; svc-sam's
// chase ends, svc-sue's starts from the forward (a receipt of their own).
func TestForwardKeepsTheChain(t *testing.T) {
	sent := cst(time.November, 2, 9, 0)
	h := newHarness(t, sent, person("svc-sam", "service"))
	fwd := cst(time.November, 2, 11, 0)
	h.send(fwd, &servicev1.SlipCommand{Op: infoslip.OpForward, Recipient: 1, Text: "Sue has this account",
		To: []*servicev1.RecipientSpec{{Kind: infoslip.KindPerson, UserId: "svc-sue"}}, Actor: "svc-sam"}, "")
	h.run(fwd.Add(time.Hour), 0)
	opened := h.opened()
	if len(opened) != 2 || opened[1].GetSpec().GetOwnerId() != "svc-sue" || !opened[1].GetSpec().GetAnchorAt().AsTime().Equal(fwd) {
		t.Fatalf("opened %v, want svc-sue's acknowledgement anchored at the forward", opened)
	}
	if got := h.closed()[opened[0].GetSpec().GetId()]; got != "cancelled: the recipient forwarded the slip" {
		t.Errorf("svc-sam's chase closed %q", got)
	}
	if want := []string{"sent", "forwarded"}; !slices.Equal(h.slips.history, want) {
		t.Errorf("customer's history %v, want %v", h.slips.history, want)
	}
}

// TestWithdrawCancelsEveryChase: withdrawing a slip to three recipients
// closes each running chase as cancelled and ends the workflow.
func TestWithdrawCancelsEveryChase(t *testing.T) {
	sent := cst(time.November, 2, 9, 0)
	h := newHarness(t, sent, person("svc-sam", "service"), person("svc-sue", "service"), department("marketing", "marketing"))
	h.send(cst(time.November, 2, 10, 0), &servicev1.SlipCommand{Op: infoslip.OpAcknowledge, Recipient: 2, Actor: "svc-sue"}, "")
	h.send(cst(time.November, 2, 11, 0), &servicev1.SlipCommand{Op: infoslip.OpWithdraw, Text: "the customer withdrew", Actor: "rep-ana"}, "")
	h.run(cst(time.November, 30, 0, 0), 0)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow ended with %v, want it to complete", err)
	}
	opened, closed := h.opened(), h.closed()
	if len(opened) != 4 || len(closed) != 4 {
		t.Fatalf("opened %d, closed %d follow-ups; want 4 and 4 (three acknowledgements, svc-sue's action)", len(opened), len(closed))
	}
	count := map[string]int{}
	for _, o := range opened {
		count[closed[o.GetSpec().GetId()]]++
	}
	if count["done: acknowledged"] != 1 || count["cancelled: the slip was withdrawn"] != 3 {
		t.Errorf("closes %v, want svc-sue's acknowledgement done and the three running chases cancelled by the withdrawal", count)
	}
	if len(h.engine.Steps()) != 0 {
		t.Errorf("steps after a withdrawal: %v", h.engine.Steps())
	}
}

// TestContinuesAsNewWithChasesCarried: after its limit of updates the run
// continues as new; svc-sue's running chase is carried and resumed, not
// opened again; svc-sam, who acknowledged just before, gets the chase of
// their action in the next run.
func TestContinuesAsNewWithChasesCarried(t *testing.T) {
	sent := cst(time.November, 2, 9, 0)
	h := newHarness(t, sent, person("svc-sam", "service"), person("svc-sue", "service"))
	h.send(cst(time.November, 2, 10, 0), &servicev1.SlipCommand{Op: infoslip.OpAcknowledge, Recipient: 1, Actor: "svc-sam"}, "")
	h.at(cst(time.November, 2, 11, 0), func() {})
	h.env.ExecuteWorkflow(wfc.WorkflowInfoSlip, &servicev1.SlipInput{Slip: h.slips.s, ContinueAsNewAfter: 1})
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("the run ended with %v, want continue-as-new", err)
	}
	var next servicev1.SlipInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	var sue *servicev1.SlipChase
	for _, c := range next.GetCarried().GetChases() {
		if c.GetRecipient() == 2 && !c.GetIdle() {
			sue = c
		}
	}
	if sue == nil || sue.GetSpec().GetOwnerId() != "svc-sue" {
		t.Fatalf("carried %v, want svc-sue's acknowledgement chase", next.GetCarried().GetChases())
	}
	h2 := newHarness(t, sent, person("svc-sam", "service"), person("svc-sue", "service"))
	h2.env.SetStartTime(h.env.Now())
	h2.slips.s = next.GetSlip()
	h2.at(h.env.Now().Add(time.Hour), func() { h2.env.CancelWorkflow() })
	h2.env.ExecuteWorkflow(wfc.WorkflowInfoSlip, &next)
	opened := h2.opened()
	if len(opened) != 1 || opened[0].GetSpec().GetOwnerId() != "svc-sam" || opened[0].GetSpec().GetKind() != policy.KindSlipClose {
		for _, o := range opened {
			t.Errorf("the next run opened %s for %s", o.GetSpec().GetKind(), o.GetSpec().GetOwnerId())
		}
		t.Errorf("want only svc-sam's action chase opened (svc-sue's resumed)")
	}
}
