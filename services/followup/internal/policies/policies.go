// Package policies is not part of the service's shape: it is kept so that
// services/followup/upgrade_test.go, which drives the policy and calendar use
// cases on a database directly, builds unchanged. New assembles app.Policies
// over the gorm repositories; the names below are aliases of the app's and
// domain's. Everything else uses internal/app and internal/adapters; delete
// this package once that test does.
package policies

import (
	"log/slog"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Proposal is app.Proposal.
type Proposal = app.Proposal

// CalendarInput is domain.CalendarInput.
type CalendarInput = domain.CalendarInput

// New returns the policy and calendar use cases over gdb. r and log may be nil.
func New(gdb *gorm.DB, r app.Rollouts, log *slog.Logger) *app.Policies {
	return app.NewPolicies(store.NewPolicies(gdb), store.NewCalendars(gdb), r, log)
}
