// Package ports is the follow-up service's edge: its HTTP API (EngineHTTP),
// the activities every workflow calls on the engine's task queue
// (EngineActivities), the Temporal client that starts and signals the
// engine's workflows (TemporalEngine) and the customer service's API as the
// caller sees it (CustomerAPI).
package ports

import (
	"context"
	"errors"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/activityhttp"
	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/temporalx"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/followup"
)

// EngineActivities are the follow-up and policy activities of the follow-up
// engine, which every workflow tracking a follow-up calls on the engine's
// own task queue (proto/contract/followup).
type EngineActivities struct {
	Policies  *app.Policies
	FollowUps *app.FollowUps
}

// Register adds the activities under the engine's names, for the worker on
// the engine's task queue.
func (a *EngineActivities) Register(r worker.Registry) {
	for name, fn := range map[string]any{
		followupc.ActivityResolvePolicies:        a.ResolvePolicies,
		followupc.ActivityOpenFollowUp:           a.OpenFollowUp,
		followupc.ActivityUpdateFollowUpDeadline: a.UpdateFollowUpDeadline,
		followupc.ActivityRecordFollowUpStep:     a.RecordFollowUpStep,
		followupc.ActivityCloseFollowUp:          a.CloseFollowUp,
		followupc.ActivityRolloutPage:            a.RolloutPage,
		followupc.ActivityCalendarSet:            a.CalendarSet,
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// InternalRoutes serves, on the routes for services, the engine's calls a
// follow-up tracked by another service's workflow makes, for that service's
// worker to run as local activities (platform/activityhttp).
func (a *EngineActivities) InternalRoutes(g *gin.RouterGroup) {
	g.POST(activityhttp.Path(followupc.ActivityResolvePolicies), activityhttp.Handler(a.ResolvePolicies))
	g.POST(activityhttp.Path(followupc.ActivityOpenFollowUp), activityhttp.Handler(activityhttp.NoResult(a.OpenFollowUp)))
	g.POST(activityhttp.Path(followupc.ActivityUpdateFollowUpDeadline), activityhttp.Handler(activityhttp.NoResult(a.UpdateFollowUpDeadline)))
	g.POST(activityhttp.Path(followupc.ActivityRecordFollowUpStep), activityhttp.Handler(activityhttp.NoResult(a.RecordFollowUpStep)))
	g.POST(activityhttp.Path(followupc.ActivityCloseFollowUp), activityhttp.Handler(activityhttp.NoResult(a.CloseFollowUp)))
}

// RegisterFollowUpWorkflow adds the FollowUp workflow to the worker on the
// engine's task queue: new follow-ups run here, their engine activities
// local (workflows/followup/host.go). The workflow worker keeps the
// follow-ups started before, on its own queue.
func RegisterFollowUpWorkflow(r worker.Registry) {
	r.RegisterWorkflowWithOptions(followup.FollowUp, workflow.RegisterOptions{Name: wfc.WorkflowFollowUp})
}

// CalendarSet returns every current calendar and assignment.
func (a *EngineActivities) CalendarSet(ctx context.Context, _ *followupv1.CalendarSetInput) (*followupv1.CalendarSetResult, error) {
	res, err := a.Policies.CalendarSet(ctx)
	return res, temporalx.NonRetryable(err)
}

// ResolvePolicies returns the versions in force and, when asked (in.Open),
// opens the follow-up they time (app.FollowUps.OpenWith).
func (a *EngineActivities) ResolvePolicies(ctx context.Context, in *followupv1.ResolvePoliciesInput) (*followupv1.ResolvePoliciesResult, error) {
	at := time.Now()
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	res, err := a.Policies.Resolve(ctx, in.GetNames(), in.GetTeam(), in.GetTerritory(), at)
	if err == nil && in.GetOpen() != nil {
		err = a.FollowUps.OpenWith(ctx, in.GetOpen(), res)
	}
	return res, temporalx.NonRetryable(err)
}

// ts is a timestamp at the database's precision (microseconds, UTC).
func ts(t *timestamppb.Timestamp) time.Time { return t.AsTime().UTC().Truncate(time.Microsecond) }

// optional is ts of a timestamp that may be absent (nil).
func optional(t *timestamppb.Timestamp) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(t)
	return &v
}

// OpenFollowUp stores a new follow-up.
func (a *EngineActivities) OpenFollowUp(ctx context.Context, in *followupv1.FollowUpRecord) error {
	return temporalx.NonRetryable(a.FollowUps.Record(ctx, app.OpeningOf(in)))
}

// UpdateFollowUpDeadline records a re-computed due time.
func (a *EngineActivities) UpdateFollowUpDeadline(ctx context.Context, in *followupv1.UpdateDeadlineInput) error {
	return temporalx.NonRetryable(a.FollowUps.UpdateDeadline(ctx, in.GetId(), app.DeadlineChangeOf(in)))
}

// RecordFollowUpStep records an escalation step.
func (a *EngineActivities) RecordFollowUpStep(ctx context.Context, in *followupv1.RecordStepInput) error {
	return temporalx.NonRetryable(a.FollowUps.RecordStep(ctx, in.GetId(), domain.Step{
		Level: int(in.GetLevel()), Action: in.GetAction(), ScheduledAt: ts(in.GetAt()), RanAt: optional(in.GetRanAt()), NextStepAt: optional(in.GetNextStepAt()),
	}))
}

// CloseFollowUp closes a follow-up.
func (a *EngineActivities) CloseFollowUp(ctx context.Context, in *followupv1.CloseFollowUpInput) error {
	return temporalx.NonRetryable(a.FollowUps.Close(ctx, in.GetId(), domain.Closing{
		State: in.GetState(), By: in.GetBy(), Note: in.GetNote(), At: optional(in.GetAt()),
	}))
}

// RolloutPage signals one page of lagging workflows.
func (a *EngineActivities) RolloutPage(ctx context.Context, in *followupv1.RolloutPageInput) (*followupv1.RolloutPageResult, error) {
	retry := activity.IsActivity(ctx) && activity.GetInfo(ctx).Attempt > 1
	res, err := a.FollowUps.RolloutPage(ctx, in, retry, func(d any) {
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, d)
		}
	})
	return res, temporalx.NonRetryable(err)
}

