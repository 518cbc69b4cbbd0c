package adapters

import "github.com/closeloop/closeloop/platform/db/migrate"

// slipMigrations are the info slips' tables (versions 20–29).
var slipMigrations = []migrate.Migration{
	{Version: 20, Name: "info slips, their recipients, the originator's teams and the slips' timeline", Up: migrate.SQL(
		// One row per slip. The customer's name, owner and team are copied
		// when it is filed (like a case's). attachments is a JSON array of
		// {name, size, content_type, url}: metadata, never queried.
		`CREATE TABLE slips (
			id                VARCHAR(36) PRIMARY KEY,
			customer_id       VARCHAR(36) NOT NULL,
			customer_name     VARCHAR(200) NOT NULL DEFAULT '',
			customer_owner_id VARCHAR(200) NOT NULL DEFAULT '',
			customer_team     VARCHAR(100) NOT NULL DEFAULT '',
			contact_id        VARCHAR(36) NOT NULL DEFAULT '',
			lead_id           VARCHAR(36) NOT NULL DEFAULT '',
			opportunity_id    VARCHAR(36) NOT NULL DEFAULT '',
			case_id           VARCHAR(36) NOT NULL DEFAULT '',
			visit_id          VARCHAR(36) NOT NULL DEFAULT '',
			subject           VARCHAR(200) NOT NULL,
			body              TEXT NOT NULL DEFAULT '',
			category          VARCHAR(30) NOT NULL,
			urgency           VARCHAR(10) NOT NULL,
			attachments       TEXT NOT NULL DEFAULT '[]',
			due_at            TIMESTAMPTZ,
			originator_id     VARCHAR(200) NOT NULL,
			originator_name   VARCHAR(200) NOT NULL DEFAULT '',
			state             VARCHAR(20) NOT NULL,
			version           BIGINT NOT NULL DEFAULT 1,
			created_at        TIMESTAMPTZ NOT NULL,
			updated_at        TIMESTAMPTZ NOT NULL,
			closed_at         TIMESTAMPTZ,
			closed_by         VARCHAR(200) NOT NULL DEFAULT '',
			withdrawn_at      TIMESTAMPTZ,
			withdraw_reason   TEXT NOT NULL DEFAULT '',
			all_done_at       TIMESTAMPTZ,
			workflow_started_at TIMESTAMPTZ
		)`,
		// The slips table is the outbox of InfoSlip workflows: a slip whose
		// workflow could not be started when it was sent is started later.
		`CREATE INDEX ix_slips_unstarted ON slips (created_at) WHERE workflow_started_at IS NULL`,
		// Lists are newest first, (created_at, id) keyset pages: the
		// originator's slips (sent), the customer's (its history across
		// departments), by state, and unfiltered (admins).
		`CREATE INDEX ix_slips_originator ON slips (originator_id, created_at, id)`,
		`CREATE INDEX ix_slips_customer ON slips (customer_id, created_at, id)`,
		`CREATE INDEX ix_slips_state ON slips (state, created_at, id)`,
		`CREATE INDEX ix_slips_created ON slips (created_at, id)`,
		// One row per recipient part, numbered on its slip; never deleted
		// (forwarded and re-routed parts stay in the chain).
		`CREATE TABLE slip_recipients (
			slip_id         VARCHAR(36) NOT NULL REFERENCES slips(id),
			n               INTEGER NOT NULL,
			kind            VARCHAR(20) NOT NULL,
			department      VARCHAR(30) NOT NULL DEFAULT '',
			team            VARCHAR(100) NOT NULL DEFAULT '',
			user_id         VARCHAR(200) NOT NULL DEFAULT '',
			user_name       VARCHAR(200) NOT NULL DEFAULT '',
			state           VARCHAR(20) NOT NULL,
			received_at     TIMESTAMPTZ NOT NULL,
			routed_by       VARCHAR(200) NOT NULL DEFAULT '',
			routed_at       TIMESTAMPTZ,
			acknowledged_at TIMESTAMPTZ,
			done_at         TIMESTAMPTZ,
			action_note     TEXT NOT NULL DEFAULT '',
			rejected_at     TIMESTAMPTZ,
			reject_reason   TEXT NOT NULL DEFAULT '',
			forwarded_to    INTEGER NOT NULL DEFAULT 0,
			forwarded_from  INTEGER NOT NULL DEFAULT 0,
			rerouted_to     INTEGER NOT NULL DEFAULT 0,
			rerouted_from   INTEGER NOT NULL DEFAULT 0,
			added_by        VARCHAR(200) NOT NULL DEFAULT '',
			PRIMARY KEY (slip_id, n)
		)`,
		// A person's slips (received, by their part's state) and a team's
		// (a manager's board, by state).
		`CREATE INDEX ix_slip_recipients_user ON slip_recipients (user_id, state, slip_id)`,
		`CREATE INDEX ix_slip_recipients_team ON slip_recipients (team, state, slip_id)`,
		// The originator's teams when they sent the slip, in the token's
		// order: their managers see the slip and act for the originator.
		`CREATE TABLE slip_originator_teams (
			slip_id VARCHAR(36) NOT NULL REFERENCES slips(id),
			n       INTEGER NOT NULL,
			team    VARCHAR(100) NOT NULL,
			PRIMARY KEY (slip_id, n)
		)`,
		`CREATE INDEX ix_slip_originator_teams_team ON slip_originator_teams (team, slip_id)`,
		`CREATE TABLE slip_entries (
			id         VARCHAR(120) PRIMARY KEY,
			slip_id    VARCHAR(36) NOT NULL REFERENCES slips(id),
			kind       VARCHAR(30) NOT NULL,
			actor      VARCHAR(200) NOT NULL,
			at         TIMESTAMPTZ NOT NULL,
			recipient  INTEGER NOT NULL DEFAULT 0,
			body       TEXT NOT NULL DEFAULT '',
			reason     TEXT NOT NULL DEFAULT '',
			from_value VARCHAR(400) NOT NULL DEFAULT '',
			to_value   VARCHAR(400) NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX ix_slip_entries_slip ON slip_entries (slip_id, at, id)`,
	)},
}
