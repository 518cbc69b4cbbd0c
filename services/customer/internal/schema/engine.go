package schema

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
)

// Engine is the follow-up engine's schema as it was created in this database
// before the engine became the follow-up service (services/followup, which
// has its own copy in its own database). Shipped migrations are never edited
// or removed: an install that ran them keeps the tables, unread, until a later
// release drops them; `followup import-customer-db` copies their rows across.
var Engine = []migrate.Migration{
	{Version: 4, Name: "timer policies, business calendars, follow-ups", Up: migrate.SQL(
		// Immutable policy versions; the one in force at an instant is the
		// latest effective_from at or before it that was not withdrawn.
		`CREATE TABLE policy_versions (
			policy           VARCHAR(100) NOT NULL,
			version          BIGINT NOT NULL,
			value            TEXT NOT NULL,
			effective_from   TIMESTAMPTZ NOT NULL,
			created_by       VARCHAR(200) NOT NULL,
			created_at       TIMESTAMPTZ NOT NULL,
			reason           VARCHAR(2000) NOT NULL,
			copied_from      BIGINT,
			withdrawn_at     TIMESTAMPTZ,
			withdrawn_by     VARCHAR(200),
			PRIMARY KEY (policy, version)
		)`,
		`CREATE INDEX ix_policy_versions_effective ON policy_versions (policy, effective_from, version) WHERE withdrawn_at IS NULL`,
		`CREATE TABLE calendar_versions (
			name        VARCHAR(100) NOT NULL,
			version     BIGINT NOT NULL,
			spec        TEXT NOT NULL,
			created_by  VARCHAR(200) NOT NULL,
			created_at  TIMESTAMPTZ NOT NULL,
			reason      VARCHAR(2000) NOT NULL,
			PRIMARY KEY (name, version)
		)`,
		// One row per assigned region, team, and the single default: the
		// primary key makes every assignment unique.
		`CREATE TABLE calendar_assignments (
			scope    VARCHAR(10) NOT NULL,
			value    VARCHAR(100) NOT NULL,
			calendar VARCHAR(100) NOT NULL,
			PRIMARY KEY (scope, value)
		)`,
		`CREATE TABLE policy_audit (
			id           VARCHAR(36) PRIMARY KEY,
			subject_kind VARCHAR(10) NOT NULL,
			subject      VARCHAR(100) NOT NULL,
			version      BIGINT NOT NULL,
			action       VARCHAR(20) NOT NULL,
			actor        VARCHAR(200) NOT NULL,
			reason       VARCHAR(2000) NOT NULL,
			changes      TEXT NOT NULL,
			trace_id     VARCHAR(32) NOT NULL DEFAULT '',
			at           TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_policy_audit_subject ON policy_audit (subject_kind, subject, id)`,
		`CREATE TABLE follow_ups (
			id                        VARCHAR(36) PRIMARY KEY,
			kind                      VARCHAR(40) NOT NULL,
			customer_id               VARCHAR(36) NOT NULL,
			owner_id                  VARCHAR(200) NOT NULL,
			team                      VARCHAR(100) NOT NULL,
			territory                 VARCHAR(100) NOT NULL,
			title                     VARCHAR(300) NOT NULL DEFAULT '',
			state                     VARCHAR(20) NOT NULL,
			anchor_at                 TIMESTAMPTZ NOT NULL,
			due_at                    TIMESTAMPTZ NOT NULL,
			next_step_at              TIMESTAMPTZ,
			escalation_level          INTEGER NOT NULL DEFAULT 0,
			last_action               VARCHAR(40) NOT NULL DEFAULT '',
			escalated_at              TIMESTAMPTZ,
			policy                    VARCHAR(100) NOT NULL DEFAULT '',
			policy_key                VARCHAR(40) NOT NULL DEFAULT '',
			policy_version            BIGINT NOT NULL DEFAULT 0,
			escalation_policy         VARCHAR(100) NOT NULL DEFAULT '',
			escalation_policy_version BIGINT NOT NULL DEFAULT 0,
			calendar                  VARCHAR(100) NOT NULL DEFAULT '',
			calendar_version          BIGINT NOT NULL DEFAULT 0,
			workflow_id               VARCHAR(200) NOT NULL,
			run_id                    VARCHAR(100) NOT NULL DEFAULT '',
			opened_by                 VARCHAR(200) NOT NULL,
			created_at                TIMESTAMPTZ NOT NULL,
			updated_at                TIMESTAMPTZ NOT NULL,
			closed_at                 TIMESTAMPTZ,
			closed_by                 VARCHAR(200),
			close_note                VARCHAR(2000) NOT NULL DEFAULT ''
		)`,
		// Open follow-ups are a few percent of all of them: every index the
		// managers' overdue views and the policy rollouts use is partial, so it
		// holds only open rows and stays small however long the history grows.
		`CREATE INDEX ix_follow_ups_open_due ON follow_ups (due_at, id) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_open_team ON follow_ups (team, due_at, id) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_open_owner ON follow_ups (owner_id, due_at, id) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_open_policy ON follow_ups (policy, policy_version) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_open_escalation ON follow_ups (escalation_policy, escalation_policy_version) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_open_calendar ON follow_ups (calendar, calendar_version) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_customer ON follow_ups (customer_id, created_at, id)`,
		`CREATE INDEX ix_follow_ups_workflow ON follow_ups (workflow_id)`,
		`CREATE TABLE follow_up_events (
			id           VARCHAR(36) PRIMARY KEY,
			follow_up_id VARCHAR(36) NOT NULL REFERENCES follow_ups(id),
			action       VARCHAR(40) NOT NULL,
			level        INTEGER NOT NULL DEFAULT 0,
			actor        VARCHAR(200) NOT NULL,
			detail       VARCHAR(2000) NOT NULL DEFAULT '',
			at           TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_follow_up_events_follow_up ON follow_up_events (follow_up_id, at, id)`,
	)},

	{Version: 8, Name: "follow-up history: when an escalation step was due beside when it ran", Up: migrate.SQL(
		// Steps recorded before this release stored their scheduled instant
		// in at; it is kept there (when they ran is not known) and copied to
		// scheduled_at, so their lateness reads as zero rather than missing.
		`ALTER TABLE follow_up_events ADD COLUMN scheduled_at TIMESTAMPTZ`,
		`UPDATE follow_up_events SET scheduled_at = at
			WHERE action NOT IN ('opened', 'deadline_changed', 'done', 'cancelled')`,
	)},
}
