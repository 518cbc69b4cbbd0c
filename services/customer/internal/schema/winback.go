package schema

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
)

// Winback is the schema of the win-back context (internal/winback): the
// win-back a customer is in, on its row.
var Winback = []migrate.Migration{
	{Version: 18, Name: "win-back: the campaign whose win-back a customer is in", Up: migrate.SQL(
		// Set by customer.MarkWinBack while the customer's WinBack workflow
		// runs, so that a logged contact or a stage change out of lost
		// signals it; NULL otherwise. Read by the customer's id only.
		`ALTER TABLE customers ADD COLUMN winback_campaign_id VARCHAR(100)`,
	)},
}
