// Package adapters holds the after-sales service's storage and its versioned
// migrations: plain SQL that runs unchanged on PostgreSQL and SQLite, and gorm
// repositories that load facts and store decisions (the domain decides), each
// multi-row change in one transaction owned by this package.
package adapters

import (
	"slices"

	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
)

// Migrations is the after-sales service's schema history, in version order
// across the files that hold its parts (cases here, surveys and reports in
// their own files). Never edit a shipped entry.
var Migrations = slices.Concat(caseMigrations, surveyMigrations, reportMigrations, slipMigrations, noticeMigrations, standingMigrations)

// caseMigrations are the cases' own tables.
var caseMigrations = []migrate.Migration{
	idem.Migration(1),
	{Version: 2, Name: "service cases, their timeline and SLA targets", Up: migrate.SQL(
		`CREATE TABLE cases (
			id                VARCHAR(36) PRIMARY KEY,
			customer_id       VARCHAR(36) NOT NULL,
			contact_id        VARCHAR(36) NOT NULL DEFAULT '',
			asset             VARCHAR(200) NOT NULL DEFAULT '',
			opportunity_id    VARCHAR(36) NOT NULL DEFAULT '',
			type              VARCHAR(20) NOT NULL,
			priority          VARCHAR(2) NOT NULL,
			channel           VARCHAR(20) NOT NULL,
			subject           VARCHAR(200) NOT NULL,
			description       TEXT NOT NULL DEFAULT '',
			state             VARCHAR(20) NOT NULL,
			assignee_id       VARCHAR(200) NOT NULL DEFAULT '',
			team              VARCHAR(100) NOT NULL,
			customer_owner_id VARCHAR(200) NOT NULL DEFAULT '',
			customer_team     VARCHAR(100) NOT NULL DEFAULT '',
			follow_on_of      VARCHAR(36) NOT NULL DEFAULT '',
			reopened_count    INTEGER NOT NULL DEFAULT 0,
			version           BIGINT NOT NULL DEFAULT 1,
			created_by        VARCHAR(200) NOT NULL,
			created_at        TIMESTAMPTZ NOT NULL,
			updated_at        TIMESTAMPTZ NOT NULL,
			first_response_at TIMESTAMPTZ,
			resolved_at       TIMESTAMPTZ,
			closed_at         TIMESTAMPTZ
		)`,
		// Lists are newest first, (created_at, id) keyset pages: by team (a
		// queue, a manager's teams), by assignee (my cases), by state, by
		// customer (the customer's history), by the customer's owner and
		// team (sales people reading their customers' cases), and unfiltered.
		`CREATE INDEX ix_cases_team ON cases (team, created_at, id)`,
		`CREATE INDEX ix_cases_team_state ON cases (team, state, created_at, id)`,
		`CREATE INDEX ix_cases_assignee ON cases (assignee_id, created_at, id)`,
		`CREATE INDEX ix_cases_state ON cases (state, created_at, id)`,
		`CREATE INDEX ix_cases_customer ON cases (customer_id, created_at, id)`,
		`CREATE INDEX ix_cases_customer_owner ON cases (customer_owner_id, created_at, id)`,
		`CREATE INDEX ix_cases_customer_team ON cases (customer_team, created_at, id)`,
		`CREATE INDEX ix_cases_created ON cases (created_at, id)`,
		`CREATE INDEX ix_cases_follow_on ON cases (follow_on_of) WHERE follow_on_of <> ''`,
		// Resolved cases waiting to be closed after the policy's period.
		`CREATE INDEX ix_cases_resolved ON cases (resolved_at) WHERE state = 'resolved'`,
		`CREATE TABLE case_entries (
			id          VARCHAR(120) PRIMARY KEY,
			case_id     VARCHAR(36) NOT NULL REFERENCES cases(id),
			kind        VARCHAR(30) NOT NULL,
			actor       VARCHAR(200) NOT NULL,
			at          TIMESTAMPTZ NOT NULL,
			visibility  VARCHAR(10) NOT NULL,
			body        TEXT NOT NULL DEFAULT '',
			direction   VARCHAR(10) NOT NULL DEFAULT '',
			from_value  VARCHAR(200) NOT NULL DEFAULT '',
			to_value    VARCHAR(200) NOT NULL DEFAULT '',
			from_team   VARCHAR(100) NOT NULL DEFAULT '',
			to_team     VARCHAR(100) NOT NULL DEFAULT '',
			reason      TEXT NOT NULL DEFAULT '',
			target      VARCHAR(30) NOT NULL DEFAULT '',
			due_at      TIMESTAMPTZ
		)`,
		`CREATE INDEX ix_case_entries_case ON case_entries (case_id, at, id)`,
		// One row per case and target (first_response, resolution), written
		// by the case workflow as its SLA clock runs: state running, paused,
		// met or breached; paused_ms is the time spent waiting for the
		// customer. The index lists what is breached or at risk (warn_at
		// passed) by state and instant.
		`CREATE TABLE case_sla (
			case_id     VARCHAR(36) NOT NULL REFERENCES cases(id),
			target      VARCHAR(30) NOT NULL,
			state       VARCHAR(20) NOT NULL,
			due_at      TIMESTAMPTZ,
			warn_at     TIMESTAMPTZ,
			paused_ms   BIGINT NOT NULL DEFAULT 0,
			met_at      TIMESTAMPTZ,
			breached_at TIMESTAMPTZ,
			PRIMARY KEY (case_id, target)
		)`,
		`CREATE INDEX ix_case_sla_due ON case_sla (state, due_at, case_id)`,
		`CREATE INDEX ix_case_sla_warn ON case_sla (state, warn_at, case_id)`,
	)}, {Version: 3, Name: "case contacts and closing, SLA clock rows", Up: migrate.SQL(
		// Who a survey goes to and in which language; whether the customer
		// asked for the close (no survey then).
		`ALTER TABLE cases ADD COLUMN contact_email VARCHAR(254) NOT NULL DEFAULT ''`,
		`ALTER TABLE cases ADD COLUMN language VARCHAR(10) NOT NULL DEFAULT ''`,
		`ALTER TABLE cases ADD COLUMN closed_by_customer BOOLEAN NOT NULL DEFAULT false`,
		// When the customer reported it, if before the filing: the SLA
		// clocks count from then.
		`ALTER TABLE cases ADD COLUMN reported_at TIMESTAMPTZ`,
		// When the case's workflow was started: a case filed while the
		// workflow engine could not be reached is started later (outbox).
		`ALTER TABLE cases ADD COLUMN workflow_started_at TIMESTAMPTZ`,
		`CREATE INDEX ix_cases_unstarted ON cases (created_at) WHERE workflow_started_at IS NULL`,
		// The clock as the case workflow last wrote it: the priority and
		// budget it counts, whether in business time and on which calendar,
		// the hold in progress, the warning point passed, the counted time
		// when the target was met (what reports take medians of), the
		// remaining time as of updated_at, and the follow-up that chases it.
		`ALTER TABLE case_sla ADD COLUMN priority VARCHAR(2) NOT NULL DEFAULT ''`,
		`ALTER TABLE case_sla ADD COLUMN budget_ms BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE case_sla ADD COLUMN business BOOLEAN NOT NULL DEFAULT true`,
		`ALTER TABLE case_sla ADD COLUMN calendar VARCHAR(100) NOT NULL DEFAULT ''`,
		`ALTER TABLE case_sla ADD COLUMN paused_since TIMESTAMPTZ`,
		`ALTER TABLE case_sla ADD COLUMN warned_at TIMESTAMPTZ`,
		`ALTER TABLE case_sla ADD COLUMN used_ms BIGINT`,
		`ALTER TABLE case_sla ADD COLUMN remaining_ms BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE case_sla ADD COLUMN follow_up_id VARCHAR(36) NOT NULL DEFAULT ''`,
		`ALTER TABLE case_sla ADD COLUMN updated_at TIMESTAMPTZ`,
	)},
}
