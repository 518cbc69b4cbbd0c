package adapters

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// surveyRow is a row of case_surveys: domain.Survey field for field.
type surveyRow struct {
	ID, CaseID, CustomerID, Team, Priority, Type string
	Language                                     string
	TokenHash                                    string
	Delivery, DeliveryState                      string
	DeliveryAttempts                             int
	DeliveryError                                string
	AsksNPS                                      bool `gorm:"column:asks_nps"`
	ClosedAt, SentAt                             time.Time
	ExpiresAt                                    time.Time
	DeliveredAt, AnsweredAt                      *time.Time
	CSAT                                         *int `gorm:"column:csat"`
	NPS                                          *int `gorm:"column:nps"`
	Comment                                      string
	RecoveryState                                string
	RecoveryFollowUpID                           string
	RecoveryOpenedAt                             *time.Time
}

func (surveyRow) TableName() string { return "case_surveys" }

func (r surveyRow) domain() domain.Survey {
	s := domain.Survey(r)
	s.ClosedAt, s.SentAt, s.ExpiresAt = s.ClosedAt.UTC(), s.SentAt.UTC(), s.ExpiresAt.UTC()
	s.DeliveredAt, s.AnsweredAt, s.RecoveryOpenedAt = utc(s.DeliveredAt), utc(s.AnsweredAt), utc(s.RecoveryOpenedAt)
	return s
}

// skipRow is a row of case_survey_skips.
type skipRow struct {
	CaseID, CustomerID, Reason string
	DecidedAt                  time.Time
}

func (skipRow) TableName() string { return "case_survey_skips" }

// closedRow is what a survey reads of a case (cases).
type closedRow struct {
	ID, CustomerID, Team, Priority, Type, Subject, State string
	AssigneeID, CreatedBy, FollowOnOf                    string
	ContactEmail, Language                               string
	ClosedByCustomer                                     bool
	ClosedAt                                             *time.Time
}

func (closedRow) TableName() string { return "cases" }

func (r closedRow) domain() domain.Closed {
	return domain.Closed{CaseID: r.ID, CustomerID: r.CustomerID, Team: r.Team, Priority: r.Priority, Type: r.Type, Subject: r.Subject,
		State: r.State, AssigneeID: r.AssigneeID, CreatedBy: r.CreatedBy, FollowOnOf: r.FollowOnOf, ContactEmail: r.ContactEmail,
		Language: r.Language, ClosedByCustomer: r.ClosedByCustomer, ClosedAt: utc(r.ClosedAt)}
}

// npsAskRow is a row of customer_nps_asks.
type npsAskRow struct {
	CustomerID string
	AskedAt    time.Time
	Asks       int
}

func (npsAskRow) TableName() string { return "customer_nps_asks" }

// Surveys stores the satisfaction surveys of cases and the decisions not
// to survey one.
type Surveys struct{ db *gorm.DB }

// NewSurveys returns the repository over a migrated database.
func NewSurveys(gdb *gorm.DB) *Surveys { return &Surveys{db: gdb} }

// Decision is what was decided about a closed case: its survey, or why it
// has none (Skip, at SkippedAt).
type Decision struct {
	Survey    *domain.Survey
	Skip      string
	SkippedAt time.Time
}

// Decided reports whether there is a decision.
func (d Decision) Decided() bool { return d.Survey != nil || d.Skip != "" }

