package app_test

import (
	"context"
	"testing"
	"time"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// A ladder change that moves only a later step, or an SLA lengthened, stores
// the change on every follow-up, but owes a wake-up only where the
// workflow's next action comes sooner or may be under way: a standalone
// FollowUp workflow whose next action (the reminder at its due time)
// stands or moves later, well ahead, is left to take the new version when
// its timer fires. One whose reminder is minutes away, and one hosted by
// another workflow (a lead's, say), are signalled as before; a change that
// brings the reminder sooner is signalled everywhere.
func TestARolloutLeavesUnsignalledWhatItMovesNothingFor(t *testing.T) {
	ctx := context.Background()
	r := newRolloutFixture(t)
	ladder := func(version int64, second time.Duration) {
		t.Helper()
		r.putPolicy(t, policy.LeadEscalation, version, policy.Value{Ladder: &policy.Ladder{Clock: policy.ClockCalendar, Steps: []policy.Step{
			{After: 0, Action: policy.ActionRemind}, {After: policy.Duration(second), Action: policy.ActionEscalateManager}}}})
	}
	ladder(2, 4*time.Hour)
	r.slaV2(t)
	// Under the 2 h SLA: due in an hour, in two minutes, in an hour.
	now := time.Now().UTC().Truncate(time.Second)
	open := func(id, workflowID string, anchor time.Time) {
		t.Helper()
		f, err := domain.Open(domain.Opening{ID: id, Kind: policy.KindFirstContact, CustomerID: "c-1", OwnerID: "rep-ana", Team: "north", Territory: "north",
			Title: "call", AnchorAt: anchor, DueAt: anchor.Add(4 * time.Hour), Policy: policy.LeadFirstContactSLA, PolicyVersion: 1,
			EscalationPolicy: policy.LeadEscalation, EscalationPolicyVersion: 1, WorkflowID: workflowID}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.fus.Create(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	open("fu-far", wfc.FollowUpWorkflowID("fu-far"), now.Add(-time.Hour))
	open("fu-near", wfc.FollowUpWorkflowID("fu-near"), now.Add(-2*time.Hour+2*time.Minute))
	open("fu-lead", wfc.LeadWorkflowID("lead-1"), now.Add(-time.Hour))

	wf := &signals{sent: map[string][]*followupv1.PolicyChangedSignal{}}
	svc := app.NewFollowUps(r.fus, r.pol, wf, nil, nil, app.Links{})
	rollout := func(ro *followupv1.RolloutInput) {
		t.Helper()
		if _, err := svc.RolloutPage(ctx, &followupv1.RolloutPageInput{Rollout: ro, Limit: 500, Phase: followupv1.RolloutPhase_ROLLOUT_PHASE_STORE}, false, nil); err != nil {
			t.Fatal(err)
		}
		for more := true; more; {
			res, err := svc.RolloutPage(ctx, &followupv1.RolloutPageInput{Rollout: ro, Limit: 500, Phase: followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE}, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			more = res.GetNextAfterId() != ""
		}
	}
	// The SLA and the ladder move every due time and next step from where
	// the records were opened: every workflow is told.
	rollout(&followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 2})
	if len(wf.sent) != 3 {
		t.Fatalf("the SLA's rollout signalled %d workflows, want 3: %v", len(wf.sent), wf.sent)
	}
	before := r.records(t, "fu-far", "fu-near", "fu-lead")
	for id, f := range before {
		if f.EscalationPolicyVersion != 2 || f.NextStepAt == nil || !f.NextStepAt.Equal(f.DueAt) {
			t.Fatalf("%s after the SLA's rollout: %+v", id, f)
		}
	}

	// The manager's step moves from 4 to 8 hours after the due time; the
	// reminder at the due time stands.
	ladder(3, 8*time.Hour)
	wf.sent = map[string][]*followupv1.PolicyChangedSignal{}
	rollout(&followupv1.RolloutInput{Policy: policy.LeadEscalation, Version: 3})
	for id, f := range r.records(t, "fu-far", "fu-near", "fu-lead") {
		if f.EscalationPolicyVersion != 3 || !f.DueAt.Equal(before[id].DueAt) || !f.NextStepAt.Equal(*before[id].NextStepAt) {
			t.Errorf("%s after the ladder's rollout: %+v; want ladder v3 stored, the due time and reminder where they were", id, f)
		}
	}
	wf.want(t, "the ladder's rollout", map[string]int{wfc.FollowUpWorkflowID("fu-far"): 0, // its reminder an hour away and unmoved
		wfc.FollowUpWorkflowID("fu-near"): 1, // its reminder two minutes away
		wfc.LeadWorkflowID("lead-1"):      1, // hosted by a lead's workflow
	})
	r.noWakeOwed(t)

	// The SLA lengthened from 2 to 3 hours moves every due time and
	// reminder an hour later: fu-far's workflow wakes at the reminder's old
	// instant, finds nothing due and waits for the new one, so it is left
	// unsignalled; fu-near's reminder, two minutes away, may be under way.
	sla := func(version int64, d time.Duration) {
		t.Helper()
		r.putPolicy(t, policy.LeadFirstContactSLA, version, policy.Value{Timer: &policy.Timer{Duration: policy.Duration(d), Clock: policy.ClockCalendar}})
	}
	sla(3, 3*time.Hour)
	wf.sent = map[string][]*followupv1.PolicyChangedSignal{}
	rollout(&followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 3})
	for id, f := range r.records(t, "fu-far", "fu-near", "fu-lead") {
		if f.PolicyVersion != 3 || !f.DueAt.Equal(before[id].DueAt.Add(time.Hour)) || !f.NextStepAt.Equal(before[id].NextStepAt.Add(time.Hour)) {
			t.Errorf("%s after the lengthened SLA's rollout: %+v; want SLA v3 stored, the due time and reminder an hour later", id, f)
		}
	}
	wf.want(t, "the lengthened SLA's rollout", map[string]int{wfc.FollowUpWorkflowID("fu-far"): 0, // its reminder moved an hour later
		wfc.FollowUpWorkflowID("fu-near"): 1, // its reminder two minutes away as it stood
		wfc.LeadWorkflowID("lead-1"):      1,
	})
	r.noWakeOwed(t)

	// Shortened back by half an hour, every reminder comes sooner than the
	// record said: every workflow is told, or it would act late.
	sla(4, 150*time.Minute)
	wf.sent = map[string][]*followupv1.PolicyChangedSignal{}
	rollout(&followupv1.RolloutInput{Policy: policy.LeadFirstContactSLA, Version: 4})
	if len(wf.sent) != 3 {
		t.Errorf("the shortened SLA's rollout signalled %d workflows, want 3: %v", len(wf.sent), wf.sent)
	}
	r.noWakeOwed(t)
}

func (r *rolloutFixture) noWakeOwed(t *testing.T) {
	t.Helper()
	var owed int64
	if err := r.gdb.Raw("SELECT COUNT(*) FROM rollout_wakes").Scan(&owed).Error; err != nil || owed != 0 {
		t.Fatalf("%d wake-ups left owed (%v)", owed, err)
	}
}

// want checks how many times each workflow was signalled.
func (s *signals) want(t *testing.T, what string, times map[string]int) {
	t.Helper()
	for id, n := range times {
		if got := len(s.sent[id]); got != n {
			t.Errorf("%s signalled %s %d times, want %d", what, id, got, n)
		}
	}
}

// records reads the follow-ups ids from the store.
func (r *rolloutFixture) records(t *testing.T, ids ...string) map[string]domain.FollowUp {
	t.Helper()
	out := map[string]domain.FollowUp{}
	for _, id := range ids {
		f, err := r.fus.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = f
	}
	return out
}
