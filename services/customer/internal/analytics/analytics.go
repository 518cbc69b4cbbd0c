// Package analytics is the customer service's analytics context: what
// managers read about their book of customers (the field studies' 80/20
// rule, ABC classes and lifecycle) — customers and value by class, the
// Pareto series, customers by stage — and how well care reaches each class
// (GET /v1/analytics/customers, /v1/analytics/care-coverage).
//
// The context has the service's four parts, each in a package of its own:
// domain (sums, shares, the Pareto series, coverage; pure), app (the use
// cases, with authorisation and scope), adapters (one grouped query per
// figure) and ports (HTTP handlers and their OpenAPI operations). Who is in
// care and within their cadence is the care context's rule (package care).
// This package only assembles the parts (New) and hands the operations to
// the service's document (Ops).
package analytics

import (
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/analytics/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/analytics/app"
	"github.com/closeloop/closeloop/services/customer/internal/analytics/ports"
)

// New assembles the analytics API over db; terms gives the care terms of
// the latest sweep (care.Service).
func New(db *gorm.DB, terms app.Terms) *ports.HTTP {
	return &ports.HTTP{Svc: app.New(adapters.New(db), terms)}
}

// Ops documents the endpoints for the customer service's OpenAPI document.
func Ops() []openapi.Op { return ports.Ops() }
