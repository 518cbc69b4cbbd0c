package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// Lead is a row of leads.
type Lead struct {
	ID              string `gorm:"primaryKey"`
	Source          string
	CustomerID      string
	CustomerCreated bool
	CompanyName     string
	TaxID           string
	ContactName     string
	ContactEmail    string
	ContactPhone    string
	Region          string
	Industry        string
	Interest        string
	Notes           string
	State           string
	CloseReason     string
	OwnerID         string
	Team            string
	TerritoryID     string
	ManagerID       string
	Pooled          bool
	AssignmentSeq   int
	AssignmentWhy   string
	AssignedAt      *time.Time
	FirstContactAt  *time.Time
	OpportunityID   string
	ReceivedAt      time.Time
	CreatedBy       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ClosedAt        *time.Time
}

func (Lead) TableName() string { return "leads" }

// createLead inserts l with its "created" timeline event unless a lead with
// its id exists (a retried activity).
func createLead(tx *gorm.DB, l *Lead) error {
	ts := now()
	l.CreatedAt, l.UpdatedAt, l.State = ts, ts, domain.LeadNew
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(l)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Event{
		ID: l.ID + ":0:created", SubjectType: "lead", SubjectID: l.ID, Kind: "created", Actor: l.CreatedBy,
		Summary: "lead received from " + l.Source, Data: "{}", At: l.ReceivedAt, RecordedAt: ts,
	}).Error
}

// Lead returns a lead regardless of scope.
func (s *Store) Lead(ctx context.Context, id string) (Lead, error) {
	var l Lead
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return l, domain.ErrLeadNotFound
	}
	return l, err
}

// LeadFilter narrows a lead list.
type LeadFilter struct {
	State, OwnerID, Team, TerritoryID string
	// CustomerID: only the leads filed under this customer.
	CustomerID string
	Pool       bool
	Limit      int
	After      *Cursor
}

// Cursor is a keyset position (created_at, id).
type Cursor struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// ListLeads returns a page of leads in scope, newest first.
func (s *Store) ListLeads(ctx context.Context, scope auth.Scope, f LeadFilter) ([]Lead, error) {
	q := ScopedLeads(s.db.WithContext(ctx).Model(&Lead{}), scope, true)
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	if f.Team != "" {
		q = q.Where("team = ?", f.Team)
	}
	if f.TerritoryID != "" {
		q = q.Where("territory_id = ?", f.TerritoryID)
	}
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.Pool {
		q = q.Where("pooled AND closed_at IS NULL")
	}
	if f.After != nil {
		q = q.Where("(created_at, id) < (?, ?)", f.After.At, f.After.ID)
	}
	var out []Lead
	return out, q.Order("created_at DESC, id DESC").Limit(f.Limit + 1).Find(&out).Error
}

// AssignLead assigns a lead as in describes (see salesv1.AssignLeadInput). A
// call with an assignment number the lead already has returns the stored
// assignment: retries change nothing.
func (s *Store) AssignLead(ctx context.Context, in AssignInput) (Lead, error) {
	var out Lead
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if in.Lead != nil {
			if err := createLead(tx, in.Lead); err != nil {
				return err
			}
		}
		var l Lead
		q := tx
		if db.Dialect(tx) != db.SQLite {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Where("id = ?", in.LeadID).Take(&l).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return domain.ErrLeadNotFound
			}
			return err
		}
		if in.RequestID != "" {
			done, err := assignedFor(tx, l.ID, in.RequestID)
			if err != nil || done {
				out = l
				return err
			}
			if in.Seq <= l.AssignmentSeq { // the number is another request's: this one comes after it
				in.Seq = l.AssignmentSeq + 1
			}
		}
		if in.Seq <= l.AssignmentSeq {
			out = l
			return nil
		}
		if !domain.LeadOpen(l.State) {
			return domain.ErrLeadClosed
		}
		if in.CustomerID != "" {
			l.CustomerID, l.CustomerCreated = in.CustomerID, in.CustomerCreated
		}
		prevOwner := l.OwnerID
		d, err := firstOrNext(tx, &l, in)
		if err != nil {
			return err
		}
		at := in.At.UTC()
		l.AssignedAt, l.AssignmentSeq, l.AssignmentWhy, l.UpdatedAt = &at, in.Seq, d.Why, now()
		if err := tx.Save(&l).Error; err != nil {
			return err
		}
		kind, summary := d.Event(prevOwner)
		out = l
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Event{
			ID: eventID(l.ID, "assign", in.Seq), SubjectType: "lead", SubjectID: l.ID, Kind: kind, Actor: in.Actor,
			Summary: summary, Data: jsonObject("owner_id", l.OwnerID, "previous_owner_id", prevOwner, "territory_id", l.TerritoryID, "team", l.Team, "reason", in.Reason,
				"scheduled_at", formatOptional(in.StepDueAt), "request_id", in.RequestID),
			At: at, RecordedAt: now(),
		}).Error
	})
	return out, err
}

// assignedFor reports whether the lead has an assignment made for request
// requestID: its timeline entry (lead:assign:<n>) names the request in its
// data.
func assignedFor(tx *gorm.DB, leadID, requestID string) (bool, error) {
	key, _ := json.Marshal(requestID)
	var n int64
	err := tx.Model(&Event{}).Where("subject_type = ? AND subject_id = ? AND id LIKE ? AND data LIKE ?", "lead", leadID,
		leadID+":assign:%", `%"request_id":`+string(key)+`%`).Count(&n).Error
	return n > 0, err
}

