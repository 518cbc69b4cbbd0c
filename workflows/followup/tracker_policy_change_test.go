package followup_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ---------------------------------------------------------------------------
// Policy changes while the follow-up is open

func TestShortenedSLAFiresAtTheNewEarlierDueTime(t *testing.T) {
	cases := []struct {
		name       string
		v1, v2     policy.Value
		ladder     *policy.Value // nil: the shipped business ladder
		wantDue2   time.Time
		wantNext   time.Time // the step after the first one
		wantCalV   int64
		closeAfter time.Time
	}{{
		name:     "calendar clock 8h to 2h",
		v1:       elapsedTimer(8 * time.Hour),
		v2:       elapsedTimer(2 * time.Hour),
		ladder:   new(elapsedLadder()),
		wantDue2: monday10.Add(2 * time.Hour),
		wantNext: monday10.Add(6 * time.Hour),
		// no business time anywhere: no calendar
		wantCalV:   0,
		closeAfter: monday10.Add(2*time.Hour + 30*time.Minute),
	}, {
		// v1: Mon 10:00 + 8 business hours = Tue 10:30. v2: Mon 10:00–12:00
		// and 13:30–14:30 = Mon 14:30. The next step is 4 business hours
		// later: 14:30–18:00 and Tue 09:00–09:30.
		name:       "business clock 8h to 3h",
		v1:         businessTimer(8*time.Hour, ""),
		v2:         businessTimer(3*time.Hour, ""),
		wantDue2:   cst(time.March, 2, 14, 30),
		wantNext:   cst(time.March, 3, 9, 30),
		wantCalV:   cnMainlandVersion,
		closeAfter: cst(time.March, 2, 15, 0),
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, tc.v1)
			if tc.ladder != nil {
				h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, *tc.ladder)
			}
			h.after(time.Hour, func() {
				h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), tc.v2)
				h.signalPolicy(policy.LeadFirstContactSLA, 2)
			})
			h.closeAt(tc.closeAfter)
			h.run(firstContact(monday10))

			ups := h.updates()
			h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
			u := ups[0]
			h.wantTime("deadline updated at", u.at, monday10.Add(time.Hour))
			h.wantTime("updated due", ts(u.in.GetDueAt()), tc.wantDue2)
			h.wantTime("updated next step", ts(u.in.GetNextStepAt()), tc.wantDue2)
			if u.in.GetId() != followUpID || u.in.GetPolicyVersion() != 2 || u.in.GetEscalationPolicyVersion() != 1 || u.in.GetCalendarVersion() != tc.wantCalV {
				t.Errorf("update %v: want policy v2, escalation v1, calendar v%d", u.in, tc.wantCalV)
			}
			if !strings.Contains(u.in.GetReason(), policy.LeadFirstContactSLA+" v1→v2") {
				t.Errorf("reason %q does not name the change", u.in.GetReason())
			}
			steps := h.steps()
			h.wantCount("RecordFollowUpStep", len(steps), 1)
			h.wantStep(steps[0], tc.wantDue2, 1, policy.ActionRemind, tc.wantDue2, tc.wantNext)
		})
	}
}

func TestLengthenedSLAWaitsForTheNewLaterDueTime(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(8*time.Hour))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.closeAt(monday10.Add(8*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline updated at", ups[0].at, monday10.Add(time.Hour))
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(8*time.Hour))
	h.wantTime("updated next step", ts(ups[0].in.GetNextStepAt()), monday10.Add(8*time.Hour))
	if ups[0].in.GetPolicyVersion() != 2 {
		t.Errorf("update %v: want policy v2", ups[0].in)
	}
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], monday10.Add(8*time.Hour), 1, policy.ActionRemind, monday10.Add(8*time.Hour), monday10.Add(12*time.Hour))
	// No decision point at the old due time: the signal replaced its timer.
	for _, r := range h.resolves() {
		if r.at.Equal(monday10.Add(2 * time.Hour)) {
			t.Errorf("the workflow still woke at the old due time; calls:%s", h.trace())
		}
	}
}

func TestChangeWithoutSignalIsPickedUpAtTheNextDecisionPoint(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	// The rollout's signal is lost: only the store changes.
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(8*time.Hour))
	})
	h.closeAt(monday10.Add(8*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	var resolvedAt []time.Duration
	for _, r := range h.resolves() {
		resolvedAt = append(resolvedAt, r.at.Sub(monday10))
		h.wantTime("resolved for", ts(r.in.GetAt()), r.at)
	}
	if want := []time.Duration{0, 2 * time.Hour, 8 * time.Hour}; !slices.Equal(resolvedAt, want) {
		t.Errorf("resolved at %v, want %v (start, the old due time, the new one); calls:%s", resolvedAt, want, h.trace())
	}
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline updated at", ups[0].at, monday10.Add(2*time.Hour))
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(8*time.Hour))
	if ups[0].in.GetPolicyVersion() != 2 {
		t.Errorf("update %v: want policy v2", ups[0].in)
	}
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], monday10.Add(8*time.Hour), 1, policy.ActionRemind, monday10.Add(8*time.Hour), monday10.Add(12*time.Hour))
}

