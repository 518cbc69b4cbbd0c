package adapters

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// Opportunity is a row of opportunities.
type Opportunity struct {
	ID             string `gorm:"primaryKey"`
	LeadID         string
	CustomerID     string
	Name           string
	OwnerID        string
	Team           string
	TerritoryID    string
	Region         string
	Stage          int
	MaxStage       int
	Status         string
	AmountMinor    int64
	Currency       string
	ExpectedClose  string
	Probability    int
	LostReason     string
	Competitor     string
	StageEnteredAt time.Time
	Version        int64
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       *time.Time
}

func (Opportunity) TableName() string { return "opportunities" }

// EffectiveProbability is the opportunity's own probability, or its stage's
// default (domain.EffectiveProbability).
func (o Opportunity) EffectiveProbability() int {
	return domain.EffectiveProbability(o.Status, o.Stage, o.Probability)
}

// StageChange is one funnel move of an opportunity (creation included: from 0).
type StageChange struct {
	ID             string `gorm:"primaryKey"`
	OpportunityID  string
	FromStage      int
	ToStage        int
	ToStatus       string
	SecondsInStage int64
	OwnerID        string
	Team           string
	Actor          string
	Reason         string
	At             time.Time
}

func (StageChange) TableName() string { return "opportunity_stage_changes" }

// CreateOpportunity inserts o unless it exists; it returns the stored row.
func (s *Store) CreateOpportunity(ctx context.Context, o *Opportunity) (Opportunity, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return createOpportunity(tx, o) })
	if err != nil {
		return Opportunity{}, err
	}
	return s.Opportunity(ctx, o.ID)
}

func createOpportunity(tx *gorm.DB, o *Opportunity) error {
	var n int64
	if err := tx.Model(&Opportunity{}).Where("id = ?", o.ID).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	ts := now()
	o.Status, o.MaxStage, o.Version, o.UpdatedAt = domain.OppOpen, o.Stage, 1, ts
	if o.CreatedAt.IsZero() {
		o.CreatedAt = ts
	}
	o.StageEnteredAt = o.CreatedAt
	if err := tx.Create(o).Error; err != nil {
		return err
	}
	if err := tx.Create(&StageChange{ID: o.ID + ":0", OpportunityID: o.ID, FromStage: 0, ToStage: o.Stage, ToStatus: domain.OppOpen,
		OwnerID: o.OwnerID, Team: o.Team, Actor: o.CreatedBy, Reason: "created", At: o.CreatedAt}).Error; err != nil {
		return err
	}
	return tx.Create(&Event{ID: o.ID + ":0:created", SubjectType: "opportunity", SubjectID: o.ID, Kind: "created", Actor: o.CreatedBy,
		Summary: "opportunity created in stage " + itoa(o.Stage) + " (" + domain.StageNames[o.Stage] + ")",
		Data:    jsonObject("lead_id", o.LeadID, "stage", itoa(o.Stage)), At: o.CreatedAt, RecordedAt: ts}).Error
}

// Opportunity returns an opportunity regardless of scope.
func (s *Store) Opportunity(ctx context.Context, id string) (Opportunity, error) {
	var o Opportunity
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&o).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return o, domain.ErrOpportunityNotFound
	}
	return o, err
}

// OppFilter narrows an opportunity list.
type OppFilter struct {
	Status, OwnerID, Team string
	// CustomerID: only the opportunities on this customer.
	CustomerID string
	Stage      int
	Limit      int
	After      *Cursor
}

// ListOpportunities returns a page of opportunities in scope, newest first.
func (s *Store) ListOpportunities(ctx context.Context, scope auth.Scope, f OppFilter) ([]Opportunity, error) {
	q := ScopedLeads(s.db.WithContext(ctx).Model(&Opportunity{}), scope, false)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	if f.Team != "" {
		q = q.Where("team = ?", f.Team)
	}
	if f.Stage != 0 {
		q = q.Where("stage = ?", f.Stage)
	}
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.After != nil {
		q = q.Where("(created_at, id) < (?, ?)", f.After.At, f.After.ID)
	}
	var out []Opportunity
	return out, q.Order("created_at DESC, id DESC").Limit(f.Limit + 1).Find(&out).Error
}

