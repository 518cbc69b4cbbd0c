package store

import (
	"context"
	"errors"
	"reflect"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// followUpRow is a row of follow_ups: domain.FollowUp field for field (the
// conversions below fail to compile otherwise), its pending history aside.
type followUpRow struct {
	ID                      string
	Kind                    string
	CustomerID              string
	OwnerID                 string
	Team                    string
	Territory               string
	RequesterTeam           string
	Title                   string
	State                   string
	AnchorAt                time.Time
	DueAt                   time.Time
	NextStepAt              *time.Time
	EscalationLevel         int
	LastAction              string
	EscalatedAt             *time.Time
	RequesterEscalatedAt    *time.Time
	Policy                  string
	PolicyKey               string
	PolicyVersion           int64
	EscalationPolicy        string
	EscalationPolicyVersion int64
	Calendar                string
	CalendarVersion         int64
	WorkflowID              string
	RunID                   string
	OpenedBy                string
	CreatedAt               time.Time
	UpdatedAt               time.Time
	ClosedAt                *time.Time
	ClosedBy                *string
	CloseNote               string
	Pending                 []domain.Event        `gorm:"-"`
	Outbox                  []domain.Notification `gorm:"-"`
}

func (followUpRow) TableName() string { return "follow_ups" }

func (r followUpRow) domain() domain.FollowUp {
	f := domain.FollowUp(r)
	f.Pending, f.Outbox = nil, nil
	return f
}

func followUps(rows []followUpRow) []domain.FollowUp {
	out := make([]domain.FollowUp, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out
}

// eventRow is a row of follow_up_events.
type eventRow struct {
	ID          string
	FollowUpID  string
	Action      string
	Level       int
	Actor       string
	Detail      string
	At          time.Time
	ScheduledAt *time.Time
}

func (eventRow) TableName() string { return "follow_up_events" }

// FollowUps stores follow-ups and their history, and answers the managers'
// lists and counts over them.
type FollowUps struct{ db *gorm.DB }

// NewFollowUps returns the repository over a migrated database.
func NewFollowUps(gdb *gorm.DB) *FollowUps { return &FollowUps{db: gdb} }

// Get returns a follow-up regardless of scope (domain.ErrFollowUpNotFound
// when there is none).
func (r *FollowUps) Get(ctx context.Context, id string) (domain.FollowUp, error) {
	var row followUpRow
	err := r.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.FollowUp{}, domain.ErrFollowUpNotFound
	}
	return row.domain(), err
}

// Events returns a follow-up's history in order.
func (r *FollowUps) Events(ctx context.Context, id string) ([]domain.Event, error) {
	var rows []eventRow
	if err := r.db.WithContext(ctx).Where("follow_up_id = ?", id).Order("at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Event, len(rows))
	for i, e := range rows {
		out[i] = domain.Event{FollowUpID: e.FollowUpID, Action: e.Action, Level: e.Level, Actor: e.Actor, Detail: e.Detail, At: e.At, ScheduledAt: e.ScheduledAt}
	}
	return out, nil
}

func addEvents(tx *gorm.DB, es []domain.Event) error {
	for _, e := range es {
		row := eventRow{ID: newID(), FollowUpID: e.FollowUpID, Action: e.Action, Level: e.Level, Actor: e.Actor, Detail: e.Detail, At: e.At, ScheduledAt: e.ScheduledAt}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// Create stores a new follow-up (domain.Open) with its history, unless one
// with its id is stored: a retried open changes nothing.
func (r *FollowUps) Create(ctx context.Context, f domain.FollowUp) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := followUpRow(f)
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if err := addEvents(tx, f.Pending); err != nil {
			return err
		}
		if err := addNotifications(tx, f.Outbox); err != nil {
			return err
		}
		// Tell every replica (a request there may wait for this record).
		return db.Notify(tx, StoredChannel, f.ID)
	})
}

// StoredChannel is the database notification channel on which Create
// announces each follow-up it stores, by id (PostgreSQL; db.Listen).
const StoredChannel = "closeloop_followup_stored"

// Update loads a follow-up for update in a transaction (domain.ErrNoFollowUp
// when there is none), lets fn apply a state change to it, and stores the
// record and the history entries the change added — or nothing, when it
// changed nothing.
func (r *FollowUps) Update(ctx context.Context, id string, fn func(*domain.FollowUp) error) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row followUpRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return domain.ErrNoFollowUp(id)
		}
		if err != nil {
			return err
		}
		return save(tx, row, fn)
	})
}

// UpdateEach changes several follow-ups in one transaction: it locks those
// of ids that exist (in id order, as every writer of several does) and
// calls fn on each, in id order, storing what fn changed. An error from fn
// rolls every change back. A deadlock's victim is run again (db.Transaction).
func (r *FollowUps) UpdateEach(ctx context.Context, ids []string, fn func(*domain.FollowUp) error) error {
	if len(ids) == 0 {
		return nil
	}
	return db.Transaction(ctx, r.db, func(tx *gorm.DB) error {
		rows, err := lockEach(tx, ids)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if err := save(tx, row, fn); err != nil {
				return err
			}
		}
		return nil
	})
}

