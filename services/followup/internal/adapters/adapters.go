// Package adapters holds the follow-up service's schema: its versioned
// migrations — plain SQL that runs unchanged on PostgreSQL and SQLite — and
// the one-off import of an existing install's rows (importer.go). The
// repositories that read and write those tables, and the caller-scope filter
// every read of follow-ups applies, are in adapters/store.
//
// The schema is the one the customer service's migrations 4, 7 and 8 built
// while the engine lived there; an existing install copies its rows across
// once with `followup import-customer-db` (docs/deploy.md).
package adapters

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
)

// Migrations is the follow-up service's schema history. Never edit a shipped entry.
var Migrations = []migrate.Migration{
	{Version: 1, Name: "timer policies, business calendars, follow-ups and their history", Up: migrate.SQL(
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
			at           TIMESTAMPTZ NOT NULL,
			-- For an escalation step: when the ladder had it due (at is when it ran).
			scheduled_at TIMESTAMPTZ
		)`,
		`CREATE INDEX ix_follow_up_events_follow_up ON follow_up_events (follow_up_id, at, id)`,
		// "Has this customer an open follow-up of this kind?" and the open
		// follow-ups of one kind in id order.
		`CREATE INDEX ix_follow_ups_open_customer_kind ON follow_ups (customer_id, kind) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_open_kind ON follow_ups (kind, id) WHERE closed_at IS NULL`,
	)},
	idem.Migration(2),
	{Version: 3, Name: "indexes of closed follow-ups for the on-time statistics", Up: migrate.SQL(
		// The statistics read the follow-ups closed in a range: everyone's
		// (analysts, admins), some teams' (managers) or one owner's (reps).
		// Each index holds every column the query reads, so PostgreSQL
		// answers from the index alone once vacuum has marked the pages
		// all-visible — which closed rows, never changed again, stay.
		`CREATE INDEX ix_follow_ups_closed ON follow_ups (closed_at, team, due_at, state) WHERE closed_at IS NOT NULL`,
		`CREATE INDEX ix_follow_ups_closed_team ON follow_ups (team, closed_at, due_at, state) WHERE closed_at IS NOT NULL`,
		`CREATE INDEX ix_follow_ups_closed_owner ON follow_ups (owner_id, closed_at, team, due_at, state) WHERE closed_at IS NOT NULL`,
	)},
	{Version: 4, Name: "in-app inbox: the messages follow-up steps send, and who read them", Up: migrate.SQL(
		// A message goes to one person (user_id) or to the managers of one
		// team (managers_of), each of whom reads it on their own. Its id is
		// derived from (follow-up, step, recipient): the step's transaction
		// stores it once however often the step is recorded.
		`CREATE TABLE notifications (
			id           VARCHAR(36) PRIMARY KEY,
			follow_up_id VARCHAR(36) NOT NULL,
			kind         VARCHAR(40) NOT NULL,
			title        VARCHAR(300) NOT NULL DEFAULT '',
			customer_id  VARCHAR(36) NOT NULL,
			team         VARCHAR(100) NOT NULL,
			owner_id     VARCHAR(200) NOT NULL,
			level        INTEGER NOT NULL,
			action       VARCHAR(40) NOT NULL,
			user_id      VARCHAR(200),
			managers_of  VARCHAR(100),
			urgent       BOOLEAN NOT NULL DEFAULT FALSE,
			due_at       TIMESTAMPTZ NOT NULL,
			at           TIMESTAMPTZ NOT NULL,
			CHECK ((user_id IS NULL) <> (managers_of IS NULL))
		)`,
		`CREATE INDEX ix_notifications_user ON notifications (user_id, at, id) WHERE user_id IS NOT NULL`,
		`CREATE INDEX ix_notifications_managers ON notifications (managers_of, at, id) WHERE managers_of IS NOT NULL`,
		`CREATE INDEX ix_notifications_follow_up ON notifications (follow_up_id)`,
		`CREATE TABLE notification_reads (
			notification_id VARCHAR(36) NOT NULL,
			user_id         VARCHAR(200) NOT NULL,
			read_at         TIMESTAMPTZ NOT NULL,
			PRIMARY KEY (notification_id, user_id)
		)`,
	)},
	{Version: 5, Name: "notification preferences per person", Up: migrate.SQL(
		// One row per person who chose; everyone else has the defaults
		// (domain.DefaultPreferences). email_kinds is a comma-separated list
		// of event kinds; quiet hours are HH:MM in time_zone.
		`CREATE TABLE notification_preferences (
			user_id     VARCHAR(200) PRIMARY KEY,
			language    VARCHAR(10) NOT NULL,
			time_zone   VARCHAR(100) NOT NULL,
			email       VARCHAR(254) NOT NULL DEFAULT '',
			email_kinds VARCHAR(200) NOT NULL DEFAULT '',
			quiet_from  VARCHAR(5),
			quiet_to    VARCHAR(5),
			digest_hour INTEGER,
			updated_at  TIMESTAMPTZ NOT NULL
		)`,
	)},
	{Version: 6, Name: "who made the change a message tells of", Up: migrate.SQL(
		// The workflow for a ladder step; the person (id and display name)
		// for a reassignment, so its new owner reads who gave it to them.
		`ALTER TABLE notifications ADD COLUMN actor VARCHAR(200) NOT NULL DEFAULT ''`,
		`ALTER TABLE notifications ADD COLUMN actor_name VARCHAR(200) NOT NULL DEFAULT ''`,
	)},
	{Version: 7, Name: "email and webhook deliveries, webhook subscriptions, and who manages which team", Up: migrate.SQL(
		// dispatched_at marks a message whose deliveries have been planned:
		// the messages written before this version were never meant to be
		// emailed, so they count as dispatched.
		`ALTER TABLE notifications ADD COLUMN dispatched_at TIMESTAMPTZ`,
		`UPDATE notifications SET dispatched_at = at`,
		`CREATE INDEX ix_notifications_undispatched ON notifications (at, id) WHERE dispatched_at IS NULL`,
		// A delivery is one message (or one person's daily digest) on one
		// channel to one target: a person's email address, or a webhook
		// subscription. Its id is derived from (message, channel, target),
		// or (person, local date) for a digest; the SMTP Message-ID and the
		// webhook-id are built from it.
		`CREATE TABLE deliveries (
			id              VARCHAR(36) PRIMARY KEY,
			notification_id VARCHAR(36),
			follow_up_id    VARCHAR(36),
			channel         VARCHAR(10) NOT NULL,
			kind            VARCHAR(20) NOT NULL,
			target          VARCHAR(200) NOT NULL,
			address         VARCHAR(254) NOT NULL DEFAULT '',
			language        VARCHAR(10) NOT NULL DEFAULT 'en',
			time_zone       VARCHAR(100) NOT NULL DEFAULT 'UTC',
			urgent          BOOLEAN NOT NULL DEFAULT FALSE,
			status          VARCHAR(12) NOT NULL,
			reason          VARCHAR(40) NOT NULL DEFAULT '',
			attempts        INTEGER NOT NULL DEFAULT 0,
			not_before      TIMESTAMPTZ,
			claimed_until   TIMESTAMPTZ,
			last_error      VARCHAR(1000) NOT NULL DEFAULT '',
			digest_date     VARCHAR(10),
			created_at      TIMESTAMPTZ NOT NULL,
			updated_at      TIMESTAMPTZ NOT NULL,
			sent_at         TIMESTAMPTZ
		)`,
		`CREATE INDEX ix_deliveries_follow_up ON deliveries (follow_up_id) WHERE follow_up_id IS NOT NULL`,
		`CREATE INDEX ix_deliveries_pending ON deliveries (claimed_until) WHERE status = 'pending'`,
		`CREATE INDEX ix_deliveries_status ON deliveries (status, updated_at, id)`,
		`CREATE INDEX ix_deliveries_target ON deliveries (target, created_at)`,
		// Webhook subscriptions, registered by admins. secret is the
		// whsec_ signing secret; previous_secret also signs until
		// previous_until (rotation). failures counts consecutive failed
		// attempts; a subscription is disabled, with its reason, after too
		// many.
		`CREATE TABLE webhook_subscriptions (
			id              VARCHAR(36) PRIMARY KEY,
			url             VARCHAR(2048) NOT NULL,
			description     VARCHAR(300) NOT NULL DEFAULT '',
			event_kinds     VARCHAR(200) NOT NULL,
			secret          VARCHAR(200) NOT NULL,
			previous_secret VARCHAR(200) NOT NULL DEFAULT '',
			previous_until  TIMESTAMPTZ,
			enabled         BOOLEAN NOT NULL,
			disabled_reason VARCHAR(1000) NOT NULL DEFAULT '',
			disabled_at     TIMESTAMPTZ,
			failures        INTEGER NOT NULL DEFAULT 0,
			failing_since   TIMESTAMPTZ,
			created_by      VARCHAR(200) NOT NULL,
			created_at      TIMESTAMPTZ NOT NULL,
			updated_at      TIMESTAMPTZ NOT NULL
		)`,
		// Who is who, as their last signed-in call to this service said:
		// display name, and the teams they manage (a manager) or belong to.
		// Email to "the managers of team X" goes to the managers found here
		// who set an address in their preferences.
		`CREATE TABLE recipients (
			user_id VARCHAR(200) PRIMARY KEY,
			name    VARCHAR(200) NOT NULL DEFAULT '',
			manager BOOLEAN NOT NULL DEFAULT FALSE,
			seen_at TIMESTAMPTZ NOT NULL
		)`,
		`CREATE TABLE recipient_teams (
			user_id VARCHAR(200) NOT NULL,
			team    VARCHAR(100) NOT NULL,
			PRIMARY KEY (user_id, team)
		)`,
		`CREATE INDEX ix_recipient_teams_team ON recipient_teams (team)`,
	)},
	{Version: 8, Name: "the language a webhook subscription's text is written in", Up: migrate.SQL(
		`ALTER TABLE webhook_subscriptions ADD COLUMN language VARCHAR(10) NOT NULL DEFAULT 'en'`,
	)},
	{Version: 9, Name: "the team that asked for a follow-up's work, and when the ladder escalated to its managers", Up: migrate.SQL(
		// requester_team is the team of whoever asked for the work (an info
		// slip's originator; '' for none). Once an escalate_originator step
		// ran (requester_escalated_at), that team's managers see the
		// follow-up on their overdue board: this partial index holds only
		// those open rows, so the board's "my teams' or asked for by my
		// teams" stays two index ranges.
		`ALTER TABLE follow_ups ADD COLUMN requester_team VARCHAR(100) NOT NULL DEFAULT ''`,
		`ALTER TABLE follow_ups ADD COLUMN requester_escalated_at TIMESTAMPTZ`,
		`CREATE INDEX ix_follow_ups_open_requester ON follow_ups (requester_team, due_at, id) WHERE closed_at IS NULL AND requester_escalated_at IS NOT NULL`,
	)},
	{Version: 10, Name: "campaign touch emails: their text, once per campaign, and each touch's recipient and unsubscribe link", Up: migrate.SQL(
		// A campaign's email, the same for all its touches: stored once
		// (id derived from campaign and text), not once per customer.
		`CREATE TABLE touch_email_contents (
			id            VARCHAR(32) PRIMARY KEY,
			campaign_id   VARCHAR(36) NOT NULL,
			campaign_name VARCHAR(200) NOT NULL DEFAULT '',
			subject       VARCHAR(200) NOT NULL,
			body          TEXT NOT NULL,
			language      VARCHAR(10) NOT NULL,
			created_at    TIMESTAMPTZ NOT NULL
		)`,
		// One row per touch email, keyed by its delivery (deliveries.id,
		// kind touch: derived from the touch id, so a touch is emailed
		// once). The delivery row carries the status, attempts and errors
		// like every delivery's.
		`CREATE TABLE touch_emails (
			delivery_id     VARCHAR(36) PRIMARY KEY,
			touch_id        VARCHAR(64) NOT NULL,
			customer_id     VARCHAR(36) NOT NULL,
			step            INTEGER NOT NULL DEFAULT 0,
			address         VARCHAR(254) NOT NULL,
			name            VARCHAR(200) NOT NULL DEFAULT '',
			unsubscribe_url VARCHAR(2048) NOT NULL,
			content_id      VARCHAR(32) NOT NULL REFERENCES touch_email_contents(id),
			created_at      TIMESTAMPTZ NOT NULL
		)`,
		`CREATE UNIQUE INDEX ux_touch_emails_touch ON touch_emails (touch_id)`,
	)},
	{Version: 11, Name: "messages about other records' events (a campaign's), and the campaign event kind by email", Up: migrate.SQL(
		// A message about a campaign's event has no follow-up
		// (follow_up_id and customer_id are ''), names the campaign, links
		// to its page in the console and may carry figures (JSON object of
		// integers: a launch's totals) and the actor's note.
		`ALTER TABLE notifications ADD COLUMN campaign_id VARCHAR(36) NOT NULL DEFAULT ''`,
		`ALTER TABLE notifications ADD COLUMN link VARCHAR(300) NOT NULL DEFAULT ''`,
		`ALTER TABLE notifications ADD COLUMN counts TEXT NOT NULL DEFAULT '{}'`,
		`ALTER TABLE notifications ADD COLUMN note TEXT NOT NULL DEFAULT ''`,
		// A new event kind is on by email for everyone, like every kind
		// of the defaults: those who saved their preferences get it too,
		// unless they turned email off for every kind.
		`UPDATE notification_preferences SET email_kinds = email_kinds || ',campaign' WHERE email_kinds <> ''`,
	)},
	{Version: 12, Name: "the wake-ups a policy rollout owes the workflows whose deadlines it stored", Up: migrate.SQL(
		// A rollout stores every re-computed deadline first, each with its
		// entry here in the same transaction, then signals the entries'
		// workflows soonest next action first and deletes each entry once
		// its workflow is signalled: an entry is a signal owed, kept across
		// crashes. One per follow-up: a later rollout's store takes the
		// entry over. carried: the rollout stored the change, so the signal
		// carries it; wake_at: when the record says the workflow next acts
		// (NULL: its ladder is done).
		`CREATE TABLE rollout_wakes (
			follow_up_id VARCHAR(36) PRIMARY KEY REFERENCES follow_ups(id),
			policy       VARCHAR(100) NOT NULL DEFAULT '',
			calendar     VARCHAR(100) NOT NULL DEFAULT '',
			version      BIGINT NOT NULL DEFAULT 0,
			carried      BOOLEAN NOT NULL,
			wake_at      TIMESTAMPTZ,
			created_at   TIMESTAMPTZ NOT NULL
		)`,
		`CREATE INDEX ix_rollout_wakes_rollout ON rollout_wakes (policy, calendar, version, wake_at, follow_up_id)`,
		`CREATE INDEX ix_rollout_wakes_created ON rollout_wakes (created_at)`,
	)},
}
