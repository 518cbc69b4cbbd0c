package adapters

import (
	"context"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// FunnelFilter narrows the funnel report; scope applies on top.
type FunnelFilter struct {
	Team, OwnerID string
}

// StageStat is one row of the funnel's open-opportunity figures.
type StageStat struct {
	Stage    int
	Currency string
	Count    int64
	Amount   int64
	Weighted int64
}

// ReachStat counts opportunities that reached each funnel position.
type ReachStat struct {
	Reached [6]int64 // index 1–4 stages, 5 won
	Won     int64
	Lost    int64
}

// StageTime is the time spent in a stage by opportunities that left it.
type StageTime struct {
	Stage      int
	Exits      int64
	AvgSeconds float64
}

// ClosedStat sums closed opportunities by status and currency.
type ClosedStat struct {
	Status   string
	Currency string
	Count    int64
	Amount   int64
}

// Funnel reads the figures of the funnel report in four aggregate queries.
func (s *Store) Funnel(ctx context.Context, scope auth.Scope, f FunnelFilter) ([]StageStat, ReachStat, []StageTime, []ClosedStat, error) {
	base := func(model any) *gorm.DB {
		q := ScopedLeads(s.db.WithContext(ctx).Model(model), scope, false)
		if f.Team != "" {
			q = q.Where("team = ?", f.Team)
		}
		if f.OwnerID != "" {
			q = q.Where("owner_id = ?", f.OwnerID)
		}
		return q
	}
	var stages []StageStat
	weighted := "SUM(amount_minor * (CASE WHEN probability > 0 THEN probability ELSE " + stageDefaults() + " END) / 100)"
	if err := base(&Opportunity{}).Where("status = ?", domain.OppOpen).
		Select("stage, currency, COUNT(*) AS count, COALESCE(SUM(amount_minor), 0) AS amount, COALESCE(" + weighted + ", 0) AS weighted").
		Group("stage, currency").Order("stage, currency").Scan(&stages).Error; err != nil {
		return nil, ReachStat{}, nil, nil, err
	}
	var reach struct{ R1, R2, R3, R4, R5, Won, Lost int64 }
	sum := func(cond string) string { return "COALESCE(SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0)" }
	if err := base(&Opportunity{}).Select(sum("max_stage >= 1") + " AS r1, " + sum("max_stage >= 2") + " AS r2, " + sum("max_stage >= 3") + " AS r3, " +
		sum("max_stage >= 4") + " AS r4, " + sum("max_stage >= 5") + " AS r5, " + sum("status = 'won'") + " AS won, " + sum("status = 'lost'") + " AS lost").
		Scan(&reach).Error; err != nil {
		return nil, ReachStat{}, nil, nil, err
	}
	rs := ReachStat{Reached: [6]int64{0, reach.R1, reach.R2, reach.R3, reach.R4, reach.R5}, Won: reach.Won, Lost: reach.Lost}
	var times []StageTime
	if err := base(&StageChange{}).Where("from_stage BETWEEN 1 AND 4").
		Select("from_stage AS stage, COUNT(*) AS exits, AVG(seconds_in_stage) AS avg_seconds").
		Group("from_stage").Order("from_stage").Scan(&times).Error; err != nil {
		return nil, ReachStat{}, nil, nil, err
	}
	var closed []ClosedStat
	if err := base(&Opportunity{}).Where("status <> ?", domain.OppOpen).
		Select("status, currency, COUNT(*) AS count, COALESCE(SUM(amount_minor), 0) AS amount").
		Group("status, currency").Order("status, currency").Scan(&closed).Error; err != nil {
		return nil, ReachStat{}, nil, nil, err
	}
	return stages, rs, times, closed, nil
}

// stageDefaults is domain.DefaultProbability as an SQL expression of the
// stage column (the open figures are summed in the database).
func stageDefaults() string {
	e := "CASE stage"
	for st := domain.FirstStage; st <= domain.LastStage; st++ {
		e += " WHEN " + itoa(st) + " THEN " + itoa(domain.DefaultProbability[st])
	}
	return e + " ELSE 0 END"
}
