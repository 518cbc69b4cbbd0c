package sales_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/lead"
)

// continueAt makes the current run's history "too long" at instant at: the
// server's continue-as-new suggestion turns on (in the time-skipping
// environment the test sets it), and the workflow continues as new at its
// next safe point.
func (h *wfHarness) continueAt(at time.Time) {
	h.at(at, func() { h.env.SetContinueAsNewSuggested(true) })
}

// runChain executes workflow name with in, and every run it continues as
// new with, each in a new environment starting where the previous run
// ended; prepare registers the run's callbacks (run 0 first). It returns
// the input each continued run started with.
func runChain[T proto.Message](h *wfHarness, name string, in T, prepare func(run int)) []T {
	h.t.Helper()
	var carried []T
	for run := 0; ; run++ {
		prepare(run)
		h.env.ExecuteWorkflow(name, in)
		if !h.env.IsWorkflowCompleted() {
			h.t.Fatalf("run %d did not complete", run)
		}
		err := h.env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if !errors.As(err, &can) {
			if err != nil {
				h.t.Fatalf("run %d: %v", run, err)
			}
			return carried
		}
		if can.WorkflowType.Name != name {
			h.t.Fatalf("run %d continued as %s", run, can.WorkflowType.Name)
		}
		next := in.ProtoReflect().New().Interface().(T)
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, next); err != nil {
			h.t.Fatal(err)
		}
		carried, in = append(carried, next), next
		h.use(h.env.Now())
	}
}

// TestLeadContinuesAsNew (issue 12): a lead whose history grows long
// continues as new three times — twice while its first-contact follow-up
// waits between ladder steps, once while the contacted lead waits — and
// nothing is lost or done twice: the follow-up is opened once per owner and
// resumed by the next run (same id, same anchor, the steps already done
// stay done), the ladder goes on at the instants it had (remind, escalate,
// then reassign to the next rep), and the lead's assignment numbers, owner
// and state carry across.
func TestLeadContinuesAsNew(t *testing.T) {
	start := cst(time.March, 2, 10, 0) // ordinary Monday
	h := newWFHarness(t, start)
	in := h.leadInput("Long Story Ltd")
	id := in.GetLead().GetId()
	due := cst(time.March, 2, 15, 30)      // 4 business hours
	escalate := cst(time.March, 3, 10, 30) // due + 4 business hours
	reassign := cst(time.March, 4, 16, 30) // due + 16 business hours
	var resumed *salesv1.LeadSnapshot
	var contact, qualify, disq *outcome
	runs := runChain(h, wfc.WorkflowLead, in, func(run int) {
		switch run {
		case 0: // reminded at the due time; the history is long an hour later
			h.continueAt(due.Add(time.Hour))
		case 1:
			h.at(cst(time.March, 3, 9, 0), func() { resumed = h.query(id) })
			h.continueAt(escalate.Add(time.Hour))
		case 2: // the reassign step hands the lead to rep-bo, who calls
			h.at(reassign.Add(time.Hour), func() {
				contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-bo", Channel: "call", Summary: "intro"})
			})
			h.continueAt(cst(time.March, 5, 10, 0))
		case 3:
			h.at(cst(time.March, 5, 11, 0), func() {
				qualify = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpQualify, Actor: "rep-bo"})
			})
			h.at(cst(time.March, 5, 12, 0), func() {
				disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-bo", Reason: "no budget"})
			})
		}
	})
	if len(runs) != 3 {
		t.Fatalf("continued as new %d times, want 3", len(runs))
	}
	expect(t, "contact", contact, "")
	expect(t, "qualify", qualify, "")
	expect(t, "disqualify", disq, "")

	// What each run handed to the next.
	first := runs[0].GetCarried()
	fu := first.GetFollowUp()
	if first.GetSeq() != 1 || first.GetSnapshot().GetAssignment().GetOwnerId() != "rep-ana" || !first.GetSnapshot().GetSettled() ||
		!first.GetOwnerRules() || first.GetBound() || !first.GetCustomerCreated() || fu.GetLevel() != 1 || fu.GetAssignmentSeq() != 1 ||
		!fu.GetSpec().GetAnchorAt().AsTime().Equal(start) {
		t.Errorf("first run carried %v", first)
	}
	if c := runs[1].GetCarried(); c.GetFollowUp().GetLevel() != 2 || c.GetFollowUp().GetSpec().GetId() != fu.GetSpec().GetId() {
		t.Errorf("second run carried %v", c)
	}
	if c := runs[2].GetCarried(); c.GetSeq() != 2 || c.GetFollowUp() != nil || c.GetSnapshot().GetState() != lead.StateContacted ||
		c.GetSnapshot().GetAssignment().GetOwnerId() != "rep-bo" {
		t.Errorf("third run carried %v", c)
	}
	for i, r := range runs {
		if r.GetLead().GetId() != id {
			t.Errorf("run %d is of lead %s", i+1, r.GetLead().GetId())
		}
	}
	// The resumed run answers from the carried follow-up.
	if resumed.GetFollowUpId() != fu.GetSpec().GetId() || resumed.GetLevel() != 1 || resumed.GetNextAction() != "escalate_manager" ||
		!resumed.GetNextDeadline().AsTime().Equal(escalate) || !resumed.GetDueAt().AsTime().Equal(due) {
		t.Errorf("query after continuing as new: %v", resumed)
	}

	// The ladder, across the runs: each step once, at its instant.
	want := []string{"remind@Mar 2 15:30", "escalate_manager@Mar 3 10:30", "reassign@Mar 4 16:30"}
	if got := h.stepsSeen(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("steps %v, want %v", got, want)
	}
	opens := h.opens()
	if len(opens) != 2 {
		t.Fatalf("%d follow-ups opened, want 2 (rep-ana's once, then rep-bo's)", len(opens))
	}
	if o := opens[0].Msg.(*followupv1.FollowUpRecord); o.GetSpec().GetId() != fu.GetSpec().GetId() || o.GetSpec().GetOwnerId() != "rep-ana" {
		t.Errorf("first follow-up %v", o)
	}
	if o := opens[1].Msg.(*followupv1.FollowUpRecord); o.GetSpec().GetOwnerId() != "rep-bo" || !o.GetSpec().GetAnchorAt().AsTime().Equal(reassign) {
		t.Errorf("second follow-up %v", o)
	}
	closes := h.closes()
	if len(closes) != 2 || closes[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "cancelled" ||
		closes[0].Msg.(*followupv1.CloseFollowUpInput).GetId() != fu.GetSpec().GetId() ||
		closes[1].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" {
		t.Errorf("closes %v", closes)
	}
	if ups := h.eventsOf("UpdateFollowUpDeadline"); len(ups) != 0 {
		t.Errorf("deadline re-recorded although no policy changed: %v", ups)
	}
	l := h.lead(id)
	if l.State != lead.StateDisqualified || l.OwnerID != "rep-bo" {
		t.Errorf("lead %+v", l)
	}
	wantKinds := "created,assigned,reminder,escalated,reassigned,first_contact,qualified,disqualified"
	if got := strings.Join(h.timeline("lead", id), ","); got != wantKinds {
		t.Errorf("timeline %s, want %s", got, wantKinds)
	}
}

