package followup

import (
	"time"

	"go.temporal.io/sdk/workflow"

	followupc "github.com/closeloop/closeloop/proto/contract/followup"
)

// Where a FollowUp workflow runs.
//
// Start starts each new FollowUp workflow on the follow-up engine's own task
// queue (followupc.TaskQueue), and the follow-up service hosts the workflow
// on its worker there, beside the engine's activities (ResolvePolicies with
// the opening, UpdateFollowUpDeadline, RecordFollowUpStep, CloseFollowUp)
// and the database they write to. Such a run calls them as local
// activities: the follow-up is opened inside its first workflow task, and
// at each decision point (a timer firing, a policy change) the versions in
// force are resolved and the step recorded inside the workflow task the
// timer woke — no activity task and no workflow task after each. A close
// notice stays an activity task: it is another service's (notice.go).
//
// Runs started before (and Track embedded by other workflows: a lead on the
// sales queue, a visit on the customer queue, a service case) run on their
// own queues and call the engine remotely, as they always did. A run's task
// queue never changes, so it decides the branch for the run's whole
// history, in replay as when it ran: it is this change's version marker.
// A hosted run asks one change, changeHostedAtCurrent, and takes every
// earlier change of this package as in force (Options.Current), so it
// records one version marker where a run on the workflow worker records up
// to four.
//
// Every engine activity is idempotent by its ids (the follow-up id, the
// step's level, a deadline that already stands), so a local attempt repeated
// after a worker's crash writes nothing twice; local and remote calls are
// retried alike (wfx). What such a repeat could change is decided so that
// it does not: the opening resolves at a fixed instant (openingAt); a step
// or a close stored by the failed attempt keeps its instant in the record
// (a close notice sent by the attempt that completes carries that
// attempt's instant, seconds later).

// changeHostedAtCurrent is the workflow.GetVersion change id under which a
// FollowUp run the follow-up service hosts calls the engine locally and
// takes every earlier change of this package as in force.
const changeHostedAtCurrent = "followup-hosted-at-current"

// hostedByEngine says whether the run is on the follow-up engine's own task
// queue, whose worker has the engine's activities registered.
func hostedByEngine(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).TaskQueueName == followupc.TaskQueue
}

// hostedOptions are the FollowUp workflow's Track options: local engine
// calls and every earlier change in force when the engine hosts the run
// (changeHostedAtCurrent), none otherwise; from version 2
// (keepTimerVersion), the timer a wake-up did not move kept. The one
// marker holds both, so a new hosted run still records one.
func hostedOptions(ctx workflow.Context) Options {
	if !hostedByEngine(ctx) {
		return Options{}
	}
	v := workflow.GetVersion(ctx, changeHostedAtCurrent, workflow.DefaultVersion, keepTimerVersion)
	if v < 1 {
		return Options{}
	}
	return Options{Local: true, Current: true, KeepTimer: v >= keepTimerVersion}
}

// openingAt is the instant the opening resolves the policy versions at.
// A local opening is run again when its workflow task fails after the
// record was stored (a killed pod): the record, stored once by the first
// attempt, and the plan the workflow keeps from the attempt that completes
// must be computed from the same versions. So a hosted run resolves at its
// workflow's start, the same instant in every attempt (versions in force
// at a past instant never change: a new one takes effect now or later); a
// version that came into force since then reaches it as any change does,
// by the rollout. A workflow that opens follow-ups later in its life (a
// lead, at each assignment) gives the instant itself (Options.OpeningAt).
// A remote opening's instant is fixed in its scheduled activity: the
// workflow task's.
func (t *tracker) openingAt(ctx workflow.Context) time.Time {
	if t.opts.Local {
		if !t.opts.OpeningAt.IsZero() {
			return t.opts.OpeningAt
		}
		return workflow.GetInfo(ctx).WorkflowStartTime
	}
	return workflow.Now(ctx)
}

// engine calls one of the follow-up engine's activities: a local activity
// when the engine hosts the run (Options.Local), else an activity task on
// the engine's queue.
func (t *tracker) engine(ctx workflow.Context, name string, in any) workflow.Future {
	if t.opts.Local {
		return workflow.ExecuteLocalActivity(ctx, name, in)
	}
	return workflow.ExecuteActivity(ctx, name, in)
}
