// Package adapters is the actions context's gorm storage: the actions and
// action_links tables (their migrations are the customer service's, in
// internal/schema/actions.go; a service case's items are actions rows too,
// their case in case_id, case_event and case_team, and so are an information
// routing slip's, their slip in slip_id and slip_event) and the look-ups the use
// cases need from the customer store (is a customer in the caller's scope,
// does it exist, whose contact is this). It loads facts and stores
// decisions; every rule — what is valid, which state may follow which — is
// package domain's, every permission package app's. Transactions stay here:
// a new action and its links (and the care cadence a logged contact
// restarts) in one, a case's or a slip's item once per id (CreateOnce), and every change
// of an action row through Update, which locks the row, lets the caller
// decide, and stores the outcome (with the links the change added or
// removed: a visit touch's plan linked to its visit in place of its visit
// request, which PendingVisitTouches lists, oldest first).
package adapters

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
)

// Row is a row of actions.
type Row struct {
	ID         string `gorm:"primaryKey"`
	Kind       string
	Status     string
	Category   string
	Department string
	ActorID    string
	Title      string
	Summary    string
	Outcome    string
	NextStep   string
	PlannedFor *time.Time
	DoneAt     *time.Time
	OccurredAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// The service case a service_case item records a change of, "" on a
	// person's action (migration 14).
	CaseID    string
	CaseEvent string
	CaseTeam  string
	// The information routing slip an info_slip item records a change of,
	// "" on every other action (migration 15).
	SlipID    string
	SlipEvent string
	// The marketing campaign of a touch's plan or a campaign's item, ""
	// on every other action (migration 17).
	CampaignID string
}

func (Row) TableName() string { return "actions" }

// Link is a row of action_links; its occurred_at is its action's, so that a
// customer's history reads in order from its links.
type Link struct {
	ActionID    string `gorm:"primaryKey"`
	SubjectType string `gorm:"primaryKey"` // customer | contact | lead | opportunity
	SubjectID   string `gorm:"primaryKey"`
	CustomerID  string
	OccurredAt  time.Time
}

func (Link) TableName() string { return "action_links" }

// NewID returns a new time-ordered action id.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Store is the actions repository (app.Repository).
type Store struct{ db *gorm.DB }

// NewStore returns the repository over db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

func toRow(a domain.Action) Row {
	r := Row{ID: a.ID, Kind: a.Kind, Status: a.Status, Category: a.Category, Department: a.Department, ActorID: a.ActorID,
		Title: a.Title, Summary: a.Summary, Outcome: a.Outcome, NextStep: a.NextStep, PlannedFor: a.PlannedFor, DoneAt: a.DoneAt,
		OccurredAt: a.OccurredAt, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, CampaignID: a.CampaignID}
	if a.Case != nil {
		r.CaseID, r.CaseEvent, r.CaseTeam = a.Case.ID, a.Case.Event, a.Case.Team
	}
	if a.Slip != nil {
		r.SlipID, r.SlipEvent = a.Slip.ID, a.Slip.Event
	}
	return r
}

func toAction(r Row, links []Link) domain.Action {
	a := domain.Action{ID: r.ID, Kind: r.Kind, Status: r.Status, Category: r.Category, Department: r.Department, ActorID: r.ActorID,
		Title: r.Title, Summary: r.Summary, Outcome: r.Outcome, NextStep: r.NextStep, PlannedFor: r.PlannedFor, DoneAt: r.DoneAt,
		OccurredAt: r.OccurredAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CampaignID: r.CampaignID}
	if r.CaseID != "" {
		a.Case = &domain.CaseRef{ID: r.CaseID, Event: r.CaseEvent, Team: r.CaseTeam}
	}
	if r.SlipID != "" {
		a.Slip = &domain.SlipRef{ID: r.SlipID, Event: r.SlipEvent}
	}
	for _, l := range links {
		a.Links = append(a.Links, domain.Link{SubjectType: l.SubjectType, SubjectID: l.SubjectID, CustomerID: l.CustomerID})
	}
	return a
}

func toLinks(a domain.Action) []Link {
	links := make([]Link, 0, len(a.Links))
	for _, l := range a.Links {
		links = append(links, Link{ActionID: a.ID, SubjectType: l.SubjectType, SubjectID: l.SubjectID, CustomerID: l.CustomerID, OccurredAt: a.OccurredAt})
	}
	return links
}

