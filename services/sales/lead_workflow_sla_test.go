package sales_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/lead"
	"github.com/closeloop/closeloop/workflows/policy"
)

// TestLeadEscalationAcrossNationalDay walks the shipped ladder (remind at the
// due time, escalate to the manager 4 business hours later, reassign 16
// business hours after the due time) for a lead that arrives the day before
// the National Day holiday, checking the minute before and just after every
// step: the SLA clock stops for the seven holidays, and the make-up Saturday
// counts as a working day.
func TestLeadEscalationAcrossNationalDay(t *testing.T) {
	start := cst(time.September, 30, 15, 0) // Wed: 3 business hours left today
	h := newWFHarness(t, start)
	in := h.leadInput("Harbour Logistics")
	id := in.GetLead().GetId()

	due := cst(time.October, 8, 10, 0)       // 3h on 30 Sep + 1h after the holiday
	escalate := cst(time.October, 8, 15, 30) // due + 4 business hours (lunch break skipped)
	reassign := cst(time.October, 10, 11, 0) // due + 16h: 6.5h on 8 Oct, 7.5h on 9 Oct, 2h on make-up Sat 10 Oct
	checks := []struct {
		at    time.Time
		steps int
		owner string
	}{
		{due.Add(-time.Minute), 0, "rep-ana"}, {due.Add(time.Second), 1, "rep-ana"},
		{escalate.Add(-time.Minute), 1, "rep-ana"}, {escalate.Add(time.Second), 2, "rep-ana"},
		{reassign.Add(-time.Minute), 2, "rep-ana"}, {reassign.Add(time.Second), 3, "rep-bo"},
	}
	for _, c := range checks {
		h.at(c.at, func() {
			if got := len(h.steps()); got != c.steps {
				t.Errorf("at %s: %d escalation steps %v, want %d", c.at.In(shanghai), got, h.stepsSeen(), c.steps)
			}
			if o := h.lead(id).OwnerID; o != c.owner {
				t.Errorf("at %s: owner %q, want %q", c.at.In(shanghai), o, c.owner)
			}
		})
	}
	// The new owner's follow-up counts from the reassignment; answer it then.
	var afterReassign *salesv1.LeadSnapshot
	var contact, disq *outcome
	h.at(reassign.Add(time.Hour), func() {
		afterReassign = h.query(id)
		contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-bo", Channel: "call", Summary: "intro call"})
	})
	h.at(reassign.Add(2*time.Hour), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-bo", Reason: "no budget"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	expect(t, "contact", contact, "")
	expect(t, "disqualify", disq, "")
	want := []string{"remind@Oct 8 10:00", "escalate_manager@Oct 8 15:30", "reassign@Oct 10 11:00"}
	if got := h.stepsSeen(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("steps %v, want %v", got, want)
	}
	opens := h.opens()
	if len(opens) != 2 {
		t.Fatalf("%d follow-ups opened, want 2 (rep-ana, then rep-bo)", len(opens))
	}
	first, second := opens[0].Msg.(*followupv1.FollowUpRecord), opens[1].Msg.(*followupv1.FollowUpRecord)
	if first.GetSpec().GetOwnerId() != "rep-ana" || !first.GetDueAt().AsTime().Equal(due) || !first.GetSpec().GetAnchorAt().AsTime().Equal(start) {
		t.Errorf("first follow-up %v", first)
	}
	// Reassigned at Sat 10 Oct 11:00: 4 business hours → 13:30+3h = 16:30.
	if second.GetSpec().GetOwnerId() != "rep-bo" || !second.GetDueAt().AsTime().Equal(cst(time.October, 10, 16, 30)) {
		t.Errorf("second follow-up %v, want rep-bo due Oct 10 16:30", second)
	}
	if !afterReassign.GetDueAt().AsTime().Equal(cst(time.October, 10, 16, 30)) || afterReassign.GetNextAction() != "remind" ||
		afterReassign.GetAssignment().GetOwnerId() != "rep-bo" {
		t.Errorf("query after reassignment: %v", afterReassign)
	}
	closes := h.closes()
	if len(closes) != 2 || closes[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "cancelled" || closes[1].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" {
		t.Errorf("closes %v", closes)
	}
	l := h.lead(id)
	if l.State != lead.StateDisqualified || l.OwnerID != "rep-bo" || l.CloseReason != "no budget" {
		t.Errorf("lead %+v", l)
	}
	wantKinds := []string{"created", "assigned", "reminder", "escalated", "reassigned", "first_contact", "disqualified"}
	if got := h.timeline("lead", id); strings.Join(got, ",") != strings.Join(wantKinds, ",") {
		t.Errorf("timeline %v, want %v", got, wantKinds)
	}
	// Each step's timeline entry keeps when the ladder had it due beside
	// when it ran (here on time: the timers fired at the due instants).
	wantDue := map[string]time.Time{"reminder": due, "escalated": escalate, "reassigned": reassign}
	evs, err := h.store.Timeline(context.Background(), "lead", id, 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		want, ok := wantDue[e.Kind]
		if !ok {
			continue
		}
		var data struct {
			ScheduledAt time.Time `json:"scheduled_at"`
		}
		if err := json.Unmarshal([]byte(e.Data), &data); err != nil || !data.ScheduledAt.Equal(want) || !e.At.Equal(want) {
			t.Errorf("%s event: ran at %v, data %s, want scheduled_at %v", e.Kind, e.At, e.Data, want)
		}
	}
	// The customer created for the lead followed it to its new owner.
	if o := h.cust.owner[h.lead(id).CustomerID]; o != "rep-bo" {
		t.Errorf("customer owner %q, want rep-bo", o)
	}
}

// TestFirstContactJustBeforeTheDeadline: contact a minute before the due
// time — nothing escalates, ever.
func TestFirstContactJustBeforeTheDeadline(t *testing.T) {
	start := cst(time.March, 2, 10, 0) // ordinary Monday
	h := newWFHarness(t, start)
	in := h.leadInput("Quay Systems")
	due := cst(time.March, 2, 15, 30) // 2h before lunch + 2h after
	var contact, qualify, disq *outcome
	h.at(due.Add(-time.Minute), func() {
		contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-ana", Channel: "call", Summary: "first call"})
	})
	h.at(cst(time.March, 20, 0, 0), func() {
		qualify = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpQualify, Actor: "rep-ana"})
	})
	h.at(cst(time.March, 20, 1, 0), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-ana", Reason: "went elsewhere"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "contact", contact, "")
	expect(t, "qualify", qualify, "")
	expect(t, "disqualify", disq, "")
	if s := h.steps(); len(s) != 0 {
		t.Fatalf("escalated although contacted in time: %v", h.stepsSeen())
	}
	if o := h.opens(); len(o) != 1 || !o[0].Msg.(*followupv1.FollowUpRecord).GetDueAt().AsTime().Equal(due) {
		t.Fatalf("opens %v", o)
	}
	if c := h.closes(); len(c) != 1 || c[0].Msg.(*followupv1.CloseFollowUpInput).GetState() != "done" || !c[0].At.Equal(due.Add(-time.Minute)) {
		t.Fatalf("closes %v", c)
	}
	l := h.lead(in.GetLead().GetId())
	if l.FirstContactAt == nil || !l.FirstContactAt.Equal(due.Add(-time.Minute)) || l.State != lead.StateDisqualified {
		t.Fatalf("lead %+v", l)
	}
	if got := h.timeline("lead", l.ID); strings.Join(got, ",") != "created,assigned,first_contact,qualified,disqualified" {
		t.Fatalf("timeline %v", got)
	}
}

