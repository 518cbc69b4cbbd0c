package followup_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// ---------------------------------------------------------------------------
// A rollout's signal that carries its resolution and what it stored
// (change "rollout-carries-resolution").

// carried is the signal a rollout sends for the first-contact follow-up of
// firstContact(monday10) after it resolved the store at at and, with
// record, stored the change it computed at level 0.
func (h *harness) carried(name string, v int64, at time.Time, record bool) *followupv1.PolicyChangedSignal {
	h.t.Helper()
	spec := firstContact(monday10)
	kind, _ := policy.LookupKind(spec.GetKind())
	in := &followupv1.ResolvePoliciesInput{Names: followup.PolicyNames(kind, false), Team: spec.GetTeam(), Territory: spec.GetTerritory(), At: timestamppb.New(at)}
	res, err := h.store.resolve(in)
	if err != nil {
		h.t.Fatal(err)
	}
	s := &followupv1.PolicyChangedSignal{Policy: name, Version: v, Resolved: res, ResolvedFor: in}
	if record {
		p, err := followup.NewPlan(followup.PlanInput{Kind: kind, Anchor: monday10}, res)
		if err != nil {
			h.t.Fatal(err)
		}
		s.Recorded = p.Change(followUpID, 0, nil)
	}
	return s
}

// eightHourLead is a harness whose first-contact SLA is 8 calendar hours
// (version 1) with the elapsed-time ladder.
func eightHourLead(t *testing.T) *harness {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(8*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	return h
}

func TestCarriedResolutionAndRecordCostNoActivity(t *testing.T) {
	h := eightHourLead(t)
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(2*time.Hour))
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, h.carried(policy.LeadFirstContactSLA, 2, h.env.Now(), true))
	})
	h.after(time.Hour+time.Minute, func() {
		s := h.query()
		if !ts(s.GetDueAt()).Equal(monday10.Add(2*time.Hour)) || s.GetPolicyVersion() != 2 || s.GetRecomputations() != 1 {
			t.Errorf("state after the carried change: %v; want due %s, policy v2, one re-computation", s, show(monday10.Add(2*time.Hour)))
		}
	})
	h.closeAt(monday10.Add(2*time.Hour + 30*time.Minute))
	h.run(firstContact(monday10))

	h.wantCount("ResolvePolicies (opening, new due time)", len(h.resolves()), 2) // opening, and the decision point at the new due time
	if r := h.resolves(); len(r) == 2 && !r[1].at.Equal(monday10.Add(2*time.Hour)) {
		t.Errorf("second resolution at %s, want at the new due time %s; calls:%s", show(r[1].at), show(monday10.Add(2*time.Hour)), h.trace())
	}
	h.wantCount("UpdateFollowUpDeadline", len(h.updates()), 0)
	steps := h.steps()
	h.wantCount("RecordFollowUpStep", len(steps), 1)
	h.wantStep(steps[0], monday10.Add(2*time.Hour), 1, policy.ActionRemind, monday10.Add(2*time.Hour), monday10.Add(6*time.Hour))
}

func TestCarriedResolutionWithoutRecordIsRecordedByTheWorkflow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*followupv1.PolicyChangedSignal)
		calls int // ResolvePolicies calls before the close: opening, then any for the change
	}{
		{"nothing stored", func(s *followupv1.PolicyChangedSignal) { s.Recorded = nil }, 1},
		{"stored at another level", func(s *followupv1.PolicyChangedSignal) { s.RecordedLevel = 1 }, 1},
		{"stored another due time", func(s *followupv1.PolicyChangedSignal) {
			s.Recorded.DueAt = timestamppb.New(monday10.Add(3 * time.Hour))
		}, 1},
		{"stored for another follow-up", func(s *followupv1.PolicyChangedSignal) { s.Recorded.Id = "fu-other" }, 1},
		{"resolved for another team: resolved again", func(s *followupv1.PolicyChangedSignal) { s.ResolvedFor.Team = "team-west" }, 2},
		{"resolved for other policies: resolved again", func(s *followupv1.PolicyChangedSignal) {
			s.ResolvedFor.Names = s.ResolvedFor.Names[1:]
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := eightHourLead(t)
			h.after(time.Hour, func() {
				h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(2*time.Hour))
				s := h.carried(policy.LeadFirstContactSLA, 2, h.env.Now(), true)
				tc.edit(s)
				h.env.SignalWorkflow(wfc.SignalPolicyChanged, s)
			})
			h.closeAt(monday10.Add(90 * time.Minute))
			h.run(firstContact(monday10))

			h.wantCount("ResolvePolicies", len(h.resolves()), tc.calls)
			ups := h.updates()
			h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
			if len(ups) == 1 {
				h.wantTime("updated due", ts(ups[0].in.GetDueAt()), monday10.Add(2*time.Hour))
				if ups[0].in.GetPolicyVersion() != 2 {
					t.Errorf("update %v: want policy v2", ups[0].in)
				}
			}
		})
	}
}

