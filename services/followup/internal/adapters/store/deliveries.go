package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// deliveryRow is one domain.Delivery.
type deliveryRow struct {
	ID             string `gorm:"primaryKey"`
	NotificationID *string
	FollowUpID     *string
	Channel        string
	Kind           string
	Target         string
	Address        string
	Language       string
	TimeZone       string
	Urgent         bool
	Status         string
	Reason         string
	Attempts       int
	NotBefore      *time.Time
	ClaimedUntil   *time.Time
	LastError      string
	DigestDate     *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	SentAt         *time.Time
}

func (deliveryRow) TableName() string { return "deliveries" }

func toDeliveryRow(d domain.Delivery) deliveryRow {
	return deliveryRow{ID: d.ID, NotificationID: nullable(d.NotificationID), FollowUpID: nullable(d.FollowUpID),
		Channel: d.Channel, Kind: d.Kind, Target: d.Target, Address: d.Address, Language: d.Language, TimeZone: d.TimeZone,
		Urgent: d.Urgent, Status: d.Status, Reason: d.Reason, Attempts: d.Attempts, NotBefore: d.NotBefore,
		LastError: d.LastError, DigestDate: nullable(d.DigestDate), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, SentAt: d.SentAt}
}

func (r deliveryRow) domain() domain.Delivery {
	d := domain.Delivery{ID: r.ID, NotificationID: deref(r.NotificationID), FollowUpID: deref(r.FollowUpID),
		Channel: r.Channel, Kind: r.Kind, Target: r.Target, Address: r.Address, Language: r.Language, TimeZone: r.TimeZone,
		Urgent: r.Urgent, Status: r.Status, Reason: r.Reason, Attempts: r.Attempts, NotBefore: utcPtr(r.NotBefore),
		LastError: r.LastError, DigestDate: deref(r.DigestDate), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		SentAt: utcPtr(r.SentAt)}
	return d
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Deliveries stores the email and webhook deliveries of messages and
// digests: the dispatcher's queue and the record of what was sent.
//
// A pending delivery is sent by whoever holds its claim (claimed_until in
// the future): the replica that planned it, or, once the claim has run out
// because that replica died between sending and recording, the sweep of any
// replica. Held and retrying deliveries belong to their Temporal workflow.
type Deliveries struct{ db *gorm.DB }

// NewDeliveries returns the repository over a migrated database.
func NewDeliveries(gdb *gorm.DB) *Deliveries { return &Deliveries{db: gdb} }

// NewMessage is a message whose deliveries are not planned yet, with what
// planning needs of its follow-up.
type NewMessage struct {
	domain.Notification
	// Closed says the follow-up is closed (or gone); Calendar is its
	// business calendar.
	Closed   bool
	Calendar string
}

// Undispatched returns up to limit messages whose deliveries are not planned
// yet, oldest first, with their follow-ups' states.
func (s *Deliveries) Undispatched(ctx context.Context, limit int) ([]NewMessage, error) {
	var rows []notificationRow
	db := s.db.WithContext(ctx)
	if err := db.Where("dispatched_at IS NULL").Order("at, id").Limit(limit).Find(&rows).Error; err != nil || len(rows) == 0 {
		return nil, err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.FollowUpID
	}
	var fus []struct{ ID, State, Calendar string }
	if err := db.Model(&followUpRow{}).Select("id, state, calendar").Where("id IN ?", ids).Scan(&fus).Error; err != nil {
		return nil, err
	}
	byID := map[string]int{}
	for i, f := range fus {
		byID[f.ID] = i
	}
	out := make([]NewMessage, 0, len(rows))
	for _, r := range rows {
		m := NewMessage{Notification: notificationOf(r), Closed: r.FollowUpID != ""} // an event's message has no follow-up to close
		if i, ok := byID[r.FollowUpID]; ok {
			m.Closed = fus[i].State != domain.StateOpen && fus[i].State != domain.StateEscalated
			m.Calendar = fus[i].Calendar
		}
		out = append(out, m)
	}
	return out, nil
}

func notificationOf(n notificationRow) domain.Notification {
	return domain.Notification{ID: n.ID, FollowUpID: n.FollowUpID, Kind: n.Kind, Title: n.Title, CustomerID: n.CustomerID,
		Team: n.Team, OwnerID: n.OwnerID, Level: n.Level, Action: n.Action, UserID: deref(n.UserID),
		ManagersOf: deref(n.ManagersOf), Urgent: n.Urgent, DueAt: n.DueAt.UTC(), At: n.At.UTC(), Actor: n.Actor, ActorName: n.ActorName,
		CampaignID: n.CampaignID, Link: n.Link, Counts: n.Counts, Note: n.Note}
}

// Notification returns one message.
func (s *Deliveries) Notification(ctx context.Context, id string) (domain.Notification, error) {
	var row notificationRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Notification{}, apperr.NotFound("notification_not_found", "no such message")
	}
	return notificationOf(row), err
}

