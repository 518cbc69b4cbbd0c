package sales_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/lead"
)

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
