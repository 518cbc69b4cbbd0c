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

// PolicyRollout is the PolicyRollout workflow: it waits until the version is
// in force, then has the follow-up service signal, page by page, every
// workflow whose open follow-up uses the policy (or calendar) at an older
// version; each re-computes its own deadlines (see Track). A second sweep
// after ResweepDelay catches stragglers; the periodic reconciliation (the same
// workflow with neither policy nor calendar) catches anything else.
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
	sweep := func() (int64, error) {
		var n int64
		after := ""
		for {
			var page followupv1.RolloutPageResult
			err := workflow.ExecuteActivity(ctx, eng.rollout, &followupv1.RolloutPageInput{
				Rollout: in, AfterId: after, Limit: RolloutPageSize,
			}).Get(ctx, &page)
			if err != nil {
				return n, err
			}
			n += page.GetSignalled()
			res.Signalled += page.GetSignalled()
			res.OrphansClosed += page.GetOrphansClosed()
			if page.GetNextAfterId() == "" {
				return n, nil
			}
			after = page.GetNextAfterId()
		}
	}
	if _, err := sweep(); err != nil {
		return nil, err
	}
	res.Sweeps++
	if in.GetPolicy() != "" || in.GetCalendar() != "" {
		if err := workflow.Sleep(ctx, ResweepDelay); err != nil {
			return res, err
		}
		if _, err := sweep(); err != nil {
			return nil, err
		}
		res.Sweeps++
	}
	log.Info("policy rollout finished", "signalled", res.Signalled, "orphans_closed", res.OrphansClosed)
	return res, nil
}