// A ladder change a rollout leaves unsignalled (it moves no instant the
// workflow waits for: services/followup, domain.NeedsNoWake) takes effect
// at the workflow's next action: the step due then is the new ladder's,
// and the later steps count by it.
func TestUnsignalledLadderChangeActsAtTheUnmovedNextAction(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	// At the due time the owner's manager is told instead of the owner, at
	// the same instant; the second step comes 8 hours on, not 4.
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadEscalation, 2, h.env.Now(), policy.Value{Ladder: &policy.Ladder{Clock: policy.ClockCalendar, Steps: []policy.Step{
			{After: 0, Action: policy.ActionEscalateManager}, {After: policy.Duration(8 * time.Hour), Action: policy.ActionReassign}}}})
	})
	h.closeAt(monday10.Add(3 * time.Hour))
	h.run(firstContact(monday10))

	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], monday10.Add(2*time.Hour), 1, policy.ActionEscalateManager, monday10.Add(2*time.Hour), monday10.Add(10*time.Hour))
}

// An SLA lengthened, which a rollout leaves unsignalled (it moves the next
// action later: services/followup, domain.NeedsNoWake), wakes the workflow
// at the old due time: it re-resolves, records the new due time, carries
// out nothing then, and reminds at the new due time.
func TestUnsignalledLengthenedSLAActsAtTheNewDueTime(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	h.after(time.Hour, func() { h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(5*time.Hour)) })
	h.closeAt(monday10.Add(6 * time.Hour))
	h.run(firstContact(monday10))

	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline updated at", ups[0].at, monday10.Add(2*time.Hour))
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(5*time.Hour))
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], monday10.Add(5*time.Hour), 1, policy.ActionRemind, monday10.Add(5*time.Hour), monday10.Add(9*time.Hour))
}

// A ladder change that leaves no step at the follow-up's level (a rollout
// leaves it unsignalled: the next action moves to never) wakes the
// workflow at the old step's instant, which records the change and then
// waits only for the close.
func TestUnsignalledLadderEndedStepsNoMore(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	h.after(3*time.Hour, func() {
		h.store.putPolicy(policy.LeadEscalation, 2, h.env.Now(), policy.Value{Ladder: &policy.Ladder{Clock: policy.ClockCalendar, Steps: []policy.Step{
			{After: 0, Action: policy.ActionRemind}}}})
	})
	h.closeAt(monday10.Add(30 * time.Hour))
	h.run(firstContact(monday10))

	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], monday10.Add(2*time.Hour), 1, policy.ActionRemind, monday10.Add(2*time.Hour), monday10.Add(6*time.Hour))
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline updated at", ups[0].at, monday10.Add(6*time.Hour))
	if ups[0].in.GetNextStepAt() != nil {
		t.Errorf("the ladder ended, yet the update records a next step at %s", show(ts(ups[0].in.GetNextStepAt())))
	}
}

func TestShortenedToAPassedDueTimeStepsAtOnce(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(8*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	h.after(5*time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(2*time.Hour))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	h.closeAt(monday10.Add(6*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("deadline updated at", ups[0].at, monday10.Add(5*time.Hour))
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(2*time.Hour))
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 2)
	// The first step, due at +2h, is carried out as soon as the change is
	// known; the second keeps its own time, due+4h.
	h.wantStep(steps[0], monday10.Add(5*time.Hour), 1, policy.ActionRemind, monday10.Add(2*time.Hour), monday10.Add(6*time.Hour))
	h.wantStep(steps[1], monday10.Add(6*time.Hour), 2, policy.ActionEscalateManager, monday10.Add(6*time.Hour), monday10.Add(18*time.Hour))
}

func TestLengthenedAfterAStepKeepsTheStepDone(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	h.after(3*time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(8*time.Hour))
		h.signalPolicy(policy.LeadFirstContactSLA, 2)
	})
	var mid *followupv1.FollowUpState
	h.after(4*time.Hour, func() { mid = h.query() })
	h.closeAt(monday10.Add(12*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 2)
	h.wantStep(steps[0], monday10.Add(2*time.Hour), 1, policy.ActionRemind, monday10.Add(2*time.Hour), monday10.Add(6*time.Hour))
	// Level 1 is not repeated at the new due time; level 2 is 4h after it.
	h.wantStep(steps[1], monday10.Add(12*time.Hour), 2, policy.ActionEscalateManager, monday10.Add(12*time.Hour), monday10.Add(24*time.Hour))
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(8*time.Hour))
	h.wantTime("updated next step", ts(ups[0].in.GetNextStepAt()), monday10.Add(12*time.Hour))
	if mid.GetLevel() != 1 || mid.GetPolicyVersion() != 2 || mid.GetRecomputations() != 1 {
		t.Errorf("state after the change %v: want level 1, policy v2, one recomputation", mid)
	}
}

