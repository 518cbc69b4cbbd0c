package care

import (
	"context"

	"github.com/closeloop/closeloop/platform/apperr"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Closed applies the close of a care follow-up the engine reports (the
// notice of activity customer.CareFollowUpClosed): its care_followups row is
// closed and the close's effects on its customer applied (closeEffect), in
// one transaction, once — a notice for a row closed already (a retry, or the
// reconciliation or a logged contact closed it first) changes nothing. A
// notice for a care follow-up the table does not hold (opened before the
// table was filled, or its notice outran the sweep's record of it) is
// recorded closed and applied all the same; any other kind is ignored.
func (s *Service) Closed(ctx context.Context, in *followupv1.FollowUpClosed) error {
	if in.GetKind() != policy.KindCareContact {
		return nil
	}
	if in.GetId() == "" || in.GetCustomerId() == "" || in.GetAnchorAt() == nil {
		return apperr.Invalid("invalid", "a care follow-up's close notice needs id, customer_id and anchor_at")
	}
	if in.GetState() != StateDone && in.GetState() != StateCancelled {
		return apperr.Invalid("invalid", "a care follow-up closes done or cancelled, not "+orNone(in.GetState()))
	}
	at := s.now()
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	_, err := s.close(ctx, closing{
		row: FollowUp{ID: in.GetId(), CustomerID: in.GetCustomerId(), OwnerID: in.GetOwnerId(), PolicyKey: in.GetPolicyKey(),
			AnchorAt: ts(in.GetAnchorAt().AsTime()), WorkflowID: wfc.FollowUpWorkflowID(in.GetId())},
		state: in.GetState(), by: in.GetBy(), note: in.GetNote(), at: at,
	})
	return err
}
