// Package schema is the customer service's database history: one list of
// versioned migrations (one schema_migrations table per database), written
// per context — each file holds the tables of one context of the service:
// customers (customers.go), visits, actions, care, timeline (indexes only),
// win-back (a column of customers), standings (the after-sales service's
// loyalty levels, copied), and the follow-up engine's tables from
// before it became a service of its own (engine.go).
// Versions are global and never reused; a new migration goes at the end of
// its context's file with the next free version.
package schema

import (
	"slices"

	"github.com/closeloop/closeloop/platform/db/migrate"
)

// Migrations is the whole history, in version order. Never edit a shipped entry.
var Migrations = func() []migrate.Migration {
	all := slices.Concat(Customers, Engine, Visits, Actions, Care, Timeline, Winback, Standings)
	slices.SortFunc(all, func(a, b migrate.Migration) int { return a.Version - b.Version })
	return all
}()
