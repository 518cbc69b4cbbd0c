package visit

import (
	"go.temporal.io/sdk/workflow"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
)

// Where a customer-day runs.
//
// The customer service starts each new customer-day on its own task queue
// (customerc.TaskQueue) and hosts the Visit workflow on its worker there,
// beside the activities that write the visit (BookVisit, JoinVisit, …) and
// the customer database they write to. Such a run calls those activities as
// local activities: the booking is written inside the workflow task that
// takes the request, so the answer costs the update-with-start's round trip
// and one database transaction — no activity task and no second workflow
// task (docs/performance.md, round trips). The follow-up engine's
// activities (the log follow-up, a resolution the request did not carry)
// stay remote: they are another service's.
//
// Runs started by an older release are on the workflow worker's queue
// (wfc.TaskQueue), which still hosts the Visit workflow; they, and the runs
// they continue as new into (continue-as-new keeps the task queue), call
// the activities remotely as they always did. A run's task queue never
// changes, so it decides the branch for the run's whole history, in replay
// as when it ran: the queue is this change's version marker, and no
// workflow.GetVersion is needed (recorded histories on both queues replay,
// workflows/replay_test.go). A hosted run asks one change for all the
// others (version, below).

// hostedByCustomer says whether the run is on the customer service's own
// task queue, whose worker has the visit activities registered.
func hostedByCustomer(ctx workflow.Context) bool {
	return workflow.GetInfo(ctx).TaskQueueName == customerc.TaskQueue
}

// call runs one of the customer service's visit activities: a local
// activity when the customer service hosts the run, else an activity task
// on its queue. Both are retried alike (wfx), and each activity is
// idempotent by its ids, so a local attempt repeated after a worker's crash
// writes nothing twice.
func (w *visitWF) call(name string, in any) workflow.Future {
	if w.local {
		return workflow.ExecuteLocalActivity(w.act, name, in)
	}
	return workflow.ExecuteActivity(w.act, name, in)
}

// version is workflow.GetVersion of one of the workflow's changes (between
// DefaultVersion and 1). A run the customer service hosts is always newer
// than every one of them, so from changeHostedAtCurrent on it asks that
// one change alone and takes the others at 1: each GetVersion records a
// marker and, by the SDK's design, an upsert of the TemporalChangeVersion
// search attribute, which the server writes to visibility — four of each
// in a new day's first workflow task before, one now. Hosted runs that
// recorded the changes one by one (before changeHostedAtCurrent) find no
// marker for it in their history and replay asking each, as they ran.
func (w *visitWF) version(ctx workflow.Context, change string) workflow.Version {
	if w.local && w.hostedAt(ctx) >= 1 {
		return 1
	}
	return workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1)
}

// hostedAt is the version of changeHostedAtCurrent a hosted run recorded:
// 1 took the changes at 1, 2 also decides requests against the stored day
// (stored.go), 3 also settles its requests before it waits for the day's
// end (settles, below).
func (w *visitWF) hostedAt(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, changeHostedAtCurrent, workflow.DefaultVersion, 3)
}

// settles says whether a free day lets the requests being decided finish
// before it waits for a booking until the day's end (awaitBooking). A hosted
// run from version 3 does: the request a new day starts with has booked it
// by then, so the run arms no day-end timer — a timer the booking made
// useless, one history event and one timer task at the start, and a
// workflow task that woke the day at its end for nothing. Runs before
// started that timer and replay doing so.
func (w *visitWF) settles(ctx workflow.Context) bool {
	return w.local && w.hostedAt(ctx) >= 3
}