// TestOpportunityContinuesAsNew: an opportunity continues as new after a
// decided update (continue_as_new_after 1: a stage change), once the new
// stage's follow-up is open, and again when its history is long after the
// stale-stage reminder; the follow-up, its reminder and the stage carry
// across, and winning in the last run closes the carried follow-up.
func TestOpportunityContinuesAsNew(t *testing.T) {
	start := cst(time.March, 2, 10, 0)
	h := newWFHarness(t, start)
	in := &salesv1.OpportunityInput{ContinueAsNewAfter: 1, Opportunity: &salesv1.OpportunityData{Id: uuid.NewString(),
		CustomerId: uuid.NewString(), Name: "ERP rollout", OwnerId: "rep-ana", Team: "east", Region: "east", Stage: 1,
		AmountMinor: 5_000_000, Currency: "CNY", CreatedBy: "rep-ana", CreatedAt: timestamppb.New(start)}}
	id := in.GetOpportunity().GetId()
	moved := start.Add(24 * time.Hour)
	stale2 := moved.Add(21 * 24 * time.Hour) // stage 2: 21 calendar days
	send := func(c *salesv1.OpportunityCommand) *outcome { return h.send(wfc.UpdateOpportunityCommand, c) }
	var same, stage2, won *outcome
	runs := runChain(h, wfc.WorkflowOpportunity, in, func(run int) {
		switch run {
		case 0: // a refused change is not decided; the stage change is
			h.at(moved, func() {
				same = send(&salesv1.OpportunityCommand{Op: lead.OpStage, ToStage: 1, Actor: "rep-ana"})
				stage2 = send(&salesv1.OpportunityCommand{Op: lead.OpStage, ToStage: 2, Actor: "rep-ana", Reason: "kick-off booked"})
			})
		case 1: // reminded after 21 days in this run; the history is long then
			h.continueAt(stale2.Add(time.Hour))
		case 2:
			h.at(stale2.Add(2*time.Hour), func() { won = send(&salesv1.OpportunityCommand{Op: lead.OpWon, Actor: "rep-ana"}) })
		}
	})
	if len(runs) != 2 {
		t.Fatalf("continued as new %d times, want 2", len(runs))
	}
	expect(t, "same stage", same, "stage_unchanged")
	expect(t, "stage 2", stage2, "")
	expect(t, "won", won, "")
	fu := runs[0].GetCarried().GetFollowUp()
	if c := runs[0].GetCarried(); fu.GetLevel() != 0 || fu.GetSpec().GetPolicyKey() != "2" || !fu.GetStageEnteredAt().AsTime().Equal(moved) ||
		c.GetRound() != 1 || c.GetSnapshot().GetStage() != 2 || runs[0].GetContinueAsNewAfter() != 1 {
		t.Errorf("first run carried %v", c)
	}
	if c := runs[1].GetCarried(); c.GetFollowUp().GetLevel() != 1 || c.GetFollowUp().GetSpec().GetId() != fu.GetSpec().GetId() {
		t.Errorf("second run carried %v", c)
	}
	if got := h.stepsSeen(); len(got) != 1 || got[0] != "remind@"+stale2.In(shanghai).Format("Jan 2 15:04") {
		t.Errorf("steps %v, want the one reminder of stage 2", got)
	}
	opens := h.opens()
	if len(opens) != 2 || opens[1].Msg.(*followupv1.FollowUpRecord).GetSpec().GetId() != fu.GetSpec().GetId() ||
		!opens[1].Msg.(*followupv1.FollowUpRecord).GetDueAt().AsTime().Equal(stale2) {
		t.Fatalf("opens %v, want stage 1's and stage 2's, each once", opens)
	}
	closes := h.closes()
	if len(closes) != 2 || closes[1].Msg.(*followupv1.CloseFollowUpInput).GetId() != fu.GetSpec().GetId() ||
		closes[1].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" {
		t.Errorf("closes %v", closes)
	}
	if got := strings.Join(h.timeline("opportunity", id), ","); got != "created,stage_changed,reminder,won" {
		t.Errorf("timeline %s", got)
	}
}

