package adapters

import "github.com/closeloop/closeloop/platform/db/migrate"

// noticeMigrations are the notices' tables (versions 30–39).
var noticeMigrations = []migrate.Migration{
	{Version: 30, Name: "notices, one receipt per notice and reader, and how far each reader's receipts are complete", Up: migrate.SQL(
		// A notice as its publisher wrote it. audience and publisher_teams
		// are JSON lists (the domain reads them; no rule looks inside them
		// in SQL). valid_from is null in a draft that starts when published.
		`CREATE TABLE notices (
			id               VARCHAR(36) PRIMARY KEY,
			title            VARCHAR(200) NOT NULL,
			body             TEXT NOT NULL DEFAULT '',
			audience         TEXT NOT NULL,
			valid_from       TIMESTAMPTZ,
			valid_until      TIMESTAMPTZ NOT NULL,
			pinned           BOOLEAN NOT NULL DEFAULT false,
			must_acknowledge BOOLEAN NOT NULL DEFAULT false,
			ack_deadline     TIMESTAMPTZ,
			state            VARCHAR(20) NOT NULL,
			publisher_id     VARCHAR(200) NOT NULL,
			publisher_name   VARCHAR(200) NOT NULL DEFAULT '',
			publisher_teams  TEXT NOT NULL DEFAULT '[]',
			created_at       TIMESTAMPTZ NOT NULL,
			updated_at       TIMESTAMPTZ NOT NULL,
			published_at     TIMESTAMPTZ,
			revoked_at       TIMESTAMPTZ,
			revoked_by       VARCHAR(200) NOT NULL DEFAULT '',
			revoke_reason    TEXT NOT NULL DEFAULT '',
			version          BIGINT NOT NULL DEFAULT 1
		)`,
		// The publishers' boxes, newest first: drafts by creation, published
		// (and revoked) notices by publication — theirs, and everyone's for
		// admins. The publication index also answers the latest publication
		// and the notices published since an instant (a new reader's sync).
		`CREATE INDEX ix_notices_drafts ON notices (publisher_id, state, created_at, id)`,
		`CREATE INDEX ix_notices_all_drafts ON notices (state, created_at, id)`,
		`CREATE INDEX ix_notices_publisher ON notices (publisher_id, published_at, id) WHERE published_at IS NOT NULL`,
		`CREATE INDEX ix_notices_published ON notices (published_at, id) WHERE published_at IS NOT NULL`,
		// One row per notice and reader, written when the notice is
		// published (or when a reader joins its audience later). What a
		// reader's list sorts and filters by is copied from the notice, so
		// that each list is one index range of the reader's rows: the inbox
		// (pinned first, then newest publication), the unread and the
		// unacknowledged ones (partial indexes: only the rows still owed).
		// reader_teams is a JSON list (who to escalate to).
		`CREATE TABLE notice_readers (
			notice_id        VARCHAR(36) NOT NULL REFERENCES notices(id),
			reader_id        VARCHAR(200) NOT NULL,
			reader_name      VARCHAR(200) NOT NULL DEFAULT '',
			reader_teams     TEXT NOT NULL DEFAULT '[]',
			pinned           BOOLEAN NOT NULL DEFAULT false,
			must_acknowledge BOOLEAN NOT NULL DEFAULT false,
			ack_deadline     TIMESTAMPTZ,
			valid_from       TIMESTAMPTZ NOT NULL,
			valid_until      TIMESTAMPTZ NOT NULL,
			published_at     TIMESTAMPTZ NOT NULL,
			revoked_at       TIMESTAMPTZ,
			added_at         TIMESTAMPTZ NOT NULL,
			read_at          TIMESTAMPTZ,
			acked_at         TIMESTAMPTZ,
			PRIMARY KEY (notice_id, reader_id)
		)`,
		`CREATE INDEX ix_notice_readers_inbox ON notice_readers (reader_id, pinned, published_at, notice_id)`,
		`CREATE INDEX ix_notice_readers_unread ON notice_readers (reader_id, pinned, published_at, notice_id) WHERE read_at IS NULL`,
		`CREATE INDEX ix_notice_readers_unacked ON notice_readers (reader_id, pinned, published_at, notice_id) WHERE must_acknowledge AND acked_at IS NULL`,
		// A reader's receipts are complete for every notice published up to
		// synced_to: a reader who joined an audience after its publication
		// gets the missing rows on their next list (app.Notices).
		`CREATE TABLE notice_reader_sync (
			reader_id VARCHAR(200) PRIMARY KEY,
			synced_to TIMESTAMPTZ NOT NULL,
			synced_at TIMESTAMPTZ NOT NULL
		)`,
	)},
}