// Decide decides a case's survey once, in one transaction: it locks the
// case, returns the decision already stored (fresh false), or reads the
// facts, lets fn decide (domain.Decide, with the entries to add) and stores
// the survey or the reason for none (fresh true). The recommend question is
// claimed for the customer with a compare-and-set: when a concurrent
// decision for another of its cases claimed it first, the survey does not
// ask it.
func (r *Surveys) Decide(ctx context.Context, caseID string, now time.Time, fn func(domain.Facts) (*domain.Survey, string, []domain.Entry, error)) (d Decision, fresh bool, err error) {
	err = r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c closedRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", caseID).Take(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return domain.ErrCaseNotFound
		}
		if err != nil {
			return err
		}
		if d, err = decision(tx, caseID); err != nil || d.Decided() {
			return err
		}
		f := domain.Facts{Case: c.domain()}
		if c.FollowOnOf != "" {
			var n int64
			if err := tx.Model(&surveyRow{}).Where("case_id = ?", c.FollowOnOf).Count(&n).Error; err != nil {
				return err
			}
			f.PreviousSurveyed = n > 0
		}
		var ask npsAskRow
		err = tx.Where("customer_id = ?", c.CustomerID).Take(&ask).Error
		switch {
		case err == nil:
			at := ask.AskedAt.UTC()
			f.NPSAskedAt = &at
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		s, skip, entries, err := fn(f)
		if err != nil {
			return err
		}
		if s == nil {
			row := skipRow{CaseID: caseID, CustomerID: c.CustomerID, Reason: skip, DecidedAt: now.UTC().Truncate(time.Microsecond)}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			d, fresh = Decision{Skip: skip, SkippedAt: row.DecidedAt}, true
			return nil
		}
		if s.AsksNPS {
			if s.AsksNPS, err = claimNPS(tx, c.CustomerID, ask.Asks, s.SentAt); err != nil {
				return err
			}
		}
		row := surveyRow(*s)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := addEntries(tx, caseID, entries); err != nil {
			return err
		}
		d, fresh = Decision{Survey: s}, true
		return nil
	})
	return d, fresh, err
}

// claimNPS records that the customer is asked the recommend question at
// at, unless the record changed since it was read with seen asks (0: there
// was none): a compare-and-set on the count of asks.
func claimNPS(tx *gorm.DB, customerID string, seen int, at time.Time) (bool, error) {
	if seen == 0 {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&npsAskRow{CustomerID: customerID, AskedAt: at, Asks: 1})
		return res.RowsAffected == 1, res.Error
	}
	res := tx.Model(&npsAskRow{}).Where("customer_id = ? AND asks = ?", customerID, seen).
		Updates(map[string]any{"asked_at": at, "asks": seen + 1})
	return res.RowsAffected == 1, res.Error
}

func decision(tx *gorm.DB, caseID string) (Decision, error) {
	var s surveyRow
	err := tx.Where("case_id = ?", caseID).Take(&s).Error
	if err == nil {
		d := s.domain()
		return Decision{Survey: &d}, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return Decision{}, err
	}
	var k skipRow
	err = tx.Where("case_id = ?", caseID).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Decision{}, nil
	}
	return Decision{Skip: k.Reason, SkippedAt: k.DecidedAt.UTC()}, err
}

// ForCase returns what was decided about a case's survey (nothing yet: a
// Decision that is not Decided).
func (r *Surveys) ForCase(ctx context.Context, caseID string) (Decision, error) {
	return decision(r.db.WithContext(ctx), caseID)
}

// ByToken returns the survey whose token has this hash
// (domain.ErrSurveyNotFound when none has).
func (r *Surveys) ByToken(ctx context.Context, tokenHash string) (domain.Survey, error) {
	var row surveyRow
	err := r.db.WithContext(ctx).Where("token_hash = ?", tokenHash).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Survey{}, domain.ErrSurveyNotFound
	}
	return row.domain(), err
}

// Closed returns what a survey reads of a case.
func (r *Surveys) Closed(ctx context.Context, caseID string) (domain.Closed, error) {
	var c closedRow
	err := r.db.WithContext(ctx).Where("id = ?", caseID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Closed{}, domain.ErrCaseNotFound
	}
	return c.domain(), err
}

