package followup

import (
	"time"

	"github.com/closeloop/closeloop/workflows/wfx"
	"go.temporal.io/sdk/workflow"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Options customise Track for a workflow that embeds it.
type Options struct {
	// OnStep runs after a step is recorded, for actions the embedding
	// workflow carries out itself (reassigning a lead, returning it to the
	// pool). Nil for the FollowUp workflow: the step is recorded and shown to
	// the owner's managers.
	//
	// OnStep may end the follow-up by returning a *Handover (the lead went to
	// another rep, back to the pool, …): Track then closes the record with the
	// handover's state and note and returns it as the outcome.
	OnStep func(ctx workflow.Context, s Step) error
	// RecordAs, when set, names the action a ladder step is recorded as on
	// the follow-up, for an embedding workflow that carries the step out
	// differently (a lead bound to its customer's owner is escalated to the
	// managers instead of reassigned). OnStep still receives the ladder's
	// action. It must be deterministic: it runs in workflow code.
	RecordAs func(policy.Action) policy.Action
	// Interrupt, when set, ends the follow-up like the close-follow-up signal
	// when the embedding workflow sends a *followupv1.CloseSignal on it (first
	// contact logged through the lead's update, a stage change, …).
	Interrupt workflow.ReceiveChannel
	// Expose, when set, receives at the start a function returning the
	// follow-up's live state (due time, next step, level), for the embedding
	// workflow's own query.
	Expose func(state func() *followupv1.FollowUpState)
	// Suspend, when set, lets the embedding workflow stop tracking without
	// closing the follow-up, to continue as new: when it sends on Suspend,
	// Track returns from its wait (never in the middle of a step) with State
	// Suspended and Resume set — unless a close is pending, which is applied
	// first. Policy-change signals pending then are covered by the new run,
	// which re-resolves at once.
	Suspend workflow.ReceiveChannel
	// Resume, when set, goes on with a follow-up that an earlier run of the
	// workflow opened (same spec) and suspended: the record is not opened
	// again, the steps up to Resume.Level stay done, and resuming is a
	// decision point — a policy or calendar version that changed meanwhile
	// re-computes the due time and is recorded, as on a policy signal.
	Resume *Progress
	// Signals, when set, are where Track receives policy changes and closes
	// instead of the workflow's own signal channels, and Track sets no query
	// handler: for a workflow that chases several follow-ups at once (a
	// service case's two SLA targets), which receives the signals itself and
	// routes them — a policy change to every follow-up, a close by its
	// follow_up_id — and answers queries for all of them.
	Signals *Signals
	// Alarms, when set, times the ladder on the embedding workflow's shared
	// timer (wfx.Alarms) instead of a timer of its own: a workflow that waits
	// for the same instant in its loop and in its follow-ups (a deadline and
	// the ladder's first step) then wakes once for both, rather than a
	// second late for the second (see wfx.Alarms).
	Alarms *wfx.Alarms
	// Current, when set, says the embedding workflow's run is newer than
	// every change of this package up to ChangeCarriedResolution: it asked
	// a change of its own made after them (the Lead workflow's
	// lead-hosted-at-current, on the sales service's queue). Track then
	// takes engineQueueChange, ChangeResolveAndOpen, ChangeCarriedResolution
	// and closeNoticeChange as in force without asking workflow.GetVersion,
	// which records a marker and a search-attribute upsert per change. It
	// must be the same in replay as when the run was recorded. A change
	// made in this package later is asked whatever Current says.
	Current bool
	// KeepTimer, when set, keeps the timer (or alarm) Track waits on across
	// a wake-up that leaves the next action where it was — a policy
	// change that does not concern the follow-up or does not move its next
	// step — instead of cancelling it and starting another for the same
	// instant: two history events and a timer task less per such wake-up.
	// It must be the same in replay as when the run was recorded: the
	// FollowUp workflow the engine hosts sets it from version 2 of
	// changeHostedAtCurrent (host.go).
	KeepTimer bool
	// Local, when set, says the workflow's worker has the engine's
	// activities registered: Track then calls them as local activities,
	// written inside the workflow task that decided them (host.go). The
	// FollowUp workflow the engine hosts sets it (the follow-up service's
	// worker, on the engine's own task queue), and a Lead whose worker runs
	// them over HTTP as the sales service (platform/activityhttp). It must
	// be the same in replay as when the run was recorded.
	Local bool
	// OpeningAt, with Local, is the fixed instant a local opening resolves
	// the policy versions at (a workflow task that fails after the opening
	// was stored runs it again): for a workflow that opens its follow-up
	// later in its life, an instant its history holds (a lead's assignment
	// time). Zero: the workflow's start.
	OpeningAt time.Time
}

// Signals are the channels Track receives policy-change signals
// (*followupv1.PolicyChangedSignal) and close signals (*followupv1.CloseSignal)
// on, when the embedding workflow routes them (Options.Signals).
type Signals struct {
	Policy, Close workflow.ReceiveChannel
}

// Handover is returned by OnStep to end the follow-up after a step whose
// action took the obligation away from its owner.
type Handover struct {
	State string // "cancelled" unless set
	Note  string
}

func (h *Handover) Error() string { return "follow-up handed over: " + h.Note }