// Create stores a new action with its links; with restartCare, its
// customers' care cadence restarts at its time, in the same transaction.
func (s *Store) Create(ctx context.Context, a domain.Action, restartCare bool) error {
	row, links := toRow(a), toLinks(a)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Create(&links).Error; err != nil {
			return err
		}
		if restartCare {
			return care.Touch(tx, a.CustomerIDs(), a.OccurredAt)
		}
		return nil
	})
}

// CreateOnce stores a new action with its links unless an action with its
// id is stored already, and reports whether it stored it. The insert does
// nothing on a taken id (ON CONFLICT DO NOTHING, on both databases): two
// concurrent calls with the same id store one action, the later one waiting
// for the earlier's transaction and then storing nothing.
func (s *Store) CreateOnce(ctx context.Context, a domain.Action) (bool, error) {
	created := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
		created, err = CreateOnceTx(tx, a)
		return err
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// CreateAllOnce stores, in one transaction, each of the actions with its
// links unless an action with its id is stored already (CreateOnceTx).
func (s *Store) CreateAllOnce(ctx context.Context, as []domain.Action) error {
	if len(as) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, a := range as {
			if _, err := CreateOnceTx(tx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// CreateOnceTx is CreateOnce inside the caller's transaction tx: for a
// workflow's item stored with the change it records (a customer won back).
func CreateOnceTx(tx *gorm.DB, a domain.Action) (bool, error) {
	row, links := toRow(a), toLinks(a)
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	return true, tx.Create(&links).Error
}

// Get loads an action with its links (domain.ErrNotFound when none).
func (s *Store) Get(ctx context.Context, id string) (domain.Action, error) {
	return get(s.db.WithContext(ctx), id, false)
}

func get(q *gorm.DB, id string, lock bool) (domain.Action, error) {
	var row Row
	rq := q
	if lock {
		rq = rq.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := rq.Where("id = ?", id).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return domain.Action{}, domain.ErrNotFound
		}
		return domain.Action{}, err
	}
	var links []Link
	if err := q.Where("action_id = ?", id).Order("subject_type, subject_id").Find(&links).Error; err != nil {
		return domain.Action{}, err
	}
	return toAction(row, links), nil
}

// Update loads the action (locked), lets change decide, stores the action's
// changed fields (and its links' time when its time changed), and returns
// the action as stored. An error from change is returned as is, nothing
// stored.
func (s *Store) Update(ctx context.Context, id string, change func(*domain.Action) error) (domain.Action, error) {
	var out domain.Action
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		a, err := get(tx, id, true)
		if err != nil {
			return err
		}
		before, had := a.OccurredAt, a.Links
		if err := change(&a); err != nil {
			return err
		}
		r := toRow(a)
		if err := tx.Model(&Row{}).Where("id = ?", id).Updates(map[string]any{
			"kind": r.Kind, "status": r.Status, "summary": r.Summary, "outcome": r.Outcome, "next_step": r.NextStep,
			"done_at": r.DoneAt, "occurred_at": r.OccurredAt, "updated_at": r.UpdatedAt}).Error; err != nil {
			return err
		}
		if !a.OccurredAt.Equal(before) {
			if err := tx.Model(&Link{}).Where("action_id = ?", id).Update("occurred_at", a.OccurredAt).Error; err != nil {
				return err
			}
		}
		added, removed := changedLinks(had, a)
		for _, l := range removed {
			if err := tx.Where("action_id = ? AND subject_type = ? AND subject_id = ?", id, l.SubjectType, l.SubjectID).Delete(&Link{}).Error; err != nil {
				return err
			}
		}
		if len(added) > 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&added).Error; err != nil {
				return err
			}
		}
		out, err = get(tx, id, false)
		return err
	})
	if err != nil {
		return domain.Action{}, err
	}
	return out, nil
}

// changedLinks are the links a change added to the action (a visit touch's
// plan linked to its visit) and those it removed (the plan's visit
// request, answered).
func changedLinks(had []domain.Link, a domain.Action) (added []Link, removed []domain.Link) {
	old := make(map[domain.Link]bool, len(had))
	for _, l := range had {
		old[l] = true
	}
	kept := make(map[domain.Link]bool, len(a.Links))
	for _, l := range a.Links {
		kept[l] = true
		if !old[l] {
			added = append(added, Link{ActionID: a.ID, SubjectType: l.SubjectType, SubjectID: l.SubjectID, CustomerID: l.CustomerID, OccurredAt: a.OccurredAt})
		}
	}
	for _, l := range had {
		if !kept[l] {
			removed = append(removed, l)
		}
	}
	return added, removed
}

