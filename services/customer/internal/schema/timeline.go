package schema

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
)

// Timeline is the schema of the timeline context (internal/timeline): it
// has no tables of its own, only the indexes that read a customer's history
// of the other contexts newest first, a page at a time. Actions are read
// along ix_action_links_customer (migration 6).
var Timeline = []migrate.Migration{
	{Version: 13, Name: "timeline: a customer's visits and stage changes newest first", Up: migrate.SQL(
		`CREATE INDEX ix_visits_customer_start ON visits (customer_id, start_at, id)`,
		`CREATE INDEX ix_stage_changes_customer_at ON stage_changes (customer_id, at, id)`,
	)},
}
