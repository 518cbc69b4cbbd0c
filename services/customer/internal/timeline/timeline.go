// Package timeline is the customer service's timeline context: one list,
// newest first, of what the service records about a customer across its
// contexts and departments — actions, visits, stage changes — read a page at
// a time with one cursor (GET /v1/customers/{id}/timeline), for the
// console's customer page.
//
// The context has the service's four parts, each in a package of its own:
// domain (the entry, the order, where a page starts in each source and the
// merge; pure), app (the use case, with authorisation and scope), adapters
// (one indexed query per source) and ports (the HTTP handler and its OpenAPI
// operation). This package only assembles them (New) and hands the
// operation to the service's document (Ops).
package timeline

import (
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/openapi"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/app"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/ports"
)

// New assembles the timeline API over db; customers answers scope.
func New(db *gorm.DB, customers *custadapters.Store) *ports.HTTP {
	return &ports.HTTP{Svc: app.New(adapters.New(db, customers))}
}

// Ops documents the endpoint for the customer service's OpenAPI document.
func Ops() []openapi.Op { return ports.Ops() }
