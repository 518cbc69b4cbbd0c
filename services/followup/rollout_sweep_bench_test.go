package followup_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/temporalx"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// rolloutSweep is how a policy rollout's first sweep went, read from its
// workflow's history: when its last page ended (every workflow signalled),
// each page's activity time (started to completed) and the time between a
// page's end and the next page's start (the rollout's workflow task and the
// activity's dispatch), during which nothing is signalled.
type rolloutSweep struct {
	done  time.Duration // from the change to the end of the sweep's last page
	pages []time.Duration
	gaps  []time.Duration
	// Two phases (change "rollout-stores-first"): from the change to the
	// end of the last store page, the store pages among pages, and what
	// the wake pages signalled and counted late.
	stored          time.Duration
	storePages      int
	signalled, late int64
	err             error
}

func (r rolloutSweep) String() string {
	var run, gap time.Duration
	for _, p := range r.pages {
		run += p
	}
	for _, g := range r.gaps {
		gap += g
	}
	out := fmt.Sprintf("%d pages, %s in their activities, %s between them (%s)", len(r.pages), run.Round(time.Millisecond),
		gap.Round(time.Millisecond), durations(r.gaps))
	if r.storePages > 0 {
		out += fmt.Sprintf("; %d store pages over after %s, then %d wake pages signalled %d workflows, %d of them after their next action came due",
			r.storePages, r.stored.Round(time.Millisecond), len(r.pages)-r.storePages, r.signalled, r.late)
	}
	return out
}

func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(10 * time.Millisecond).String()
	}
	return strings.Join(parts, " ")
}

// firstSweep waits (20 minutes at most) for the PolicyRollout workflow
// started at or after since in the benchmark's namespace to end its first sweep — it starts the
// re-sweep's timer — and reads the sweep's pages from its history.
func firstSweep(ctx context.Context, c client.Client, since time.Time) rolloutSweep {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	var wid string
	for wid == "" {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = '" + wfc.WorkflowPolicyRollout + "'"})
		if err != nil {
			return rolloutSweep{err: err}
		}
		for _, e := range resp.GetExecutions() {
			if !e.GetStartTime().AsTime().Before(since) { // not one of an earlier change
				wid = e.GetExecution().GetWorkflowId()
			}
		}
		if wid != "" {
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return rolloutSweep{err: fmt.Errorf("no PolicyRollout workflow listed: %w", err)}
		}
	}
	for {
		var out rolloutSweep
		var started, completed time.Time
		storing := false
		it := c.GetWorkflowHistory(ctx, wid, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return rolloutSweep{err: err}
			}
			at := e.GetEventTime().AsTime()
			switch e.GetEventType() {
			case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				var in followupv1.RolloutPageInput
				if err := temporalx.DataConverter().FromPayloads(e.GetActivityTaskScheduledEventAttributes().GetInput(), &in); err != nil {
					return rolloutSweep{err: err}
				}
				storing = in.GetPhase() == followupv1.RolloutPhase_ROLLOUT_PHASE_STORE
			case enums.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				if !completed.IsZero() {
					out.gaps = append(out.gaps, at.Sub(completed))
				}
				started = at
			case enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				completed = at
				out.pages = append(out.pages, at.Sub(started))
				var page followupv1.RolloutPageResult
				if err := temporalx.DataConverter().FromPayloads(e.GetActivityTaskCompletedEventAttributes().GetResult(), &page); err != nil {
					return rolloutSweep{err: err}
				}
				out.signalled += page.GetSignalled()
				out.late += page.GetLate()
				if storing {
					out.storePages++
					out.stored = at.Sub(since)
				}
			case enums.EVENT_TYPE_TIMER_STARTED:
				out.done = completed.Sub(since)
				return out
			}
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return rolloutSweep{err: fmt.Errorf("rollout %s: first sweep not over: %w", wid, err)}
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// taskTimeouts counts, over the histories of the workflows ids (every
// hundredth of them when there are more than 2,000), the workflow tasks that
// timed out before a worker started them — schedule-to-start: on a sticky
// queue, a task the worker did not take within its
// StickyScheduleToStartTimeout (the SDK's 5 s), rescheduled on the normal
// queue with the whole history — before split and from split on.
func taskTimeouts(ctx context.Context, c client.Client, ids []string, split time.Time) (read, before, after int, err error) {
	step := 1
	if len(ids) > 2000 {
		step = 100
	}
	for i := 0; i < len(ids); i += step {
		read++
		it := c.GetWorkflowHistory(ctx, ids[i], "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return read, before, after, err
			}
			if a := e.GetWorkflowTaskTimedOutEventAttributes(); a != nil && a.GetTimeoutType() == enums.TIMEOUT_TYPE_SCHEDULE_TO_START {
				if e.GetEventTime().AsTime().Before(split) {
					before++
				} else {
					after++
				}
			}
		}
	}
	return read, before, after, nil
}
