package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// noticeRow is a row of notices.
type noticeRow struct {
	ID              string
	Title           string
	Body            string
	Audience        audienceJSON `gorm:"serializer:json"`
	ValidFrom       *time.Time
	ValidUntil      time.Time
	Pinned          bool
	MustAcknowledge bool
	AckDeadline     *time.Time
	State           string
	PublisherID     string
	PublisherName   string
	PublisherTeams  []string `gorm:"serializer:json"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
	PublishedAt     *time.Time
	RevokedAt       *time.Time
	RevokedBy       string
	RevokeReason    string
	Version         int64
}

func (noticeRow) TableName() string { return "notices" }

// audienceJSON is domain.Audience as stored (its JSON names).
type audienceJSON struct {
	Everyone    bool     `json:"everyone,omitempty"`
	Departments []string `json:"departments,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	Teams       []string `json:"teams,omitempty"`
}

func noticeRowOf(n domain.Notice) noticeRow {
	return noticeRow{ID: n.ID, Title: n.Title, Body: n.Body, Audience: audienceJSON(n.Audience), ValidFrom: n.ValidFrom, ValidUntil: n.ValidUntil,
		Pinned: n.Pinned, MustAcknowledge: n.MustAcknowledge, AckDeadline: n.AckDeadline, State: n.State, PublisherID: n.PublisherID,
		PublisherName: n.PublisherName, PublisherTeams: orEmpty(n.PublisherTeams), CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt,
		PublishedAt: n.PublishedAt, RevokedAt: n.RevokedAt, RevokedBy: n.RevokedBy, RevokeReason: n.RevokeReason, Version: n.Version}
}

func (r noticeRow) domain() domain.Notice {
	return domain.Notice{ID: r.ID, Title: r.Title, Body: r.Body, Audience: domain.Audience(r.Audience), ValidFrom: utc(r.ValidFrom),
		ValidUntil: r.ValidUntil.UTC(), Pinned: r.Pinned, MustAcknowledge: r.MustAcknowledge, AckDeadline: utc(r.AckDeadline), State: r.State,
		PublisherID: r.PublisherID, PublisherName: r.PublisherName, PublisherTeams: r.PublisherTeams, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(), PublishedAt: utc(r.PublishedAt), RevokedAt: utc(r.RevokedAt), RevokedBy: r.RevokedBy,
		RevokeReason: r.RevokeReason, Version: r.Version}
}

// writable is what a change of a notice writes: everything but its id,
// publisher and creation.
func (r noticeRow) writable() map[string]any {
	audience, _ := json.Marshal(r.Audience) // a map's values are not serialized by gorm
	return map[string]any{"title": r.Title, "body": r.Body, "audience": string(audience), "valid_from": r.ValidFrom, "valid_until": r.ValidUntil,
		"pinned": r.Pinned, "must_acknowledge": r.MustAcknowledge, "ack_deadline": r.AckDeadline, "state": r.State,
		"updated_at": r.UpdatedAt, "published_at": r.PublishedAt, "revoked_at": r.RevokedAt, "revoked_by": r.RevokedBy,
		"revoke_reason": r.RevokeReason, "version": r.Version}
}

// receiptRow is a row of notice_readers: domain.Receipt field for field.
type receiptRow struct {
	NoticeID        string
	ReaderID        string
	ReaderName      string
	ReaderTeams     []string `gorm:"serializer:json"`
	Pinned          bool
	MustAcknowledge bool
	AckDeadline     *time.Time
	ValidFrom       time.Time
	ValidUntil      time.Time
	PublishedAt     time.Time
	RevokedAt       *time.Time
	AddedAt         time.Time
	ReadAt          *time.Time
	AckedAt         *time.Time
}

func (receiptRow) TableName() string { return "notice_readers" }

func (r receiptRow) domain() domain.Receipt {
	rc := domain.Receipt(r)
	rc.AckDeadline, rc.RevokedAt, rc.ReadAt, rc.AckedAt = utc(rc.AckDeadline), utc(rc.RevokedAt), utc(rc.ReadAt), utc(rc.AckedAt)
	rc.ValidFrom, rc.ValidUntil, rc.PublishedAt, rc.AddedAt = rc.ValidFrom.UTC(), rc.ValidUntil.UTC(), rc.PublishedAt.UTC(), rc.AddedAt.UTC()
	return rc
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Notices stores notices and their readers' receipts.
type Notices struct{ db *gorm.DB }

// NewNotices returns the repository over a migrated database.
func NewNotices(gdb *gorm.DB) *Notices { return &Notices{db: gdb} }

// In returns the repository working inside tx (an idempotent create stores
// its key and the notice in one transaction).
func (r *Notices) In(tx *gorm.DB) *Notices { return &Notices{db: tx} }

// Create stores a new notice (domain.NewNotice).
func (r *Notices) Create(ctx context.Context, n domain.Notice) error {
	row := noticeRowOf(n)
	return r.db.WithContext(ctx).Create(&row).Error
}

// Get returns a notice regardless of who asks (domain.ErrNoticeNotFound
// when there is none); the caller decides who sees it.
func (r *Notices) Get(ctx context.Context, id string) (domain.Notice, error) {
	return getNotice(r.db.WithContext(ctx), id, false)
}

func getNotice(q *gorm.DB, id string, lock bool) (domain.Notice, error) {
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row noticeRow
	err := q.Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Notice{}, domain.ErrNoticeNotFound
	}
	return row.domain(), err
}

