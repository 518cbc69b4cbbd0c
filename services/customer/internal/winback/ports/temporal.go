package ports

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

// Signals signals WinBack workflows (app.Signals) through Temporal.
type Signals struct{ Client client.Client }

// WinBackResponse sends the winback-response signal to
// WinBack:<customer>:<campaign>. A workflow that has ended (or never ran)
// answers NotFound: not an error — the cadence is over.
func (s Signals) WinBackResponse(ctx context.Context, customerID, campaignID string, r domain.Response) error {
	err := s.Client.SignalWorkflow(ctx, wfc.WinBackWorkflowID(customerID, campaignID), "", wfc.SignalWinBackResponse, Response(r))
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}
