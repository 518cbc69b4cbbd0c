package adapters

import "github.com/closeloop/closeloop/platform/db/migrate"

// surveyMigrations are the satisfaction surveys' tables (versions 4–).
var surveyMigrations = []migrate.Migration{}
