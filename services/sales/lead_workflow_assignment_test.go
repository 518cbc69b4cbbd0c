package sales_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/ports"
	"github.com/closeloop/closeloop/workflows/lead"
)

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

// TestReassignmentsOfAFailedWorkflowTaskAreKeyedByTheirRequests: a hosted
// lead writes its assignments as local activities, so a workflow task that
// failed after one ran leaves it stored, and the server has the task's
// updates sent again in another order. Here the failed attempt stored
// request r1 (to rep-bo) as assignment 2; the next attempt takes r2 (to
// rep-ana) first, with that same number. r2 is made — as assignment 3 —
// instead of being answered with r1's; r1, sent again, is found as stored
// and changes nothing. (Keyed by the number alone, r2 was answered with
// rep-bo and never made.)
func TestReassignmentsOfAFailedWorkflowTaskAreKeyedByTheirRequests(t *testing.T) {
	h := newWFHarness(t, cst(time.March, 2, 9, 0))
	ctx := context.Background()
	acts := &ports.Activities{Store: h.store}
	id, at := uuid.NewString(), timestamppb.New(cst(time.March, 2, 9, 0))
	first, err := acts.AssignLead(ctx, &salesv1.AssignLeadInput{LeadId: id, Seq: 1, At: at, Actor: "workflow", Reason: "territory rules",
		Lead: &salesv1.LeadData{Id: id, Source: "web", CompanyName: "Acme", Region: "east", Industry: "software", ReceivedAt: at, CreatedBy: "mgr-eve"}})
	if err != nil || first.GetOwnerId() == "" || first.GetSeq() != 1 {
		t.Fatalf("first assignment: %v, %v", first, err)
	}
	to := func(req, owner string, seq int32) *salesv1.AssignLeadInput {
		return &salesv1.AssignLeadInput{LeadId: id, OwnerId: owner, Manual: true, Actor: "mgr-eve", Reason: req, Seq: seq, At: at, RequestId: req}
	}
	if a, err := acts.AssignLead(ctx, to("r1", "rep-bo", 2)); err != nil || a.GetOwnerId() != "rep-bo" || a.GetSeq() != 2 {
		t.Fatalf("r1 in the failed attempt: %v, %v", a, err)
	}
	a, err := acts.AssignLead(ctx, to("r2", "rep-ana", 2))
	if err != nil || a.GetOwnerId() != "rep-ana" || a.GetSeq() != 3 {
		t.Fatalf("r2 with the number r1 took: %v, %v; want rep-ana as assignment 3", a, err)
	}
	if a, err := acts.AssignLead(ctx, to("r1", "rep-bo", 4)); err != nil || a.GetOwnerId() != "rep-ana" || a.GetSeq() != 3 {
		t.Fatalf("r1 sent again: %v, %v; want the stored assignment (rep-ana, 3), nothing changed", a, err)
	}
	if a, err := acts.AssignLead(ctx, to("r2", "rep-ana", 2)); err != nil || a.GetSeq() != 3 {
		t.Fatalf("r2 retried: %v, %v", a, err)
	}
	l, err := h.store.Lead(ctx, id)
	if err != nil || l.OwnerID != "rep-ana" || l.AssignmentSeq != 3 {
		t.Fatalf("stored lead %+v, %v", l, err)
	}
}
