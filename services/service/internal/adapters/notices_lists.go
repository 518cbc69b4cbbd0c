package adapters

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// NoticeCursor is a keyset position: in a reader's box (pinned,
// published_at, notice id); in a publisher's box (created_at or
// published_at, id); in a notice's receipts the reader id (ID).
type NoticeCursor struct {
	Pinned bool      `json:"pinned,omitempty"`
	At     time.Time `json:"at"`
	ID     string    `json:"id"`
}

// Received is a reader's receipt with its notice.
type Received struct {
	Notice  domain.Notice
	Receipt domain.Receipt
}

// Box returns a page of a reader's box (domain.BoxInbox, BoxUnread or
// BoxUnacknowledged): their receipts of the notices listed at now — not
// revoked, within their window — pinned first, then newest publication,
// after the position after. Each box is one range of an index of the
// reader's receipts.
func (r *Notices) Box(ctx context.Context, readerID, box string, now time.Time, after *NoticeCursor, limit int) ([]Received, *NoticeCursor, error) {
	q := r.db.WithContext(ctx).Model(&receiptRow{}).Where("reader_id = ?", readerID)
	switch box {
	case domain.BoxUnread:
		q = q.Where("read_at IS NULL")
	case domain.BoxUnacknowledged:
		q = q.Where("must_acknowledge AND acked_at IS NULL")
	}
	now = now.UTC()
	q = q.Where("revoked_at IS NULL AND valid_from <= ? AND valid_until > ?", now, now)
	if after != nil {
		q = q.Where("(pinned, published_at, notice_id) < (?, ?, ?)", after.Pinned, after.At.UTC(), after.ID)
	}
	limit = clamp(limit)
	var rows []receiptRow
	if err := q.Order("pinned DESC, published_at DESC, notice_id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	var next *NoticeCursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = &NoticeCursor{Pinned: last.Pinned, At: last.PublishedAt.UTC(), ID: last.NoticeID}
	}
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.NoticeID
	}
	notices, err := r.byID(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Received, 0, len(rows))
	for _, row := range rows {
		if n, ok := notices[row.NoticeID]; ok {
			out = append(out, Received{Notice: n, Receipt: row.domain()})
		}
	}
	return out, next, nil
}