// lockEach locks the follow-ups of ids that exist, in id order (as every
// writer of several does), and returns them.
func lockEach(tx *gorm.DB, ids []string) ([]followUpRow, error) {
	var rows []followUpRow
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ?", ids).Order("id").Find(&rows).Error
	return rows, err
}

// save applies fn to the locked row and stores what it changed, with the
// history and notifications it added.
func save(tx *gorm.DB, row followUpRow, fn func(*domain.FollowUp) error) error {
	before := row.domain()
	f := row.domain()
	if err := fn(&f); err != nil {
		return err
	}
	pending, outbox := f.Pending, f.Outbox
	f.Pending, f.Outbox = nil, nil
	if len(pending) == 0 && reflect.DeepEqual(before, f) {
		return nil
	}
	err := tx.Model(&followUpRow{}).Where("id = ?", f.ID).Updates(map[string]any{
		"owner_id": f.OwnerID, "team": f.Team, "state": f.State, "due_at": f.DueAt, "next_step_at": f.NextStepAt, "escalation_level": f.EscalationLevel,
		"last_action": f.LastAction, "escalated_at": f.EscalatedAt, "requester_escalated_at": f.RequesterEscalatedAt, "policy_version": f.PolicyVersion,
		"escalation_policy_version": f.EscalationPolicyVersion, "calendar": f.Calendar, "calendar_version": f.CalendarVersion,
		"closed_at": f.ClosedAt, "closed_by": f.ClosedBy, "close_note": f.CloseNote, "updated_at": f.UpdatedAt,
	}).Error
	if err != nil {
		return err
	}
	if err := addEvents(tx, pending); err != nil {
		return err
	}
	return addNotifications(tx, outbox)
}

// Scoped restricts a query of follow-ups to what the caller may see: their own
// (a rep), their teams' (a manager), or everything (analysts and admins).
func Scoped(q *gorm.DB, s auth.Scope, prefix string) *gorm.DB {
	switch {
	case s.All:
		return q
	case s.OwnerID != "":
		return q.Where(prefix+"owner_id = ?", s.OwnerID)
	case len(s.Teams) > 0:
		return q.Where(prefix+"team IN ?", s.Teams)
	default:
		return q.Where("1 = 0")
	}
}

// OpenUnder returns a page of the open follow-ups a policy times or
// escalates, in id order after afterID ("" for the first).
func (r *FollowUps) OpenUnder(ctx context.Context, policy, afterID string, limit int) ([]domain.FollowUp, error) {
	q := r.db.WithContext(ctx).Where("closed_at IS NULL AND (policy = ? OR escalation_policy = ?)", policy, policy)
	if afterID != "" {
		q = q.Where("id > ?", afterID)
	}
	var rows []followUpRow
	err := q.Order("id").Limit(limit).Find(&rows).Error
	return followUps(rows), err
}

// Rollout selects the open follow-ups a rollout may have to bring onto a
// new version: those computed under an older version of Policy, or — for a
// calendar — under an older version of Calendar or in another calendar where
// this one now applies (Coverage: their assignment may have moved). With
// neither set, every open follow-up (the reconciliation filters them with
// domain.FollowUp.Lagging).
type Rollout struct {
	Policy, Calendar string
	Version          int64
	Coverage         domain.CalendarCoverage
	// Through also selects the follow-ups already at Version (of Policy or
	// Calendar): a retried page signals again what an earlier attempt may
	// have stored without signalling.
	Through bool
}

// RolloutPage returns a page of the follow-ups the rollout selects, in id
// order after afterID.
func (r *FollowUps) RolloutPage(ctx context.Context, ro Rollout, afterID string, limit int) ([]domain.FollowUp, error) {
	q := r.db.WithContext(ctx).Model(&followUpRow{}).Where("closed_at IS NULL")
	if afterID != "" {
		q = q.Where("id > ?", afterID)
	}
	older := "<"
	if ro.Through {
		older = "<="
	}
	switch {
	case ro.Policy != "":
		q = q.Where("(policy = ? AND policy_version "+older+" ?) OR (escalation_policy = ? AND escalation_policy_version "+older+" ?)",
			ro.Policy, ro.Version, ro.Policy, ro.Version)
	case ro.Calendar != "":
		cond := r.db.Where("calendar = ? AND calendar_version "+older+" ?", ro.Calendar, ro.Version)
		if len(ro.Coverage.Regions) > 0 {
			cond = cond.Or("calendar_version > 0 AND calendar <> ? AND territory IN ?", ro.Calendar, ro.Coverage.Regions)
		}
		if len(ro.Coverage.Teams) > 0 {
			cond = cond.Or("calendar_version > 0 AND calendar <> ? AND team IN ?", ro.Calendar, ro.Coverage.Teams)
		}
		if ro.Coverage.Default {
			cond = cond.Or("calendar_version > 0 AND calendar <> ?", ro.Calendar)
		}
		q = q.Where(cond)
	}
	var rows []followUpRow
	err := q.Order("id").Limit(limit).Find(&rows).Error
	return followUps(rows), err
}
