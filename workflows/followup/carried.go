package followup

import (
	"maps"
	"slices"

	"go.temporal.io/sdk/workflow"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// ChangeCarriedResolution is the workflow.GetVersion change id of taking a
// policy change's resolution from the rollout's signal (version 1) instead
// of resolving again through the ResolvePolicies activity, and of recording
// nothing when the rollout already stored the very change the workflow
// computes. It is asked only when a signal carries a resolution, so
// executions that never receive one record no marker.
const ChangeCarriedResolution = "rollout-carries-resolution"

// burst is the policy-change signals received in one wake-up.
type burst struct {
	newest *followupv1.PolicyChangedSignal // the carried resolution resolved last
	bare   bool                            // a signal that concerns the follow-up carried none
}

// add takes s into the burst and reports whether it concerns t.
func (b *burst) add(t *tracker, s *followupv1.PolicyChangedSignal) bool {
	if !t.concerns(s) {
		return false
	}
	switch {
	case s.GetResolved() == nil || s.GetResolvedFor().GetAt() == nil:
		b.bare = true
	case b.newest == nil || s.GetResolvedFor().GetAt().AsTime().After(b.newest.GetResolvedFor().GetAt().AsTime()):
		b.newest = s
	}
	return true
}

// resolution is the signal whose resolution stands for the burst, nil when
// the workflow must resolve itself: none carried one, or one that concerns
// it carried none (what it knows is not comparable with the others).
func (b *burst) resolution() *followupv1.PolicyChangedSignal {
	if b.bare {
		return nil
	}
	return b.newest
}

// usable reports whether s's resolution may stand for the workflow's own:
// it was made for the same policy names, team and territory, and every
// policy and calendar the workflow uses is in it at the same or a newer
// version (a calendar assignment that moved the follow-up to another
// calendar, or a resolution older than the workflow's last, is not).
func (t *tracker) usable(s *followupv1.PolicyChangedSignal) bool {
	f := s.GetResolvedFor()
	if !slices.Equal(f.GetNames(), t.names()) || f.GetTeam() != t.spec.GetTeam() || f.GetTerritory() != t.spec.GetTerritory() {
		return false
	}
	got := map[string]int64{}
	for _, p := range s.GetResolved().GetPolicies() {
		got["policy:"+p.GetName()] = p.GetVersion()
	}
	for _, c := range s.GetResolved().GetCalendars() {
		got["calendar:"+c.GetName()] = c.GetVersion()
	}
	for _, k := range slices.Sorted(maps.Keys(t.plan.Versions)) {
		if v, ok := got[k]; !ok || v < t.plan.Versions[k] {
			return false
		}
	}
	return true
}

// apply re-computes from s's resolution, as refresh does from its own, and
// records the change unless the rollout stored this very change for this
// follow-up at its current escalation level.
func (t *tracker) apply(ctx workflow.Context, s *followupv1.PolicyChangedSignal) error {
	old, oldCal := t.plan.Versions, t.plan.Calendar
	if err := t.compute(s.GetResolved()); err != nil {
		t.log.Info("policy version unusable; keeping the previous one", "error", err)
		return nil
	}
	if maps.Equal(old, t.plan.Versions) && oldCal == t.plan.Calendar {
		return nil
	}
	if rec := s.GetRecorded(); rec != nil && int(s.GetRecordedLevel()) == t.level && SameChange(rec, t.plan.Change(t.spec.GetId(), t.level, old)) {
		t.state.Recomputations++
		t.log.Info("follow-up deadline re-computed and recorded by the rollout", "due", t.plan.Due)
		return nil
	}
	return t.recordChange(ctx, old, oldCal)
}
