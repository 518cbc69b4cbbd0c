// Package adapters is the visits context's gorm storage: the visits,
// visit_participants and visit_events tables (their migrations are the
// customer service's, internal/schema/visits.go), and the customers the
// visit use cases read, within the caller's scope.
//
// It loads facts and stores decisions; it decides nothing. What a booking,
// a join, a cancellation or a log stores — the row, the participant, the
// timeline entries, the customer's contact — is decided by the domain; a
// change to a visit row goes through Update, which owns the transaction.
// Every write is idempotent, so a retried activity changes nothing twice.
package adapters

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/auth"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Row is a stored visit.
type Row struct {
	ID           string
	WorkflowID   string
	CustomerID   string
	Day          string
	StartAt      time.Time
	EndAt        time.Time
	Status       string
	BookedBy     string
	Team         string
	Department   string
	Purpose      string
	LogSummary   string
	LogOutcome   string
	LogNextStep  string
	LoggedBy     *string
	LoggedAt     *time.Time
	CancelledBy  *string
	CancelledAt  *time.Time
	CancelReason string
	MovedTo      string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName is the table.
func (Row) TableName() string { return "visits" }

func rowOf(v domain.Visit) Row {
	return Row{ID: v.ID, WorkflowID: v.WorkflowID, CustomerID: v.CustomerID, Day: v.Day, StartAt: v.StartAt, EndAt: v.EndAt, Status: v.Status,
		BookedBy: v.BookedBy, Team: v.Team, Department: v.Department, Purpose: v.Purpose, LogSummary: v.LogSummary, LogOutcome: v.LogOutcome,
		LogNextStep: v.LogNextStep, LoggedBy: v.LoggedBy, LoggedAt: v.LoggedAt, CancelledBy: v.CancelledBy, CancelledAt: v.CancelledAt,
		CancelReason: v.CancelReason, MovedTo: v.MovedTo, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

func (r Row) visit() domain.Visit {
	return domain.Visit{ID: r.ID, WorkflowID: r.WorkflowID, CustomerID: r.CustomerID, Day: r.Day, StartAt: r.StartAt, EndAt: r.EndAt, Status: r.Status,
		BookedBy: r.BookedBy, Team: r.Team, Department: r.Department, Purpose: r.Purpose, LogSummary: r.LogSummary, LogOutcome: r.LogOutcome,
		LogNextStep: r.LogNextStep, LoggedBy: r.LoggedBy, LoggedAt: r.LoggedAt, CancelledBy: r.CancelledBy, CancelledAt: r.CancelledAt,
		CancelReason: r.CancelReason, MovedTo: r.MovedTo, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// participantRow is one visitor of a visit.
type participantRow domain.Participant

// TableName is the table.
func (participantRow) TableName() string { return "visit_participants" }

// eventRow is one entry of a visit's timeline.
type eventRow domain.Event

// TableName is the table.
func (eventRow) TableName() string { return "visit_events" }

// Repository stores visits.
type Repository struct{ db *gorm.DB }

// New wraps a migrated database.
func New(gdb *gorm.DB) *Repository { return &Repository{db: gdb} }

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func addEvent(tx *gorm.DB, e domain.Event) error {
	e.At = ts(e.At)
	r := eventRow(e)
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error
}

func addEvents(tx *gorm.DB, evs []domain.Event) error {
	for _, e := range evs {
		if err := addEvent(tx, e); err != nil {
			return err
		}
	}
	return nil
}

// Create stores a booked visit with its booker and its timeline entries,
// once: a visit stored already is a retry. Another live visit of the same
// customer-day is refused by the unique index (see OtherVisitOn).
func (s *Repository) Create(ctx context.Context, v domain.Visit, booker domain.Participant) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Row{}).Where("id = ?", v.ID).Count(&n).Error; err != nil || n > 0 {
			return err // a retry: stored already
		}
		row := rowOf(v)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		p := participantRow(booker)
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		return addEvents(tx, v.NewEvents)
	})
}

// Decide decides a request of the customer-day inside one transaction: it
// loads the day's visits, their participants and the request's recorded
// offer (the id OfferID names on each visit), lets decide rule on them, and
// stores what decide decided — a booking (the visit, its booker, its
// timeline) or a join (the participant, the booker's notice). A concurrent
// booking of the day fails on ux_visits_customer_day and is retried by the
// activity, which then finds it.
func (s *Repository) Decide(ctx context.Context, customerID, day, requestID string, decide func(domain.Day) domain.Decided) (domain.Decided, error) {
	var out domain.Decided
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []Row
		if err := tx.Where("customer_id = ? AND day = ?", customerID, day).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		d := domain.Day{CustomerID: customerID, Day: day}
		ids, offers := make([]string, 0, len(rows)), make([]string, 0, len(rows))
		for _, r := range rows {
			d.Visits = append(d.Visits, r.visit())
			ids, offers = append(ids, r.ID), append(offers, domain.OfferID(r.ID, requestID))
		}
		if len(ids) > 0 {
			var ps []participantRow
			if err := tx.Where("visit_id IN ?", ids).Find(&ps).Error; err != nil {
				return err
			}
			for _, p := range ps {
				d.Participants = append(d.Participants, domain.Participant(p))
			}
			var evs []eventRow
			if err := tx.Where("id IN ?", offers).Find(&evs).Error; err != nil {
				return err
			}
			for _, e := range evs {
				d.Offers = append(d.Offers, domain.Event(e))
			}
		}
		out = decide(d)
		switch {
		case out.NewVisit != nil:
			row, p := rowOf(*out.NewVisit), participantRow(*out.Booker)
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			if err := tx.Create(&p).Error; err != nil {
				return err
			}
			return addEvents(tx, out.NewVisit.NewEvents)
		case out.Joiner != nil:
			p := participantRow(*out.Joiner)
			if err := tx.Create(&p).Error; err != nil {
				return err
			}
			return addEvent(tx, *out.Notice)
		}
		return nil
	})
	return out, err
}

