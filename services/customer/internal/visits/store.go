// Package visits is the customer service's side of visit scheduling: the
// visits table and its timeline (written only by the Visit workflow, through
// the activities in activities.go), the API that sends requests,
// cancellations and logs to that workflow as Temporal updates (service.go,
// temporal.go, http.go), and the calendar views (department, rep, customer).
//
// The workflow (workflows/visit) decides; this package checks who may ask and
// whether the day can be asked for at all (past, non-working day, unknown
// customer), stores what the workflow decided, and shows it.
package visits

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/customer/internal/care"
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

// ParticipantRow is one visitor of a visit.
type ParticipantRow struct {
	VisitID    string
	RequestID  string
	UserID     string
	Department string
	Purpose    string
	Role       string
	JoinedAt   time.Time
}

// TableName is the table.
func (ParticipantRow) TableName() string { return "visit_participants" }

// EventRow is one entry of a visit's timeline; with a recipient it is a
// notification to that person ("managers:<team>" for a team's managers).
type EventRow struct {
	ID        string
	VisitID   string
	Kind      string
	Actor     string
	Recipient string
	Summary   string
	Data      string
	At        time.Time
}

// TableName is the table.
func (EventRow) TableName() string { return "visit_events" }

// Store writes visits for the Visit workflow's activities. Every write is
// idempotent, so a retried activity changes nothing twice.
type Store struct{ db *gorm.DB }

// NewStore wraps a migrated database.
func NewStore(gdb *gorm.DB) *Store { return &Store{db: gdb} }

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// instant reads an activity payload's RFC 3339 instant as stored; a
// malformed one is refused (invalid), not retried.
func instant(field, s string) (time.Time, error) {
	t, err := visit.ParseAt(s)
	if err != nil {
		var v apperr.Validation
		v.Add(field, visit.CodeInvalid, "an instant in RFC 3339")
		return t, v.Err()
	}
	return ts(t), nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

func (s *Store) addEvent(tx *gorm.DB, e EventRow) error {
	e.Summary, e.At = clip(e.Summary, 2000), ts(e.At)
	if e.Data == "" {
		e.Data = "{}"
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&e).Error
}

// Book stores a booked visit with its booker. Another live visit of the same
// customer-day (which the workflow makes impossible) is refused by the
// unique index: day_taken, not retried.
func (s *Store) Book(ctx context.Context, in *visit.BookInput) error {
	start, err := instant("start_at", in.StartAt)
	if err != nil {
		return err
	}
	end, err := instant("end_at", in.EndAt)
	if err != nil {
		return err
	}
	at, err := instant("at", in.At)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Row{}).Where("id = ?", in.VisitId).Count(&n).Error; err != nil || n > 0 {
			return err // a retry: stored already
		}
		row := Row{ID: in.VisitId, WorkflowID: in.WorkflowId, CustomerID: in.CustomerId, Day: in.Day, StartAt: start, EndAt: end,
			Status: visit.StatusBooked, BookedBy: in.BookedBy, Team: in.Team, Department: in.Department, Purpose: clip(in.Purpose, 2000),
			CreatedAt: at, UpdatedAt: at}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Create(&ParticipantRow{VisitID: in.VisitId, RequestID: in.RequestId, UserID: in.BookedBy, Department: in.Department,
			Purpose: clip(in.Purpose, 2000), Role: "booker", JoinedAt: at}).Error; err != nil {
			return err
		}
		if err := s.addEvent(tx, EventRow{ID: in.VisitId + ":booked", VisitID: in.VisitId, Kind: "booked", Actor: in.BookedBy,
			Summary: in.BookedBy + " of " + in.Department + " booked the visit: " + in.Purpose, At: at}); err != nil {
			return err
		}
		if in.NonWorkingDayBy == "" {
			return nil
		}
		data, _ := json.Marshal(map[string]string{"allowed_by": in.NonWorkingDayBy, "day": in.Day})
		return s.addEvent(tx, EventRow{ID: in.VisitId + ":non-working-day", VisitID: in.VisitId, Kind: "non_working_day", Actor: in.NonWorkingDayBy,
			Summary: in.Day + " is not a working day in the customer's calendar; " + in.NonWorkingDayBy + " allowed the visit", Data: string(data), At: at})
	})
}

// LiveVisitOn reports whether the customer has a booked visit on day.
func (s *Store) LiveVisitOn(ctx context.Context, customerID, day string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Row{}).Where("customer_id = ? AND day = ? AND status = ?", customerID, day, visit.StatusBooked).Count(&n).Error
	return n > 0, err
}

// BookError turns a failed booking into the refusal the workflow must not
// retry when the day holds another live visit.
func (s *Store) BookError(ctx context.Context, in *visit.BookInput, err error) error {
	var other Row
	q := s.db.WithContext(ctx).Where("customer_id = ? AND day = ? AND status IN ? AND id <> ?", in.CustomerId, in.Day,
		[]string{visit.StatusBooked, visit.StatusDone}, in.VisitId).Take(&other)
	if q.Error == nil {
		return apperr.Conflict(visit.CodeDayTaken, "the customer already has a visit on "+in.Day)
	}
	return err
}

