package schema

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
)

// Actions is the schema of the actions context (internal/actions).
var Actions = []migrate.Migration{
	{Version: 6, Name: "actions: plans and logs across departments, with their customers, contacts, leads and opportunities", Up: migrate.SQL(
		`CREATE TABLE actions (
			id          VARCHAR(36) PRIMARY KEY,
			kind        VARCHAR(10) NOT NULL,
			status      VARCHAR(10) NOT NULL,
			category    VARCHAR(30) NOT NULL,
			department  VARCHAR(20) NOT NULL,
			actor_id    VARCHAR(200) NOT NULL,
			title       VARCHAR(200) NOT NULL,
			summary     TEXT NOT NULL DEFAULT '',
			outcome     TEXT NOT NULL DEFAULT '',
			next_step   TEXT NOT NULL DEFAULT '',
			planned_for TIMESTAMPTZ,
			done_at     TIMESTAMPTZ,
			occurred_at TIMESTAMPTZ NOT NULL,
			created_at  TIMESTAMPTZ NOT NULL,
			updated_at  TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_actions_occurred ON actions (occurred_at, id)`,
		`CREATE INDEX ix_actions_actor ON actions (actor_id, occurred_at)`,
		`CREATE TABLE action_links (
			action_id    VARCHAR(36) NOT NULL REFERENCES actions(id),
			subject_type VARCHAR(20) NOT NULL,
			subject_id   VARCHAR(36) NOT NULL,
			customer_id  VARCHAR(36) NOT NULL,
			occurred_at  TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (action_id, subject_type, subject_id)
		)`,
		// A customer's history: its links, newest first.
		`CREATE INDEX ix_action_links_customer ON action_links (customer_id, occurred_at, action_id)`,
		`CREATE INDEX ix_action_links_subject ON action_links (subject_type, subject_id)`,
	)},

	{Version: 14, Name: "actions: a service case's changes on its customer's history (category service_case)", Up: migrate.SQL(
		// The service case whose change a service_case item records (the
		// case id, the event — filed, resolved, … — and the case's team);
		// "" on every other action. The item's id is derived from the
		// event's idempotency key, so the primary key keeps it once.
		`ALTER TABLE actions ADD COLUMN case_id VARCHAR(36) NOT NULL DEFAULT ''`,
		`ALTER TABLE actions ADD COLUMN case_event VARCHAR(30) NOT NULL DEFAULT ''`,
		`ALTER TABLE actions ADD COLUMN case_team VARCHAR(100) NOT NULL DEFAULT ''`,
	)},

	{Version: 15, Name: "actions: an information routing slip's changes on its customer's history (category info_slip)", Up: migrate.SQL(
		// The information routing slip whose change an info_slip item
		// records (the slip id and the event — sent, acknowledged, … —);
		// "" on every other action. As for a case's items, the item's id is
		// derived from the event's idempotency key.
		`ALTER TABLE actions ADD COLUMN slip_id VARCHAR(36) NOT NULL DEFAULT ''`,
		`ALTER TABLE actions ADD COLUMN slip_event VARCHAR(30) NOT NULL DEFAULT ''`,
	)},

	{Version: 17, Name: "actions: the campaign of a touch's plan and of a campaign's items on the history", Up: migrate.SQL(
		// The marketing campaign a touch's action plan is for, or whose
		// event a campaign item records (category campaign: a customer won
		// back); "" on every other action.
		`ALTER TABLE actions ADD COLUMN campaign_id VARCHAR(100) NOT NULL DEFAULT ''`,
	)},
}
