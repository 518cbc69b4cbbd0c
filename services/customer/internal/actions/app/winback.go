package app

import (
	"context"

	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	windomain "github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

// WinBack hears of actions that may answer a customer's win-back
// (winback.Service): once an action is stored, it tells the customer's
// WinBack workflow, best effort, if the action is a response.
type WinBack interface {
	Responded(ctx context.Context, e windomain.Event)
}

// UseWinBack makes stored actions heard by w.
func (s *Service) UseWinBack(w WinBack) { s.winback = w }

// heard tells the win-back of each of the action's customers that the
// action was stored by `by` (a log recorded, or a plan completed or
// cancelled); the win-back's rules say whether it is a response.
func (s *Service) heard(ctx context.Context, a domain.Action, by string) {
	if s.winback == nil {
		return
	}
	for _, c := range a.CustomerIDs() {
		s.winback.Responded(ctx, windomain.Event{Source: windomain.SourceAction, CustomerID: c, Ref: a.ID, Category: a.Category,
			Kind: a.Kind, By: by, At: a.UpdatedAt})
	}
}
