package lead

import (
	"maps"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// versionContinueAsNew marks executions that continue as new when their
// history grows long; executions started before never do.
const versionContinueAsNew = "sales-continue-as-new"

// runs is what a Lead or Opportunity workflow needs to continue as new.
//
// A lead can be reassigned, commented and escalated for as long as it is
// open, an opportunity moves stages for months: their histories have no upper
// bound. When the server suggests it (or after Input.continue_as_new_after
// decided updates), the run ends at a safe point and the next run of the same
// workflow id (Lead:<id>, Opportunity:<id>) starts with the whole state
// carried (LeadCarried, OpportunityCarried). Updates and signals sent by id
// reach whichever run is current.
//
// Safe point: no update handler is running (one holding or waiting for the
// mutex would lose its answer), no interrupt for the follow-up is pending,
// and the embedded follow-up (followup.Track) is waiting — never in the
// middle of a step. Track is suspended there without closing the follow-up
// and the next run resumes it with the same spec (id, anchor) and the steps
// already done, so it is neither opened twice nor escalated twice.
type runs struct {
	mayContinue bool  // version 1 of versionContinueAsNew
	limit       int32 // Input.continue_as_new_after; 0: the server's suggestion only
	decided     int32 // updates decided in this run
	suspend     workflow.Channel
	asked       bool // suspending the follow-up was asked and not yet answered
	// fuCarried is the follow-up left open for the next run (set when a run
	// is about to continue as new) or handed over by the previous run.
	fuCarried *salesv1.TrackedFollowUp
	// applied are the last updates applied, carried across runs (an
	// update retried after the workflow continued as new is answered with
	// the record as it is, not applied again).
	applied wfx.Applied
}

func newRuns(ctx workflow.Context, limit int32) runs {
	return runs{limit: limit, suspend: workflow.NewBufferedChannel(ctx, 1)}
}

// continueDue says whether the run should continue as new now (see runs).
func (r *runs) continueDue(ctx workflow.Context) bool {
	if !r.mayContinue || !workflow.AllHandlersFinished(ctx) {
		return false
	}
	if r.limit > 0 && r.decided >= r.limit {
		return true
	}
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// watch asks the running follow-up (tracking) to suspend whenever the run
// should continue as new; the workflow's main loop then does.
func (r *runs) watch(ctx workflow.Context, tracking func() bool) {
	if !r.mayContinue {
		return
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if err := workflow.Await(ctx, func() bool { return tracking() && !r.asked && r.continueDue(ctx) }); err != nil {
				return
			}
			r.asked = true
			r.suspend.SendAsync(true)
		}
	})
}

// track runs followup.Track for spec (resuming it when resume is set) until
// it ends, or until it is suspended at a safe point: then keep receives its
// progress for the next run and the outcome is followup.Suspended. A
// suspension that turns out not to be safe (an update started meanwhile, an
// interrupt is pending) resumes at once in this run.
func (r *runs) track(ctx workflow.Context, spec *followupv1.FollowUpSpec, resume *followup.Progress, opts followup.Options,
	keep func(*followup.Progress)) (followup.Outcome, error) {
	if r.mayContinue {
		opts.Suspend = r.suspend
	}
	for {
		for r.suspend.ReceiveAsync(nil) { // asked of a follow-up that has ended since
		}
		r.asked = false
		opts.Resume = resume
		out, err := followup.Track(ctx, spec, opts)
		if err != nil || out.State != followup.Suspended {
			return out, err
		}
		if workflow.AllHandlersFinished(ctx) && (opts.Interrupt == nil || opts.Interrupt.Len() == 0) {
			keep(out.Resume)
			return out, nil
		}
		resume = out.Resume
	}
}

// carry is a suspended follow-up as the next run receives it.
func carry(spec *followupv1.FollowUpSpec, seq int32, p *followup.Progress, entered *timestamppb.Timestamp) *salesv1.TrackedFollowUp {
	return &salesv1.TrackedFollowUp{Spec: spec, AssignmentSeq: seq, Level: int32(p.Level), Recomputations: p.Recomputations,
		Versions: maps.Clone(p.Versions), Calendar: p.Calendar, StageEnteredAt: entered}
}

// progressOf is where a carried follow-up stands, for followup.Track.
func progressOf(t *salesv1.TrackedFollowUp) *followup.Progress {
	return &followup.Progress{Level: int(t.GetLevel()), Recomputations: t.GetRecomputations(), Versions: maps.Clone(t.GetVersions()),
		Calendar: t.GetCalendar()}
}

// restore takes over the state the previous run carried.
func (w *leadWF) restore(c *salesv1.LeadCarried) {
	w.snap = proto.Clone(c.GetSnapshot()).(*salesv1.LeadSnapshot)
	w.seq, w.firstSeq, w.created, w.bound, w.ownerRules = c.GetSeq(), c.GetFirstSeq(), c.GetCustomerCreated(), c.GetBound(), c.GetOwnerRules()
	w.custOwner, w.custTeam, w.noChase, w.fuCarried = c.GetCustomerOwnerId(), c.GetCustomerTeam(), c.GetNoChase(), c.GetFollowUp()
	w.applied = wfx.NewApplied(c.GetAppliedUpdateIds())
}

// continueAsNew ends the run; the next one goes on with the lead's state
// and its open follow-up.
func (w *leadWF) continueAsNew(ctx workflow.Context) error {
	next := &salesv1.LeadInput{Lead: w.data, ContinueAsNewAfter: w.limit, CallsLocal: w.localCalls, Carried: &salesv1.LeadCarried{
		Snapshot: proto.Clone(w.snap).(*salesv1.LeadSnapshot), Seq: w.seq, FirstSeq: w.firstSeq, CustomerCreated: w.created,
		Bound: w.bound, OwnerRules: w.ownerRules, CustomerOwnerId: w.custOwner, CustomerTeam: w.custTeam, NoChase: w.noChase,
		FollowUp: w.fuCarried, AppliedUpdateIds: w.applied.IDs(),
	}}
	workflow.GetLogger(ctx).Info("lead continues as new", "lead_id", w.data.GetId(), "decided", w.decided,
		"follow_up_open", w.fuCarried != nil)
	return workflow.NewContinueAsNewError(ctx, wfc.WorkflowLead, next)
}

// restore takes over the state the previous run carried.
func (w *oppWF) restore(c *salesv1.OpportunityCarried) {
	w.snap = proto.Clone(c.GetSnapshot()).(*salesv1.OpportunitySnapshot)
	w.round, w.fuCarried, w.created = int(c.GetRound()), c.GetFollowUp(), true
	w.applied = wfx.NewApplied(c.GetAppliedUpdateIds())
}

// continueAsNew ends the run; the next one goes on with the opportunity and
// its open stale-stage follow-up.
func (w *oppWF) continueAsNew(ctx workflow.Context) error {
	next := &salesv1.OpportunityInput{Opportunity: w.data, ContinueAsNewAfter: w.limit, Carried: &salesv1.OpportunityCarried{
		Snapshot: proto.Clone(w.snap).(*salesv1.OpportunitySnapshot), Round: int32(w.round), FollowUp: w.fuCarried,
		AppliedUpdateIds: w.applied.IDs(),
	}}
	workflow.GetLogger(ctx).Info("opportunity continues as new", "opportunity_id", w.snap.GetOpportunityId(), "decided", w.decided,
		"follow_up_open", w.fuCarried != nil)
	return workflow.NewContinueAsNewError(ctx, wfc.WorkflowOpportunity, next)
}
