package ports

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/temporalx"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/app"
)

// Activities are the marketing service's Temporal activities on its task
// queue: the steps the CampaignLaunch, WinBackSweep, WinBack and
// CampaignOutcomes workflows ask of it. Each is idempotent; a business
// refusal fails non-retryable with its code as the error type, anything
// else is retried.
type Activities struct{ App *app.App }

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.EnrolPage, activity.RegisterOptions{Name: marketingc.ActivityEnrolPage})
	r.RegisterActivityWithOptions(a.RecordTouches, activity.RegisterOptions{Name: marketingc.ActivityRecordTouches})
	r.RegisterActivityWithOptions(a.WinBackTouch, activity.RegisterOptions{Name: marketingc.ActivityWinBackTouch})
	r.RegisterActivityWithOptions(a.EndWinBack, activity.RegisterOptions{Name: marketingc.ActivityEndWinBack})
	r.RegisterActivityWithOptions(a.FinishLaunch, activity.RegisterOptions{Name: marketingc.ActivityFinishLaunch})
	r.RegisterActivityWithOptions(a.WinBackSweepPage, activity.RegisterOptions{Name: marketingc.ActivityWinBackSweepPage})
	r.RegisterActivityWithOptions(a.OutcomePage, activity.RegisterOptions{Name: marketingc.ActivityOutcomePage})
	r.RegisterActivityWithOptions(a.RecordOutcomes, activity.RegisterOptions{Name: marketingc.ActivityRecordOutcomes})
	r.RegisterActivityWithOptions(a.EmailTouches, activity.RegisterOptions{Name: marketingc.ActivityEmailTouches})
}

// EmailTouches writes the emails of email touches (app.EmailTouches).
func (a *Activities) EmailTouches(ctx context.Context, in *marketingv1.EmailTouchesInput) (*marketingv1.EmailTouchesResult, error) {
	out, err := a.App.EmailTouches(ctx, in)
	return out, temporalx.NonRetryable(err)
}

// EnrolPage enrols one page of a segment (app.EnrolPage).
func (a *Activities) EnrolPage(ctx context.Context, in *marketingv1.EnrolPageInput) (*marketingv1.EnrolPageResult, error) {
	out, err := a.App.EnrolPage(ctx, in)
	return out, temporalx.NonRetryable(err)
}

// RecordTouches records planned touches with their action plans.
func (a *Activities) RecordTouches(ctx context.Context, in *marketingv1.RecordTouchesInput) error {
	return temporalx.NonRetryable(a.App.RecordTouches(ctx, in))
}

// WinBackTouch decides and records one touch of a cadence.
func (a *Activities) WinBackTouch(ctx context.Context, in *marketingv1.WinBackTouchInput) (*marketingv1.WinBackTouchResult, error) {
	out, err := a.App.WinBackTouch(ctx, in)
	return out, temporalx.NonRetryable(err)
}

// EndWinBack records how a cadence ended.
func (a *Activities) EndWinBack(ctx context.Context, in *marketingv1.WinBackEndInput) error {
	return temporalx.NonRetryable(a.App.EndWinBack(ctx, in))
}

// FinishLaunch records what a launch enrolled.
func (a *Activities) FinishLaunch(ctx context.Context, in *marketingv1.CampaignLaunchInput) error {
	return temporalx.NonRetryable(a.App.FinishLaunch(ctx, in))
}

// WinBackSweepPage enrols or lists one page of lost customers.
func (a *Activities) WinBackSweepPage(ctx context.Context, in *marketingv1.EnrolPageInput) (*marketingv1.WinBackSweepResult, error) {
	out, err := a.App.WinBackSweepPage(ctx, in)
	return out, temporalx.NonRetryable(err)
}

// OutcomePage hands out the next page of enrolments whose outcomes are refreshed.
func (a *Activities) OutcomePage(ctx context.Context, in *marketingv1.OutcomePageInput) (*marketingv1.OutcomePageResult, error) {
	out, err := a.App.OutcomePage(ctx, in)
	return out, temporalx.NonRetryable(err)
}

// RecordOutcomes stores one page's outcomes.
func (a *Activities) RecordOutcomes(ctx context.Context, in *marketingv1.RecordOutcomesInput) error {
	return temporalx.NonRetryable(a.App.RecordOutcomes(ctx, in))
}