// Update changes a survey in one transaction: it loads it with a row lock,
// lets fn change it (a refusal stores nothing), saves it when it changed,
// appends fn's entries to the case's timeline, and — when the answer
// changed — counts it in the reports (RecordCaseFacts); a new answer also
// queues the sync of the customer's standing (standing_syncs). The survey's
// identity (id, case, customer, team, priority, type, sent_at) never
// changes.
func (r *Surveys) Update(ctx context.Context, id string, fn func(*domain.Survey) ([]domain.Entry, error)) (domain.Survey, error) {
	var out domain.Survey
	// Two answers at once can deadlock on the case rows and the report
	// rollup: the victim runs again (db.Transaction).
	err := db.Transaction(ctx, r.db, func(tx *gorm.DB) error {
		var row surveyRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return domain.ErrSurveyNotFound
		}
		if err != nil {
			return err
		}
		before := row.domain()
		s := before
		entries, err := fn(&s)
		if err != nil {
			return err
		}
		out = before
		if reflect.DeepEqual(s, before) && len(entries) == 0 {
			return nil
		}
		if s.ID != before.ID || s.CaseID != before.CaseID {
			return fmt.Errorf("update of survey %s changed its identity", id)
		}
		if err := tx.Model(&surveyRow{}).Where("id = ?", id).Updates(map[string]any{
			"language": s.Language, "token_hash": s.TokenHash, "delivery": s.Delivery, "delivery_state": s.DeliveryState,
			"delivery_attempts": s.DeliveryAttempts, "delivery_error": s.DeliveryError, "asks_nps": s.AsksNPS, "expires_at": s.ExpiresAt,
			"delivered_at": s.DeliveredAt, "answered_at": s.AnsweredAt, "csat": s.CSAT, "nps": s.NPS, "comment": s.Comment,
			"recovery_state": s.RecoveryState, "recovery_follow_up_id": s.RecoveryFollowUpID, "recovery_opened_at": s.RecoveryOpenedAt,
		}).Error; err != nil {
			return err
		}
		if err := addEntries(tx, s.CaseID, entries); err != nil {
			return err
		}
		if !reflect.DeepEqual(s.AnsweredAt, before.AnsweredAt) || !reflect.DeepEqual(s.CSAT, before.CSAT) || !reflect.DeepEqual(s.NPS, before.NPS) {
			if err := RecordCaseFacts(tx, s.CaseID); err != nil {
				return err
			}
		}
		if before.AnsweredAt == nil && s.AnsweredAt != nil {
			// The customer's standing changed: its copy in the customer
			// service follows (the outbox of LoyaltySync, app.Standings).
			if err := queueStandingSync(tx, s); err != nil {
				return err
			}
		}
		s.ClosedAt, s.SentAt = before.ClosedAt, before.SentAt
		out = s
		return nil
	})
	if err != nil {
		return domain.Survey{}, err
	}
	return out, nil
}

// Recovery is a survey whose recovery call is still to be started, with
// what its follow-up needs of the case.
type Recovery struct {
	Survey                         domain.Survey
	Subject, AssigneeID, CreatedBy string
}

// PendingRecoveries returns up to limit surveys whose recovery call is
// decided but not started, oldest answer first.
func (r *Surveys) PendingRecoveries(ctx context.Context, limit int) ([]Recovery, error) {
	var rows []surveyRow
	if err := r.db.WithContext(ctx).Where("recovery_state = ?", domain.RecoveryPending).Order("answered_at, id").
		Limit(clamp(limit)).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Recovery, 0, len(rows))
	for _, row := range rows {
		var c caseRow
		if err := r.db.WithContext(ctx).Where("id = ?", row.CaseID).Take(&c).Error; err != nil {
			return nil, err
		}
		out = append(out, Recovery{Survey: row.domain(), Subject: c.Subject, AssigneeID: c.AssigneeID, CreatedBy: c.CreatedBy})
	}
	return out, nil
}

// HistoryItem is an answered survey with its case's subject.
type HistoryItem struct {
	Survey  domain.Survey
	Subject string
}

