package app

import (
	"context"
	"net/url"

	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// Campaign events told to the people concerned (domain/event.go): each is
// stored with the change it tells of (the campaign_events outbox), then
// handed to its CampaignNotice workflow — at once after the change, and by
// the service's outbox loop (TellEvents) for any the workflow engine did
// not take — which calls the follow-up service (followup.Notify) to put
// it in their inboxes and send it by email and webhook as they chose.

// RequestApproval asks the marketing managers of a draft's team to approve
// it: its owner or a marketer of its team asks (OpRequestApproval; 404 for
// who does not see campaigns, 403 for who sees but does not work it). Asking
// again for the same version of the draft answers the request already made
// and tells nobody again; after an edit it asks again. Refused for a
// campaign that is not a draft (422 approval_request_not_draft) and
// against a version the caller did not read (409).
func (a *App) RequestApproval(ctx context.Context, id string, expected int) (CampaignView, error) {
	c, act, err := a.campaign(ctx, id, domain.OpRequestApproval)
	if err != nil {
		return CampaignView{}, err
	}
	if err := domain.CheckVersion(c.Campaign, expected); err != nil {
		return CampaignView{}, err
	}
	_, p := actor(ctx)
	r, ev, isNew, err := domain.RequestApproval(c.Campaign, c.ApprovalRequest, act, p.Name, a.now())
	if err != nil || !isNew {
		return a.view(c), err
	}
	if err := a.store.RequestApproval(ctx, c.ID, r, ev); err != nil {
		return CampaignView{}, err
	}
	c.ApprovalRequest = &r
	a.tell(ctx, ev)
	return a.view(c), nil
}

// finishLaunch records what a campaign's launch enrolled, once, with the
// owner's notice of it in the same transaction.
func (a *App) finishLaunch(ctx context.Context, in *marketingv1.CampaignLaunchInput) error {
	t := in.GetTotals()
	enrolled, heldOut, skipped := int64(t.GetEnrolled()), int64(t.GetHeldOut()), int64(t.GetSkipped())
	now := a.now()
	var ev domain.Event
	done, err := a.store.FinishLaunchTelling(ctx, in.GetCampaignId(), enrolled, heldOut, skipped, now, func(c adapters.Campaign) domain.Event {
		ev = domain.EventOfLaunch(c.Campaign, enrolled, heldOut, skipped, now)
		return ev
	})
	if err == nil && done {
		a.tell(ctx, ev)
	}
	return err
}

// TellEvents hands the stored events nobody has handed over yet to their
// CampaignNotice workflows, up to batch of them, oldest first (the
// service's outbox loop calls it every interval). It returns how many it
// handed over; one the engine does not take stays for the next call.
func (a *App) TellEvents(ctx context.Context, batch int) int {
	es, err := a.store.EventsUnsent(ctx, batch)
	if err != nil {
		a.log.WarnContext(ctx, "reading the campaign events to tell", "error", err)
		return 0
	}
	n := 0
	for _, e := range es {
		if a.tell(ctx, e) {
			n++
		}
	}
	return n
}

// tell starts e's CampaignNotice workflow (its id is the event's: a second
// start starts nothing) and records it sent; it reports whether it did.
func (a *App) tell(ctx context.Context, e domain.Event) bool {
	if len(e.To) == 0 {
		return a.store.EventSent(ctx, e.ID, a.now()) == nil
	}
	if err := a.wf.Notify(ctx, NotifyInput(e)); err != nil {
		a.log.WarnContext(ctx, "telling a campaign event failed; it is told again shortly", "event", e.ID, "error", err)
		return false
	}
	if err := a.store.EventSent(ctx, e.ID, a.now()); err != nil {
		a.log.WarnContext(ctx, "recording a campaign event told; it is handed over again, and told once", "event", e.ID, "error", err)
		return false
	}
	return true
}

// NotifyInput is e as the follow-up service is told it.
func NotifyInput(e domain.Event) *followupv1.NotifyInput {
	in := &followupv1.NotifyInput{EventId: e.ID, Kind: "campaign", Action: e.Kind, SubjectId: e.CampaignID, Title: e.Name, Team: e.Team,
		OwnerId: e.OwnerID, Actor: e.Actor, ActorName: e.ActorName, At: timestamppb.New(e.At), Counts: e.Counts, Note: e.Note,
		Link: "/campaigns/" + url.PathEscape(e.CampaignID)}
	for _, t := range e.To {
		in.To = append(in.To, &followupv1.NotifyAudience{UserId: t.UserID, ManagersOf: t.ManagersOf})
	}
	return in
}
