// Package adapters stores customers with gorm. The schema is created by the
// versioned migrations below — plain SQL that runs unchanged on PostgreSQL and
// SQLite (timestamps are TIMESTAMPTZ on PostgreSQL and TIMESTAMP on SQLite) — and
// every multi-row change happens inside a transaction owned by this package.
package adapters

import (
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
)

// Migrations is the customer service's schema history. Never edit a shipped entry.
var Migrations = []migrate.Migration{
	{Version: 1, Name: "customers, contacts, stage history, audit", Up: migrate.SQL(
		`CREATE TABLE customers (
			id                    VARCHAR(36) PRIMARY KEY,
			name                  VARCHAR(200) NOT NULL,
			normalized_name       VARCHAR(200) NOT NULL,
			tax_id                VARCHAR(50),
			parent_id             VARCHAR(36) REFERENCES customers(id),
			region                VARCHAR(100) NOT NULL,
			industry              VARCHAR(100) NOT NULL,
			owner_id              VARCHAR(200) NOT NULL,
			team                  VARCHAR(100) NOT NULL,
			website               VARCHAR(300) NOT NULL DEFAULT '',
			phone                 VARCHAR(50) NOT NULL DEFAULT '',
			address               VARCHAR(500) NOT NULL DEFAULT '',
			lifecycle_stage       VARCHAR(20) NOT NULL,
			relationship_stage    VARCHAR(20) NOT NULL DEFAULT '',
			value_class           VARCHAR(1) NOT NULL DEFAULT '',
			annual_revenue        DOUBLE PRECISION NOT NULL DEFAULT 0,
			annual_marketing_cost DOUBLE PRECISION NOT NULL DEFAULT 0,
			years_of_business     INTEGER NOT NULL DEFAULT 0,
			value_score           DOUBLE PRECISION NOT NULL DEFAULT 0,
			classified_at         TIMESTAMPTZ,
			version               BIGINT NOT NULL DEFAULT 1,
			created_by            VARCHAR(200) NOT NULL,
			created_at            TIMESTAMPTZ NOT NULL,
			updated_at            TIMESTAMPTZ NOT NULL,
			deleted_at            TIMESTAMPTZ,
			deleted_by            VARCHAR(200)
		)`,
		// Duplicate detection is enforced by the database among live customers,
		// so two racing creates cannot both win.
		`CREATE UNIQUE INDEX ux_customers_normalized_name ON customers (normalized_name) WHERE deleted_at IS NULL`,
		`CREATE UNIQUE INDEX ux_customers_tax_id ON customers (tax_id) WHERE deleted_at IS NULL AND tax_id IS NOT NULL`,
		`CREATE INDEX ix_customers_parent ON customers (parent_id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_customers_name ON customers (name, id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_customers_created ON customers (created_at, id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_customers_updated ON customers (updated_at, id) WHERE deleted_at IS NULL`,
		// One index serves both directions (scanned backwards for -value_score and
		// for ABC ranking, which orders value DESC, id DESC).
		`CREATE INDEX ix_customers_value ON customers (value_score, id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_customers_owner ON customers (owner_id, name, id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_customers_team ON customers (team, name, id) WHERE deleted_at IS NULL`,
		// A manager's scope is a team, and teams are territories: filtering a
		// region outside the team's territory must not walk the whole team.
		`CREATE INDEX ix_customers_team_region ON customers (team, region, name, id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_customers_region ON customers (region, name, id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_customers_industry ON customers (industry, name, id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_customers_stage ON customers (lifecycle_stage, name, id) WHERE deleted_at IS NULL`,
		// value_class is deliberately not indexed: reclassification rewrites it on
		// many rows, and without an index on it (or on updated_at, which it leaves
		// alone) those updates are HOT — no index maintenance. Class filters scan
		// the name index, which is fast because every class is a large share.
		`CREATE INDEX ix_customers_deleted ON customers (deleted_at) WHERE deleted_at IS NOT NULL`,
		`CREATE TABLE contacts (
			id             VARCHAR(36) PRIMARY KEY,
			customer_id    VARCHAR(36) NOT NULL REFERENCES customers(id),
			name           VARCHAR(200) NOT NULL,
			title          VARCHAR(100) NOT NULL DEFAULT '',
			department     VARCHAR(100) NOT NULL DEFAULT '',
			email          VARCHAR(254),
			phone          VARCHAR(50) NOT NULL DEFAULT '',
			mobile         VARCHAR(50) NOT NULL DEFAULT '',
			birthday       VARCHAR(10) NOT NULL DEFAULT '',
			personal_notes VARCHAR(2000) NOT NULL DEFAULT '',
			decision_role  VARCHAR(20) NOT NULL DEFAULT '',
			is_primary     BOOLEAN NOT NULL DEFAULT FALSE,
			created_at     TIMESTAMPTZ NOT NULL,
			updated_at     TIMESTAMPTZ NOT NULL,
			deleted_at     TIMESTAMPTZ
		)`,
		`CREATE INDEX ix_contacts_customer ON contacts (customer_id, name, id) WHERE deleted_at IS NULL`,
		`CREATE INDEX ix_contacts_email ON contacts (email) WHERE deleted_at IS NULL AND email IS NOT NULL`,
		`CREATE TABLE stage_changes (
			id          VARCHAR(36) PRIMARY KEY,
			customer_id VARCHAR(36) NOT NULL REFERENCES customers(id),
			kind        VARCHAR(20) NOT NULL,
			from_stage  VARCHAR(20) NOT NULL,
			to_stage    VARCHAR(20) NOT NULL,
			reason      VARCHAR(2000) NOT NULL DEFAULT '',
			actor       VARCHAR(200) NOT NULL,
			at          TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_stage_changes_customer ON stage_changes (customer_id, id)`,
		`CREATE TABLE audit_events (
			id          VARCHAR(36) PRIMARY KEY,
			customer_id VARCHAR(36) NOT NULL,
			entity_type VARCHAR(20) NOT NULL,
			entity_id   VARCHAR(36) NOT NULL,
			action      VARCHAR(40) NOT NULL,
			actor       VARCHAR(200) NOT NULL,
			reason      VARCHAR(2000) NOT NULL DEFAULT '',
			changes     TEXT NOT NULL,
			trace_id    VARCHAR(32) NOT NULL DEFAULT '',
			at          TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_audit_customer ON audit_events (customer_id, id)`,
	)},
	idem.Migration(2),
	{Version: 3, Name: "trigram index for customer text search and fillfactor (PostgreSQL)", Up: func(tx *gorm.DB) error {
		// Text search is a substring match on the normalised name. On PostgreSQL a
		// trigram index keeps it fast at scale; pg_trgm is a trusted extension, so
		// the database owner may create it. SQLite scans, which is fine at the sizes
		// it serves.
		if db.Dialect(tx) != db.Postgres {
			return nil
		}
		// fastupdate=off: each insert updates the index directly, instead of
		// occasionally paying for a whole pending-list merge (latency spikes).
		// fillfactor leaves room on each page for HOT updates (reclassification).
		return migrate.SQL(
			`CREATE EXTENSION IF NOT EXISTS pg_trgm`,
			`CREATE INDEX ix_customers_name_trgm ON customers USING gin (normalized_name gin_trgm_ops) WITH (fastupdate = off) WHERE deleted_at IS NULL`,
			`ALTER TABLE customers SET (fillfactor = 85)`,
		)(tx)
	}},
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
	{Version: 5, Name: "visits: one per customer-day, participants, timeline and notifications", Up: migrate.SQL(
		// Written only by the Visit workflow of the customer-day (through
		// activities), which decides one visit per day by construction; the
		// partial unique index below is defence in depth.
		`CREATE TABLE visits (
			id            VARCHAR(36) PRIMARY KEY,
			workflow_id   VARCHAR(200) NOT NULL,
			customer_id   VARCHAR(36) NOT NULL REFERENCES customers(id),
			day           VARCHAR(10) NOT NULL,
			start_at      TIMESTAMPTZ NOT NULL,
			end_at        TIMESTAMPTZ NOT NULL,
			status        VARCHAR(20) NOT NULL,
			booked_by     VARCHAR(200) NOT NULL,
			team          VARCHAR(100) NOT NULL,
			department    VARCHAR(20) NOT NULL,
			purpose       VARCHAR(2000) NOT NULL,
			log_summary   VARCHAR(4000) NOT NULL DEFAULT '',
			log_outcome   VARCHAR(200) NOT NULL DEFAULT '',
			log_next_step VARCHAR(2000) NOT NULL DEFAULT '',
			logged_by     VARCHAR(200),
			logged_at     TIMESTAMPTZ,
			cancelled_by  VARCHAR(200),
			cancelled_at  TIMESTAMPTZ,
			cancel_reason VARCHAR(2000) NOT NULL DEFAULT '',
			moved_to      VARCHAR(10) NOT NULL DEFAULT '',
			created_at    TIMESTAMPTZ NOT NULL,
			updated_at    TIMESTAMPTZ NOT NULL
		)`,
		`CREATE UNIQUE INDEX ux_visits_customer_day ON visits (customer_id, day) WHERE status IN ('booked', 'done')`,
		`CREATE INDEX ix_visits_customer ON visits (customer_id, day, id)`,
		`CREATE INDEX ix_visits_day ON visits (day, id)`,
		`CREATE TABLE visit_participants (
			visit_id   VARCHAR(36) NOT NULL REFERENCES visits(id),
			request_id VARCHAR(200) NOT NULL,
			user_id    VARCHAR(200) NOT NULL,
			department VARCHAR(20) NOT NULL,
			purpose    VARCHAR(2000) NOT NULL,
			role       VARCHAR(10) NOT NULL,
			joined_at  TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (visit_id, request_id)
		)`,
		`CREATE INDEX ix_visit_participants_user ON visit_participants (user_id, visit_id)`,
		`CREATE INDEX ix_visit_participants_department ON visit_participants (department, visit_id)`,
		`CREATE TABLE visit_events (
			id          VARCHAR(300) PRIMARY KEY,
			visit_id    VARCHAR(36) NOT NULL REFERENCES visits(id),
			kind        VARCHAR(40) NOT NULL,
			actor       VARCHAR(200) NOT NULL,
			recipient   VARCHAR(200) NOT NULL DEFAULT '',
			summary     VARCHAR(2000) NOT NULL,
			data        TEXT NOT NULL DEFAULT '{}',
			at          TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_visit_events_visit ON visit_events (visit_id, at, id)`,
		`CREATE INDEX ix_visit_events_recipient ON visit_events (recipient, at) WHERE recipient <> ''`,
	)},
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
	{Version: 7, Name: "care cadence: last contact, care anchor and epoch per customer", Up: migrate.SQL(
		// last_contact_at: the latest logged contact (action log of a contact
		// category, or a logged visit) — shown to people. care_from: the
		// instant the care cadence counts from, the later of that contact and
		// when the customer entered care (created, or moved into a care
		// stage). care_epoch: bumped whenever a care follow-up closes without
		// a contact, so the next one gets a fresh workflow id.
		`ALTER TABLE customers ADD COLUMN last_contact_at TIMESTAMPTZ`,
		`ALTER TABLE customers ADD COLUMN care_from TIMESTAMPTZ`,
		`ALTER TABLE customers ADD COLUMN care_epoch BIGINT NOT NULL DEFAULT 0`,
		`UPDATE customers SET last_contact_at = (
			SELECT MAX(l.occurred_at) FROM action_links l JOIN actions a ON a.id = l.action_id
			WHERE l.customer_id = customers.id AND l.subject_type = 'customer' AND a.kind = 'log'
			  AND a.category IN ('phone_call', 'visit_reception'))`,
		`UPDATE customers SET last_contact_at = (
			SELECT MAX(v.start_at) FROM visits v WHERE v.customer_id = customers.id AND v.status = 'done')
		WHERE EXISTS (SELECT 1 FROM visits v WHERE v.customer_id = customers.id AND v.status = 'done'
			AND (customers.last_contact_at IS NULL OR v.start_at > customers.last_contact_at))`,
		`UPDATE customers SET care_from = created_at`,
		`UPDATE customers SET care_from = last_contact_at WHERE last_contact_at IS NOT NULL AND last_contact_at > care_from`,
		// The sweep's candidates: customers in care by class, oldest anchor first.
		`CREATE INDEX ix_customers_care ON customers (value_class, care_from, id)
			WHERE deleted_at IS NULL AND lifecycle_stage IN ('transacting', 'service') AND owner_id <> ''`,
		// "Has this customer an open follow-up of this kind?" and the open
		// follow-ups of one kind in id order.
		`CREATE INDEX ix_follow_ups_open_customer_kind ON follow_ups (customer_id, kind) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_open_kind ON follow_ups (kind, id) WHERE closed_at IS NULL`,
	)},
	{Version: 8, Name: "follow-up history: when an escalation step was due beside when it ran", Up: migrate.SQL(
		// Steps recorded before this release stored their scheduled instant
		// in at; it is kept there (when they ran is not known) and copied to
		// scheduled_at, so their lateness reads as zero rather than missing.
		`ALTER TABLE follow_up_events ADD COLUMN scheduled_at TIMESTAMPTZ`,
		`UPDATE follow_up_events SET scheduled_at = at
			WHERE action NOT IN ('opened', 'deadline_changed', 'done', 'cancelled')`,
	)},
	{Version: 9, Name: "user directory: who may own customers", Up: migrate.SQL(
		// Written from every verified token and by admins (see UserRecord).
		`CREATE TABLE users (
			id            VARCHAR(200) PRIMARY KEY,
			name          VARCHAR(200) NOT NULL DEFAULT '',
			roles         VARCHAR(200) NOT NULL DEFAULT '',
			teams         VARCHAR(2000) NOT NULL DEFAULT '',
			source        VARCHAR(10) NOT NULL,
			disabled_at   TIMESTAMPTZ,
			disabled_by   VARCHAR(200),
			first_seen_at TIMESTAMPTZ,
			last_seen_at  TIMESTAMPTZ,
			created_at    TIMESTAMPTZ NOT NULL,
			updated_at    TIMESTAMPTZ NOT NULL
		)`,
		// Everyone who owns a customer today is known (without roles until
		// their next sign-in), so an upgrade does not orphan an owner.
		`INSERT INTO users (id, source, created_at, updated_at)
			SELECT DISTINCT owner_id, 'seed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM customers WHERE owner_id <> ''`,
	)},
	{Version: 10, Name: "duplicate keys survive Unicode disguises: recompute normalized_name and tax_id, record revealed duplicates", Up: func(tx *gorm.DB) error {
		if err := migrate.SQL(
			`CREATE TABLE duplicate_suspects (
				id             VARCHAR(36) PRIMARY KEY,
				customer_id    VARCHAR(36) NOT NULL,
				duplicate_of   VARCHAR(36) NOT NULL,
				matched_on     VARCHAR(20) NOT NULL,
				original_value VARCHAR(200) NOT NULL,
				found_by       VARCHAR(100) NOT NULL,
				found_at       TIMESTAMPTZ NOT NULL
			)`,
			`CREATE INDEX ix_duplicate_suspects_customer ON duplicate_suspects (customer_id)`,
		)(tx); err != nil {
			return err
		}
		return RecomputeKeys("migration 10")(tx)
	}},
	{Version: 11, Name: "care follow-ups recorded by the customer service, filled from the open care follow-ups of the engine", Up: func(tx *gorm.DB) error {
		// The care context's own record of the care follow-ups it opened
		// (services/customer/internal/care): the follow-up engine keeps the
		// follow-ups themselves, in its own database once it moves out. id is
		// the follow-up id; state is open, done or cancelled; epoch is the
		// customer's care epoch when it was opened.
		if err := migrate.SQL(
			`CREATE TABLE care_followups (
				id          VARCHAR(36) PRIMARY KEY,
				customer_id VARCHAR(36) NOT NULL,
				owner_id    VARCHAR(200) NOT NULL,
				policy_key  VARCHAR(40) NOT NULL DEFAULT '',
				anchor_at   TIMESTAMPTZ NOT NULL,
				epoch       BIGINT NOT NULL DEFAULT 0,
				workflow_id VARCHAR(200) NOT NULL,
				opened_at   TIMESTAMPTZ NOT NULL,
				closed_at   TIMESTAMPTZ,
				state       VARCHAR(20) NOT NULL,
				closed_by   VARCHAR(200) NOT NULL DEFAULT '',
				close_note  VARCHAR(2000) NOT NULL DEFAULT ''
			)`,
			// "Has this customer an open care follow-up?" and the open ones in
			// id order: partial, so they hold only the few open rows.
			`CREATE INDEX ix_care_followups_open_customer ON care_followups (customer_id) WHERE closed_at IS NULL`,
			`CREATE INDEX ix_care_followups_open ON care_followups (id) WHERE closed_at IS NULL`,
		)(tx); err != nil {
			return err
		}
		// On an upgraded install the engine's follow_ups table is still here;
		// a fresh install (or one whose engine already moved out) has none.
		if !tx.Migrator().HasTable("follow_ups") {
			return nil
		}
		// Only the open care follow-ups are copied. Care reads only open rows
		// (who is blocked, what to reconcile, what a close notice closes), and
		// the effects of every follow-up closed before this release were
		// applied on its customer in the engine's closing transaction: a
		// closed row would be history nobody reads, and history stays with the
		// engine. The epoch is the customer's current one: no care follow-up
		// of a customer closes while another is open, so it is the epoch the
		// open one was started under.
		return migrate.SQL(
			`INSERT INTO care_followups (id, customer_id, owner_id, policy_key, anchor_at, epoch, workflow_id, opened_at, state)
			SELECT f.id, f.customer_id, f.owner_id, f.policy_key, f.anchor_at,
				COALESCE((SELECT c.care_epoch FROM customers c WHERE c.id = f.customer_id), 0),
				f.workflow_id, f.created_at, 'open'
			FROM follow_ups f WHERE f.kind = 'care_contact' AND f.closed_at IS NULL`,
		)(tx)
	}},
}
