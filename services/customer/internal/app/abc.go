package app

import (
	"context"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// ErrTrialOnly refuses a real run with other thresholds than the configured ones.
var ErrTrialOnly = apperr.Rule("abc_thresholds_trial_only",
	"a reclassification run uses the configured thresholds (ABC_A_SHARE, ABC_B_SHARE); try other thresholds with POST /v1/abc/trials, which changes nothing")

// Reclassify starts an ABC reclassification run now, company-wide, with the
// configured thresholds (analysts and admins). Other thresholds are tried
// with Trial, never written: a class is a share of the whole company's value,
// so one caller's experiment would reclassify every team's customers.
func (a *App) Reclassify(ctx context.Context, t *domain.Thresholds, reason string) (RunRef, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersReclassify)
	if err != nil {
		return RunRef{}, err
	}
	var v apperr.Validation
	if t != nil && !t.Valid() {
		v.Add("a_share", "invalid", "thresholds must satisfy 0 < a_share < b_share < 1")
	}
	v.Check(len(reason) <= domain.MaxTextLen, "reason", "too_long", "must be at most 2000 characters")
	if err := v.Err(); err != nil {
		return RunRef{}, err
	}
	if t != nil && *t != a.thresholds {
		return RunRef{}, ErrTrialOnly
	}
	return a.reclass.Start(ctx, nil, p.Subject, strings.TrimSpace(reason))
}

// TrialView is the answer of a threshold trial.
type TrialView struct {
	DryRun     bool           `json:"dry_run"`
	AShare     float64        `json:"a_share"`
	BShare     float64        `json:"b_share"`
	Customers  int            `json:"customers"`
	TotalValue float64        `json:"total_value"`
	Counts     map[string]int `json:"counts"`
	Changes    int            `json:"class_changes"`
	Moves      map[string]int `json:"moves"`
}

// Trial classifies every live customer with candidate thresholds (default:
// the configured ones) and reports the outcome without storing anything
// (analysts and admins).
func (a *App) Trial(ctx context.Context, t domain.Thresholds) (TrialView, error) {
	if _, err := auth.Authorize(ctx, auth.PermCustomersReclassify); err != nil {
		return TrialView{}, err
	}
	if !t.Valid() {
		var v apperr.Validation
		v.Add("a_share", "invalid", "thresholds must satisfy 0 < a_share < b_share < 1")
		return TrialView{}, v.Err()
	}
	total, _, err := a.store.ValueTotals(ctx)
	if err != nil {
		return TrialView{}, err
	}
	tr := domain.NewTrial(t, total)
	if err := a.store.WalkValues(ctx, 5000, func(score float64, class string) { tr.Add(score, domain.ValueClass(class)) }); err != nil {
		return TrialView{}, err
	}
	out := TrialView{DryRun: true, AShare: t.AShare, BShare: t.BShare, Customers: tr.Customers, TotalValue: tr.Total,
		Counts: map[string]int{}, Changes: tr.Changes, Moves: tr.Moves}
	for c, n := range tr.Counts {
		out.Counts[string(c)] = n
	}
	return out, nil
}

// ReclassificationStatus describes a run started through Reclassify or the schedule.
func (a *App) ReclassificationStatus(ctx context.Context, workflowID string) (RunStatus, error) {
	if _, err := auth.Authorize(ctx, auth.PermCustomersReclassify); err != nil {
		return RunStatus{}, err
	}
	if !strings.HasPrefix(workflowID, "ReclassifyABC:") && !strings.HasPrefix(workflowID, "closeloop-abc-reclassification") || len(workflowID) > 200 {
		return RunStatus{}, apperr.NotFound("run_not_found", "no such reclassification run")
	}
	return a.reclass.Describe(ctx, workflowID)
}

// BeginABCRun is the activity that opens a run: the total value of all live customers.
func (a *App) BeginABCRun(ctx context.Context) (float64, int64, error) {
	return a.store.ValueTotals(ctx)
}

// ClassifyABCPage is the activity that classifies one page.
func (a *App) ClassifyABCPage(ctx context.Context, runID string, t domain.Thresholds, total, cumBefore float64, after adapters.ABCPosition, limit int, actor string) (adapters.ABCPage, error) {
	if !t.Valid() {
		return adapters.ABCPage{}, domain.ErrInvalidThresholds
	}
	if limit <= 0 || limit > 10000 {
		limit = 2000
	}
	return a.store.ClassifyPage(ctx, runID, t, total, cumBefore, after, limit, actor)
}

// Settings returns the configured thresholds to any reader.
func (a *App) Settings(ctx context.Context) (domain.Thresholds, error) {
	if _, err := auth.Authorize(ctx, auth.PermCustomersRead); err != nil {
		return domain.Thresholds{}, err
	}
	return a.thresholds, nil
}