// TestShortenedSLAReachesARunningLead: an analyst shortens the first-contact
// SLA to 1 business hour while the lead waits; the policy-changed signal
// moves the due time to 11:00 (not 15:30), where the reminder fires.
func TestShortenedSLAReachesARunningLead(t *testing.T) {
	start := cst(time.March, 2, 10, 0)
	h := newWFHarness(t, start)
	in := h.leadInput("Ridge Analytics")
	h.at(cst(time.March, 2, 10, 30), func() {
		h.putPolicy(policy.LeadFirstContactSLA, 2, cst(time.March, 2, 10, 30), policy.Value{Timer: &policy.Timer{Duration: policy.Duration(time.Hour), Clock: policy.ClockBusiness}})
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Policy: policy.LeadFirstContactSLA, Version: 2})
	})
	h.at(cst(time.March, 2, 10, 59), func() {
		if n := len(h.steps()); n != 0 {
			t.Errorf("a step before the new due time: %v", h.stepsSeen())
		}
	})
	var contact, disq *outcome
	h.at(cst(time.March, 2, 11, 1), func() {
		if got := h.stepsSeen(); len(got) != 1 || got[0] != "remind@Mar 2 11:00" {
			t.Errorf("steps %v, want the reminder at 11:00", got)
		}
		contact = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpContact, Actor: "rep-ana", Channel: "email", Summary: "sent brochure"})
	})
	h.at(cst(time.March, 2, 11, 2), func() {
		disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "rep-ana", Reason: "test over"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	expect(t, "contact", contact, "")
	expect(t, "disqualify", disq, "")
	ups := h.eventsOf(followupc.ActivityUpdateFollowUpDeadline)
	if len(ups) != 1 || !ups[0].Msg.(*followupv1.UpdateDeadlineInput).GetDueAt().AsTime().Equal(cst(time.March, 2, 11, 0)) ||
		ups[0].Msg.(*followupv1.UpdateDeadlineInput).GetPolicyVersion() != 2 {
		t.Fatalf("deadline updates %v", ups)
	}
}
