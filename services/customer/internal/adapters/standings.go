package adapters

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// StandingRecord is a row of customer_standings: the copy of a customer's
// service standing (domain.Standing).
type StandingRecord struct {
	CustomerID   string `gorm:"primaryKey"`
	LoyaltyLevel string
	CSATAverage  *float64 `gorm:"column:csat_average"`
	CSATCount    int      `gorm:"column:csat_count"`
	LatestCSAT   *int     `gorm:"column:latest_csat"`
	LatestNPS    *int     `gorm:"column:latest_nps"`
	AsOf         time.Time
	RecordedAt   time.Time
}

// TableName is the table of standings.
func (StandingRecord) TableName() string { return "customer_standings" }

func (r StandingRecord) domain() domain.Standing {
	return domain.Standing{CustomerID: r.CustomerID, Level: r.LoyaltyLevel, CSATAverage: r.CSATAverage, CSATCount: r.CSATCount,
		LatestCSAT: r.LatestCSAT, LatestNPS: r.LatestNPS, AsOf: r.AsOf.UTC()}
}

// Standings returns the stored standings of the customers, by customer id
// (a customer without one is absent).
func (s *Store) Standings(ctx context.Context, customerIDs []string) (map[string]domain.Standing, error) {
	out := make(map[string]domain.Standing, len(customerIDs))
	if len(customerIDs) == 0 {
		return out, nil
	}
	var rows []StandingRecord
	if err := s.db.WithContext(ctx).Where("customer_id IN ?", customerIDs).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.CustomerID] = r.domain()
	}
	return out, nil
}

// PutStandings stores standings the domain decided replace the stored ones
// (domain.Standing.Replaces), each inserted or replacing the row, in one
// transaction. The replacement is conditional on the stored row being no
// more recent — the same rule, checked again by the database — so a
// concurrent sync that stored a newer standing since it was read keeps
// it. It returns how many rows were written.
func (s *Store) PutStandings(ctx context.Context, standings []domain.Standing, now time.Time) (int, error) {
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, st := range standings {
			row := StandingRecord{CustomerID: st.CustomerID, LoyaltyLevel: st.Level, CSATAverage: st.CSATAverage, CSATCount: st.CSATCount,
				LatestCSAT: st.LatestCSAT, LatestNPS: st.LatestNPS, AsOf: st.AsOf.UTC(), RecordedAt: now.UTC()}
			res := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "customer_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"loyalty_level", "csat_average", "csat_count", "latest_csat", "latest_nps", "as_of", "recorded_at"}),
				Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "customer_standings.as_of <= excluded.as_of"}}},
			}).Create(&row)
			if res.Error != nil {
				return res.Error
			}
			n += int(res.RowsAffected)
		}
		return nil
	})
	return n, err
}
