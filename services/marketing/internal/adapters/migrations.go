// Package adapters holds the marketing service's storage and its versioned
// migrations. It loads facts and stores decisions; the rules (holdout,
// precedence, contact pressure, what a campaign's state allows) are the
// domain's.
package adapters

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
)

// Migrations is the marketing service's schema history. Never edit a shipped entry.
var Migrations = []migrate.Migration{
	idem.Migration(1),
	{Version: 2, Name: "campaigns, their cost entries, enrolments, touches, opt-outs and win-back candidates", Up: migrate.SQL(
		// A campaign as its owner planned it. channels and segment are
		// JSON (the domain reads them; no rule looks inside them in SQL).
		// The launch_* counts are what the launch enrolled.
		`CREATE TABLE campaigns (
			id               VARCHAR(36) PRIMARY KEY,
			name             VARCHAR(200) NOT NULL,
			objective        TEXT NOT NULL DEFAULT '',
			type             VARCHAR(20) NOT NULL,
			channels         TEXT NOT NULL DEFAULT '[]',
			segment          TEXT NOT NULL DEFAULT '{}',
			holdout          DOUBLE PRECISION NOT NULL,
			enrol_newcomers  BOOLEAN NOT NULL DEFAULT false,
			budget           DOUBLE PRECISION NOT NULL DEFAULT 0,
			expected_cost    DOUBLE PRECISION NOT NULL DEFAULT 0,
			expected_revenue DOUBLE PRECISION NOT NULL DEFAULT 0,
			starts_on        TIMESTAMPTZ NOT NULL,
			ends_on          TIMESTAMPTZ NOT NULL,
			owner_id         VARCHAR(200) NOT NULL,
			team             VARCHAR(100) NOT NULL,
			state            VARCHAR(20) NOT NULL,
			created_by       VARCHAR(200) NOT NULL,
			approved_by      VARCHAR(200) NOT NULL DEFAULT '',
			approved_at      TIMESTAMPTZ,
			launched_by      VARCHAR(200) NOT NULL DEFAULT '',
			launched_at      TIMESTAMPTZ,
			ended_by         VARCHAR(200) NOT NULL DEFAULT '',
			ended_at         TIMESTAMPTZ,
			end_reason       TEXT NOT NULL DEFAULT '',
			launch_done_at   TIMESTAMPTZ,
			launch_enrolled  BIGINT NOT NULL DEFAULT 0,
			launch_held_out  BIGINT NOT NULL DEFAULT 0,
			launch_skipped   BIGINT NOT NULL DEFAULT 0,
			created_at       TIMESTAMPTZ NOT NULL,
			updated_at       TIMESTAMPTZ NOT NULL,
			version          BIGINT NOT NULL DEFAULT 1
		)`,
		`CREATE INDEX ix_campaigns_list ON campaigns (created_at, id)`,
		`CREATE INDEX ix_campaigns_state ON campaigns (state, type, launched_at)`,
		`CREATE TABLE campaign_costs (
			id          VARCHAR(36) PRIMARY KEY,
			campaign_id VARCHAR(36) NOT NULL REFERENCES campaigns(id),
			amount      DOUBLE PRECISION NOT NULL,
			note        TEXT NOT NULL DEFAULT '',
			spent_on    TIMESTAMPTZ NOT NULL,
			created_by  VARCHAR(200) NOT NULL,
			created_at  TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_campaign_costs ON campaign_costs (campaign_id, spent_on)`,
		// One row per campaign and customer: its group (treated or
		// holdout, decided once and stored), how it ended, and what became
		// of the customer in sales (refreshed by the CampaignOutcomes run).
		// A customer is in at most one running campaign (the domain's
		// precedence decides which): the partial unique index holds it
		// against concurrent launches.
		`CREATE TABLE enrolments (
			campaign_id    VARCHAR(36) NOT NULL REFERENCES campaigns(id),
			customer_id    VARCHAR(36) NOT NULL,
			customer_name  VARCHAR(200) NOT NULL DEFAULT '',
			grp            VARCHAR(10) NOT NULL,
			state          VARCHAR(20) NOT NULL,
			source         VARCHAR(20) NOT NULL,
			owner_id       VARCHAR(200) NOT NULL DEFAULT '',
			team           VARCHAR(100) NOT NULL DEFAULT '',
			enrolled_at    TIMESTAMPTZ NOT NULL,
			ended_at       TIMESTAMPTZ,
			outcome        VARCHAR(20) NOT NULL DEFAULT '',
			touches        INTEGER NOT NULL DEFAULT 0,
			last_touch_at  TIMESTAMPTZ,
			responded_at   TIMESTAMPTZ,
			response_kind  VARCHAR(20) NOT NULL DEFAULT '',
			response_ref   VARCHAR(200) NOT NULL DEFAULT '',
			lead_id        VARCHAR(36) NOT NULL DEFAULT '',
			leads          INTEGER NOT NULL DEFAULT 0,
			opportunities  INTEGER NOT NULL DEFAULT 0,
			won            INTEGER NOT NULL DEFAULT 0,
			won_revenue    DOUBLE PRECISION NOT NULL DEFAULT 0,
			won_back_at    TIMESTAMPTZ,
			outcomes_at    TIMESTAMPTZ,
			cancel_sent_at TIMESTAMPTZ,
			PRIMARY KEY (campaign_id, customer_id)
		)`,
		`CREATE UNIQUE INDEX ux_enrolments_active ON enrolments (customer_id) WHERE state = 'active'`,
		`CREATE INDEX ix_enrolments_customer ON enrolments (customer_id, enrolled_at)`,
		`CREATE INDEX ix_enrolments_state ON enrolments (campaign_id, state, customer_id)`,
		// Every touch made, by any campaign: the customer's contact
		// pressure is read from here.
		`CREATE TABLE touches (
			id          VARCHAR(64) PRIMARY KEY,
			campaign_id VARCHAR(36) NOT NULL REFERENCES campaigns(id),
			customer_id VARCHAR(36) NOT NULL,
			step        INTEGER NOT NULL,
			action      VARCHAR(20) NOT NULL,
			assignee_id VARCHAR(200) NOT NULL DEFAULT '',
			team        VARCHAR(100) NOT NULL DEFAULT '',
			due_at      TIMESTAMPTZ NOT NULL,
			planned_at  TIMESTAMPTZ NOT NULL,
			action_id   VARCHAR(36) NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX ix_touches_customer ON touches (customer_id, planned_at)`,
		`CREATE INDEX ix_touches_campaign ON touches (campaign_id, customer_id, step)`,
		// Customers who asked for no marketing: no campaign touches them.
		`CREATE TABLE opt_outs (
			customer_id VARCHAR(36) PRIMARY KEY,
			reason      TEXT NOT NULL DEFAULT '',
			created_by  VARCHAR(200) NOT NULL,
			created_at  TIMESTAMPTZ NOT NULL
		)`,
		// Lost customers past the inactivity period that no running
		// win-back campaign matched: listed until one does.
		`CREATE TABLE winback_candidates (
			customer_id     VARCHAR(36) PRIMARY KEY,
			customer_name   VARCHAR(200) NOT NULL DEFAULT '',
			owner_id        VARCHAR(200) NOT NULL DEFAULT '',
			team            VARCHAR(100) NOT NULL DEFAULT '',
			region          VARCHAR(100) NOT NULL DEFAULT '',
			industry        VARCHAR(100) NOT NULL DEFAULT '',
			value_class     VARCHAR(2) NOT NULL DEFAULT '',
			lost_at         TIMESTAMPTZ,
			lost_reason     TEXT NOT NULL DEFAULT '',
			lost_competitor VARCHAR(100) NOT NULL DEFAULT '',
			listed_at       TIMESTAMPTZ NOT NULL,
			seen_at         TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_winback_candidates ON winback_candidates (lost_at, customer_id)`,
	)},
	{Version: 3, Name: "when a running campaign's segment was last read for newcomers", Up: migrate.SQL(
		`ALTER TABLE campaigns ADD COLUMN newcomers_at TIMESTAMPTZ`,
	)},
	{Version: 4, Name: "a campaign's email: its subject and body", Up: migrate.SQL(
		// The email a campaign sends in its email touches (required with
		// the email channel; the domain checks it).
		`ALTER TABLE campaigns ADD COLUMN email_subject VARCHAR(200) NOT NULL DEFAULT ''`,
		`ALTER TABLE campaigns ADD COLUMN email_body TEXT NOT NULL DEFAULT ''`,
	)},
	{Version: 5, Name: "a draft's request for approval, and the campaign events to tell (outbox)", Up: migrate.SQL(
		// Who asked the team's marketing managers to approve the draft,
		// when, and at which version (an edit since makes it stale).
		`ALTER TABLE campaigns ADD COLUMN approval_requested_by VARCHAR(200) NOT NULL DEFAULT ''`,
		`ALTER TABLE campaigns ADD COLUMN approval_requested_by_name VARCHAR(200) NOT NULL DEFAULT ''`,
		`ALTER TABLE campaigns ADD COLUMN approval_requested_at TIMESTAMPTZ`,
		`ALTER TABLE campaigns ADD COLUMN approval_requested_version INTEGER NOT NULL DEFAULT 0`,
		// The outbox of campaign events (domain/event.go): written in the
		// transaction of the change it tells of; sent_at is set once its
		// CampaignNotice workflow has been started. The id is derived from
		// (campaign, event, version): an event is stored once.
		`CREATE TABLE campaign_events (
			id          VARCHAR(100) PRIMARY KEY,
			campaign_id VARCHAR(36) NOT NULL REFERENCES campaigns(id),
			kind        VARCHAR(30) NOT NULL,
			version     INTEGER NOT NULL,
			name        VARCHAR(200) NOT NULL DEFAULT '',
			team        VARCHAR(100) NOT NULL DEFAULT '',
			owner_id    VARCHAR(200) NOT NULL DEFAULT '',
			actor       VARCHAR(200) NOT NULL,
			actor_name  VARCHAR(200) NOT NULL DEFAULT '',
			recipients  TEXT NOT NULL,
			counts      TEXT NOT NULL DEFAULT '{}',
			note        TEXT NOT NULL DEFAULT '',
			at          TIMESTAMPTZ NOT NULL,
			sent_at     TIMESTAMPTZ
		)`,
		`CREATE INDEX ix_campaign_events_unsent ON campaign_events (at, id) WHERE sent_at IS NULL`,
	)},
}
