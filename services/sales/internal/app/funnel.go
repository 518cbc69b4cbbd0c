package app

import (
	"context"
	"math"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// FunnelStage is one stage of the funnel report.
type FunnelStage struct {
	Stage int    `json:"stage"`
	Name  string `json:"name"`
	// Open opportunities now in the stage, their amounts and probability-
	// weighted amounts per currency (minor units).
	OpenCount      int64            `json:"open_count"`
	OpenAmount     map[string]int64 `json:"open_amount_minor"`
	WeightedAmount map[string]int64 `json:"weighted_amount_minor"`
	// Reached counts opportunities that reached this stage or a later one.
	Reached int64 `json:"reached"`
	// ConversionToNext is the share of those that went on to the next stage
	// (stage 4: to won); null when none reached this stage.
	ConversionToNext *float64 `json:"conversion_to_next"`
	// AvgDaysInStage is the average time spent here by opportunities that
	// left the stage (moved on, back, won or lost); null when none left yet.
	AvgDaysInStage *float64 `json:"avg_days_in_stage"`
	Exits          int64    `json:"exits"`
}

// FunnelClosed sums won or lost opportunities.
type FunnelClosed struct {
	Count  int64            `json:"count"`
	Amount map[string]int64 `json:"amount_minor"`
}

// FunnelReport is the funnel of a team, a rep, or everything in scope.
type FunnelReport struct {
	Team    string        `json:"team,omitempty"`
	OwnerID string        `json:"owner_id,omitempty"`
	Stages  []FunnelStage `json:"stages"`
	Won     FunnelClosed  `json:"won"`
	Lost    FunnelClosed  `json:"lost"`
	// WinRate is won / (won + lost); null before anything closed.
	WinRate *float64 `json:"win_rate"`
}

// Funnel reports count and value per stage, conversion between stages and
// average time in stage, for the opportunities in the caller's scope,
// optionally of one team or one rep.
func (a *App) Funnel(ctx context.Context, f adapters.FunnelFilter) (FunnelReport, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return FunnelReport{}, err
	}
	stages, reach, times, closed, err := a.store.Funnel(ctx, scopeOf(p), f)
	if err != nil {
		return FunnelReport{}, err
	}
	r := FunnelReport{Team: f.Team, OwnerID: f.OwnerID, Won: FunnelClosed{Amount: map[string]int64{}}, Lost: FunnelClosed{Amount: map[string]int64{}}}
	for s := domain.FirstStage; s <= domain.LastStage; s++ {
		fs := FunnelStage{Stage: s, Name: domain.StageNames[s], OpenAmount: map[string]int64{}, WeightedAmount: map[string]int64{}, Reached: reach.Reached[s]}
		for _, st := range stages {
			if st.Stage == s {
				fs.OpenCount += st.Count
				fs.OpenAmount[st.Currency] += st.Amount
				fs.WeightedAmount[st.Currency] += st.Weighted
			}
		}
		if reach.Reached[s] > 0 {
			c := round(float64(reach.Reached[s+1]) / float64(reach.Reached[s]))
			fs.ConversionToNext = &c
		}
		for _, t := range times {
			if t.Stage == s && t.Exits > 0 {
				d := round(t.AvgSeconds / 86400)
				fs.AvgDaysInStage, fs.Exits = &d, t.Exits
			}
		}
		r.Stages = append(r.Stages, fs)
	}
	for _, c := range closed {
		dst := &r.Won
		if c.Status == domain.OppLost {
			dst = &r.Lost
		}
		dst.Count += c.Count
		dst.Amount[c.Currency] += c.Amount
	}
	if n := r.Won.Count + r.Lost.Count; n > 0 {
		w := round(float64(r.Won.Count) / float64(n))
		r.WinRate = &w
	}
	return r, nil
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }
