package followup_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
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
	err   error
}

func (r rolloutSweep) String() string {
	var run, gap time.Duration
	for _, p := range r.pages {
		run += p
	}
	for _, g := range r.gaps {
		gap += g
	}
	return fmt.Sprintf("%d pages, %s in their activities, %s between them (%s)", len(r.pages), run.Round(time.Millisecond),
		gap.Round(time.Millisecond), durations(r.gaps))
}

func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(10 * time.Millisecond).String()
	}
	return strings.Join(parts, " ")
}

// firstSweep waits (20 minutes at most) for the one PolicyRollout workflow
// of the benchmark's namespace to end its first sweep — it starts the
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
		if es := resp.GetExecutions(); len(es) > 0 {
			wid = es[0].GetExecution().GetWorkflowId()
		} else if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return rolloutSweep{err: fmt.Errorf("no PolicyRollout workflow listed: %w", err)}
		}
	}
	for {
		var out rolloutSweep
		var started, completed time.Time
		it := c.GetWorkflowHistory(ctx, wid, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return rolloutSweep{err: err}
			}
			at := e.GetEventTime().AsTime()
			switch e.GetEventType() {
			case enums.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				if !completed.IsZero() {
					out.gaps = append(out.gaps, at.Sub(completed))
				}
				started = at
			case enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				completed = at
				out.pages = append(out.pages, at.Sub(started))
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
