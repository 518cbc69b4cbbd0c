// Package adapters stores territories, leads, opportunities and their
// timelines with gorm. The schema is created by the versioned migrations below
// — plain SQL that runs unchanged on PostgreSQL and SQLite — and every
// multi-row change happens inside a transaction owned by this package.
package adapters

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
)

// Migrations is the sales service's schema history. Never edit a shipped entry.
var Migrations = []migrate.Migration{
	idem.Migration(1),
	{Version: 2, Name: "territories, leads, opportunities, stage changes, timeline", Up: migrate.SQL(
		`CREATE TABLE territories (
			id         VARCHAR(36) PRIMARY KEY,
			name       VARCHAR(100) NOT NULL,
			region     VARCHAR(100) NOT NULL DEFAULT '',
			industry   VARCHAR(100) NOT NULL DEFAULT '',
			team       VARCHAR(100) NOT NULL,
			manager_id VARCHAR(200) NOT NULL,
			strategy   VARCHAR(20) NOT NULL,
			last_rep   VARCHAR(200) NOT NULL DEFAULT '',
			version    BIGINT NOT NULL DEFAULT 1,
			created_by VARCHAR(200) NOT NULL,
			created_at TIMESTAMPTZ NOT NULL,
			updated_at TIMESTAMPTZ NOT NULL,
			deleted_at TIMESTAMPTZ
		)`,
		// One live territory per name and per (region, industry): the rules
		// must never find two equally good matches.
		`CREATE UNIQUE INDEX ux_territories_name ON territories (name) WHERE deleted_at IS NULL`,
		`CREATE UNIQUE INDEX ux_territories_key ON territories (region, industry) WHERE deleted_at IS NULL`,
		`CREATE TABLE territory_reps (
			territory_id VARCHAR(36) NOT NULL REFERENCES territories(id),
			rep_id       VARCHAR(200) NOT NULL,
			capacity     INTEGER NOT NULL,
			active       BOOLEAN NOT NULL DEFAULT TRUE,
			added_at     TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (territory_id, rep_id)
		)`,
		`CREATE INDEX ix_territory_reps_rep ON territory_reps (rep_id)`,
		`CREATE TABLE leads (
			id               VARCHAR(36) PRIMARY KEY,
			source           VARCHAR(20) NOT NULL,
			customer_id      VARCHAR(36) NOT NULL DEFAULT '',
			customer_created BOOLEAN NOT NULL DEFAULT FALSE,
			company_name     VARCHAR(200) NOT NULL DEFAULT '',
			tax_id           VARCHAR(50) NOT NULL DEFAULT '',
			contact_name     VARCHAR(200) NOT NULL DEFAULT '',
			contact_email    VARCHAR(254) NOT NULL DEFAULT '',
			contact_phone    VARCHAR(50) NOT NULL DEFAULT '',
			region           VARCHAR(100) NOT NULL DEFAULT '',
			industry         VARCHAR(100) NOT NULL DEFAULT '',
			interest         TEXT NOT NULL DEFAULT '',
			notes            TEXT NOT NULL DEFAULT '',
			state            VARCHAR(20) NOT NULL,
			close_reason     TEXT NOT NULL DEFAULT '',
			owner_id         VARCHAR(200) NOT NULL DEFAULT '',
			team             VARCHAR(100) NOT NULL DEFAULT '',
			territory_id     VARCHAR(36) NOT NULL DEFAULT '',
			manager_id       VARCHAR(200) NOT NULL DEFAULT '',
			pooled           BOOLEAN NOT NULL DEFAULT FALSE,
			assignment_seq   INTEGER NOT NULL DEFAULT 0,
			assignment_why   VARCHAR(200) NOT NULL DEFAULT '',
			assigned_at      TIMESTAMPTZ,
			first_contact_at TIMESTAMPTZ,
			opportunity_id   VARCHAR(36) NOT NULL DEFAULT '',
			received_at      TIMESTAMPTZ NOT NULL,
			created_by       VARCHAR(200) NOT NULL,
			created_at       TIMESTAMPTZ NOT NULL,
			updated_at       TIMESTAMPTZ NOT NULL,
			closed_at        TIMESTAMPTZ
		)`,
		// A rep's load (open leads) is counted on every assignment.
		`CREATE INDEX ix_leads_owner_open ON leads (owner_id) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_leads_owner ON leads (owner_id, created_at, id)`,
		`CREATE INDEX ix_leads_team ON leads (team, created_at, id)`,
		`CREATE INDEX ix_leads_created ON leads (created_at, id)`,
		`CREATE INDEX ix_leads_pool ON leads (created_at, id) WHERE pooled AND closed_at IS NULL`,
		`CREATE INDEX ix_leads_customer ON leads (customer_id)`,
		`CREATE TABLE opportunities (
			id               VARCHAR(36) PRIMARY KEY,
			lead_id          VARCHAR(36) NOT NULL DEFAULT '',
			customer_id      VARCHAR(36) NOT NULL,
			name             VARCHAR(200) NOT NULL,
			owner_id         VARCHAR(200) NOT NULL,
			team             VARCHAR(100) NOT NULL,
			territory_id     VARCHAR(36) NOT NULL DEFAULT '',
			region           VARCHAR(100) NOT NULL DEFAULT '',
			stage            INTEGER NOT NULL,
			max_stage        INTEGER NOT NULL,
			status           VARCHAR(10) NOT NULL,
			amount_minor     BIGINT NOT NULL DEFAULT 0,
			currency         VARCHAR(3) NOT NULL DEFAULT '',
			expected_close   VARCHAR(10) NOT NULL DEFAULT '',
			probability      INTEGER NOT NULL DEFAULT 0,
			lost_reason      TEXT NOT NULL DEFAULT '',
			competitor       VARCHAR(200) NOT NULL DEFAULT '',
			stage_entered_at TIMESTAMPTZ NOT NULL,
			version          BIGINT NOT NULL DEFAULT 1,
			created_by       VARCHAR(200) NOT NULL,
			created_at       TIMESTAMPTZ NOT NULL,
			updated_at       TIMESTAMPTZ NOT NULL,
			closed_at        TIMESTAMPTZ
		)`,
		`CREATE UNIQUE INDEX ux_opportunities_lead ON opportunities (lead_id) WHERE lead_id <> ''`,
		`CREATE INDEX ix_opportunities_owner ON opportunities (owner_id, created_at, id)`,
		`CREATE INDEX ix_opportunities_team ON opportunities (team, created_at, id)`,
		`CREATE INDEX ix_opportunities_created ON opportunities (created_at, id)`,
		`CREATE TABLE opportunity_stage_changes (
			id               VARCHAR(120) PRIMARY KEY,
			opportunity_id   VARCHAR(36) NOT NULL REFERENCES opportunities(id),
			from_stage       INTEGER NOT NULL,
			to_stage         INTEGER NOT NULL,
			to_status        VARCHAR(10) NOT NULL,
			seconds_in_stage BIGINT NOT NULL,
			owner_id         VARCHAR(200) NOT NULL,
			team             VARCHAR(100) NOT NULL,
			actor            VARCHAR(200) NOT NULL,
			reason           TEXT NOT NULL DEFAULT '',
			at               TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_stage_changes_opp ON opportunity_stage_changes (opportunity_id, at)`,
		`CREATE INDEX ix_stage_changes_team ON opportunity_stage_changes (team, from_stage)`,
		`CREATE TABLE timeline_events (
			id           VARCHAR(200) PRIMARY KEY,
			subject_type VARCHAR(20) NOT NULL,
			subject_id   VARCHAR(36) NOT NULL,
			kind         VARCHAR(40) NOT NULL,
			actor        VARCHAR(200) NOT NULL,
			summary      TEXT NOT NULL,
			data         TEXT NOT NULL DEFAULT '{}',
			at           TIMESTAMPTZ NOT NULL,
			recorded_at  TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_timeline_subject ON timeline_events (subject_type, subject_id, at, id)`,
	)},

	{Version: 3, Name: "a customer's leads and opportunities, newest first (the customer page)", Up: migrate.SQL(
		// The customer_id filters of the lead and opportunity lists and the
		// customer's sales timeline read one customer's rows in list order;
		// the new lead index also answers every look-up by customer alone.
		`CREATE INDEX ix_leads_customer_created ON leads (customer_id, created_at, id)`,
		`DROP INDEX ix_leads_customer`,
		`CREATE INDEX ix_opportunities_customer ON opportunities (customer_id, created_at, id)`,
	)},

	{Version: 4, Name: "the rep reserved for a new lead until its first assignment", Up: migrate.SQL(
		`CREATE TABLE lead_routes (
			lead_id      VARCHAR(36) PRIMARY KEY,
			rep_id       VARCHAR(200) NOT NULL,
			team         VARCHAR(100) NOT NULL DEFAULT '',
			territory_id VARCHAR(36) NOT NULL DEFAULT '',
			manager_id   VARCHAR(200) NOT NULL DEFAULT '',
			why          VARCHAR(200) NOT NULL DEFAULT '',
			prev_turn    VARCHAR(200) NOT NULL DEFAULT '',
			reserved_at  TIMESTAMPTZ NOT NULL
		)`,
		// A rep's load counts the reservations made for them.
		`CREATE INDEX ix_lead_routes_rep ON lead_routes (rep_id, reserved_at)`,
	)},
}