// TemporalEngine starts and signals the follow-up engine's workflows.
type TemporalEngine struct {
	Client client.Client
}

func unavailable(err error) error {
	return apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly").Wrap(err)
}

// StartFollowUp starts a FollowUp workflow; an existing one with the id is kept.
func (t TemporalEngine) StartFollowUp(ctx context.Context, spec *followupv1.FollowUpSpec) error {
	if err := followup.Start(ctx, t.Client, spec); err != nil {
		return unavailable(err)
	}
	return nil
}

// Signal signals a running workflow.
func (t TemporalEngine) Signal(ctx context.Context, workflowID, name string, payload any) error {
	err := t.Client.SignalWorkflow(ctx, workflowID, "", name, payload)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return app.ErrWorkflowGone
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Start starts the rollout of a version; starting it twice is a no-op. The
// rollout runs on the worker's bulk task queue (wfc.BulkTaskQueue), as the
// periodic reconciliation does: each page it signals wakes hundreds of
// follow-ups on the main queue, and its own next workflow task would
// otherwise wait behind theirs — seconds a page.
func (t TemporalEngine) Start(ctx context.Context, kind, name string, version int64, effectiveFrom time.Time) error {
	in := &followupv1.RolloutInput{Version: version, EffectiveFrom: timestamppb.New(effectiveFrom)}
	if kind == "calendar" {
		in.Calendar = name
	} else {
		in.Policy = name
	}
	_, err := t.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wfc.PolicyRolloutWorkflowID(kind, name, version, effectiveFrom.UnixMilli()),
		TaskQueue:                wfc.BulkTaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("policy-rollout")),
	}, wfc.WorkflowPolicyRollout, in)
	return err
}

// Cancel stops the rollout of a withdrawn version.
func (t TemporalEngine) Cancel(ctx context.Context, kind, name string, version int64, effectiveFrom time.Time) error {
	err := t.Client.CancelWorkflow(ctx, wfc.PolicyRolloutWorkflowID(kind, name, version, effectiveFrom.UnixMilli()), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// Settled describes the workflow's current run: settled when it has no
// pending workflow task, is no longer running, or is unknown.
func (t TemporalEngine) Settled(ctx context.Context, workflowID string) (bool, error) {
	d, err := t.Client.DescribeWorkflowExecution(ctx, workflowID, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return true, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	return d.GetPendingWorkflowTask() == nil ||
		d.GetWorkflowExecutionInfo().GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// Ended asks Temporal visibility which of the workflow ids have ended: at
// least one closed run and no open one (a run that continued as new is not
// an end).
func (t TemporalEngine) Ended(ctx context.Context, workflowIDs []string) (map[string]bool, error) {
	out, err := temporalx.Ended(ctx, t.Client, workflowIDs)
	if err != nil {
		return nil, unavailable(err)
	}
	return out, nil
}
