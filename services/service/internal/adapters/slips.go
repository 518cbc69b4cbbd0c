package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Slips stores info slips: one row per slip (slips), one per recipient part
// (slip_recipients), the originator's teams (slip_originator_teams) and the
// timeline (slip_entries). The domain decides every change (domain.NewSlip,
// domain.ApplySlip); this stores it, in one transaction per change.
type Slips struct{ db *gorm.DB }

// NewSlips returns the repository over a migrated database.
func NewSlips(gdb *gorm.DB) *Slips { return &Slips{db: gdb} }

// In returns the repository working inside tx (an idempotent create stores
// its key and the slip in one transaction).
func (r *Slips) In(tx *gorm.DB) *Slips { return &Slips{db: tx} }

// slipRow is a row of slips: domain.Slip without its lists.
type slipRow struct {
	ID                                                      string
	CustomerID, CustomerName, CustomerOwnerID, CustomerTeam string
	ContactID, LeadID, OpportunityID, CaseID, VisitID       string
	Subject, Body, Category, Urgency                        string
	Attachments                                             string // JSON: []slipAttachmentJSON
	DueAt                                                   *time.Time
	OriginatorID, OriginatorName                            string
	State                                                   string
	Version                                                 int64
	CreatedAt, UpdatedAt                                    time.Time
	ClosedAt                                                *time.Time
	ClosedBy                                                string
	WithdrawnAt                                             *time.Time
	WithdrawReason                                          string
	AllDoneAt                                               *time.Time
}

func (slipRow) TableName() string { return "slips" }

// slipAttachmentJSON is how an attachment is stored (the names are the
// stored format: keep them).
type slipAttachmentJSON struct {
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"`
}

func slipRowOf(s domain.Slip) (slipRow, error) {
	as := make([]slipAttachmentJSON, len(s.Attachments))
	for i, a := range s.Attachments {
		as[i] = slipAttachmentJSON(a)
	}
	js, err := json.Marshal(as)
	if err != nil {
		return slipRow{}, err
	}
	return slipRow{
		ID: s.ID, CustomerID: s.CustomerID, CustomerName: s.CustomerName, CustomerOwnerID: s.CustomerOwnerID, CustomerTeam: s.CustomerTeam,
		ContactID: s.ContactID, LeadID: s.LeadID, OpportunityID: s.OpportunityID, CaseID: s.CaseID, VisitID: s.VisitID,
		Subject: s.Subject, Body: s.Body, Category: s.Category, Urgency: s.Urgency, Attachments: string(js), DueAt: s.DueAt,
		OriginatorID: s.OriginatorID, OriginatorName: s.OriginatorName, State: s.State, Version: s.Version,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, ClosedAt: s.ClosedAt, ClosedBy: s.ClosedBy,
		WithdrawnAt: s.WithdrawnAt, WithdrawReason: s.WithdrawReason, AllDoneAt: s.AllDoneAt,
	}, nil
}

func (r slipRow) domain() (domain.Slip, error) {
	var as []slipAttachmentJSON
	if err := json.Unmarshal([]byte(r.Attachments), &as); err != nil {
		return domain.Slip{}, fmt.Errorf("slip %s: attachments: %w", r.ID, err)
	}
	s := domain.Slip{
		ID: r.ID, CustomerID: r.CustomerID, CustomerName: r.CustomerName, CustomerOwnerID: r.CustomerOwnerID, CustomerTeam: r.CustomerTeam,
		ContactID: r.ContactID, LeadID: r.LeadID, OpportunityID: r.OpportunityID, CaseID: r.CaseID, VisitID: r.VisitID,
		Subject: r.Subject, Body: r.Body, Category: r.Category, Urgency: r.Urgency, DueAt: utc(r.DueAt),
		OriginatorID: r.OriginatorID, OriginatorName: r.OriginatorName, State: r.State, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), ClosedAt: utc(r.ClosedAt), ClosedBy: r.ClosedBy,
		WithdrawnAt: utc(r.WithdrawnAt), WithdrawReason: r.WithdrawReason, AllDoneAt: utc(r.AllDoneAt),
	}
	for _, a := range as {
		s.Attachments = append(s.Attachments, domain.SlipAttachment(a))
	}
	return s, nil
}

// writable is what a change after filing may write of the slip's row.
func (r slipRow) writable() map[string]any {
	return map[string]any{"state": r.State, "version": r.Version, "updated_at": r.UpdatedAt, "closed_at": r.ClosedAt,
		"closed_by": r.ClosedBy, "withdrawn_at": r.WithdrawnAt, "withdraw_reason": r.WithdrawReason, "all_done_at": r.AllDoneAt}
}

// slipRecipientRow is a row of slip_recipients: a domain.Recipient of a slip.
type slipRecipientRow struct {
	SlipID           string `gorm:"primaryKey"`
	domain.Recipient `gorm:"embedded"`
}

func (slipRecipientRow) TableName() string { return "slip_recipients" }

