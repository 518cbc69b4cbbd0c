package adapters

import "github.com/closeloop/closeloop/platform/db/migrate"

// reportMigrations are what the service managers' reports read from
// (versions 10–).
var reportMigrations = []migrate.Migration{}
