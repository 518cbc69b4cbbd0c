package app

import (
	"context"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// closeAnswered closes the open follow-ups a logged contact answers: the
// care follow-ups of its customers (care is owed to the customer: a contact
// by anyone answers it) and the first-contact follow-ups domain.AnswersLead
// says it answers, through the follow-up service as the caller.
func (s *Service) closeAnswered(ctx context.Context, p auth.Principal, a domain.Action) ([]Closed, []NotClosed) {
	closed, failed := []Closed{}, []NotClosed(nil)
	if !domain.IsContact(a.Category) {
		return closed, nil
	}
	customerIDs, leads := a.CustomerIDs(), a.LeadIDs()
	if s.care != nil {
		rows, err := s.care.CloseAnswered(ctx, customerIDs, p.Subject)
		if err != nil {
			failed = append(failed, NotClosed{Kind: policy.KindCareContact, Reason: "could not close the customer's care follow-up: the next care sweep closes it"})
		}
		for _, r := range rows {
			closed = append(closed, Closed{ID: r.ID, Kind: r.Kind, Owner: r.OwnerID})
		}
	}
	for _, cid := range customerIDs {
		items, err := s.followups.OpenFirstContacts(ctx, cid)
		if err != nil {
			failed = append(failed, NotClosed{Kind: policy.KindFirstContact,
				Reason: "could not list the customer's follow-ups (" + apperr.From(err).Message + "): retry by completing them"})
			continue
		}
		for _, f := range items {
			if !domain.AnswersLead(f.OwnerID, f.WorkflowID, leads, p.Subject) {
				continue
			}
			if _, err := s.followups.Complete(ctx, f.ID, a.ContactNote()); err != nil {
				failed = append(failed, NotClosed{ID: f.ID, Kind: f.Kind, Reason: apperr.From(err).Message})
				continue
			}
			closed = append(closed, Closed{ID: f.ID, Kind: f.Kind, Owner: f.OwnerID})
		}
	}
	return closed, failed
}