// OtherVisitOn reports whether the customer has a live (booked or done)
// visit on day other than visitID.
func (s *Repository) OtherVisitOn(ctx context.Context, customerID, day, visitID string) (bool, error) {
	var other Row
	err := s.db.WithContext(ctx).Where("customer_id = ? AND day = ? AND status IN ? AND id <> ?", customerID, day,
		[]string{visit.StatusBooked, visit.StatusDone}, visitID).Take(&other).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return err == nil, err
}

// LiveVisitOn reports whether the customer has a booked visit on day.
func (s *Repository) LiveVisitOn(ctx context.Context, customerID, day string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Row{}).Where("customer_id = ? AND day = ? AND status = ?", customerID, day, visit.StatusBooked).Count(&n).Error
	return n > 0, err
}

// AddParticipant adds a visitor with the notice of her joining, unless she
// already takes part in the visit (one participant per person).
func (s *Repository) AddParticipant(ctx context.Context, p domain.Participant, notice domain.Event) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&participantRow{}).Where("visit_id = ? AND user_id = ?", p.VisitID, p.UserID).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		row := participantRow(p)
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return addEvent(tx, notice)
	})
}

// AddEvent records a timeline entry or notification, once.
func (s *Repository) AddEvent(ctx context.Context, e domain.Event) error {
	return addEvent(s.db.WithContext(ctx), e)
}

// BookedDays lists the customer's days with a live visit in [from, to].
func (s *Repository) BookedDays(ctx context.Context, customerID, from, to string) ([]string, error) {
	var days []string
	err := s.db.WithContext(ctx).Model(&Row{}).Where("customer_id = ? AND day >= ? AND day <= ? AND status IN ?", customerID, from, to,
		[]string{visit.StatusBooked, visit.StatusDone}).Order("day").Pluck("day", &days).Error
	return days, err
}

// RequestedVisits finds the participants the requests (update ids) added
// to visits of the customers, by request id — along ix_visits_customer to
// the customers' visits, then the participants' primary key.
func (s *Repository) RequestedVisits(ctx context.Context, customerIDs, requestIDs []string) (map[string]*domain.Participant, error) {
	out := map[string]*domain.Participant{}
	if len(customerIDs) == 0 || len(requestIDs) == 0 {
		return out, nil
	}
	var rows []participantRow
	err := s.db.WithContext(ctx).Table("visit_participants p").Select("p.*").Joins("JOIN visits v ON v.id = p.visit_id").
		Where("v.customer_id IN ? AND p.request_id IN ?", customerIDs, requestIDs).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		p := domain.Participant(r)
		out[p.RequestID] = &p
	}
	return out, nil
}

