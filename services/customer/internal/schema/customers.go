package schema

import (
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
)

// Customers is the schema of the customer master data: customers, contacts,
// stage history, the audit trail, idempotency keys, the user directory and
// duplicate suspects.
var Customers = []migrate.Migration{
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
		return adapters.RecomputeKeys("migration 10")(tx)
	}},

	{Version: 16, Name: "lost customers: when, why and to which competitor; segment pages by stage in id order", Up: migrate.SQL(
		// A lifecycle change to lost may name the competitor the customer
		// went to; the customer row keeps when it became lost, why and to
		// whom while it stays lost (cleared when it leaves lost), so that a
		// segment filters and shows them without reading the history.
		`ALTER TABLE stage_changes ADD COLUMN competitor VARCHAR(100) NOT NULL DEFAULT ''`,
		`ALTER TABLE customers ADD COLUMN lost_at TIMESTAMPTZ`,
		`ALTER TABLE customers ADD COLUMN lost_reason VARCHAR(2000) NOT NULL DEFAULT ''`,
		`ALTER TABLE customers ADD COLUMN lost_competitor VARCHAR(100) NOT NULL DEFAULT ''`,
		// The customers lost today became lost at their latest change to
		// lost (its reason, unless it was their creation); one without any
		// (none exists: every create records its first stage) at its last
		// update.
		`UPDATE customers SET lost_at = (
			SELECT MAX(s.at) FROM stage_changes s
			WHERE s.customer_id = customers.id AND s.kind = 'lifecycle' AND s.to_stage = 'lost')
		WHERE lifecycle_stage = 'lost'`,
		`UPDATE customers SET lost_reason = COALESCE((
			SELECT s.reason FROM stage_changes s
			WHERE s.customer_id = customers.id AND s.kind = 'lifecycle' AND s.to_stage = 'lost' AND s.from_stage <> ''
			ORDER BY s.at DESC, s.id DESC LIMIT 1), '')
		WHERE lifecycle_stage = 'lost'`,
		`UPDATE customers SET lost_at = updated_at WHERE lifecycle_stage = 'lost' AND lost_at IS NULL`,
		// A campaign's segment is read a page at a time in id order
		// (customer.SegmentPage). Most segments name one lifecycle stage
		// (win-back: lost; care campaigns: transacting or service): this
		// index walks that stage's live customers in id order from the
		// cursor, so a page reads its own rows and not the whole table.
		// Other filters are applied on the way (along the primary key when
		// no single stage is named).
		`CREATE INDEX ix_customers_stage_id ON customers (lifecycle_stage, id) WHERE deleted_at IS NULL`,
	)},
}
