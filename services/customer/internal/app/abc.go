package app

import (
	"context"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// Reclassify starts an ABC reclassification run now. Thresholds default to the
// configured ones.
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
	return a.reclass.Start(ctx, t, p.Subject, strings.TrimSpace(reason))
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