// Join adds a participant and tells the booker who joins and why. Someone
// who already takes part in the visit is not added again (one participant
// per person; the workflow does not ask, runs started before it knew that
// may).
func (s *Store) Join(ctx context.Context, in *visit.JoinInput) error {
	at, err := instant("at", in.At)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&ParticipantRow{}).Where("visit_id = ? AND user_id = ?", in.VisitId, in.UserId).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ParticipantRow{VisitID: in.VisitId, RequestID: in.RequestId, UserID: in.UserId,
			Department: in.Department, Purpose: clip(in.Purpose, 2000), Role: "joined", JoinedAt: at})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		data, _ := json.Marshal(map[string]string{"user_id": in.UserId, "department": in.Department, "purpose": in.Purpose})
		return s.addEvent(tx, EventRow{ID: in.VisitId + ":joined:" + in.RequestId, VisitID: in.VisitId, Kind: "joined", Actor: in.UserId,
			Recipient: in.Notify, Summary: in.UserId + " of " + in.Department + " joins: " + in.Purpose, Data: string(data), At: at})
	})
}

// RecordEvent records a timeline entry or notification.
func (s *Store) RecordEvent(ctx context.Context, in *visit.EventInput) error {
	at, err := instant("at", in.At)
	if err != nil {
		return err
	}
	data := "{}"
	if len(in.Data) > 0 {
		b, _ := json.Marshal(in.Data)
		data = string(b)
	}
	return s.addEvent(s.db.WithContext(ctx), EventRow{ID: in.Id, VisitID: in.VisitId, Kind: in.Kind, Actor: in.Actor, Recipient: in.Recipient,
		Summary: in.Summary, Data: data, At: at})
}

// BookedDays lists the customer's days with a live visit in [from, to].
func (s *Store) BookedDays(ctx context.Context, in *visit.BookedDaysInput) (*visit.BookedDaysResult, error) {
	var days []string
	err := s.db.WithContext(ctx).Model(&Row{}).Where("customer_id = ? AND day >= ? AND day <= ? AND status IN ?", in.CustomerId, in.From, in.To,
		[]string{visit.StatusBooked, visit.StatusDone}).Order("day").Pluck("day", &days).Error
	return &visit.BookedDaysResult{Days: days}, err
}

// Cancel marks a booked visit cancelled and notifies its other visitors.
func (s *Store) Cancel(ctx context.Context, in *visit.CancelInput) error {
	at, err := instant("at", in.At)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Row{}).Where("id = ? AND status = ?", in.VisitId, visit.StatusBooked).Updates(map[string]any{
			"status": visit.StatusCancelled, "cancelled_by": in.Actor, "cancelled_at": at, "cancel_reason": clip(in.Reason, 2000),
			"moved_to": in.MovedTo, "updated_at": at})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // cancelled already: a retry
		}
		what := "cancelled"
		if in.MovedTo != "" {
			what = "moved to " + in.MovedTo
		}
		if err := s.addEvent(tx, EventRow{ID: in.VisitId + ":cancelled", VisitID: in.VisitId, Kind: "cancelled", Actor: in.Actor,
			Summary: in.Actor + " " + what + " the visit: " + in.Reason, At: at}); err != nil {
			return err
		}
		for _, u := range in.Notify {
			if err := s.addEvent(tx, EventRow{ID: in.VisitId + ":cancelled:" + u, VisitID: in.VisitId, Kind: "cancel_notice", Actor: in.Actor,
				Recipient: u, Summary: "the visit you join was " + what + " by " + in.Actor + ": " + in.Reason, At: at}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Log records what the visit achieved; the visit is done.
func (s *Store) Log(ctx context.Context, in *visit.LogInput) error {
	at, err := instant("at", in.At)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Row{}).Where("id = ? AND status = ?", in.VisitId, visit.StatusBooked).Updates(map[string]any{
			"status": visit.StatusDone, "log_summary": clip(in.Summary, 4000), "log_outcome": clip(in.Outcome, 200),
			"log_next_step": clip(in.NextStep, 2000), "logged_by": in.Actor, "logged_at": at, "updated_at": at})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		// A visit is a contact: the customer's care cadence restarts at its start.
		var r Row
		if err := tx.Select("customer_id, start_at").Where("id = ?", in.VisitId).Take(&r).Error; err != nil {
			return err
		}
		if err := care.Touch(tx, []string{r.CustomerID}, r.StartAt); err != nil {
			return err
		}
		return s.addEvent(tx, EventRow{ID: in.VisitId + ":logged", VisitID: in.VisitId, Kind: "logged", Actor: in.Actor,
			Summary: in.Actor + " logged the visit: " + in.Summary, At: at})
	})
}

// Visit loads one visit.
func (s *Store) Visit(ctx context.Context, id string) (Row, error) {
	var r Row
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, errNotFound
	}
	return r, err
}

// Participants loads the visitors of the visits, by visit id.
func (s *Store) Participants(ctx context.Context, ids []string) (map[string][]ParticipantRow, error) {
	out := map[string][]ParticipantRow{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []ParticipantRow
	if err := s.db.WithContext(ctx).Where("visit_id IN ?", ids).Order("joined_at, request_id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, p := range rows {
		out[p.VisitID] = append(out[p.VisitID], p)
	}
	return out, nil
}

// Events loads a visit's timeline, oldest first.
func (s *Store) Events(ctx context.Context, id string) ([]EventRow, error) {
	var rows []EventRow
	err := s.db.WithContext(ctx).Where("visit_id = ?", id).Order("at, id").Find(&rows).Error
	return rows, err
}

var errNotFound = apperr.NotFound("visit_not_found", "no such visit")