// Update applies a change to a notice in one transaction: it loads it with
// a row lock, lets fn change it (a refusal stores nothing), and saves it
// under the version it was loaded at (one more). A revocation is copied
// onto the notice's receipts in the same transaction. It returns the
// notice as stored.
func (r *Notices) Update(ctx context.Context, id string, fn func(*domain.Notice) error) (domain.Notice, error) {
	var out domain.Notice
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		before, err := getNotice(tx, id, true)
		if err != nil {
			return err
		}
		n := before
		if err := fn(&n); err != nil {
			return err
		}
		n.ID, n.PublisherID, n.PublisherName, n.PublisherTeams, n.CreatedAt = before.ID, before.PublisherID, before.PublisherName, before.PublisherTeams, before.CreatedAt
		n.Version = before.Version + 1
		if err := saveNotice(tx, n, before.Version); err != nil {
			return err
		}
		if n.RevokedAt != nil && before.RevokedAt == nil {
			if err := tx.Model(&receiptRow{}).Where("notice_id = ?", id).Update("revoked_at", n.RevokedAt).Error; err != nil {
				return err
			}
		}
		out = n
		return nil
	})
	return out, err
}

// saveNotice writes n over the row stored at version (a compare-and-set).
func saveNotice(tx *gorm.DB, n domain.Notice, version int64) error {
	res := tx.Model(&noticeRow{}).Where("id = ? AND version = ?", n.ID, version).Updates(noticeRowOf(n).writable())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return domain.ErrNoticeVersionConflict
	}
	return nil
}

// Unpublish undoes a publication whose readers could not be resolved (or
// resolved to nobody): the notice is stored again exactly as draft was,
// provided it is still at version published (nothing changed it since),
// and the receipts written meanwhile are removed.
func (r *Notices) Unpublish(ctx context.Context, draft domain.Notice, published int64) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := saveNotice(tx, draft, published); err != nil {
			return err
		}
		return tx.Where("notice_id = ?", draft.ID).Delete(&receiptRow{}).Error
	})
}

// AddReceipts stores the receipts fn makes of a notice, in one transaction
// that holds the notice's row lock (a publication being undone waits, and
// fn sees the notice's state as it stays until the receipts are in). A
// receipt already stored is kept as it is (a retried batch adds nothing).
// It returns how many receipts were added.
func (r *Notices) AddReceipts(ctx context.Context, noticeID string, fn func(domain.Notice) ([]domain.Receipt, error)) (int64, error) {
	var added int64
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := getNotice(tx, noticeID, true)
		if err != nil {
			return err
		}
		rcs, err := fn(n)
		if err != nil || len(rcs) == 0 {
			return err
		}
		added, err = insertReceipts(tx, rcs)
		return err
	})
	return added, err
}

// receiptBatch is how many receipts one INSERT carries (14 parameters
// each: well under both databases' limits).
const receiptBatch = 500

func insertReceipts(tx *gorm.DB, rcs []domain.Receipt) (int64, error) {
	var added int64
	for start := 0; start < len(rcs); start += receiptBatch {
		part := rcs[start:min(start+receiptBatch, len(rcs))]
		rows := make([]receiptRow, len(part))
		for i, rc := range part {
			rows[i] = receiptRow(rc)
			rows[i].ReaderTeams = orEmpty(rows[i].ReaderTeams)
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
		if res.Error != nil {
			return added, res.Error
		}
		added += res.RowsAffected
	}
	return added, nil
}

// CountReceipts is how many readers a notice has.
func (r *Notices) CountReceipts(ctx context.Context, noticeID string) (int64, error) {
	var n int64
	err := r.db.WithContext(ctx).Model(&receiptRow{}).Where("notice_id = ?", noticeID).Count(&n).Error
	return n, err
}

// Receipt returns a reader's receipt of a notice; ok is false when they
// have none.
func (r *Notices) Receipt(ctx context.Context, noticeID, readerID string) (rc domain.Receipt, ok bool, err error) {
	var row receiptRow
	err = r.db.WithContext(ctx).Where("notice_id = ? AND reader_id = ?", noticeID, readerID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Receipt{}, false, nil
	}
	return row.domain(), err == nil, err
}

// UpdateReceipt applies a reader's change of their receipt (read,
// acknowledged) in one transaction: the notice as stored, the receipt
// under a row lock, fn (a refusal stores nothing), and the instants fn set.
// domain.ErrNoticeNotAddressed when the reader has no receipt.
func (r *Notices) UpdateReceipt(ctx context.Context, noticeID, readerID string, fn func(domain.Notice, *domain.Receipt) error) (domain.Receipt, error) {
	var out domain.Receipt
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := getNotice(tx, noticeID, false)
		if err != nil {
			return err
		}
		var row receiptRow
		err = tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("notice_id = ? AND reader_id = ?", noticeID, readerID).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return domain.ErrNoticeNotAddressed
		}
		if err != nil {
			return err
		}
		rc := row.domain()
		if err := fn(n, &rc); err != nil {
			return err
		}
		if !sameInstant(rc.ReadAt, row.ReadAt) || !sameInstant(rc.AckedAt, row.AckedAt) {
			err = tx.Model(&receiptRow{}).Where("notice_id = ? AND reader_id = ?", noticeID, readerID).
				Updates(map[string]any{"read_at": rc.ReadAt, "acked_at": rc.AckedAt}).Error
		}
		out = rc
		return err
	})
	return out, err
}

func sameInstant(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && a.Equal(*b))
}
