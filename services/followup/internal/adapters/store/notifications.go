package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// notificationRow is one inbox message (domain.Notification).
type notificationRow struct {
	ID         string
	FollowUpID string
	Kind       string
	Title      string
	CustomerID string
	Team       string
	OwnerID    string
	Level      int
	Action     string
	UserID     *string
	ManagersOf *string
	Urgent     bool
	DueAt      time.Time
	At         time.Time
	Actor      string
	ActorName  string
	CampaignID string
	Link       string
	Counts     map[string]int64 `gorm:"serializer:json"`
	Note       string
	// DispatchedAt is when the message's email and webhook deliveries
	// were planned (deliveries.go); nil until then.
	DispatchedAt *time.Time
}

func (notificationRow) TableName() string { return "notifications" }

// readRow records that one user read one message.
type readRow struct {
	NotificationID string
	UserID         string
	ReadAt         time.Time
}

func (readRow) TableName() string { return "notification_reads" }

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// addNotifications stores the messages of a state change in its
// transaction; one already stored (the same step recorded again) is kept.
func addNotifications(tx *gorm.DB, ns []domain.Notification) error {
	for _, n := range ns {
		row := notificationRow{ID: n.ID, FollowUpID: n.FollowUpID, Kind: n.Kind, Title: n.Title, CustomerID: n.CustomerID,
			Team: n.Team, OwnerID: n.OwnerID, Level: n.Level, Action: n.Action, UserID: nullable(n.UserID),
			ManagersOf: nullable(n.ManagersOf), Urgent: n.Urgent, DueAt: n.DueAt, At: n.At, Actor: n.Actor, ActorName: n.ActorName,
			CampaignID: n.CampaignID, Link: n.Link, Counts: countsOrEmpty(n.Counts), Note: n.Note}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

func countsOrEmpty(c map[string]int64) map[string]int64 {
	if c == nil {
		return map[string]int64{}
	}
	return c
}

// AddEventNotifications stores the messages of another record's event
// (domain.NewEventNotifications) in one transaction; those stored already
// (the event handed over again) are kept as they are. It returns how many
// it stored now.
func (s *Inbox) AddEventNotifications(ctx context.Context, ns []domain.Notification) (int, error) {
	added := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, n := range ns {
			row := notificationRow{ID: n.ID, FollowUpID: n.FollowUpID, Kind: n.Kind, Title: n.Title, CustomerID: n.CustomerID,
				Team: n.Team, OwnerID: n.OwnerID, Level: n.Level, Action: n.Action, UserID: nullable(n.UserID),
				ManagersOf: nullable(n.ManagersOf), Urgent: n.Urgent, DueAt: n.DueAt, At: n.At, Actor: n.Actor, ActorName: n.ActorName,
				CampaignID: n.CampaignID, Link: n.Link, Counts: countsOrEmpty(n.Counts), Note: n.Note}
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
			if res.Error != nil {
				return res.Error
			}
			added += int(res.RowsAffected)
		}
		return nil
	})
	return added, err
}

// Reader is whose inbox is read: a person, and the teams whose managers'
// messages they get (empty unless they manage teams).
type Reader struct {
	UserID   string
	Managing []string
}

// InboxKeyset is a position in an inbox, newest first.
type InboxKeyset struct {
	At time.Time
	ID string
}

// InboxItem is a message with the reader's read time and the follow-up's
// state now.
type InboxItem struct {
	domain.Notification
	ReadAt *time.Time
	State  string
}

// inboxRow is a message as List reads it, with the reader's read time and
// the follow-up's state.
type inboxRow struct {
	ID         string
	FollowUpID string
	Kind       string
	Title      string
	CustomerID string
	Team       string
	OwnerID    string
	Level      int
	Action     string
	UserID     *string
	ManagersOf *string
	Urgent     bool
	DueAt      time.Time
	At         time.Time
	Actor      string
	ActorName  string
	CampaignID string
	Link       string
	Counts     map[string]int64 `gorm:"serializer:json"`
	Note       string
	ReadAt     *time.Time
	State      *string
}

// Inbox stores and reads the in-app messages.
type Inbox struct{ db *gorm.DB }

// NewInbox returns the inbox repository over a migrated database.
func NewInbox(gdb *gorm.DB) *Inbox { return &Inbox{db: gdb} }

// visible restricts q (over notifications n) to the reader's messages.
func visible(q *gorm.DB, r Reader) *gorm.DB {
	if len(r.Managing) == 0 {
		return q.Where("n.user_id = ?", r.UserID)
	}
	return q.Where("(n.user_id = ? OR n.managers_of IN ?)", r.UserID, r.Managing)
}

