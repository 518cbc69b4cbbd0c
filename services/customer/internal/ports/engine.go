package ports

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/temporalx"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/workflows/followup"
)

// TemporalEngine starts, signals and watches FollowUp workflows for care (the
// follow-up service owns their records; care owns when to open and close them).
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
		return care.ErrWorkflowGone
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Ended asks Temporal visibility which of the workflow ids have ended.
func (t TemporalEngine) Ended(ctx context.Context, workflowIDs []string) (map[string]bool, error) {
	out, err := temporalx.Ended(ctx, t.Client, workflowIDs)
	if err != nil {
		return nil, unavailable(err)
	}
	return out, nil
}
