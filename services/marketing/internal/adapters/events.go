package adapters

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// The campaign events' outbox (domain/event.go): each event is stored in
// the transaction of the change it tells of, and marked sent once its
// CampaignNotice workflow has been started.

// eventRow is a row of campaign_events.
type eventRow struct {
	ID         string
	CampaignID string
	Kind       string
	Version    int64
	Name       string
	Team       string
	OwnerID    string
	Actor      string
	ActorName  string
	Recipients []domain.Audience `gorm:"serializer:json"`
	Counts     map[string]int64  `gorm:"serializer:json"`
	Note       string
	At         time.Time
	SentAt     *time.Time
}

func (eventRow) TableName() string { return "campaign_events" }

func eventRowOf(e domain.Event) eventRow {
	counts := e.Counts
	if counts == nil {
		counts = map[string]int64{}
	}
	return eventRow{ID: e.ID, CampaignID: e.CampaignID, Kind: e.Kind, Version: int64(e.Version), Name: e.Name, Team: e.Team, OwnerID: e.OwnerID,
		Actor: e.Actor, ActorName: e.ActorName, Recipients: e.To, Counts: counts, Note: e.Note, At: e.At}
}

func (r eventRow) event() domain.Event {
	return domain.Event{ID: r.ID, CampaignID: r.CampaignID, Kind: r.Kind, Version: int(r.Version), Name: r.Name, Team: r.Team, OwnerID: r.OwnerID,
		Actor: r.Actor, ActorName: r.ActorName, At: r.At.UTC(), To: r.Recipients, Counts: r.Counts, Note: r.Note}
}

// addEvents stores events in tx; one stored already (the same event) is
// kept.
func addEvents(tx *gorm.DB, events []domain.Event) error {
	for _, e := range events {
		r := eventRowOf(e)
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
			return err
		}
	}
	return nil
}

// SaveCampaignTelling is SaveCampaign with the events of the change stored
// in the same transaction: the change is never saved untold, nor told
// unsaved.
func (s *Store) SaveCampaignTelling(ctx context.Context, c Campaign, prev int, events ...domain.Event) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.With(tx).SaveCampaign(ctx, c, prev); err != nil {
			return err
		}
		return addEvents(tx, events)
	})
}

// RequestApproval records a draft's request for approval, if the stored
// campaign is still at its version, with its event, in one transaction
// (version_conflict otherwise). The request does not count a version: it
// changes nothing of the plan.
func (s *Store) RequestApproval(ctx context.Context, id string, r domain.ApprovalRequest, e domain.Event) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&campaignRow{}).Where("id = ? AND version = ? AND state = ?", id, r.Version, string(domain.StateDraft)).
			Updates(map[string]any{"approval_requested_by": r.By, "approval_requested_by_name": r.ByName, "approval_requested_at": r.At,
				"approval_requested_version": r.Version})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return domain.ErrVersionConflict
		}
		return addEvents(tx, []domain.Event{e})
	})
}

// FinishLaunchTelling records what a campaign's launch enrolled (once) and,
// the first time, stores the event event(c) of the campaign as it is then,
// in the same transaction. It reports whether this call finished it.
func (s *Store) FinishLaunchTelling(ctx context.Context, id string, enrolled, heldOut, skipped int64, at time.Time,
	event func(Campaign) domain.Event) (bool, error) {
	done := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&campaignRow{}).Where("id = ? AND launch_done_at IS NULL", id).
			Updates(map[string]any{"launch_done_at": at, "launch_enrolled": enrolled, "launch_held_out": heldOut, "launch_skipped": skipped})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		c, err := s.With(tx).Campaign(ctx, id)
		if err != nil {
			return err
		}
		done = true
		return addEvents(tx, []domain.Event{event(c)})
	})
	return done, err
}

// EventsUnsent lists up to limit events whose workflow has not been
// started, oldest first.
func (s *Store) EventsUnsent(ctx context.Context, limit int) ([]domain.Event, error) {
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("sent_at IS NULL").Order("at, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// EventSent records that the event's workflow has been started.
func (s *Store) EventSent(ctx context.Context, id string, at time.Time) error {
	return s.db.WithContext(ctx).Model(&eventRow{}).Where("id = ? AND sent_at IS NULL", id).Update("sent_at", at).Error
}

// Events lists a campaign's events, oldest first.
func (s *Store) Events(ctx context.Context, campaignID string) ([]domain.Event, error) {
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("campaign_id = ?", campaignID).Order("at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}