// Plan marks message notificationID dispatched and stores its deliveries
// (pending and held ones claimed until claimUntil by the caller, who sends
// or hands them over next), in one transaction. It returns the pending
// deliveries the caller now holds, or nil when the message was dispatched
// already (another replica took it first).
func (s *Deliveries) Plan(ctx context.Context, notificationID string, ds []domain.Delivery, claimUntil, now time.Time) ([]domain.Delivery, error) {
	var held []domain.Delivery
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		held = nil
		res := tx.Model(&notificationRow{}).Where("id = ? AND dispatched_at IS NULL", notificationID).Update("dispatched_at", now)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		held = []domain.Delivery{}
		if len(ds) == 0 {
			return nil
		}
		rows := make([]deliveryRow, len(ds))
		for i, d := range ds {
			rows[i] = toDeliveryRow(d)
			if d.Status == domain.DeliveryPending || d.Status == domain.DeliveryHeld {
				rows[i].ClaimedUntil = &claimUntil
			}
			if d.Status == domain.DeliveryPending {
				held = append(held, d)
			}
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 100).Error
	})
	return held, err
}

// MarkSent records that the deliveries ids were sent at `at` (one attempt
// each); those done meanwhile are left as they are.
func (s *Deliveries) MarkSent(ctx context.Context, ids []string, at time.Time) error {
	return s.db.WithContext(ctx).Model(&deliveryRow{}).
		Where("id IN ? AND status NOT IN ?", ids, []string{domain.DeliverySent, domain.DeliverySuppressed, domain.DeliveryFailed}).
		Updates(map[string]any{"status": domain.DeliverySent, "reason": "", "last_error": "", "attempts": gorm.Expr("attempts + 1"),
			"sent_at": at, "updated_at": at, "claimed_until": nil}).Error
}

// CreateDigest stores a digest delivery, claimed until claimUntil; false
// when that person's digest of that date exists already (another replica,
// or an earlier run, made it).
func (s *Deliveries) CreateDigest(ctx context.Context, d domain.Delivery, claimUntil time.Time) (bool, error) {
	row := toDeliveryRow(d)
	row.ClaimedUntil = &claimUntil
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	return res.RowsAffected == 1, res.Error
}

// ClaimStale claims up to limit deliveries with status (pending: to send;
// held: to hand to their workflow) that nobody holds — their claim ran out
// before now because their sender died, or could not reach Temporal — until
// `until`, and returns them.
func (s *Deliveries) ClaimStale(ctx context.Context, status string, now, until time.Time, limit int) ([]domain.Delivery, error) {
	var rows []deliveryRow
	if err := s.db.WithContext(ctx).Where("status = ? AND (claimed_until IS NULL OR claimed_until < ?)", status, now).
		Order("created_at, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	var out []domain.Delivery
	for _, r := range rows {
		q := s.db.WithContext(ctx).Model(&deliveryRow{}).Where("id = ? AND status = ?", r.ID, status)
		if r.ClaimedUntil == nil {
			q = q.Where("claimed_until IS NULL")
		} else {
			q = q.Where("claimed_until = ?", *r.ClaimedUntil)
		}
		res := q.Update("claimed_until", until)
		if res.Error != nil {
			return out, res.Error
		}
		if res.RowsAffected == 1 {
			out = append(out, r.domain())
		}
	}
	return out, nil
}

// Reclaim renews the claim on a pending delivery from `held` (the claim the
// caller holds) to `until`; false when someone else holds it now (the
// sweep took it over) or it is no longer pending.
func (s *Deliveries) Reclaim(ctx context.Context, id string, held, until time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Model(&deliveryRow{}).Where("id = ? AND status = ? AND claimed_until = ?", id, domain.DeliveryPending, held).
		Update("claimed_until", until)
	return res.RowsAffected == 1, res.Error
}

// Get returns one delivery.
func (s *Deliveries) Get(ctx context.Context, id string) (domain.Delivery, error) {
	var row deliveryRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Delivery{}, apperr.NotFound("delivery_not_found", "no such delivery")
	}
	return row.domain(), err
}

