package care

import (
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// The care terms — the care.cadence version in force and the business
// calendars with their assignments — are the follow-up engine's. A sweep
// resolves them once and hands them to every page it opens (OpenPage); the
// customer service keeps the latest it received (table care_terms, one row)
// so that what it answers about care between sweeps — a customer's next due
// care contact, care coverage — follows the same terms as the sweep that
// opens the follow-ups. They are as fresh as the latest sweep (the
// CARE_SWEEP_INTERVAL, 1 h by default); before the first sweep there are
// none.

// termsRow is the one row of care_terms.
type termsRow struct {
	ID             int `gorm:"primaryKey"`
	CadenceVersion int64
	Terms          string // protojson of followupv1.CareTerms
	ResolvedAt     time.Time
	ReceivedAt     time.Time
}

func (termsRow) TableName() string { return "care_terms" }

// termsTTL is how long a process reuses the terms it read: a sweep of
// another replica replaces them at most that much later here.
const termsTTL = 15 * time.Second

// termsCache holds the terms last read or written by this process.
type termsCache struct {
	mu     sync.Mutex
	terms  *followupv1.CareTerms
	asOf   time.Time
	readAt time.Time
}

// rememberTerms stores the terms a sweep resolved at `at`, unless they are
// the ones this process holds already.
func (s *Service) rememberTerms(ctx context.Context, terms *followupv1.CareTerms, at time.Time) error {
	if terms.GetCadence() == nil {
		return nil
	}
	s.cache.mu.Lock()
	same := s.cache.terms != nil && proto.Equal(s.cache.terms, terms) && !at.Before(s.cache.asOf)
	s.cache.mu.Unlock()
	if same {
		return nil
	}
	raw, err := protojson.Marshal(terms)
	if err != nil {
		return err
	}
	row := termsRow{ID: 1, CadenceVersion: terms.GetCadence().GetVersion(), Terms: string(raw), ResolvedAt: ts(at), ReceivedAt: ts(s.now())}
	// A page of an older sweep (retried late) never replaces newer terms.
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"cadence_version", "terms", "resolved_at", "received_at"}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "care_terms.resolved_at <= excluded.resolved_at"}}},
	}).Create(&row)
	if res.Error != nil {
		return res.Error
	}
	s.cache.mu.Lock()
	s.cache.terms, s.cache.asOf, s.cache.readAt = nil, time.Time{}, time.Time{} // read back what won
	s.cache.mu.Unlock()
	return nil
}

// Terms returns the care terms of the latest sweep and when that sweep
// resolved them; nil terms before the first sweep.
func (s *Service) Terms(ctx context.Context) (*followupv1.CareTerms, time.Time, error) {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if s.cache.terms != nil && s.now().Sub(s.cache.readAt) < termsTTL {
		return s.cache.terms, s.cache.asOf, nil
	}
	var row termsRow
	err := s.db.WithContext(ctx).Where("id = 1").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	terms := &followupv1.CareTerms{}
	if err := protojson.Unmarshal([]byte(row.Terms), terms); err != nil {
		return nil, time.Time{}, err
	}
	s.cache.terms, s.cache.asOf, s.cache.readAt = terms, row.ResolvedAt.UTC(), s.now()
	return terms, s.cache.asOf, nil
}

// Status returns a customer's care status now, under the latest care terms,
// with its open care follow-up.
func (s *Service) Status(ctx context.Context, customerID string, c Customer) (Status, error) {
	terms, asOf, err := s.Terms(ctx)
	if err != nil {
		return Status{}, err
	}
	var open []FollowUp
	if err := s.db.WithContext(ctx).Where("customer_id = ? AND closed_at IS NULL", customerID).Order("opened_at DESC").Limit(1).Find(&open).Error; err != nil {
		return Status{}, err
	}
	var o *FollowUp
	if len(open) > 0 {
		o = &open[0]
	}
	return StatusOf(c, terms, asOf, o, s.now()), nil
}