func (r slipRecipientRow) domain() domain.Recipient {
	d := r.Recipient
	d.ReceivedAt = d.ReceivedAt.UTC()
	d.RoutedAt, d.AcknowledgedAt, d.DoneAt, d.RejectedAt = utc(d.RoutedAt), utc(d.AcknowledgedAt), utc(d.DoneAt), utc(d.RejectedAt)
	return d
}

// slipTeamRow is a row of slip_originator_teams.
type slipTeamRow struct {
	SlipID string
	N      int
	Team   string
}

func (slipTeamRow) TableName() string { return "slip_originator_teams" }

// slipEntryRow is a row of slip_entries: domain.SlipEntry field for field.
type slipEntryRow struct {
	ID        string
	SlipID    string
	Kind      string
	Actor     string
	At        time.Time
	Recipient int32
	Body      string
	Reason    string
	From      string `gorm:"column:from_value"`
	To        string `gorm:"column:to_value"`
}

func (slipEntryRow) TableName() string { return "slip_entries" }

// Create stores a new slip (domain.NewSlip) with its recipients and its
// "created" entry, unless a slip with its id is stored: a retried create
// changes nothing. It returns the stored slip.
func (r *Slips) Create(ctx context.Context, s domain.Slip, first domain.SlipEntry) (domain.Slip, error) {
	row, err := slipRowOf(s)
	if err != nil {
		return domain.Slip{}, err
	}
	err = r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if err := addSlipRecipients(tx, s.ID, s.Recipients); err != nil {
			return err
		}
		if len(s.OriginatorTeams) > 0 {
			teams := make([]slipTeamRow, len(s.OriginatorTeams))
			for i, t := range s.OriginatorTeams {
				teams[i] = slipTeamRow{SlipID: s.ID, N: i + 1, Team: t}
			}
			if err := tx.Create(&teams).Error; err != nil {
				return err
			}
		}
		return addSlipEntries(tx, s.ID, []domain.SlipEntry{first})
	})
	if err != nil {
		return domain.Slip{}, err
	}
	return r.Get(ctx, s.ID)
}

// Get returns a slip regardless of scope (domain.ErrSlipNotFound when there
// is none); the caller checks the scope (domain.SlipScope.Check).
func (r *Slips) Get(ctx context.Context, id string) (domain.Slip, error) {
	return getSlip(r.db.WithContext(ctx), id, false)
}

func getSlip(q *gorm.DB, id string, lock bool) (domain.Slip, error) {
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var row slipRow
	err := q.Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Slip{}, domain.ErrSlipNotFound
	}
	if err != nil {
		return domain.Slip{}, err
	}
	ss, err := slipsOf(q.Session(&gorm.Session{NewDB: true}), []slipRow{row})
	if err != nil {
		return domain.Slip{}, err
	}
	return ss[0], nil
}

// slipsOf completes rows with their recipients and originator's teams.
func slipsOf(q *gorm.DB, rows []slipRow) ([]domain.Slip, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	var rs []slipRecipientRow
	if err := q.Where("slip_id IN ?", ids).Order("slip_id, n").Find(&rs).Error; err != nil {
		return nil, err
	}
	var ts []slipTeamRow
	if err := q.Where("slip_id IN ?", ids).Order("slip_id, n").Find(&ts).Error; err != nil {
		return nil, err
	}
	recipients, teams := map[string][]domain.Recipient{}, map[string][]string{}
	for _, r := range rs {
		recipients[r.SlipID] = append(recipients[r.SlipID], r.domain())
	}
	for _, t := range ts {
		teams[t.SlipID] = append(teams[t.SlipID], t.Team)
	}
	out := make([]domain.Slip, len(rows))
	for i, row := range rows {
		s, err := row.domain()
		if err != nil {
			return nil, err
		}
		s.Recipients, s.OriginatorTeams = recipients[row.ID], teams[row.ID]
		out[i] = s
	}
	return out, nil
}

// Update applies a change to a slip in one transaction: it loads the slip
// with a row lock, lets fn change it (fn calls domain.ApplySlip and returns
// its entries, or a refusal, which stores nothing), saves it under the
// version it was loaded at (one more) with its changed and new recipient
// parts, and appends the entries. A change that changes nothing and adds
// no entry stores nothing.
//
// A change whose entry ids the caller set and that are already stored was
// applied before: Update stores nothing and returns the stored slip. Set
// the first entry's id; the others get it with a suffix (so they sort after
// it, in order).
//
// Only what a slip's ops change is written: its state and closing,
// withdrawal and all-done instants, and its recipients (none removed). The
// rest — the customer, the subject, the originator — is the filing's and
// stays as stored.
func (r *Slips) Update(ctx context.Context, id string, fn func(*domain.Slip) ([]domain.SlipEntry, error)) (domain.Slip, error) {
	return r.UpdateOnce(ctx, id, "", fn)
}

