package lead

import (
	"time"

	"go.temporal.io/sdk/workflow"

	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Where a lead runs.
//
// The sales service starts each new lead's workflow on its own task queue
// (salesc.TaskQueue) and hosts the Lead workflow on its worker there,
// beside the sales activities (AssignLead, ApplyLeadCommand, RecordEvent)
// and the sales database they write to. Such a run calls them as local
// activities: the assignment is written inside the workflow task that
// decided it — no activity task, no workflow task after it. The customer
// service's activities (EnsureCustomer, ClaimCustomerOwner) and the
// follow-up engine's stay remote: they are other services'. The
// Opportunity workflow stays on the workflow worker.
//
// Leads started before, or by the WinBack workflow's hand-over (a child
// workflow, on its parent's queue), run on the workflow worker's queue
// (wfc.TaskQueue), which still hosts the Lead workflow, and call the sales
// activities remotely as they always did; continue-as-new keeps the queue.
// A run's task queue never changes, so it decides the branch for the
// run's whole history, in replay as when it ran: it is this change's
// version marker (recorded histories on both queues replay,
// workflows/replay_test.go). A hosted run asks one change for all the
// others (version, below).

// changeHostedAtCurrent is the workflow.GetVersion change id under which a
// run the sales service hosts takes every change made before it as in
// force: the Lead workflow's (versionOwnerRules, versionContinueAsNew) and
// its first-contact follow-up's (followup.Options.Current).
const changeHostedAtCurrent = "lead-hosted-at-current"

// hostedBySales says whether the run is on the sales service's own task
// queue, whose worker has the sales activities registered.
func hostedBySales(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).TaskQueueName == salesc.TaskQueue
}

// salesCalls is the context the run calls the sales activities with:
// local activity options when the sales service hosts it, else callSales.
func (w *leadWF) salesCalls(ctx workflow.Context) workflow.Context {
	if w.local {
		return wfx.LocalActivities(ctx, wfx.Call{Queue: salesc.TaskQueue, NonRetryable: []string{"invalid", "not_found"}})
	}
	return callSales(ctx)
}

// runSales runs one of the sales activities: a local activity when the
// sales service hosts the run, else an activity task on its queue. Both
// are retried alike (wfx), and each activity is idempotent by its ids
// (the assignment number, the event id), so a local attempt repeated after
// a worker's crash writes nothing twice.
func (w *leadWF) runSales(name string, in any) workflow.Future {
	if w.local {
		return workflow.ExecuteLocalActivity(w.sales, name, in)
	}
	return workflow.ExecuteActivity(w.sales, name, in)
}

// version is workflow.GetVersion of one of the Lead workflow's changes
// (between DefaultVersion and 1). A run the sales service hosts is always
// newer than every one of them, so from changeHostedAtCurrent on it asks
// that one change alone and takes the others at 1 — its follow-up's too
// (current): each GetVersion records a marker and, by the SDK's design, an
// upsert of the TemporalChangeVersion search attribute, which the server
// writes to visibility; a new lead asked four. Hosted runs recorded before
// changeHostedAtCurrent find no marker for it in their history and replay
// asking each, as they ran. A change made after it is asked as any other.
func (w *leadWF) version(ctx workflow.Context, change string) workflow.Version {
	if w.atCurrent(ctx) {
		return 1
	}
	return workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1)
}

// atCurrent says whether the run takes every change made before
// changeHostedAtCurrent as in force (see version).
func (w *leadWF) atCurrent(ctx workflow.Context) bool {
	return w.hostedAt(ctx) >= 1
}

// hostedAt is the version of changeHostedAtCurrent a hosted run recorded
// (DefaultVersion for a run on the workflow worker's queue): 1 takes every
// earlier change as in force; 2 also routes the new lead before its
// customer is found (routedFirst, route.go); 3 also runs the other
// services' calls as local activities when the lead asks it (callsLocal).
func (w *leadWF) hostedAt(ctx workflow.Context) workflow.Version {
	if !w.local {
		return workflow.DefaultVersion
	}
	return workflow.GetVersion(ctx, changeHostedAtCurrent, workflow.DefaultVersion, 3)
}

// callsLocal says whether the run calls the customer service's
// EnsureCustomer and its first-contact follow-up's engine as local
// activities: the sales service that started it has a service identity
// and registered, under those activities' names, functions that call the
// two services over HTTP as the sales service (platform/activityhttp;
// LeadInput.calls_local), and the run recorded changeHostedAtCurrent 3.
// An activity task of another service costs the Temporal server a
// dispatch, its events and a workflow task after it; a local activity, a
// marker in the task that ran it (docs/performance.md). Both are retried
// alike and the calls are idempotent by their ids, so a local attempt
// repeated after a crash changes nothing twice. ClaimCustomerOwner (a lead
// for a known customer, or one the rules could not route) stays an
// activity task.
func (w *leadWF) callsLocal(ctx workflow.Context) bool {
	return w.localCalls && w.hostedAt(ctx) >= 3
}

// assignedAt is when the current assignment was stored (zero without
// one): the instant a local opening of its follow-up resolves the policy
// versions at, fixed in the history by the assignment's result.
func (w *leadWF) assignedAt() time.Time {
	if at := w.snap.GetAssignment().GetAssignedAt(); at != nil {
		return at.AsTime()
	}
	return time.Time{}
}
