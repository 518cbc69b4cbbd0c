// Reassigning a follow-up to another owner.

package app

import (
	"context"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Users finds a person among the people of a team in the customer service's
// user directory, as the caller (nil, nil when the directory has no such
// person in that team): ports.UserDirectory.
type Users func(ctx context.Context, id, team string) (*domain.User, error)

// ReassignInput is a person's request to give a follow-up to another owner.
type ReassignInput struct {
	OwnerID string
	Team    string // "" = the follow-up's team
	Reason  string
}

// Reassign gives an open or escalated follow-up to another owner (in another
// team, when one is named) and returns it with its history. Managers may do
// it for their teams' follow-ups, to enabled reps and managers of teams they
// manage; admins for any follow-up, to enabled reps and managers of its (new)
// team. Follow-ups whose owner another service decides (a lead's, an
// opportunity's, a visit's, a care sweep's) are refused with a 409 naming
// the endpoint that moves their subject.
//
// The record is written here, in one transaction with its history entry, so
// the overdue lists and counts show the new owner at once. The follow-up's
// workflow is not told, because nothing it does depends on the owner: its
// timers come from the policies and the anchor, its escalation steps are
// recorded on the record (which names the team's managers from the record's
// team), and the one place it uses the owner of its spec — the close notice
// to the subject's service — exists only for care contacts, which are
// refused here. The owner's CloseloopOwnerId search attribute, set when the
// workflow started, keeps the first owner (it is an operator's aid in the
// Temporal UI; the record is the source of truth). The workflow keeps
// counting business time in the calendar of the team that opened the
// follow-up: a handover does not move the due time.
func (s *FollowUps) Reassign(ctx context.Context, id string, in ReassignInput) (View, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsWrite)
	if err != nil {
		return View{}, err
	}
	if !p.Has(auth.RoleManager) && !p.Has(auth.RoleAdmin) {
		return View{}, domain.ErrReassignForbidden
	}
	r := domain.Reassignment{OwnerID: in.OwnerID, Team: in.Team, Reason: in.Reason, By: p.Subject, ByName: p.Name}
	if err := r.Check(); err != nil {
		return View{}, err
	}
	_, f, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return View{}, err
	}
	if err := f.CheckOpen(); err != nil {
		return View{}, err
	}
	if err := domain.OwnerHeldBy(&f); err != nil {
		return View{}, err
	}
	team := r.TargetTeam(&f)
	r.Team = team // the team checked below, whatever the record says by the time it is written
	if err := domain.CheckReassigner(p, team); err != nil {
		return View{}, err
	}
	if r.OwnerID == f.OwnerID && team == f.Team {
		return View{}, domain.ErrSameOwner
	}
	u, err := s.users(ctx, r.OwnerID, team)
	if err != nil {
		return View{}, err
	}
	if err := domain.CheckNewOwner(r.OwnerID, team, u); err != nil {
		return View{}, err
	}
	scope := p.Scope()
	err = s.store.Update(ctx, id, func(f *domain.FollowUp) error {
		// The record may have moved since it was read: the same rules again.
		if !domain.InScope(scope, f.OwnerID, f.Team) {
			return domain.ErrFollowUpNotFound
		}
		return f.Reassign(r, now())
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, id)
}