// UpdateOnce is Update for a change with a known id (the workflow's
// activity: the command's entry id). When an entry with that id is stored
// the change was applied: UpdateOnce returns the stored slip without
// calling fn — so a retried change is not refused for having happened
// (acknowledged twice). Otherwise fn's first entry gets the id.
func (r *Slips) UpdateOnce(ctx context.Context, id, entryID string, fn func(*domain.Slip) ([]domain.SlipEntry, error)) (domain.Slip, error) {
	var out domain.Slip
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		before, err := getSlip(tx, id, true)
		if err != nil {
			return err
		}
		out = before
		if entryID != "" {
			if applied, err := slipSeen(tx, []domain.SlipEntry{{ID: entryID}}); err != nil || applied {
				return err
			}
		}
		s := before.Clone()
		entries, err := fn(&s)
		if err != nil {
			return err
		}
		if entryID != "" && len(entries) > 0 && entries[0].ID == "" {
			entries[0].ID = entryID
		}
		if applied, err := slipSeen(tx, entries); err != nil || applied {
			return err
		}
		if len(entries) == 0 && reflect.DeepEqual(s, before) {
			return nil
		}
		next, err := slipChange(before, s)
		if err != nil {
			return err
		}
		row, err := slipRowOf(next)
		if err != nil {
			return err
		}
		res := tx.Model(&slipRow{}).Where("id = ? AND version = ?", id, before.Version).Updates(row.writable())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return domain.ErrSlipVersionConflict
		}
		for i, p := range next.Recipients[:len(before.Recipients)] {
			if reflect.DeepEqual(p, before.Recipients[i]) {
				continue
			}
			if err := tx.Model(&slipRecipientRow{}).Where("slip_id = ? AND n = ?", id, p.N).Select("*").Omit("slip_id", "n").
				Updates(&slipRecipientRow{SlipID: id, Recipient: p}).Error; err != nil {
				return err
			}
		}
		if err := addSlipRecipients(tx, id, next.Recipients[len(before.Recipients):]); err != nil {
			return err
		}
		if err := addSlipEntries(tx, id, entries); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return domain.Slip{}, err
	}
	return out, nil
}

// slipChange is before with what a change after filing may change taken
// from s, one version on; an error when s lost a recipient part or
// renumbered one (a bug in the change, not a refusal).
func slipChange(before, s domain.Slip) (domain.Slip, error) {
	if s.ID != before.ID {
		return domain.Slip{}, fmt.Errorf("update of slip %s changed its id to %q", before.ID, s.ID)
	}
	if len(s.Recipients) < len(before.Recipients) {
		return domain.Slip{}, fmt.Errorf("update of slip %s removed recipients", before.ID)
	}
	for i, p := range before.Recipients {
		if s.Recipients[i].N != p.N {
			return domain.Slip{}, fmt.Errorf("update of slip %s renumbered recipient %d", before.ID, p.N)
		}
	}
	next := before
	next.Version = before.Version + 1
	next.State, next.UpdatedAt, next.ClosedAt, next.ClosedBy = s.State, s.UpdatedAt, s.ClosedAt, s.ClosedBy
	next.WithdrawnAt, next.WithdrawReason, next.AllDoneAt = s.WithdrawnAt, s.WithdrawReason, s.AllDoneAt
	next.Recipients = s.Recipients
	return next, nil
}

// Record appends an entry the slip's workflow writes without changing the
// slip (a reminder, an escalation: domain.SlipChaseEntry) — once: an entry
// whose id is stored is not added again.
func (r *Slips) Record(ctx context.Context, e domain.SlipEntry) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&slipRow{}).Where("id = ?", e.SlipID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return domain.ErrSlipNotFound
		}
		if applied, err := slipSeen(tx, []domain.SlipEntry{e}); err != nil || applied {
			return err
		}
		return addSlipEntries(tx, e.SlipID, []domain.SlipEntry{e})
	})
}

func addSlipRecipients(tx *gorm.DB, id string, rs []domain.Recipient) error {
	if len(rs) == 0 {
		return nil
	}
	rows := make([]slipRecipientRow, len(rs))
	for i, p := range rs {
		rows[i] = slipRecipientRow{SlipID: id, Recipient: p}
	}
	return tx.Create(&rows).Error
}

// slipSeen reports whether any of the caller-set entry ids is stored.
func slipSeen(tx *gorm.DB, es []domain.SlipEntry) (bool, error) {
	var ids []string
	for _, e := range es {
		if e.ID != "" {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return false, nil
	}
	var n int64
	err := tx.Model(&slipEntryRow{}).Where("id IN ?", ids).Count(&n).Error
	return n > 0, err
}

// addSlipEntries appends entries to slip id's timeline, making the ids the
// caller left empty.
func addSlipEntries(tx *gorm.DB, id string, es []domain.SlipEntry) error {
	if len(es) == 0 {
		return nil
	}
	rows := make([]slipEntryRow, len(es))
	for i, e := range es {
		switch {
		case e.ID != "":
		case es[0].ID != "":
			e.ID = fmt.Sprintf("%s/%d", es[0].ID, i)
		default:
			e.ID = NewID()
		}
		e.SlipID = id
		rows[i] = slipEntryRow(e)
	}
	return tx.Create(&rows).Error
}
