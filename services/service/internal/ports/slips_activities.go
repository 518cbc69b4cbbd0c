package ports

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/temporalx"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// SlipActivities are the after-sales service's activities of the InfoSlip
// workflow: apply a change to the record, note a chase's step.
type SlipActivities struct {
	Slips *adapters.Slips
	Org   domain.Org
}

// Register adds the activities to the service's worker.
func (a *SlipActivities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.ApplySlipCommand, activity.RegisterOptions{Name: servicec.ActivityApplySlipCommand})
	r.RegisterActivityWithOptions(a.RecordSlipChase, activity.RegisterOptions{Name: servicec.ActivityRecordSlipChase})
}

// ApplySlipCommand applies a change the workflow decided, with the domain's
// rules, in one transaction with its timeline entries; a retried call (the
// same entry id) finds the change stored and applies nothing again. A
// refusal fails the activity as non-retryable with its code.
func (a *SlipActivities) ApplySlipCommand(ctx context.Context, in *servicev1.SlipCommand) (*servicev1.SlipSnapshot, error) {
	cmd := app.CommandOf(in, a.Org)
	s, err := a.Slips.UpdateOnce(ctx, in.GetSlipId(), in.GetEntryId(), func(s *domain.Slip) ([]domain.SlipEntry, error) {
		out, es, err := domain.ApplySlip(*s, cmd, in.GetAt().AsTime())
		if err != nil {
			return nil, err
		}
		if len(es) > 0 {
			es[0].ID = in.GetEntryId()
		}
		*s = out
		return es, nil
	})
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	return app.SlipSnapshot(s, a.Org), nil
}

// RecordSlipChase puts a chase's step (reminded, escalated) on the slip's
// timeline, once per entry id.
func (a *SlipActivities) RecordSlipChase(ctx context.Context, in *servicev1.SlipChaseRecord) error {
	s, err := a.Slips.Get(ctx, in.GetSlipId())
	if err != nil {
		return temporalx.NonRetryable(err)
	}
	e, err := domain.SlipChaseEntry(s, in.GetKind(), in.GetRecipient(), in.GetBody(), in.GetAt().AsTime())
	if err != nil {
		return temporalx.NonRetryable(err)
	}
	e.ID = in.GetEntryId()
	return temporalx.NonRetryable(a.Slips.Record(ctx, e))
}