// History returns a page of a customer's answered surveys on the cases
// scope sees, newest answer first ((answered_at, id) descending), after
// the position after.
func (r *Surveys) History(ctx context.Context, scope domain.Scope, customerID string, after *Cursor, limit int) (Page[HistoryItem], error) {
	db := r.db.WithContext(ctx)
	seen := Scoped(db.Model(&caseRow{}).Select("id").Where("customer_id = ?", customerID), scope)
	q := db.Where("customer_id = ? AND answered_at IS NOT NULL AND case_id IN (?)", customerID, seen)
	if after != nil {
		q = q.Where("(answered_at, id) < (?, ?)", after.At.UTC(), after.ID)
	}
	limit = clamp(limit)
	var rows []surveyRow
	if err := q.Order("answered_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[HistoryItem]{}, err
	}
	ids := make([]string, 0, len(rows))
	for _, row := range rows {
		ids = append(ids, row.CaseID)
	}
	var subjects []struct{ ID, Subject string }
	if err := db.Model(&caseRow{}).Select("id, subject").Where("id IN ?", append(ids, "")).Find(&subjects).Error; err != nil {
		return Page[HistoryItem]{}, err
	}
	subject := map[string]string{}
	for _, s := range subjects {
		subject[s.ID] = s.Subject
	}
	var p Page[HistoryItem]
	for i, row := range rows {
		if i == limit {
			last := p.Items[limit-1].Survey
			p.Next = &Cursor{At: *last.AnsweredAt, ID: last.ID}
			break
		}
		p.Items = append(p.Items, HistoryItem{Survey: row.domain(), Subject: subject[row.CaseID]})
	}
	return p, nil
}

// SeesCustomer reports whether scope sees any case of the customer.
func (r *Surveys) SeesCustomer(ctx context.Context, scope domain.Scope, customerID string) (bool, error) {
	var ids []string
	err := Scoped(r.db.WithContext(ctx).Model(&caseRow{}).Select("id").Where("customer_id = ?", customerID), scope).Limit(1).Find(&ids).Error
	return len(ids) > 0, err
}

// CustomerSurveys returns every survey of a customer (sent, answered or
// not), for its summary.
func (r *Surveys) CustomerSurveys(ctx context.Context, customerID string) ([]domain.Survey, error) {
	var rows []surveyRow
	if err := r.db.WithContext(ctx).Where("customer_id = ?", customerID).Order("sent_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Survey, 0, len(rows))
	for _, row := range rows {
		out = append(out, row.domain())
	}
	return out, nil
}

// LoyaltyFacts returns the loyalty rule's inputs of a customer at now: its
// answers, when it filed cases within domain.RepeatWindow, and its first
// case.
func (r *Surveys) LoyaltyFacts(ctx context.Context, customerID string, answers []domain.Survey, now time.Time) (domain.LoyaltyFacts, error) {
	var f domain.LoyaltyFacts
	for _, s := range answers {
		if s.AnsweredAt != nil && s.CSAT != nil {
			f.Answers = append(f.Answers, domain.Scored{At: *s.AnsweredAt, CSAT: *s.CSAT, NPS: s.NPS})
		}
	}
	db := r.db.WithContext(ctx)
	var dates []time.Time
	if err := db.Model(&caseRow{}).Where("customer_id = ? AND created_at >= ?", customerID, now.Add(-domain.RepeatWindow).UTC()).
		Pluck("created_at", &dates).Error; err != nil {
		return f, err
	}
	for _, d := range dates {
		f.CaseDates = append(f.CaseDates, d.UTC())
	}
	var first []time.Time
	if err := db.Model(&caseRow{}).Where("customer_id = ?", customerID).Order("created_at").Limit(1).Pluck("created_at", &first).Error; err != nil {
		return f, err
	}
	if len(first) == 1 {
		at := first[0].UTC()
		f.FirstCaseAt = &at
	}
	return f, nil
}
