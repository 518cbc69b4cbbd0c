// Package app holds the customer service's use cases: one method per thing a
// user can do. Each checks the caller's permission and data scope, validates
// with the domain rules, and lets the store run the transaction. Callers outside
// their scope get "not found", never "forbidden", so ids do not leak existence.
package app

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	windomain "github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

// Reclassifier starts ABC reclassification runs (a Temporal workflow).
type Reclassifier interface {
	Start(ctx context.Context, t *domain.Thresholds, requestedBy, reason string) (RunRef, error)
	Describe(ctx context.Context, workflowID string) (RunStatus, error)
}

// RunRef identifies a started run.
type RunRef struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
}

// RunStatus is what the API shows of a run.
type RunStatus struct {
	WorkflowID string         `json:"workflow_id"`
	RunID      string         `json:"run_id"`
	Status     string         `json:"status"`
	StartedAt  time.Time      `json:"started_at"`
	ClosedAt   *time.Time     `json:"closed_at,omitempty"`
	Result     map[string]any `json:"result,omitempty"`
}

// CareStatus answers a customer's care status (care.Service).
type CareStatus interface {
	Status(ctx context.Context, customerID string, c care.Customer) (care.Status, error)
}

// WinBack hears of changes that may answer a customer's win-back
// (winback.Service): it tells the customer's WinBack workflow, best effort,
// once the change is stored.
type WinBack interface {
	Responded(ctx context.Context, e windomain.Event)
}

// App is the customer service.
type App struct {
	store      *adapters.Store
	reclass    Reclassifier
	thresholds domain.Thresholds
	seen       seenCache
	care       CareStatus // nil: customers are shown without their care status
	winback    WinBack    // nil: no win-back is told of lifecycle changes
}

// New returns the service over a store. thresholds are the configured ABC defaults.
func New(store *adapters.Store, r Reclassifier, thresholds domain.Thresholds) *App {
	return &App{store: store, reclass: r, thresholds: thresholds}
}

// UseCare makes Get show each customer's care status from c.
func (a *App) UseCare(c CareStatus) { a.care = c }

// UseWinBack makes a lifecycle change out of lost tell the customer's
// win-back through w.
func (a *App) UseWinBack(w WinBack) { a.winback = w }

// Thresholds returns the configured ABC thresholds.
func (a *App) Thresholds() domain.Thresholds { return a.thresholds }

// Created is the outcome of an idempotent create.
type Created struct {
	Status   int
	Body     json.RawMessage
	Replayed bool
}

func idempotent(ctx context.Context, gdb *gorm.DB, p auth.Principal, key, scope string, body []byte, fn func(tx *gorm.DB) (any, error)) (Created, error) {
	res, err := idem.Do(ctx, gdb, idem.Request{Key: key, Principal: p.Subject, Scope: scope, Body: body}, func(tx *gorm.DB) (int, any, error) {
		v, err := fn(tx)
		return 201, v, err
	})
	return Created{Status: res.Status, Body: res.Body, Replayed: res.Replayed}, err
}
