package followup

import (
	"time"

	"go.temporal.io/sdk/workflow"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Rollout tuning.
const (
	// RolloutPageSize is the number of follow-ups per RolloutPage activity.
	RolloutPageSize = 500
	// ResweepDelay is how long the rollout waits before sweeping a second
	// time, for workflows that resolved the old version just before the new
	// one came into force and opened their follow-up during the first sweep.
	ResweepDelay = time.Minute
)

// ChangeRolloutStoresFirst is the workflow.GetVersion change id of a sweep
// in two phases (version 1): pages that store every re-computed deadline
// with the wake-up its workflow is owed and signal nothing, then pages that
// signal the owed wake-ups soonest next action first. Before it, each page
// stored and signalled its follow-ups in id order.
const ChangeRolloutStoresFirst = "rollout-stores-first"

// ChangeRolloutHandsOnPace is the workflow.GetVersion change id of wake
// pages that hand their pacing on (version 1): each wake page's input
// carries the pace the rollout's last wake page returned, so that a page
// taken by another replica goes on pacing behind the signals the last
// page left (app's pacer). Before it, a page went on from the last page
// of its own process.
const ChangeRolloutHandsOnPace = "rollout-hands-on-pace"

// PolicyRollout is the PolicyRollout workflow: it waits until the version is
// in force, then has the follow-up service store, page by page, the deadline
// each open follow-up on an older version of the policy (or calendar) would
// re-compute — every record holds the change before any workflow is told —
// and then signal those follow-ups' workflows, the one that acts soonest
// first; each takes the change in (see Track). A workflow whose timer fires
// before its signal re-resolves at that decision point anyway. A second
// sweep after ResweepDelay catches stragglers; the periodic reconciliation
// (the same workflow with neither policy nor calendar) catches anything
// else, and signals the wake-ups a rollout that did not finish left owed.
func PolicyRollout(ctx workflow.Context, in *followupv1.RolloutInput) (*followupv1.RolloutResult, error) {
	log := workflow.GetLogger(ctx)
	if eff := in.GetEffectiveFrom(); eff != nil {
		if wait := eff.AsTime().Sub(workflow.Now(ctx)); wait > 0 {
			log.Info("waiting until the version is in force", "effective_from", eff.AsTime())
			if err := workflow.Sleep(ctx, wait); err != nil {
				return nil, err // cancelled: the scheduled version was withdrawn
			}
		}
	}
	eng := engineFor(ctx)
	ctx = wfx.Activities(ctx, wfx.Call{Queue: eng.queue, Timeout: 5 * time.Minute, Heartbeat: time.Minute})
	res := &followupv1.RolloutResult{}
	twoPhases := workflow.GetVersion(ctx, ChangeRolloutStoresFirst, workflow.DefaultVersion, 1) == 1
	handsOnPace := twoPhases && workflow.GetVersion(ctx, ChangeRolloutHandsOnPace, workflow.DefaultVersion, 1) == 1
	var pace *followupv1.RolloutPace // the last wake page's, for the next
	pages := func(phase followupv1.RolloutPhase) error {
		after := ""
		for {
			var page followupv1.RolloutPageResult
			pin := &followupv1.RolloutPageInput{Rollout: in, AfterId: after, Limit: RolloutPageSize, Phase: phase}
			if handsOnPace && phase == followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE {
				pin.Pace = pace
			}
			if err := workflow.ExecuteActivity(ctx, eng.rollout, pin).Get(ctx, &page); err != nil {
				return err
			}
			if page.GetPace() != nil {
				pace = page.GetPace()
			}
			res.Signalled += page.GetSignalled()
			res.OrphansClosed += page.GetOrphansClosed()
			res.Late += page.GetLate()
			if page.GetNextAfterId() == "" {
				return nil
			}
			if phase != followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE {
				// A wake page drains what is owed: the next starts from the top.
				after = page.GetNextAfterId()
			}
		}
	}
	sweep := func() error {
		if !twoPhases {
			return pages(followupv1.RolloutPhase_ROLLOUT_PHASE_UNSPECIFIED)
		}
		if err := pages(followupv1.RolloutPhase_ROLLOUT_PHASE_STORE); err != nil {
			return err
		}
		return pages(followupv1.RolloutPhase_ROLLOUT_PHASE_WAKE)
	}
	if err := sweep(); err != nil {
		return nil, err
	}
	res.Sweeps++
	if in.GetPolicy() != "" || in.GetCalendar() != "" {
		if err := workflow.Sleep(ctx, ResweepDelay); err != nil {
			return res, err
		}
		if err := sweep(); err != nil {
			return nil, err
		}
		res.Sweeps++
	}
	log.Info("policy rollout finished", "signalled", res.Signalled, "orphans_closed", res.OrphansClosed, "late", res.Late)
	return res, nil
}