// Update applies change to the visit inside a transaction and stores what it
// decided: the visit's fields, its new timeline entries and the customer's
// contact (care.Touch). The row is written only if its status is still the
// one change saw; otherwise — and when change returns domain.ErrUnchanged,
// or there is no such visit — nothing is stored and no error reported (a
// retried or overtaken write).
func (s *Repository) Update(ctx context.Context, id string, change func(*domain.Visit) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Row
		if err := tx.Where("id = ?", id).Take(&r).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		v := r.visit()
		if err := change(&v); errors.Is(err, domain.ErrUnchanged) {
			return nil
		} else if err != nil {
			return err
		}
		n := rowOf(v)
		res := tx.Model(&Row{}).Where("id = ? AND status = ?", id, r.Status).Updates(map[string]any{
			"status": n.Status, "log_summary": n.LogSummary, "log_outcome": n.LogOutcome, "log_next_step": n.LogNextStep,
			"logged_by": n.LoggedBy, "logged_at": tsp(n.LoggedAt), "cancelled_by": n.CancelledBy, "cancelled_at": tsp(n.CancelledAt),
			"cancel_reason": n.CancelReason, "moved_to": n.MovedTo, "updated_at": ts(n.UpdatedAt)})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // changed meanwhile: a retry
		}
		if v.ContactAt != nil {
			if err := care.Touch(tx, []string{v.CustomerID}, *v.ContactAt); err != nil {
				return err
			}
		}
		return addEvents(tx, v.NewEvents)
	})
}

func tsp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := ts(*t)
	return &u
}

// Visit loads one visit (domain.ErrNotFound when there is none).
func (s *Repository) Visit(ctx context.Context, id string) (domain.Visit, error) {
	var r Row
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Visit{}, domain.ErrNotFound
	}
	return r.visit(), err
}

// Participants loads the visitors of the visits, by visit id, in the order
// they joined.
func (s *Repository) Participants(ctx context.Context, ids []string) (map[string][]domain.Participant, error) {
	out := map[string][]domain.Participant{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []participantRow
	if err := s.db.WithContext(ctx).Where("visit_id IN ?", ids).Order("joined_at, request_id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, p := range rows {
		out[p.VisitID] = append(out[p.VisitID], domain.Participant(p))
	}
	return out, nil
}

// Events loads a visit's timeline, oldest first.
func (s *Repository) Events(ctx context.Context, id string) ([]domain.Event, error) {
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("visit_id = ?", id).Order("at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Event, len(rows))
	for i, e := range rows {
		out[i] = domain.Event(e)
	}
	return out, nil
}

// List loads the visits matching f to customers in scope, by day, start and
// id: at most f.Limit+1, so the caller can tell there are more.
func (s *Repository) List(ctx context.Context, scope auth.Scope, f domain.Filter) ([]domain.Visit, error) {
	q := s.db.WithContext(ctx).Table("visits v").Select("v.*").Joins("JOIN customers c ON c.id = v.customer_id")
	q = custadapters.Scoped(q, scope, "c.")
	if f.CustomerID != "" {
		q = q.Where("v.customer_id = ?", f.CustomerID)
	}
	if f.From != "" {
		q = q.Where("v.day >= ?", f.From)
	}
	if f.To != "" {
		q = q.Where("v.day <= ?", f.To)
	}
	if f.Status != "" {
		q = q.Where("v.status = ?", f.Status)
	}
	part := func(col, val string) *gorm.DB {
		return s.db.Table("visit_participants p").Select("1").Where("p.visit_id = v.id AND p."+col+" = ?", val)
	}
	if f.Department != "" {
		q = q.Where("EXISTS (?)", part("department", f.Department))
	}
	if f.UserID != "" {
		q = q.Where("EXISTS (?)", part("user_id", f.UserID))
	}
	var rows []Row
	if err := q.Order("v.day, v.start_at, v.id").Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Visit, len(rows))
	for i, r := range rows {
		out[i] = r.visit()
	}
	return out, nil
}
