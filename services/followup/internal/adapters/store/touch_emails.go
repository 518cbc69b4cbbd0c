package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// touchContentRow is one domain.TouchContent.
type touchContentRow struct {
	ID           string `gorm:"primaryKey"`
	CampaignID   string
	CampaignName string
	Subject      string
	Body         string
	Language     string
	CreatedAt    time.Time
}

func (touchContentRow) TableName() string { return "touch_email_contents" }

// touchEmailRow is one domain.TouchEmail.
type touchEmailRow struct {
	DeliveryID     string `gorm:"primaryKey"`
	TouchID        string
	CustomerID     string
	Step           int
	Address        string
	Name           string
	UnsubscribeURL string `gorm:"column:unsubscribe_url"`
	ContentID      string
	CreatedAt      time.Time
}

func (touchEmailRow) TableName() string { return "touch_emails" }

// QueueTouchEmails stores a campaign's email text (once) and its touch
// emails, each with its delivery — pending and claimed by nobody, so the
// first dispatcher to look takes it (ClaimNew) — in one transaction. A
// touch emailed before (its delivery exists) is left as it is: the outbox
// holds one email per touch id.
func (s *Deliveries) QueueTouchEmails(ctx context.Context, c domain.TouchContent, es []domain.TouchEmail, now time.Time) error {
	if len(es) == 0 {
		return nil
	}
	content := touchContentRow{ID: c.ID, CampaignID: c.CampaignID, CampaignName: c.CampaignName, Subject: c.Subject, Body: c.Body,
		Language: c.Language, CreatedAt: now}
	deliveries := make([]deliveryRow, len(es))
	emails := make([]touchEmailRow, len(es))
	for i, e := range es {
		deliveries[i] = toDeliveryRow(e.Delivery(c))
		emails[i] = touchEmailRow{DeliveryID: e.DeliveryID, TouchID: e.TouchID, CustomerID: e.CustomerID, Step: e.Step, Address: e.Address,
			Name: e.Name, UnsubscribeURL: e.UnsubscribeURL, ContentID: c.ID, CreatedAt: e.CreatedAt}
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&content).Error; err != nil {
			return err
		}
		// The email first, then its delivery: a dispatcher that claims the
		// delivery finds what it sends (both in this transaction anyway).
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(emails, 100).Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(deliveries, 100).Error
	})
}

// TouchEmail returns the touch email of a delivery, with its text.
func (s *Deliveries) TouchEmail(ctx context.Context, deliveryID string) (domain.TouchEmail, domain.TouchContent, error) {
	var e touchEmailRow
	err := s.db.WithContext(ctx).Where("delivery_id = ?", deliveryID).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.TouchEmail{}, domain.TouchContent{}, apperr.NotFound("touch_email_not_found", "no such touch email")
	}
	if err != nil {
		return domain.TouchEmail{}, domain.TouchContent{}, err
	}
	var c touchContentRow
	if err := s.db.WithContext(ctx).Where("id = ?", e.ContentID).Take(&c).Error; err != nil {
		return domain.TouchEmail{}, domain.TouchContent{}, err
	}
	return domain.TouchEmail{DeliveryID: e.DeliveryID, TouchID: e.TouchID, CustomerID: e.CustomerID, Step: e.Step, Address: e.Address,
			Name: e.Name, UnsubscribeURL: e.UnsubscribeURL, ContentID: e.ContentID, CreatedAt: e.CreatedAt.UTC()},
		domain.TouchContent{ID: c.ID, CampaignID: c.CampaignID, CampaignName: c.CampaignName, Subject: c.Subject, Body: c.Body, Language: c.Language},
		nil
}

// ClaimNew claims up to limit pending deliveries nobody has claimed yet —
// touch emails just queued — until `until`, and returns them. Two
// replicas never claim the same one: the claim is a conditional update.
func (s *Deliveries) ClaimNew(ctx context.Context, until time.Time, limit int) ([]domain.Delivery, error) {
	var rows []deliveryRow
	if err := s.db.WithContext(ctx).Where("status = ? AND claimed_until IS NULL", domain.DeliveryPending).
		Order("created_at, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	var out []domain.Delivery
	for _, r := range rows {
		res := s.db.WithContext(ctx).Model(&deliveryRow{}).Where("id = ? AND status = ? AND claimed_until IS NULL", r.ID, domain.DeliveryPending).
			Update("claimed_until", until)
		if res.Error != nil {
			return out, res.Error
		}
		if res.RowsAffected == 1 {
			out = append(out, r.domain())
		}
	}
	return out, nil
}
