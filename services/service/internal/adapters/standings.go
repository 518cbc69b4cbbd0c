package adapters

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Standings: what the loyalty rule reads of many customers at once, for the
// copy of their standings the customer service keeps (the LoyaltySync
// workflow's service.LoyaltyPage), and the outbox of the syncs an answer
// starts (standing_syncs, written by Surveys.Update in the answer's
// transaction).

// standingSyncRow is a row of standing_syncs.
type standingSyncRow struct {
	SurveyID   string `gorm:"primaryKey"`
	CustomerID string
	AnsweredAt time.Time
	StartedAt  *time.Time
}

func (standingSyncRow) TableName() string { return "standing_syncs" }

// StandingSync is a survey answer whose customer's standing must be copied
// to the customer service.
type StandingSync struct {
	SurveyID, CustomerID string
	AnsweredAt           time.Time
}

// queueStandingSync records, in the answer's transaction tx, that the
// answer's customer's standing must be copied again; a second call for the
// same survey changes nothing.
func queueStandingSync(tx *gorm.DB, s domain.Survey) error {
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&standingSyncRow{SurveyID: s.ID, CustomerID: s.CustomerID,
		AnsweredAt: s.AnsweredAt.UTC()}).Error
}

// PendingStandingSyncs returns up to limit answers whose sync has not been
// started, oldest answer first.
func (r *Surveys) PendingStandingSyncs(ctx context.Context, limit int) ([]StandingSync, error) {
	var rows []standingSyncRow
	if err := r.db.WithContext(ctx).Where("started_at IS NULL").Order("answered_at, survey_id").Limit(clamp(limit)).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]StandingSync, len(rows))
	for i, row := range rows {
		out[i] = StandingSync{SurveyID: row.SurveyID, CustomerID: row.CustomerID, AnsweredAt: row.AnsweredAt.UTC()}
	}
	return out, nil
}

// StandingSyncStarted marks an answer's sync started at at.
func (r *Surveys) StandingSyncStarted(ctx context.Context, surveyID string, at time.Time) error {
	return r.db.WithContext(ctx).Model(&standingSyncRow{}).Where("survey_id = ? AND started_at IS NULL", surveyID).
		Update("started_at", at.UTC()).Error
}

// AnsweredCustomers returns up to limit ids of customers that answered at
// least one survey, after after, in id order.
func (r *Surveys) AnsweredCustomers(ctx context.Context, after string, limit int) ([]string, error) {
	var ids []string
	q := r.db.WithContext(ctx).Model(&surveyRow{}).Distinct("customer_id").Where("answered_at IS NOT NULL")
	if after != "" {
		q = q.Where("customer_id > ?", after)
	}
	err := q.Order("customer_id").Limit(limit).Pluck("customer_id", &ids).Error
	return ids, err
}

// LoyaltyFactsOf returns the loyalty rule's inputs of each customer: every
// answer, and every case's filing instant with the first (the rule keeps
// those within its windows). A customer with neither gets empty facts.
func (r *Surveys) LoyaltyFactsOf(ctx context.Context, customerIDs []string) (map[string]domain.LoyaltyFacts, error) {
	out := make(map[string]domain.LoyaltyFacts, len(customerIDs))
	if len(customerIDs) == 0 {
		return out, nil
	}
	db := r.db.WithContext(ctx)
	var answers []surveyRow
	if err := db.Select("customer_id, answered_at, csat, nps").Where("customer_id IN ? AND answered_at IS NOT NULL AND csat IS NOT NULL", customerIDs).
		Find(&answers).Error; err != nil {
		return nil, err
	}
	for _, a := range answers {
		f := out[a.CustomerID]
		f.Answers = append(f.Answers, domain.Scored{At: a.AnsweredAt.UTC(), CSAT: *a.CSAT, NPS: a.NPS})
		out[a.CustomerID] = f
	}
	var filed []struct {
		CustomerID string
		CreatedAt  time.Time
	}
	if err := db.Model(&caseRow{}).Select("customer_id, created_at").Where("customer_id IN ?", customerIDs).Find(&filed).Error; err != nil {
		return nil, err
	}
	for _, c := range filed {
		f := out[c.CustomerID]
		at := c.CreatedAt.UTC()
		f.CaseDates = append(f.CaseDates, at)
		if f.FirstCaseAt == nil || at.Before(*f.FirstCaseAt) {
			f.FirstCaseAt = &at
		}
		out[c.CustomerID] = f
	}
	return out, nil
}
