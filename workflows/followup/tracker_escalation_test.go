package followup_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ---------------------------------------------------------------------------
// The escalation ladder

func TestShippedLadderStepsInBusinessTime(t *testing.T) {
	// Due Mon 15:30 (4 business hours from 10:00). Escalation 4 business hours
	// later: 15:30–18:00 and Tue 09:00–10:30. Reassignment 16 business hours
	// after due: Mon 2.5h, Tue 7.5h, Wed 09:00–12:00 and 13:30–16:30.
	h := newHarness(t, monday10)
	due, escalate, reassign := cst(time.March, 2, 15, 30), cst(time.March, 3, 10, 30), cst(time.March, 4, 16, 30)
	var before, after *followupv1.FollowUpState
	h.until(due.Add(-time.Minute), func() { before = h.query() })
	h.after(20*24*time.Hour, func() { after = h.query() })
	end := monday10.Add(30 * 24 * time.Hour)
	h.closeAt(end)
	h.run(firstContact(monday10))

	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 3)
	h.wantStep(steps[0], due, 1, policy.ActionRemind, due, escalate)
	h.wantStep(steps[1], escalate, 2, policy.ActionEscalateManager, escalate, reassign)
	h.wantStep(steps[2], reassign, 3, policy.ActionReassign, reassign, time.Time{})
	// One resolution at the start and one per decision point; none after the
	// last step: the workflow only waits for the close signal.
	h.wantCount("ResolvePolicies", len(h.resolves()), 4)
	h.mu.Lock()
	for _, at := range h.timers {
		if !at.Before(reassign) {
			t.Errorf("a timer was started at %s, after the last step", show(at))
		}
	}
	h.mu.Unlock()
	h.wantCount("UpdateFollowUpDeadline", len(h.updates()), 0)
	h.wantTime("closed at", h.closes()[0].at, end)

	if before.GetLevel() != 0 || !ts(before.GetDueAt()).Equal(due) || !ts(before.GetNextAt()).Equal(due) ||
		before.GetPolicyVersion() != 1 || before.GetEscalationPolicyVersion() != 1 || before.GetRecomputations() != 0 {
		t.Errorf("state before due %v", before)
	}
	if after.GetLevel() != 3 || after.GetNextAt() != nil || !ts(after.GetDueAt()).Equal(due) {
		t.Errorf("state after the ladder %v: want level 3 and nothing next", after)
	}
}

func TestExplicitDueTimeIgnoresTheDeadlinePolicy(t *testing.T) {
	h := newHarness(t, monday10)
	spec := firstContact(monday10)
	due := cst(time.March, 2, 14, 0)
	spec.DueAt = timestamppb.New(due)
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(30*time.Minute))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.closeAt(due.Add(30 * time.Minute))
	h.run(spec)

	r := h.resolves()
	if len(r) == 0 || !slices.Equal(r[0].in.GetNames(), []string{policy.LeadEscalation}) {
		t.Fatalf("resolved %v, want only the escalation policy", r)
	}
	o := h.opens()[0].in
	if o.GetPolicy() != "" || o.GetPolicyVersion() != 0 || o.GetEscalationPolicy() != policy.LeadEscalation ||
		o.GetEscalationPolicyVersion() != 1 || o.GetCalendar() != cnMainland {
		t.Errorf("record %v", o)
	}
	h.wantTime("due", ts(o.GetDueAt()), due)
	// The SLA signal does not concern this follow-up: the only other
	// resolution is the decision point at the due time.
	h.wantCount("ResolvePolicies", len(r), 2)
	h.wantTime("decision point", r[1].at, due)
	h.wantCount("UpdateFollowUpDeadline", len(h.updates()), 0)
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], due, 1, policy.ActionRemind, due, cst(time.March, 2, 18, 0)) // 14:00 + 4 business hours
}
