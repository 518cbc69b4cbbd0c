// Package adapters holds the marketing service's storage and its versioned migrations.
package adapters

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
)

// Migrations is the marketing service's schema history. Never edit a shipped entry.
var Migrations = []migrate.Migration{
	idem.Migration(1),
}
