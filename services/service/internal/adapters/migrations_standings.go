package adapters

import "github.com/closeloop/closeloop/platform/db/migrate"

// standingMigrations are the outbox of the standings copied to the customer
// service (versions 40–).
var standingMigrations = []migrate.Migration{
	{Version: 40, Name: "standing syncs: the outbox of the loyalty syncs an answered survey starts", Up: migrate.SQL(
		// One row per answered survey, written in the answer's transaction:
		// the customer's standing changed and its copy in the customer
		// service must follow (workflow LoyaltySync:<customer>:<survey>).
		// started_at is set once the workflow engine took the start (or had
		// it already); a row without it is started again by the service's
		// background loop.
		`CREATE TABLE standing_syncs (
			survey_id   VARCHAR(36) PRIMARY KEY,
			customer_id VARCHAR(36) NOT NULL,
			answered_at TIMESTAMPTZ NOT NULL,
			started_at  TIMESTAMPTZ
		)`,
		`CREATE INDEX ix_standing_syncs_pending ON standing_syncs (answered_at, survey_id) WHERE started_at IS NULL`,
	)},
}