// A resolution older than what the workflow already follows is not used:
// v3 came in with a bare signal, then v2's late signal carries v2.
func TestCarriedResolutionOlderThanTheWorkflowsIsNotUsed(t *testing.T) {
	h := eightHourLead(t)
	var late *followupv1.PolicyChangedSignal
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(2*time.Hour))
		late = h.carried(policy.LeadFirstContactSLA, 2, h.env.Now(), true)
		h.store.putPolicy(policy.LeadFirstContactSLA, 3, h.env.Now(), elapsedTimer(4*time.Hour))
		h.signalPolicy(policy.LeadFirstContactSLA, 3)
	})
	h.after(time.Hour+time.Minute, func() { h.env.SignalWorkflow(wfc.SignalPolicyChanged, late) })
	h.closeAt(monday10.Add(90 * time.Minute))
	h.run(firstContact(monday10))

	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	if len(ups) == 1 && (ups[0].in.GetPolicyVersion() != 3 || !ts(ups[0].in.GetDueAt()).Equal(monday10.Add(4*time.Hour))) {
		t.Errorf("update %v: want policy v3, due %s", ups[0].in, show(monday10.Add(4*time.Hour)))
	}
	if s := h.query(); s.GetPolicyVersion() != 3 {
		t.Errorf("the late v2 signal took the workflow back: %v", s)
	}
	// opening, v3's bare signal, v2's late signal (the workflow resolves
	// itself, finds v3: nothing to record)
	h.wantCount("ResolvePolicies", len(h.resolves()), 3)
}

// A bare signal in the same burst as a carried one: the workflow resolves
// itself, once.
func TestBurstWithABareSignalResolvesOnce(t *testing.T) {
	h := eightHourLead(t)
	h.after(time.Hour, func() {
		h.store.putPolicy(policy.LeadFirstContactSLA, 2, h.env.Now(), elapsedTimer(2*time.Hour))
		h.env.SignalWorkflow(wfc.SignalPolicyChanged, h.carried(policy.LeadFirstContactSLA, 2, h.env.Now(), true))
		h.store.putPolicy(policy.LeadEscalation, 2, h.env.Now(), elapsedLadder())
		h.signalPolicy(policy.LeadEscalation, 2)
	})
	h.closeAt(monday10.Add(90 * time.Minute))
	h.run(firstContact(monday10))

	h.wantCount("ResolvePolicies", len(h.resolves()), 2)
	ups := h.updates()
	h.wantCount("UpdateFollowUpDeadline", len(ups), 1)
	if len(ups) == 1 && (ups[0].in.GetPolicyVersion() != 2 || ups[0].in.GetEscalationPolicyVersion() != 2) {
		t.Errorf("update %v: want policy v2 and escalation v2", ups[0].in)
	}
}

// A follow-up opens with one activity (change "resolve-and-open"): the
// resolution that also opens the record, computed by the service with the
// workflow's own plan, so the record holds what the workflow follows.
func TestOpeningResolvesAndOpensInOneActivity(t *testing.T) {
	h := newHarness(t, monday10)
	h.store.putPolicy(policy.LeadFirstContactSLA, 1, time.Time{}, elapsedTimer(2*time.Hour))
	h.store.putPolicy(policy.LeadEscalation, 1, time.Time{}, elapsedLadder())
	started := map[string]int{}
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		started[info.ActivityType.Name]++
	})
	var st *followupv1.FollowUpState
	h.after(time.Minute, func() { st = h.query() })
	h.closeAt(monday10.Add(30 * time.Minute))
	h.run(firstContact(monday10))

	if started[followupc.ActivityResolvePolicies] != 1 || started[followupc.ActivityOpenFollowUp] != 0 {
		t.Errorf("activities started: %v; want one ResolvePolicies and no OpenFollowUp", started)
	}
	r := h.resolves()
	if len(r) != 1 || r[0].in.GetOpen().GetSpec().GetId() != followUpID || r[0].in.GetOpen().GetWorkflowId() == "" {
		t.Fatalf("resolutions %v: want one that opens %s for its workflow", r, followUpID)
	}
	opens := h.opens()
	h.wantCount("follow-ups opened", len(opens), 1)
	if len(opens) == 1 {
		rec := opens[0].in
		h.wantTime("opened due", ts(rec.GetDueAt()), monday10.Add(2*time.Hour))
		if rec.GetPolicyVersion() != 1 || rec.GetEscalationPolicyVersion() != 1 || !ts(rec.GetDueAt()).Equal(ts(st.GetDueAt())) {
			t.Errorf("record %v does not hold what the workflow follows (%v)", rec, st)
		}
	}
}