func (r *Notices) byID(ctx context.Context, ids []string) (map[string]domain.Notice, error) {
	out := make(map[string]domain.Notice, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []noticeRow
	if err := r.db.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, row := range rows {
		out[row.ID] = row.domain()
	}
	return out, nil
}

// Written returns a page of a publisher's box (domain.BoxDrafts newest
// created first, BoxPublished newest published first — revoked ones too),
// after the position after; publisherID "" lists every publisher's (admins).
func (r *Notices) Written(ctx context.Context, publisherID, box string, after *NoticeCursor, limit int) ([]domain.Notice, *NoticeCursor, error) {
	q := r.db.WithContext(ctx).Model(&noticeRow{})
	if publisherID != "" {
		q = q.Where("publisher_id = ?", publisherID)
	}
	col := "created_at"
	if box == domain.BoxPublished {
		col = "published_at"
		q = q.Where("published_at IS NOT NULL")
	} else {
		q = q.Where("state = ?", domain.NoticeDraft)
	}
	if after != nil {
		q = q.Where("("+col+", id) < (?, ?)", after.At.UTC(), after.ID)
	}
	limit = clamp(limit)
	var rows []noticeRow
	if err := q.Order(col + " DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	var next *NoticeCursor
	out := make([]domain.Notice, 0, len(rows))
	for i, row := range rows {
		if i == limit {
			last := out[limit-1]
			next = &NoticeCursor{At: last.CreatedAt, ID: last.ID}
			if box == domain.BoxPublished {
				next.At = *last.PublishedAt
			}
			break
		}
		out = append(out, row.domain())
	}
	return out, next, nil
}

// ReceiptCounts counts a notice's readers: all, who read it, who
// acknowledged it.
type ReceiptCounts struct {
	Readers, Read, Acknowledged int64
}

// Counts counts a notice's receipts.
func (r *Notices) Counts(ctx context.Context, noticeID string) (ReceiptCounts, error) {
	var c ReceiptCounts
	err := r.db.WithContext(ctx).Raw(`SELECT COUNT(*) AS readers,
			COALESCE(SUM(CASE WHEN read_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS read,
			COALESCE(SUM(CASE WHEN acked_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS acknowledged
		FROM notice_readers WHERE notice_id = ?`, noticeID).Scan(&c).Error
	return c, err
}

// Receipts returns a page of a notice's receipts by reader id, after the
// reader afterReader, of the readers in state (domain.ReceiptUnread, …;
// "" all).
func (r *Notices) Receipts(ctx context.Context, noticeID, state, afterReader string, limit int) ([]domain.Receipt, string, error) {
	q := r.db.WithContext(ctx).Where("notice_id = ? AND reader_id > ?", noticeID, afterReader)
	switch state {
	case domain.ReceiptUnread:
		q = q.Where("read_at IS NULL")
	case domain.ReceiptRead:
		q = q.Where("read_at IS NOT NULL")
	case domain.ReceiptAcknowledged:
		q = q.Where("acked_at IS NOT NULL")
	case domain.ReceiptUnacknowledged:
		q = q.Where("acked_at IS NULL")
	}
	limit = clamp(limit)
	var rows []receiptRow
	if err := q.Order("reader_id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ReaderID
	}
	out := make([]domain.Receipt, len(rows))
	for i, row := range rows {
		out[i] = row.domain()
	}
	return out, next, nil
}

// Unacknowledged returns up to limit receipts of a notice whose readers
// have not acknowledged it, by reader id after afterReader ("" from the
// first): what chases the readers of a must-acknowledge notice after its
// deadline pages through.
func (r *Notices) Unacknowledged(ctx context.Context, noticeID, afterReader string, limit int) ([]domain.Receipt, error) {
	out, _, err := r.Receipts(ctx, noticeID, domain.ReceiptUnacknowledged, afterReader, limit)
	return out, err
}

// Acknowledged returns which of the readers have acknowledged the notice.
func (r *Notices) Acknowledged(ctx context.Context, noticeID string, readerIDs []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(readerIDs) == 0 {
		return out, nil
	}
	var ids []string
	if err := r.db.WithContext(ctx).Model(&receiptRow{}).Where("notice_id = ? AND reader_id IN ? AND acked_at IS NOT NULL", noticeID, readerIDs).
		Pluck("reader_id", &ids).Error; err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// LatestPublication is the instant of the latest publication (nil: none).
func (r *Notices) LatestPublication(ctx context.Context) (*time.Time, error) {
	var rows []noticeRow
	err := r.db.WithContext(ctx).Select("published_at", "id").Where("published_at IS NOT NULL").
		Order("published_at DESC, id DESC").Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return utc(rows[0].PublishedAt), nil
}

// syncRow is a row of notice_reader_sync.
type syncRow struct {
	ReaderID string
	SyncedTo time.Time
	SyncedAt time.Time
}

func (syncRow) TableName() string { return "notice_reader_sync" }

// SyncedTo is the instant up to which a reader's receipts are complete (nil:
// never synced).
func (r *Notices) SyncedTo(ctx context.Context, readerID string) (*time.Time, error) {
	var rows []syncRow
	if err := r.db.WithContext(ctx).Where("reader_id = ?", readerID).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return nil, err
	}
	return utc(&rows[0].SyncedTo), nil
}

// Sync completes a reader's receipts: of the notices published after since
// (nil: ever), still published and not ended at now, of which the reader has
// no receipt, it stores the receipts fn makes (fn decides whether the
// notice addresses the reader), and records the reader's receipts complete
// up to `to` (never moving it back). It returns how many receipts it added.
func (r *Notices) Sync(ctx context.Context, readerID string, since *time.Time, to, now time.Time, fn func(domain.Notice) (domain.Receipt, bool)) (int64, error) {
	var added int64
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&noticeRow{}).Select("id", "audience", "valid_from", "valid_until", "pinned", "must_acknowledge", "ack_deadline",
			"state", "published_at", "revoked_at").
			Where("published_at IS NOT NULL AND state = ? AND valid_until > ?", domain.NoticePublished, now.UTC()).
			Where("NOT EXISTS (SELECT 1 FROM notice_readers x WHERE x.notice_id = notices.id AND x.reader_id = ?)", readerID)
		if since != nil {
			q = q.Where("published_at > ?", since.UTC())
		}
		var rows []noticeRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		byID := map[string]domain.Receipt{}
		var ids []string
		for _, row := range rows {
			if rc, ok := fn(row.domain()); ok {
				byID[row.ID] = rc
				ids = append(ids, row.ID)
			}
		}
		if len(ids) > 0 {
			// Only notices still published when the receipts go in: a
			// publication being undone (Unpublish) waits for this, or this
			// for it.
			var still []string
			if err := tx.Model(&noticeRow{}).Clauses(clause.Locking{Strength: "SHARE"}).Where("id IN ? AND state = ?", ids, domain.NoticePublished).
				Pluck("id", &still).Error; err != nil {
				return err
			}
			rcs := make([]domain.Receipt, 0, len(still))
			for _, id := range still {
				rcs = append(rcs, byID[id])
			}
			var err error
			if added, err = insertReceipts(tx, rcs); err != nil {
				return err
			}
		}
		return tx.Exec(`INSERT INTO notice_reader_sync (reader_id, synced_to, synced_at) VALUES (?, ?, ?)
			ON CONFLICT (reader_id) DO UPDATE SET synced_to = excluded.synced_to, synced_at = excluded.synced_at
			WHERE notice_reader_sync.synced_to < excluded.synced_to`, readerID, to.UTC(), now.UTC()).Error
	})
	return added, err
}
