package adapters

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Touch is a row of touches: one contact a campaign made with a customer.
type Touch struct {
	ID         string `gorm:"primaryKey"`
	CampaignID string
	CustomerID string
	Step       int
	Action     string
	AssigneeID string
	Team       string
	DueAt      time.Time
	PlannedAt  time.Time
	ActionID   string
}

func (Touch) TableName() string { return "touches" }

// TouchTimes returns when each customer was touched since an instant, by
// any campaign (the contact pressure).
func (s *Store) TouchTimes(ctx context.Context, customerIDs []string, since time.Time) (map[string][]time.Time, error) {
	out := map[string][]time.Time{}
	if len(customerIDs) == 0 {
		return out, nil
	}
	var rows []Touch
	err := s.db.WithContext(ctx).Select("customer_id, planned_at").Where("customer_id IN ? AND planned_at > ?", customerIDs, since).
		Order("planned_at").Find(&rows).Error
	for _, r := range rows {
		out[r.CustomerID] = append(out[r.CustomerID], r.PlannedAt.UTC())
	}
	return out, err
}

// RecordTouch stores a touch and counts it on its enrolment, once: a touch
// stored already (a retried activity) changes nothing and new is false.
// actionID, when the touch exists without one, is filled in.
func (s *Store) RecordTouch(ctx context.Context, t Touch) (isNew bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoNothing: true}).Create(&t)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if t.ActionID != "" {
				return tx.Model(&Touch{}).Where("id = ? AND action_id = ''", t.ID).Update("action_id", t.ActionID).Error
			}
			return nil
		}
		isNew = true
		return tx.Model(&Enrolment{}).Where("campaign_id = ? AND customer_id = ?", t.CampaignID, t.CustomerID).
			Updates(map[string]any{"touches": gorm.Expr("touches + 1"), "last_touch_at": t.PlannedAt}).Error
	})
	return isNew, err
}

// Touches lists a campaign's touches of a customer, in step order.
func (s *Store) Touches(ctx context.Context, campaignID, customerID string) ([]Touch, error) {
	var rows []Touch
	err := s.db.WithContext(ctx).Where("campaign_id = ? AND customer_id = ?", campaignID, customerID).Order("step, planned_at").Find(&rows).Error
	return rows, err
}

// OptOut is a row of opt_outs.
type OptOut struct {
	CustomerID string `gorm:"primaryKey"`
	Reason     string
	CreatedBy  string
	CreatedAt  time.Time
}

func (OptOut) TableName() string { return "opt_outs" }

// AddOptOut stores an opt-out; one that exists is kept as first recorded.
func (s *Store) AddOptOut(ctx context.Context, o OptOut) (OptOut, error) {
	if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "customer_id"}}, DoNothing: true}).Create(&o).Error; err != nil {
		return OptOut{}, err
	}
	var got OptOut
	err := s.db.WithContext(ctx).Where("customer_id = ?", o.CustomerID).Take(&got).Error
	return got, err
}

// RemoveOptOut deletes a customer's opt-out; removed is false when there was none.
func (s *Store) RemoveOptOut(ctx context.Context, customerID string) (removed bool, err error) {
	res := s.db.WithContext(ctx).Where("customer_id = ?", customerID).Delete(&OptOut{})
	return res.RowsAffected == 1, res.Error
}

// OptOuts returns the opt-outs of customers, by customer.
func (s *Store) OptOuts(ctx context.Context, customerIDs []string) (map[string]OptOut, error) {
	out := map[string]OptOut{}
	if len(customerIDs) == 0 {
		return out, nil
	}
	var rows []OptOut
	err := s.db.WithContext(ctx).Where("customer_id IN ?", customerIDs).Find(&rows).Error
	for _, r := range rows {
		out[r.CustomerID] = r
	}
	return out, err
}

// Candidate is a row of winback_candidates.
type Candidate struct {
	CustomerID     string `gorm:"primaryKey"`
	CustomerName   string
	OwnerID        string
	Team           string
	Region         string
	Industry       string
	ValueClass     string
	LostAt         *time.Time
	LostReason     string
	LostCompetitor string
	ListedAt       time.Time
	SeenAt         time.Time
}

func (Candidate) TableName() string { return "winback_candidates" }

// ListCandidate lists (or refreshes) a win-back candidate; listed_at stays
// the first listing.
func (s *Store) ListCandidate(ctx context.Context, c Candidate) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "customer_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"customer_name", "owner_id", "team", "region", "industry", "value_class", "lost_at",
			"lost_reason", "lost_competitor", "seen_at"})}).Create(&c).Error
}

// DropCandidates removes customers from the candidates (enrolled, or no
// longer lost).
func (s *Store) DropCandidates(ctx context.Context, customerIDs []string) error {
	if len(customerIDs) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Where("customer_id IN ?", customerIDs).Delete(&Candidate{}).Error
}

// DropStaleCandidates removes candidates a sweep did not see again (no
// longer lost, or deleted).
func (s *Store) DropStaleCandidates(ctx context.Context, seenBefore time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("seen_at < ?", seenBefore).Delete(&Candidate{})
	return res.RowsAffected, res.Error
}

// Candidates lists the candidates, longest lost first, after the cursor
// customer (lost_at, customer_id).
func (s *Store) Candidates(ctx context.Context, afterLost *time.Time, afterID string, limit int) ([]Candidate, error) {
	q := s.db.WithContext(ctx).Model(&Candidate{})
	if afterLost != nil {
		q = q.Where("(lost_at > ?) OR (lost_at = ? AND customer_id > ?)", *afterLost, *afterLost, afterID)
	}
	var rows []Candidate
	err := q.Order("lost_at, customer_id").Limit(limit).Find(&rows).Error
	return rows, err
}
