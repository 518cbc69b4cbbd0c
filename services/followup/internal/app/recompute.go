package app

import (
	"context"
	"strings"
	"time"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	wffollowup "github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// rolloutResolutions are the policy resolutions of a rollout page's
// follow-ups, one per set of policy names, team and territory: the page
// resolves them once, before it stores anything, and each chunk it stores
// uses them (recompute).
type rolloutResolutions struct {
	ro    *followupv1.RolloutInput
	byKey map[resolutionKey]*resolution
}

type resolutionKey struct{ names, team, territory string }

type resolution struct {
	res  *followupv1.ResolvePoliciesResult
	for_ *followupv1.ResolvePoliciesInput
	got  map[string]int64
}

func keyOf(kind policy.Kind, f domain.FollowUp) resolutionKey {
	return resolutionKey{strings.Join(wffollowup.PolicyNames(kind, f.Policy == ""), "\x00"), f.Team, f.Territory}
}

// resolveRollout resolves, as of now, the policies of rows for the rollout
// ro. A resolution that fails is left out: those follow-ups get the bare
// signal, and their workflows resolve themselves and meet the error there.
func (s *FollowUps) resolveRollout(ctx context.Context, ro *followupv1.RolloutInput, rows []domain.FollowUp) *rolloutResolutions {
	rr := &rolloutResolutions{ro: ro, byKey: map[resolutionKey]*resolution{}}
	for _, f := range rows {
		kind, ok := policy.LookupKind(f.Kind)
		if !ok {
			continue
		}
		names := wffollowup.PolicyNames(kind, f.Policy == "")
		k := resolutionKey{strings.Join(names, "\x00"), f.Team, f.Territory} // as keyOf
		if _, ok := rr.byKey[k]; ok {
			continue
		}
		at := now()
		res, err := s.policies.Resolve(ctx, names, f.Team, f.Territory, at)
		if err != nil {
			rr.byKey[k] = nil
			continue
		}
		rr.byKey[k] = &resolution{res: res, got: versionsIn(res),
			for_: &followupv1.ResolvePoliciesInput{Names: names, Team: f.Team, Territory: f.Territory, At: timestamppb.New(at)}}
	}
	return rr
}

// recompute stores, for the open follow-ups rows of a rollout page, the
// deadline each one's workflow would re-compute now (wffollowup.NewPlan, the
// code the workflow runs) from the page's resolutions rr, in one
// transaction, and returns the signal for each: the rollout's, with the
// resolution it used and the change it stored, so that the workflow records
// nothing more when it computes the same (workflow change
// "rollout-carries-resolution"). A follow-up it cannot re-compute gets the
// bare signal, and its workflow resolves and records as before.
//
// The policies are resolved before the follow-ups are locked, so a row may
// meanwhile have been brought onto a newer version by its own workflow or
// another rollout: a row is only written when every version it was computed
// with is in the resolution at that version or a newer one (the rule the
// workflow applies to a carried resolution, followup.usable); otherwise it
// is left as it stands and signalled bare.
func (s *FollowUps) recompute(ctx context.Context, rr *rolloutResolutions, rows []domain.FollowUp) (map[string]*followupv1.PolicyChangedSignal, error) {
	out := make(map[string]*followupv1.PolicyChangedSignal, len(rows))
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		out[r.ID] = rr.bare()
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.store.UpdateEach(ctx, ids, func(f *domain.FollowUp) error {
		out[f.ID] = s.rerun(rr, f)
		return nil
	})
	return out, err
}

// rerun re-computes the locked follow-up f from the page's resolutions as
// recompute describes, changes f's deadline when it may, and returns the
// signal for its workflow: carrying the resolution and the change when it
// changed f, bare otherwise.
func (s *FollowUps) rerun(rr *rolloutResolutions, f *domain.FollowUp) *followupv1.PolicyChangedSignal {
	sig := rr.bare()
	kind, ok := policy.LookupKind(f.Kind)
	if !ok || f.Closed() {
		return sig
	}
	r := rr.byKey[keyOf(kind, *f)]
	if r == nil {
		return sig
	}
	in := wffollowup.PlanInput{Kind: kind, Anchor: f.AnchorAt, PolicyKey: f.PolicyKey}
	if f.Policy == "" {
		d := f.DueAt
		in.DueAt = &d
	}
	p, err := wffollowup.NewPlan(in, r.res)
	if err != nil {
		return sig // the workflow finds the same, keeps its version, and says so
	}
	old := storedVersions(*f)
	for k, v := range old {
		if got, ok := r.got[k]; !ok || got < v {
			return sig // stored under something newer than this resolution, or another calendar
		}
	}
	sig.Resolved, sig.ResolvedFor = r.res, r.for_
	change := p.Change(f.ID, f.EscalationLevel, old)
	f.ChangeDeadline(DeadlineChangeOf(change), now())
	sig.Recorded, sig.RecordedLevel = change, int32(f.EscalationLevel)
	return sig
}

// bare is the rollout's signal without a resolution.
func (rr *rolloutResolutions) bare() *followupv1.PolicyChangedSignal {
	return &followupv1.PolicyChangedSignal{Policy: rr.ro.GetPolicy(), Calendar: rr.ro.GetCalendar(), Version: rr.ro.GetVersion()}
}

// versionsIn are a resolution's versions as a plan names them.
func versionsIn(res *followupv1.ResolvePoliciesResult) map[string]int64 {
	got := map[string]int64{}
	for _, p := range res.GetPolicies() {
		got["policy:"+p.GetName()] = p.GetVersion()
	}
	for _, c := range res.GetCalendars() {
		got["calendar:"+c.GetName()] = c.GetVersion()
	}
	return got
}

// storedVersions are the versions a follow-up's deadline was last stored
// with, as a plan names them.
func storedVersions(f domain.FollowUp) map[string]int64 {
	v := map[string]int64{}
	if f.Policy != "" {
		v["policy:"+f.Policy] = f.PolicyVersion
	}
	if f.EscalationPolicy != "" {
		v["policy:"+f.EscalationPolicy] = f.EscalationPolicyVersion
	}
	if f.Calendar != "" {
		v["calendar:"+f.Calendar] = f.CalendarVersion
	}
	return v
}

// DeadlineChangeOf is a re-computed deadline as a workflow (or a rollout)
// sends it, at the database's precision.
func DeadlineChangeOf(in *followupv1.UpdateDeadlineInput) domain.DeadlineChange {
	c := domain.DeadlineChange{
		DueAt: in.GetDueAt().AsTime().UTC().Truncate(time.Microsecond), PolicyVersion: in.GetPolicyVersion(),
		EscalationPolicyVersion: in.GetEscalationPolicyVersion(), Calendar: in.GetCalendar(), CalendarVersion: in.GetCalendarVersion(),
		Reason: in.GetReason(),
	}
	if n := in.GetNextStepAt(); n != nil {
		t := n.AsTime().UTC().Truncate(time.Microsecond)
		c.NextStepAt = &t
	}
	return c
}

// OpenWith opens the follow-up of o with the due time its workflow computes
// from res (wffollowup.NewPlan, the workflow's own code): the open that the
// ResolvePolicies activity does when asked (workflow change
// "resolve-and-open"). A resolution that cannot time the follow-up opens
// nothing: its workflow computes the same and fails as it would have.
func (s *FollowUps) OpenWith(ctx context.Context, o *followupv1.FollowUpOpening, res *followupv1.ResolvePoliciesResult) error {
	spec := o.GetSpec()
	kind, ok := policy.LookupKind(spec.GetKind())
	if !ok {
		return nil
	}
	p, err := wffollowup.NewPlan(wffollowup.PlanInputOf(kind, spec), res)
	if err != nil {
		return nil
	}
	op := OpeningOf(p.Record(spec, o.GetWorkflowId(), o.GetRunId()))
	// The plan's first step is when the workflow first acts: recorded, a
	// rollout can tell whether a change moves it (domain.NeedsNoWake).
	if at, ok := p.NextAt(0); ok {
		at = at.UTC().Truncate(time.Microsecond)
		op.NextStepAt = &at
	}
	return s.Record(ctx, op)
}

// OpeningOf is the opening of a follow-up record as a workflow sends it.
func OpeningOf(in *followupv1.FollowUpRecord) domain.Opening {
	sp := in.GetSpec()
	at := func(t *timestamppb.Timestamp) time.Time {
		if t == nil {
			return time.Time{}
		}
		return t.AsTime().UTC().Truncate(time.Microsecond)
	}
	return domain.Opening{
		ID: sp.GetId(), Kind: sp.GetKind(), CustomerID: sp.GetCustomerId(), OwnerID: sp.GetOwnerId(), Team: sp.GetTeam(),
		Territory: sp.GetTerritory(), RequesterTeam: sp.GetRequesterTeam(), Title: sp.GetTitle(), PolicyKey: sp.GetPolicyKey(), OpenedBy: sp.GetOpenedBy(),
		AnchorAt: at(sp.GetAnchorAt()), DueAt: at(in.GetDueAt()),
		Policy: in.GetPolicy(), PolicyVersion: in.GetPolicyVersion(),
		EscalationPolicy: in.GetEscalationPolicy(), EscalationPolicyVersion: in.GetEscalationPolicyVersion(),
		Calendar: in.GetCalendar(), CalendarVersion: in.GetCalendarVersion(), WorkflowID: in.GetWorkflowId(), RunID: in.GetRunId(),
	}
}
