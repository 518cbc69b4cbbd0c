package schema

import (
	"github.com/closeloop/closeloop/platform/db/migrate"
)

// Visits is the schema of the visits context (internal/visits).
var Visits = []migrate.Migration{
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
}