// List returns up to limit of the reader's messages, newest first, after
// the keyset position; unread only when asked.
func (s *Inbox) List(ctx context.Context, r Reader, unread bool, after *InboxKeyset, limit int) ([]InboxItem, error) {
	q := visible(s.db.WithContext(ctx).Table("notifications AS n"), r).
		Select("n.*, r.read_at AS read_at, f.state AS state").
		Joins("LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ?", r.UserID).
		Joins("LEFT JOIN follow_ups f ON f.id = n.follow_up_id AND n.follow_up_id <> ''")
	if unread {
		q = q.Where("r.notification_id IS NULL")
	}
	if after != nil {
		q = q.Where("(n.at, n.id) < (?, ?)", after.At, after.ID)
	}
	var rows []inboxRow
	if err := q.Order("n.at DESC, n.id DESC").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]InboxItem, len(rows))
	for i, n := range rows {
		out[i] = InboxItem{Notification: domain.Notification{ID: n.ID, FollowUpID: n.FollowUpID, Kind: n.Kind, Title: n.Title,
			CustomerID: n.CustomerID, Team: n.Team, OwnerID: n.OwnerID, Level: n.Level, Action: n.Action, UserID: deref(n.UserID),
			ManagersOf: deref(n.ManagersOf), Urgent: n.Urgent, DueAt: n.DueAt.UTC(), At: n.At.UTC(), Actor: n.Actor, ActorName: n.ActorName,
			CampaignID: n.CampaignID, Link: n.Link, Counts: n.Counts, Note: n.Note}, ReadAt: n.ReadAt, State: deref(n.State)}
	}
	return out, nil
}

// Unread counts the reader's unread messages, up to max (a badge shows
// "99+" beyond; counting further would cost a scan of a long inbox).
func (s *Inbox) Unread(ctx context.Context, r Reader, max int) (int, error) {
	sub := visible(s.db.WithContext(ctx).Table("notifications AS n"), r).Select("1").
		Joins("LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ?", r.UserID).
		Where("r.notification_id IS NULL").Limit(max)
	var n int64
	err := s.db.WithContext(ctx).Table("(?) AS u", sub).Count(&n).Error
	return int(n), err
}

// MarkRead marks the reader's message id read at `at` (kept if it was
// already); false when the reader has no such message.
func (s *Inbox) MarkRead(ctx context.Context, r Reader, id string, at time.Time) (bool, error) {
	var n int64
	if err := visible(s.db.WithContext(ctx).Table("notifications AS n"), r).Where("n.id = ?", id).Count(&n).Error; err != nil || n == 0 {
		return false, err
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&readRow{NotificationID: id, UserID: r.UserID, ReadAt: at}).Error
	return err == nil, err
}

// MarkAllRead marks every unread message of the reader read at `at`, and
// returns how many; it reads and marks them a thousand at a time.
func (s *Inbox) MarkAllRead(ctx context.Context, r Reader, at time.Time) (int, error) {
	total := 0
	for {
		var ids []string
		err := visible(s.db.WithContext(ctx).Table("notifications AS n"), r).
			Joins("LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ?", r.UserID).
			Where("r.notification_id IS NULL").Limit(1000).Pluck("n.id", &ids).Error
		if err != nil || len(ids) == 0 {
			return total, err
		}
		rows := make([]readRow, len(ids))
		for i, id := range ids {
			rows[i] = readRow{NotificationID: id, UserID: r.UserID, ReadAt: at}
		}
		res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows)
		if res.Error != nil {
			return total, res.Error
		}
		total += int(res.RowsAffected)
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Told is a message a follow-up's step sent, with who read it.
type Told struct {
	ID         string
	Level      int
	Action     string
	UserID     string
	ManagersOf string
	Urgent     bool
	At         time.Time
	Reads      []Read
}

// Read is one reader's reading of a message.
type Read struct {
	UserID string
	At     time.Time
}

// Told lists the messages the follow-up's steps sent, oldest first, each
// with who read it and when.
func (r *FollowUps) Told(ctx context.Context, followUpID string) ([]Told, error) {
	if followUpID == "" { // the messages of other records' events belong to no follow-up
		return nil, nil
	}
	var rows []struct {
		ID         string
		Level      int
		Action     string
		UserID     *string
		ManagersOf *string
		Urgent     bool
		At         time.Time
		Reader     *string
		ReadAt     *time.Time
	}
	err := r.db.WithContext(ctx).Table("notifications AS n").
		Select("n.id, n.level, n.action, n.user_id, n.managers_of, n.urgent, n.at, rd.user_id AS reader, rd.read_at").
		Joins("LEFT JOIN notification_reads rd ON rd.notification_id = n.id").
		Where("n.follow_up_id = ?", followUpID).Order("n.at, n.id, rd.read_at").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	var out []Told
	last := ""
	for _, row := range rows {
		if row.ID != last {
			out = append(out, Told{ID: row.ID, Level: row.Level, Action: row.Action, UserID: deref(row.UserID), ManagersOf: deref(row.ManagersOf),
				Urgent: row.Urgent, At: row.At.UTC()})
			last = row.ID
		}
		if row.Reader != nil && row.ReadAt != nil {
			t := &out[len(out)-1]
			t.Reads = append(t.Reads, Read{UserID: *row.Reader, At: row.ReadAt.UTC()})
		}
	}
	return out, nil
}