// Attempted records an attempt at sending d: its new status, reason and
// error, one more attempt, and when it was sent. A delivery already done
// (sent, failed or suppressed by someone else meanwhile) is left as it is;
// false then.
func (s *Deliveries) Attempted(ctx context.Context, id, status, reason, lastError string, at time.Time) (bool, error) {
	fields := map[string]any{"status": status, "reason": reason, "last_error": truncate(lastError, 1000),
		"attempts": gorm.Expr("attempts + 1"), "updated_at": at}
	if status == domain.DeliverySent {
		fields["sent_at"] = at
	}
	if status == domain.DeliverySent || status == domain.DeliveryFailed {
		fields["claimed_until"] = nil // a failed attempt keeps its claim until its workflow has it
	}
	res := s.db.WithContext(ctx).Model(&deliveryRow{}).
		Where("id = ? AND status NOT IN ?", id, []string{domain.DeliverySent, domain.DeliverySuppressed, domain.DeliveryFailed}).
		Updates(fields)
	return res.RowsAffected == 1, res.Error
}

// Settle sets d's status without counting an attempt: suppressed before
// sending (closed, unsubscribed), handed to a retry workflow (retrying),
// or re-opened by an admin's retry (retrying, from failed). from lists the
// statuses it may move from.
func (s *Deliveries) Settle(ctx context.Context, id, status, reason, lastError string, from []string, at time.Time) (bool, error) {
	fields := map[string]any{"status": status, "reason": reason, "updated_at": at, "claimed_until": nil}
	if lastError != "" {
		fields["last_error"] = truncate(lastError, 1000)
	}
	res := s.db.WithContext(ctx).Model(&deliveryRow{}).Where("id = ? AND status IN ?", id, from).Updates(fields)
	return res.RowsAffected == 1, res.Error
}

// Deliveries returns a follow-up's email and webhook deliveries, oldest
// first.
func (r *FollowUps) Deliveries(ctx context.Context, followUpID string) ([]domain.Delivery, error) {
	var rows []deliveryRow
	err := r.db.WithContext(ctx).Where("follow_up_id = ?", followUpID).Order("created_at, id").Find(&rows).Error
	return deliveriesOf(rows), err
}

// DeliveryKeyset is where a page of deliveries by (updated_at, id) ends.
type DeliveryKeyset struct {
	At time.Time
	ID string
}

// WithStatus returns a page of deliveries with status, newest change
// first, after the keyset; channel "" for every channel.
func (s *Deliveries) WithStatus(ctx context.Context, status, channel string, after *DeliveryKeyset, limit int) ([]domain.Delivery, error) {
	q := s.db.WithContext(ctx).Where("status = ?", status)
	if channel != "" {
		q = q.Where("channel = ?", channel)
	}
	if after != nil {
		q = q.Where("(updated_at < ? OR (updated_at = ? AND id < ?))", after.At, after.At, after.ID)
	}
	var rows []deliveryRow
	err := q.Order("updated_at DESC, id DESC").Limit(limit).Find(&rows).Error
	return deliveriesOf(rows), err
}

// CountByStatus counts deliveries per (channel, status).
func (s *Deliveries) CountByStatus(ctx context.Context) (map[[2]string]int64, error) {
	var rows []struct {
		Channel, Status string
		N               int64
	}
	err := s.db.WithContext(ctx).Model(&deliveryRow{}).Select("channel, status, COUNT(*) AS n").Group("channel, status").Scan(&rows).Error
	out := map[[2]string]int64{}
	for _, r := range rows {
		out[[2]string{r.Channel, r.Status}] = r.N
	}
	return out, err
}

func deliveriesOf(rows []deliveryRow) []domain.Delivery {
	out := make([]domain.Delivery, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.domain())
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