// PendingVisitTouches loads up to limit plans with a visit request, oldest
// request first (along ix_action_links_subject), with their links.
func (s *Store) PendingVisitTouches(ctx context.Context, limit int) ([]domain.Action, error) {
	var ids []string
	if err := s.db.WithContext(ctx).Model(&Link{}).Where("subject_type = ?", domain.SubjectVisitRequest).
		Order("subject_id, action_id").Limit(limit).Pluck("action_id", &ids).Error; err != nil {
		return nil, err
	}
	byID, err := s.GetAll(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Action, 0, len(ids))
	for _, id := range ids {
		if a, ok := byID[id]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// GetAll loads the actions with the ids that exist, with their links, by
// id.
func (s *Store) GetAll(ctx context.Context, ids []string) (map[string]domain.Action, error) {
	out := make(map[string]domain.Action, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var rows []Row
	if err := db.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	var links []Link
	if err := db.Where("action_id IN ?", ids).Order("action_id, subject_type, subject_id").Find(&links).Error; err != nil {
		return nil, err
	}
	byAction := map[string][]Link{}
	for _, l := range links {
		byAction[l.ActionID] = append(byAction[l.ActionID], l)
	}
	for _, r := range rows {
		out[r.ID] = toAction(r, byAction[r.ID])
	}
	return out, nil
}

// ContactCustomers maps each of contactIDs that is a (not deleted) contact of
// one of customerIDs to its customer.
func (s *Store) ContactCustomers(ctx context.Context, contactIDs, customerIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(contactIDs) == 0 || len(customerIDs) == 0 {
		return out, nil
	}
	var cs []custadapters.ContactRecord
	if err := s.db.WithContext(ctx).Where("id IN ? AND deleted_at IS NULL AND customer_id IN ?", contactIDs, customerIDs).Find(&cs).Error; err != nil {
		return nil, err
	}
	for _, c := range cs {
		out[c.ID] = c.CustomerID
	}
	return out, nil
}

// History returns up to q.Limit+1 actions of a customer's history page,
// newest first, each with its links.
func (s *Store) History(ctx context.Context, q domain.HistoryQuery) ([]domain.Action, error) {
	db := s.db.WithContext(ctx)
	sel := db.Model(&Row{}).Where("id IN (?)", s.db.Model(&Link{}).Select("action_id").Where("customer_id = ?", q.CustomerID))
	if q.Kind != "" {
		sel = sel.Where("kind = ?", q.Kind)
	}
	if q.Department != "" {
		sel = sel.Where("department = ?", q.Department)
	}
	if q.After != nil {
		sel = sel.Where("(occurred_at, id) < (?, ?)", q.After.At, q.After.ID)
	}
	var rows []Row
	if err := sel.Order("occurred_at DESC, id DESC").Limit(q.Limit + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Action, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var links []Link
	if err := db.Where("action_id IN ?", ids).Order("action_id, subject_type, subject_id").Find(&links).Error; err != nil {
		return nil, err
	}
	byAction := map[string][]Link{}
	for _, l := range links {
		byAction[l.ActionID] = append(byAction[l.ActionID], l)
	}
	for _, r := range rows {
		out = append(out, toAction(r, byAction[r.ID]))
	}
	return out, nil
}

// Customers answers the use cases' scope questions from the customer store.
type Customers struct{ Store *custadapters.Store }

// Visible is nil when the customer (not deleted) is in scope, else the
// customer store's error (domain.ErrCustomerNotFound when it is not).
func (c Customers) Visible(ctx context.Context, id string, scope auth.Scope) error {
	_, err := c.Store.GetCustomer(ctx, id, scope, false)
	return err
}

// Exists is nil when the customer was ever created, deleted or not, else the
// customer store's error (domain.ErrCustomerNotFound when it was not).
func (c Customers) Exists(ctx context.Context, id string) error {
	_, err := c.Store.GetCustomer(ctx, id, auth.Scope{All: true}, true)
	return err
}