// OppCommand is a stage change or close applied by the opportunity workflow.
type OppCommand struct {
	ID, Op, Actor, Reason, Competitor, EventID string
	ToStage                                    int
	MayGoBack                                  bool
	At                                         time.Time
}

// ApplyOpportunityCommand moves or closes an opportunity once per event id.
func (s *Store) ApplyOpportunityCommand(ctx context.Context, c OppCommand) (Opportunity, error) {
	var out Opportunity
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var o Opportunity
		if err := tx.Where("id = ?", c.ID).Take(&o).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return domain.ErrOpportunityNotFound
			}
			return err
		}
		var seen int64
		if err := tx.Model(&Event{}).Where("id = ?", c.EventID).Count(&seen).Error; err != nil {
			return err
		}
		if seen > 0 {
			out = o
			return nil
		}
		p := domain.OpportunityProgress{Stage: o.Stage, MaxStage: o.MaxStage, Status: o.Status, StageEnteredAt: o.StageEnteredAt,
			ClosedAt: o.ClosedAt, LostReason: o.LostReason, Competitor: o.Competitor}
		m, e, err := p.Apply(domain.OpportunityChange{Op: c.Op, ToStage: c.ToStage, MayGoBack: c.MayGoBack, Reason: c.Reason, Competitor: c.Competitor, At: c.At})
		if err != nil {
			return err
		}
		o.Stage, o.MaxStage, o.Status, o.StageEnteredAt, o.ClosedAt, o.LostReason, o.Competitor =
			p.Stage, p.MaxStage, p.Status, p.StageEnteredAt, p.ClosedAt, p.LostReason, p.Competitor
		at := c.At.UTC()
		ch := StageChange{ID: c.EventID, OpportunityID: o.ID, FromStage: m.From, ToStage: m.To, ToStatus: m.ToStatus, SecondsInStage: m.SecondsInStage,
			OwnerID: o.OwnerID, Team: o.Team, Actor: c.Actor, Reason: c.Reason, At: at}
		ev := Event{ID: c.EventID, SubjectType: "opportunity", SubjectID: o.ID, Kind: e.Kind, Summary: e.Summary, Actor: c.Actor, At: at,
			RecordedAt: now(), Data: jsonObject(e.Data...)}
		o.Version++
		o.UpdatedAt = now()
		if err := tx.Save(&o).Error; err != nil {
			return err
		}
		if err := tx.Create(&ch).Error; err != nil {
			return err
		}
		out = o
		return tx.Create(&ev).Error
	})
	return out, err
}

// PatchOpportunity changes an opportunity's name, money and dates when its
// version matches (0: any), recording the change on its timeline.
func (s *Store) PatchOpportunity(ctx context.Context, id string, version int64, actor string, change func(*Opportunity) (string, error)) (Opportunity, error) {
	var out Opportunity
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var o Opportunity
		if err := tx.Where("id = ?", id).Take(&o).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return domain.ErrOpportunityNotFound
			}
			return err
		}
		if version != 0 && o.Version != version {
			return domain.ErrVersionConflict.With("current_version", o.Version)
		}
		summary, err := change(&o)
		if err != nil {
			return err
		}
		o.Version++
		o.UpdatedAt = now()
		if err := tx.Save(&o).Error; err != nil {
			return err
		}
		out = o
		return tx.Create(&Event{ID: eventID(o.ID, "edit", int(o.Version)), SubjectType: "opportunity", SubjectID: o.ID, Kind: "edited",
			Actor: actor, Summary: summary, Data: "{}", At: o.UpdatedAt, RecordedAt: o.UpdatedAt}).Error
	})
	return out, err
}