// AssignInput is what AssignLead needs.
type AssignInput struct {
	// Lead, on the first assignment, is the new lead to store.
	Lead *Lead
	// CustomerID (and whether it was created for the lead) links the lead.
	CustomerID      string
	CustomerCreated bool
	// Team is recorded when the owner belongs to no territory and none
	// matches the lead.
	Team                           string
	LeadID, OwnerID, Actor, Reason string
	Exclude                        []string
	ToPool, IgnoreCapacity, Manual bool
	AnyTerritory                   bool
	Seq                            int
	At                             time.Time
	// StepDueAt is, for an escalation step, when the ladder had it due
	// (recorded on the timeline beside At, when it ran).
	StepDueAt *time.Time
	// RequestID is the update that asked for a person's reassignment
	// (salesv1.AssignLeadInput.request_id): an assignment made for it is
	// returned as stored; Seq taken by another request moves on.
	RequestID string
	// Routed: OwnerID is the rep RouteLead reserved for the new lead (see
	// firstOrNext).
	Routed bool
}

// firstOrNext decides the assignment on l. The first one takes the
// reservation RouteLead made for the lead when in.Routed names its rep,
// and releases it in any case (domain.Reservation).
func firstOrNext(tx *gorm.DB, l *Lead, in AssignInput) (domain.Decision, error) {
	if in.Lead == nil {
		return assign(tx, l, in)
	}
	r, held, err := reservationOf(tx, l.ID)
	if err != nil {
		return domain.Decision{}, err
	}
	if !held {
		return assign(tx, l, in)
	}
	var d domain.Decision
	if in.Routed && r.Takes(in.OwnerID) {
		d = r.Decision()
		l.OwnerID, l.Team, l.TerritoryID, l.ManagerID, l.Pooled = d.OwnerID, d.Team, d.TerritoryID, d.ManagerID, d.Pooled
	} else if d, err = assign(tx, l, in); err != nil {
		return domain.Decision{}, err
	}
	return d, release(tx, r, l)
}

// assign loads the routing facts, lets the domain decide, and sets the
// decision on l (and the territory's round-robin turn).
func assign(tx *gorm.DB, l *Lead, in AssignInput) (domain.Decision, error) {
	f, err := routeFacts(tx, l, in)
	if err != nil {
		return domain.Decision{}, err
	}
	d, err := domain.Route(domain.Assignment{OwnerID: l.OwnerID, Team: l.Team, TerritoryID: l.TerritoryID, ManagerID: l.ManagerID, Pooled: l.Pooled},
		domain.RouteRequest{OwnerID: in.OwnerID, Team: in.Team, Reason: in.Reason, Exclude: in.Exclude, ToPool: in.ToPool,
			IgnoreCapacity: in.IgnoreCapacity, Manual: in.Manual, AnyTerritory: in.AnyTerritory}, f)
	if err != nil {
		return domain.Decision{}, err
	}
	if err := turn(tx, d); err != nil {
		return domain.Decision{}, err
	}
	l.OwnerID, l.Team, l.TerritoryID, l.ManagerID, l.Pooled = d.OwnerID, d.Team, d.TerritoryID, d.ManagerID, d.Pooled
	return d, nil
}

// LeadCommand is a change applied by the lead workflow.
type LeadCommand struct {
	LeadID, Op, Actor, Reason, Channel, Summary, EventID string
	At                                                   time.Time
	Opportunity                                          *Opportunity
}

// ApplyLeadCommand applies a contact, qualification, disqualification or
// conversion and records it; a retried command (same event id) changes
// nothing twice.
func (s *Store) ApplyLeadCommand(ctx context.Context, c LeadCommand) (Lead, error) {
	var out Lead
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var seen int64
		if err := tx.Model(&Event{}).Where("id = ?", c.EventID).Count(&seen).Error; err != nil {
			return err
		}
		var l Lead
		if err := tx.Where("id = ?", c.LeadID).Take(&l).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return domain.ErrLeadNotFound
			}
			return err
		}
		if seen > 0 {
			out = l
			return nil
		}
		p := domain.LeadProgress{State: l.State, FirstContactAt: l.FirstContactAt, CloseReason: l.CloseReason, ClosedAt: l.ClosedAt, OpportunityID: l.OpportunityID}
		change := domain.LeadChange{Op: c.Op, Channel: c.Channel, Summary: c.Summary, Reason: c.Reason, At: c.At}
		if c.Opportunity != nil {
			change.OpportunityID, change.OpportunityName = c.Opportunity.ID, c.Opportunity.Name
		}
		e, err := p.Apply(change)
		if err != nil {
			return err
		}
		if c.Op == domain.OpConvert {
			if err := createOpportunity(tx, c.Opportunity); err != nil {
				return err
			}
		}
		l.State, l.FirstContactAt, l.CloseReason, l.ClosedAt, l.OpportunityID = p.State, p.FirstContactAt, p.CloseReason, p.ClosedAt, p.OpportunityID
		ev := Event{ID: c.EventID, SubjectType: "lead", SubjectID: l.ID, Kind: e.Kind, Summary: e.Summary, Actor: c.Actor, At: c.At.UTC(),
			RecordedAt: now(), Data: jsonObject(e.Data...)}
		l.UpdatedAt = now()
		if err := tx.Save(&l).Error; err != nil {
			return err
		}
		out = l
		return tx.Create(&ev).Error
	})
	return out, err
}

// RecordEvent appends a timeline event once.