// TestRetriedUpdateAfterContinueAsNewAppliesOnce: Temporal deduplicates an
// update id (the API derives it from the request's Idempotency-Key) within
// one run only. A reassignment by the territory's rules retried with the same
// id after the lead continued as new is answered with the lead as it is —
// not applied again, which would hand the lead back to rep-ana.
func TestRetriedUpdateAfterContinueAsNewAppliesOnce(t *testing.T) {
	start := cst(time.March, 2, 10, 0)
	h := newWFHarness(t, start)
	in := h.leadInput("Retry Works")
	in.ContinueAsNewAfter = 1
	id := in.GetLead().GetId()
	rebalance := &salesv1.ReassignRequest{Actor: "mgr-eve", Reason: "rebalance"}
	var first, retried, disq *outcome
	var answer *salesv1.LeadSnapshot
	runs := runChain(h, wfc.WorkflowLead, in, func(run int) {
		switch run {
		case 0:
			h.at(start.Add(time.Hour), func() { first = h.sendID(wfc.UpdateReassign, "request-7", rebalance) })
		case 1:
			h.at(start.Add(90*time.Minute), func() {
				retried = h.sendID(wfc.UpdateReassign, "request-7", rebalance)
				retried.onResult = func(s *salesv1.LeadSnapshot) { answer = s }
			})
			h.at(start.Add(2*time.Hour), func() {
				disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-bo", Reason: "no budget"})
			})
		}
	})
	if len(runs) != 1 {
		t.Fatalf("continued as new %d times, want 1", len(runs))
	}
	expect(t, "reassign", first, "")
	expect(t, "the same reassign, retried", retried, "")
	expect(t, "disqualify", disq, "")
	if ids := runs[0].GetCarried().GetAppliedUpdateIds(); len(ids) != 1 || ids[0] != "request-7" {
		t.Errorf("carried update ids %v", ids)
	}
	if answer.GetAssignment().GetOwnerId() != "rep-bo" {
		t.Errorf("the retry was answered with %v, want the lead with rep-bo", answer)
	}
	if l := h.lead(id); l.OwnerID != "rep-bo" {
		t.Errorf("lead %+v, want rep-bo's", l)
	}
	if got := strings.Join(h.timeline("lead", id), ","); got != "created,assigned,reassigned,disqualified" {
		t.Errorf("timeline %s: the retry was applied again", got)
	}
}