func TestCalendarChangeMovesABusinessDeadline(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, businessTimer(8*time.Hour, ""))
	h.after(time.Hour, func() {
		// Tuesday becomes a day off.
		spec := calendar.China2026(shanghai)
		spec.Holidays = append(spec.Holidays, calendar.Holiday{Name: "closure", Start: calendar.DateOf(2026, time.March, 3)})
		h.store.putCalendar(cnMainland, cnMainlandVersion+1, h.env.Now(), spec)
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Calendar: cnMainland, Version: cnMainlandVersion + 1})
	})
	h.closeAt(monday10.Add(2 * time.Hour))
	h.run(firstContact(monday10))

	if o := h.opens()[0]; !ts(o.in.GetDueAt()).Equal(cst(time.March, 3, 10, 30)) {
		t.Fatalf("opened due %s, want Tue 10:30", show(ts(o.in.GetDueAt())))
	}
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	h.wantTime("updated due", ts(ups[0].in.GetDueAt()), cst(time.March, 4, 10, 30))
	if u := ups[0].in; u.GetCalendar() != cnMainland || u.GetCalendarVersion() != cnMainlandVersion+1 || u.GetPolicyVersion() != 1 {
		t.Errorf("update %v: want calendar %s v%d and policy v1", u, cnMainland, cnMainlandVersion+1)
	}
}

func TestPolicyChangeSignals(t *testing.T) {
	// Default store: business SLA due at Mon 15:30; the signal comes at 11:00
	// and the follow-up is closed at 12:00, before anything is due.
	cases := []struct {
		name         string
		signal       *followupv1.PolicyChangedSignal
		newSLA       bool // the store has a v2 of the SLA from the signal on
		wantResolves int
		wantUpdates  int
	}{
		{"policy the follow-up does not use", &followupv1.PolicyChangedSignal{Policy: policy.CareCadence, Version: 5}, false, 1, 0},
		{"version already in use", &followupv1.PolicyChangedSignal{Policy: policy.LeadFirstContactSLA, Version: 1}, false, 1, 0},
		{"calendar version already in use", &followupv1.PolicyChangedSignal{Calendar: cnMainland, Version: cnMainlandVersion}, false, 1, 0},
		{"new version of the SLA", &followupv1.PolicyChangedSignal{Policy: policy.LeadFirstContactSLA, Version: 2}, true, 2, 1},
		{"calendar not in use may now be assigned", &followupv1.PolicyChangedSignal{Calendar: "hong-kong", Version: 1}, false, 2, 0},
		{"signal naming nothing", &followupv1.PolicyChangedSignal{}, false, 2, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, monday10)
			h.after(time.Hour, func() {
				if tc.newSLA {
					h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), businessTimer(2*time.Hour, ""))
				}
				h.env.SignalWorkflow(wfc.SignalPolicyChanged, tc.signal)
			})
			h.closeAt(monday10.Add(2 * time.Hour))
			h.run(firstContact(monday10))
			h.wantCount("ResolvePolicies", len(h.resolves()), tc.wantResolves)
			h.wantCount("UpdateFollowUpDeadline", len(h.updates()), tc.wantUpdates)
			if tc.wantResolves > 1 {
				h.wantTime("re-resolved at", h.resolves()[1].at, monday10.Add(time.Hour))
			}
			h.wantCount("RecordFollowUpStep", len(h.steps()), 0)
		})
	}
}

func TestPolicyChangeBurstCostsOneResolution(t *testing.T) {
	h := newHarness(t, monday10)
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), businessTimer(8*time.Hour, ""))
		h.store.putPolicy(policy.LeadEscalation, 2, h.env.Now(), elapsedLadder())
		// Both signals are waiting when the workflow next runs.
		h.env.SignalWorkflowSkippingWorkflowTask(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Policy: policy.LeadFirstContactSLA, Version: 2})
		h.env.SignalWorkflowSkippingWorkflowTask(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Policy: policy.LeadEscalation, Version: 2})
		// A calendar the follow-up does not use always asks for a
		// re-resolution on its own; in the burst it costs nothing more.
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, &followupv1.PolicyChangedSignal{Calendar: "hong-kong", Version: 1})
	})
	h.closeAt(monday10.Add(2 * time.Hour))
	h.run(firstContact(monday10))

	h.wantCount("ResolvePolicies", len(h.resolves()), 2)
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	u := ups[0].in
	h.wantTime("updated due", ts(u.GetDueAt()), cst(time.March, 3, 10, 30))
	if u.GetPolicyVersion() != 2 || u.GetEscalationPolicyVersion() != 2 {
		t.Errorf("update %v: want both policies at v2", u)
	}
	for _, want := range []string{"policy:" + policy.LeadEscalation + " v1→v2", "policy:" + policy.LeadFirstContactSLA + " v1→v2"} {
		if !strings.Contains(u.GetReason(), want) {
			t.Errorf("reason %q lacks %q", u.GetReason(), want)
		}
	}
}
