package schema

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
)

// Standings is the schema of the copy of customers' service standings
// (internal/domain/standing.go): what the after-sales service's loyalty
// rule says of each customer, kept here for campaign segments.
var Standings = []migrate.Migration{
	{Version: 19, Name: "standings: the copy of each customer's loyalty level and satisfaction from the after-sales service", Up: migrate.SQL(
		// One row per customer the after-sales service sent a standing of
		// (customer.RecordStandings); a customer without a row is unknown.
		// csat_average is null without answers (csat_count 0). as_of is when
		// the after-sales service applied its rule: a row is replaced only by
		// a standing at least as recent. No reference to customers: the copy
		// may arrive before a customer row is visible, and is read only
		// joined to customers by id.
		`CREATE TABLE customer_standings (
			customer_id   VARCHAR(36) PRIMARY KEY,
			loyalty_level VARCHAR(20) NOT NULL,
			csat_average  DOUBLE PRECISION,
			csat_count    INTEGER NOT NULL DEFAULT 0,
			latest_csat   INTEGER,
			latest_nps    INTEGER,
			as_of         TIMESTAMPTZ NOT NULL,
			recorded_at   TIMESTAMPTZ NOT NULL
		)`,
		// Segments filter on the level and the average (EXISTS by customer id,
		// the primary key); these serve a count over one level.
		`CREATE INDEX ix_customer_standings_level ON customer_standings (loyalty_level, customer_id)`,
	)},
}
