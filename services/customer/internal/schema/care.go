package schema

import (
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db/migrate"
)

// Care is the schema of the care context (internal/care). Migration 7 also
// indexes the engine's follow_ups table, which lived in this database then.
var Care = []migrate.Migration{
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
		// The sweep's candidates: customers in care by class, oldest anchor
		// first. Replaced by migration 20 (without the class).
		`CREATE INDEX ix_customers_care ON customers (value_class, care_from, id)
			WHERE deleted_at IS NULL AND lifecycle_stage IN ('transacting', 'service') AND owner_id <> ''`,
		// "Has this customer an open follow-up of this kind?" and the open
		// follow-ups of one kind in id order.
		`CREATE INDEX ix_follow_ups_open_customer_kind ON follow_ups (customer_id, kind) WHERE closed_at IS NULL`,
		`CREATE INDEX ix_follow_ups_open_kind ON follow_ups (kind, id) WHERE closed_at IS NULL`,
	)},

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

	{Version: 12, Name: "care terms of the latest sweep, for the care status and coverage the API answers", Up: migrate.SQL(
		// One row (id 1): the care terms (care.cadence version, business
		// calendars and their assignments; protojson of CareTerms) that the
		// latest care sweep resolved at resolved_at and handed to its pages.
		`CREATE TABLE care_terms (
			id              INTEGER PRIMARY KEY,
			cadence_version BIGINT NOT NULL,
			terms           TEXT NOT NULL,
			resolved_at     TIMESTAMPTZ NOT NULL,
			received_at     TIMESTAMPTZ NOT NULL
		)`,
	)},

	{Version: 20, Name: "care index without the value class, so that an ABC class change is a HOT update", Up: migrate.SQL(
		// Migration 7's care index led with value_class. Any index on a
		// column (key, INCLUDE or predicate) makes PostgreSQL write a new
		// entry in every index of the table when the column changes: each
		// ABC class change cost about twenty index writes (the trigram
		// index's among them) instead of none. Without it the class change
		// is a HOT update wherever the page has room (customers has
		// fillfactor 85, migration 3). The sweep still walks its range in
		// anchor order and filters the class on the way (care.OpenPage).
		// The index is rebuilt in the migration's transaction: writes to
		// customers wait for it (about 2 s per million customers, measured).
		`DROP INDEX ix_customers_care`,
		`CREATE INDEX ix_customers_care ON customers (care_from, id)
			WHERE deleted_at IS NULL AND lifecycle_stage IN ('transacting', 'service') AND owner_id <> ''`,
	)},

	{Version: 21, Name: "care anchor of customers created through the API: their creation, not the zero instant", Up: migrate.SQL(
		// Customers created one at a time (the API, a lead's customer) got
		// the zero instant as their care anchor: the default was taken before
		// the creation time was set. A customer created straight into a care
		// stage was then due at once, its care status said it had no anchor.
		// Their anchor is their creation — or their latest contact, had one
		// been logged (a contact moves the anchor forward, so none was). A
		// care follow-up a sweep opened on the zero anchor is cancelled by the
		// next sweep ("the care cadence restarted"), and the next one opens
		// when the contact falls due from the creation.
		`UPDATE customers SET care_from = last_contact_at
			WHERE care_from < '1000-01-01' AND last_contact_at IS NOT NULL AND last_contact_at > created_at`,
		`UPDATE customers SET care_from = created_at WHERE care_from < '1000-01-01'`,
	)},
}
