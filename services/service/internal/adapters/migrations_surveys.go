package adapters

import "github.com/closeloop/closeloop/platform/db/migrate"

// surveyMigrations are the satisfaction surveys' tables (versions 4–).
var surveyMigrations = []migrate.Migration{
	{Version: 4, Name: "satisfaction surveys of closed cases, cases not surveyed and why, the customers' last recommend question", Up: migrate.SQL(
		// One row per surveyed case (case_id is unique: a case is surveyed at
		// most once). The case's customer, team, priority and type are copied
		// as they were at closing, for the reports. token_hash is the SHA-256
		// (hex) of the link's token; the token itself is stored nowhere.
		// sent_at is when the survey was issued (its link works from then);
		// delivered_at when the mail relay took the email. answered_at, csat,
		// nps stay null until the one answer; comment '' for none.
		`CREATE TABLE case_surveys (
			id                    VARCHAR(36) PRIMARY KEY,
			case_id               VARCHAR(36) NOT NULL REFERENCES cases(id),
			customer_id           VARCHAR(36) NOT NULL,
			team                  VARCHAR(100) NOT NULL,
			priority              VARCHAR(2) NOT NULL,
			type                  VARCHAR(20) NOT NULL,
			language              VARCHAR(10) NOT NULL DEFAULT '',
			token_hash            VARCHAR(64) NOT NULL,
			delivery              VARCHAR(10) NOT NULL,
			delivery_state        VARCHAR(10) NOT NULL,
			delivery_attempts     INTEGER NOT NULL DEFAULT 0,
			delivery_error        VARCHAR(300) NOT NULL DEFAULT '',
			asks_nps              BOOLEAN NOT NULL DEFAULT false,
			closed_at             TIMESTAMPTZ NOT NULL,
			sent_at               TIMESTAMPTZ NOT NULL,
			expires_at            TIMESTAMPTZ NOT NULL,
			delivered_at          TIMESTAMPTZ,
			answered_at           TIMESTAMPTZ,
			csat                  INTEGER,
			nps                   INTEGER,
			comment               TEXT NOT NULL DEFAULT '',
			recovery_state        VARCHAR(10) NOT NULL DEFAULT '',
			recovery_follow_up_id VARCHAR(36) NOT NULL DEFAULT '',
			recovery_opened_at    TIMESTAMPTZ
		)`,
		`CREATE UNIQUE INDEX ux_case_surveys_case ON case_surveys (case_id)`,
		`CREATE UNIQUE INDEX ux_case_surveys_token ON case_surveys (token_hash)`,
		// A customer's history, newest answer first; reports by answer week.
		`CREATE INDEX ix_case_surveys_customer ON case_surveys (customer_id, answered_at, id)`,
		`CREATE INDEX ix_case_surveys_answered ON case_surveys (answered_at, team)`,
		// Recovery calls whose follow-up is still to be started.
		`CREATE INDEX ix_case_surveys_recovery ON case_surveys (recovery_state) WHERE recovery_state = 'pending'`,
		// Closed cases that get no survey, and why (closed_by_customer,
		// follow_on_surveyed, not_sampled): decided once, like a survey.
		`CREATE TABLE case_survey_skips (
			case_id     VARCHAR(36) PRIMARY KEY REFERENCES cases(id),
			customer_id VARCHAR(36) NOT NULL,
			reason      VARCHAR(30) NOT NULL,
			decided_at  TIMESTAMPTZ NOT NULL
		)`,
		// When each customer was last asked the recommend question (NPS),
		// and how often: claimed with a compare-and-set on asks in the
		// transaction that issues a survey, so two cases closing together
		// ask it once per period.
		`CREATE TABLE customer_nps_asks (
			customer_id VARCHAR(36) PRIMARY KEY,
			asked_at    TIMESTAMPTZ NOT NULL,
			asks        INTEGER NOT NULL DEFAULT 1
		)`,
	)},
}
