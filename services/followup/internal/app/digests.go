package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/services/followup/internal/adapters/messages"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// DigestsOnce sends the daily digests that are due: for each person with a
// digest hour and an email address whose hour has come today in their time
// zone, one email (named by person and local date, so a replica or a
// restart never sends a second) listing their open items due by the end of
// the day or overdue, and, for a manager, their teams' overdue items.
func (s *Deliveries) DigestsOnce(ctx context.Context, enqueue func(job)) error {
	if s.Mail == nil {
		return nil
	}
	people, err := s.people.WithDigest(ctx)
	if err != nil {
		return err
	}
	for _, r := range people {
		now := s.now()
		date, due := domain.DigestDue(r, now)
		if !due {
			continue
		}
		d := domain.Delivery{ID: domain.DigestID(r.UserID, date), Channel: domain.ChannelEmail, Kind: domain.KindDigest,
			Target: r.UserID, Address: r.Prefs.Email, Language: r.Prefs.Language, TimeZone: r.Prefs.TimeZone,
			Status: domain.DeliveryPending, DigestDate: date, CreatedAt: now, UpdatedAt: now}
		claim := s.claimFrom(now)
		created, err := s.store.CreateDigest(ctx, d, claim)
		if err != nil {
			return err
		}
		if created {
			enqueue(job{d: d, claim: claim, name: r.Name})
		}
	}
	return nil
}

// renderDigest writes d, the digest of its person, from what is open when
// it is sent.
func (s *Deliveries) renderDigest(ctx context.Context, d domain.Delivery, loc *time.Location) (messages.Rendered, error) {
	people, err := s.people.Of(ctx, domain.Notification{UserID: d.Target})
	if err != nil {
		return messages.Rendered{}, err
	}
	var r domain.Recipient
	if len(people) == 1 {
		r = people[0]
	}
	now := s.now()
	end, err := domain.EndOfLocalDay(now, d.TimeZone)
	if err != nil {
		return messages.Rendered{}, err
	}
	owned, ownedAll, err := s.followUps.DueBy(ctx, d.Target, end)
	if err != nil {
		return messages.Rendered{}, err
	}
	dg := messages.Digest{Language: d.Language, TimeZone: d.TimeZone, Location: loc, RecipientName: r.Name,
		Date: d.DigestDate, Now: now, InboxLink: s.link("/inbox"), SettingsLink: s.link("/settings/notifications"),
		BoardLink: s.link("/board"), OwnedMore: int(ownedAll) - len(owned)}
	for _, f := range owned {
		dg.Owned = append(dg.Owned, s.item(f.ID, f.Kind, f.Title, f.CustomerID, f.Team, f.OwnerID, f.DueAt, f.Calendar, false))
	}
	if r.Manager {
		team, teamAll, err := s.followUps.OverdueIn(ctx, r.Teams, now)
		if err != nil {
			return messages.Rendered{}, err
		}
		dg.TeamsMore = int(teamAll) - len(team)
		owners := make([]string, len(team))
		for i, f := range team {
			owners[i] = f.OwnerID
		}
		names, err := s.people.Names(ctx, owners)
		if err != nil {
			return messages.Rendered{}, err
		}
		for _, f := range team {
			it := s.item(f.ID, f.Kind, f.Title, f.CustomerID, f.Team, f.OwnerID, f.DueAt, f.Calendar, true)
			it.OwnerName = names[f.OwnerID]
			dg.Teams = append(dg.Teams, it)
		}
	}
	return messages.RenderDigest(dg)
}
