package sales_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/lead"
)

// TestLeadOnAnOwnedCustomerStaysWithItsOwner (issue 13 item 1, in the
// time-skipping environment): a lead naming a customer rep-ana already owns,
// "received" 20 days before it was created, is timed from its assignment —
// not from the received_at its creator chose — and when nobody calls, the
// ladder's reassign step escalates to the managers instead of taking the
// lead (and the customer's pipeline) away from rep-ana. A manager moves it
// only together with the customer.
func TestLeadOnAnOwnedCustomerStaysWithItsOwner(t *testing.T) {
	start := cst(time.March, 2, 10, 0) // ordinary Monday
	h := newWFHarness(t, start)
	custID := h.cust.add("Owned Metals", "rep-ana", "east")
	in := h.leadInput("Owned Metals")
	in.Lead.ReceivedAt, in.Lead.CreatedBy = timestamppb.New(start.Add(-20*24*time.Hour)), "rep-bo"
	id := in.GetLead().GetId()
	due := cst(time.March, 2, 15, 30)          // 4 business hours from the assignment
	reassignStep := cst(time.March, 4, 16, 30) // due + 16 business hours
	h.at(due.Add(-time.Minute), func() {
		if n := len(h.steps()); n != 0 {
			t.Errorf("escalated before the deadline counted from creation: %v", h.stepsSeen())
		}
	})
	h.at(reassignStep.Add(time.Minute), func() {
		if n := len(h.steps()); n != 3 {
			t.Errorf("steps %v, want remind, escalate_manager, reassign", h.stepsSeen())
		}
		// The follow-up records what happened: the reassign step escalated.
		if got := h.stepsSeen(); len(got) != 3 || got[2] != "escalate_manager@Mar 4 16:30" {
			t.Errorf("recorded steps %v, want the third as escalate_manager@Mar 4 16:30", got)
		}
		if l := h.lead(id); l.OwnerID != "rep-ana" || l.Pooled {
			t.Errorf("the ladder moved the lead: %+v", l)
		}
	})
	var toRep, toPool, byRules, moved, disq *outcome
	h.at(cst(time.March, 5, 9, 0), func() {
		toRep = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-bo", Actor: "mgr-eve", Reason: "ana is busy"})
		toPool = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToPool: true, Actor: "mgr-eve", Reason: "nobody"})
		byRules = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{Actor: "mgr-eve", Reason: "rebalance"})
	})
	h.at(cst(time.March, 5, 9, 1), func() {
		moved = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-bo", MoveCustomer: true, Actor: "mgr-eve", Reason: "ana is on leave"})
	})
	h.at(cst(time.March, 5, 10, 0), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-bo", Reason: "test over"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	expect(t, "reassign to a rep without the customer", toRep, "customer_owned")
	expect(t, "reassign to the pool", toPool, "customer_owned")
	expect(t, "reassign by the rules", byRules, "customer_owned")
	expect(t, "reassign with the customer", moved, "")
	expect(t, "disqualify", disq, "")
	first := h.opens()[0].Msg.(*followupv1.FollowUpRecord)
	if !first.GetSpec().GetAnchorAt().AsTime().Equal(start) || !first.GetDueAt().AsTime().Equal(due) {
		t.Errorf("first follow-up anchored at %v, due %v; want %v, %v", first.GetSpec().GetAnchorAt().AsTime(), first.GetDueAt().AsTime(), start, due)
	}
	want := "created,assigned,reminder,escalated,escalated,reassigned,disqualified"
	if got := strings.Join(h.timeline("lead", id), ","); got != want {
		t.Errorf("timeline %s, want %s", got, want)
	}
	if o := h.cust.owner[custID]; o != "rep-bo" {
		t.Errorf("customer owner %q, want rep-bo (moved with the lead)", o)
	}
}

// TestImportedLeadCountsFromReceivedAt: the permissioned import path trusts
// received_at as the first owner's SLA anchor.
func TestImportedLeadCountsFromReceivedAt(t *testing.T) {
	start := cst(time.March, 3, 10, 0) // Tuesday
	h := newWFHarness(t, start)
	in := h.leadInput("Imported Paper")
	received := cst(time.March, 2, 10, 0)
	in.Lead.ReceivedAt, in.Lead.Imported = timestamppb.New(received), true
	var disq *outcome
	h.at(cst(time.March, 3, 10, 1), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-ana", Reason: "test over"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	expect(t, "disqualify", disq, "")
	first := h.opens()[0].Msg.(*followupv1.FollowUpRecord)
	if !first.GetSpec().GetAnchorAt().AsTime().Equal(received) || !first.GetDueAt().AsTime().Equal(cst(time.March, 2, 15, 30)) {
		t.Errorf("imported lead's follow-up anchored at %v due %v", first.GetSpec().GetAnchorAt().AsTime(), first.GetDueAt().AsTime())
	}
	// Overdue at once: remind immediately (due the day before).
	if got := h.stepsSeen(); len(got) == 0 || !strings.HasPrefix(got[0], "remind") {
		t.Errorf("steps %v", got)
	}
}

// TestConvertNeedsTheCustomersOwner: the lead workflow's validator refuses a
// conversion whose opportunity would go to a rep who is not the customer's
// owner (here the customer changed hands in the customer service, so moving
// it with the lead found another owner), and one for a stale lead owner.
func TestConvertNeedsTheCustomersOwner(t *testing.T) {
	start := cst(time.March, 2, 10, 0)
	h := newWFHarness(t, start)
	custID := h.cust.add("Shifting Glass", "rep-ana", "east")
	in := h.leadInput("Shifting Glass")
	id := in.GetLead().GetId()
	opp := func(owner string) *salesv1.OpportunityData {
		return &salesv1.OpportunityData{Id: "opp-" + owner, LeadId: id, CustomerId: custID, Name: "Glass", OwnerId: owner, Team: "east", Stage: 1, CreatedBy: owner}
	}
	var moved, contact, stale, foreign, disq *outcome
	h.at(cst(time.March, 2, 10, 30), func() {
		h.cust.mu.Lock()
		h.cust.owner[custID] = "rep-zed" // changed in the customer service meanwhile
		h.cust.mu.Unlock()
		moved = h.send(wfc.UpdateReassign, &salesv1.ReassignRequest{ToOwnerId: "rep-bo", MoveCustomer: true, Actor: "mgr-eve", Reason: "cover"})
	})
	h.at(cst(time.March, 2, 11, 0), func() {
		contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-bo", Channel: "call", Summary: "hi"})
	})
	h.at(cst(time.March, 2, 11, 30), func() {
		stale = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpConvert, Actor: "mgr-eve", Opportunity: opp("rep-ana")})
		foreign = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpConvert, Actor: "rep-bo", Opportunity: opp("rep-bo")})
	})
	h.at(cst(time.March, 2, 12, 0), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "mgr-eve", Reason: "test over"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	expect(t, "reassign with the customer", moved, "")
	expect(t, "contact", contact, "")
	expect(t, "convert for the previous owner", stale, "lead_not_found")
	expect(t, "convert on a customer the owner cannot see", foreign, "customer_not_visible")
	expect(t, "disqualify", disq, "")
	if l := h.lead(id); l.OpportunityID != "" || l.State != lead.StateDisqualified {
		t.Errorf("lead %+v", l)
	}
}
