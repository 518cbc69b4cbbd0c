package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// NewID returns a new time-ordered id.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Store is the sales database.
type Store struct{ db *gorm.DB }

// NewStore returns a store over gdb.
func NewStore(gdb *gorm.DB) *Store { return &Store{db: gdb} }

// DB returns the underlying handle (for idempotent creates).
func (s *Store) DB() *gorm.DB { return s.db }

// Territory is a row of territories.
type Territory struct {
	ID        string `gorm:"primaryKey"`
	Name      string
	Region    string
	Industry  string
	Team      string
	ManagerID string
	Strategy  string
	LastRep   string
	Version   int64
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

func (Territory) TableName() string { return "territories" }

// TerritoryRep is a rep's membership of a territory.
type TerritoryRep struct {
	TerritoryID string `gorm:"primaryKey"`
	RepID       string `gorm:"primaryKey"`
	Capacity    int
	Active      bool
	AddedAt     time.Time
}

func (TerritoryRep) TableName() string { return "territory_reps" }

// RepLoad is a member with its current load.
type RepLoad struct {
	TerritoryRep
	Load int
}

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

// EffectiveProbability is the opportunity's own probability, or its stage's default.
func (o Opportunity) EffectiveProbability() int {
	switch {
	case o.Status == domain.OppWon:
		return 100
	case o.Status == domain.OppLost:
		return 0
	case o.Probability > 0:
		return o.Probability
	}
	return domain.DefaultProbability[o.Stage]
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

// Event is one timeline entry.
type Event struct {
	ID          string `gorm:"primaryKey"`
	SubjectType string
	SubjectID   string
	Kind        string
	Actor       string
	Summary     string
	Data        string
	At          time.Time
	RecordedAt  time.Time
}

func (Event) TableName() string { return "timeline_events" }

// ScopedLeads restricts q to the leads or opportunities (owner_id and team
// columns) the scope may see. Managers also see the unowned pool.
func ScopedLeads(q *gorm.DB, s auth.Scope, pool bool) *gorm.DB {
	switch {
	case s.All:
		return q
	case s.OwnerID != "":
		return q.Where("owner_id = ?", s.OwnerID)
	case len(s.Teams) > 0:
		if pool {
			return q.Where("(team IN ? OR (pooled AND team = ''))", s.Teams)
		}
		return q.Where("team IN ?", s.Teams)
	default:
		return q.Where("1 = 0")
	}
}

// LeadInScope reports whether a lead or opportunity is visible to s.
func LeadInScope(s auth.Scope, ownerID, team string, pooled bool) bool {
	switch {
	case s.All:
		return true
	case s.OwnerID != "":
		return s.OwnerID == ownerID
	default:
		return slices.Contains(s.Teams, team) || (pooled && team == "" && len(s.Teams) > 0)
	}
}

// ---- territories ----

// CreateTerritory inserts t with its reps.
func (s *Store) CreateTerritory(ctx context.Context, t *Territory, reps []TerritoryRep) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ts := now()
		t.CreatedAt, t.UpdatedAt, t.Version = ts, ts, 1
		if err := tx.Create(t).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return domain.ErrTerritoryExists
			}
			return err
		}
		for i := range reps {
			reps[i].TerritoryID, reps[i].AddedAt = t.ID, ts
			if err := tx.Create(&reps[i]).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// GetTerritory returns a live territory.
func (s *Store) GetTerritory(ctx context.Context, id string) (Territory, error) {
	var t Territory
	err := s.db.WithContext(ctx).Where("id = ? AND deleted_at IS NULL", id).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return t, domain.ErrTerritoryNotFound
	}
	return t, err
}

// ListTerritories returns every live territory, by name.
func (s *Store) ListTerritories(ctx context.Context) ([]Territory, error) {
	var out []Territory
	return out, s.db.WithContext(ctx).Where("deleted_at IS NULL").Order("name, id").Find(&out).Error
}

// UpdateTerritory applies change to a live territory inside a transaction.
func (s *Store) UpdateTerritory(ctx context.Context, id string, change func(*Territory) error) (Territory, error) {
	var t Territory
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockTerritory(tx, id, &t); err != nil {
			return err
		}
		if err := change(&t); err != nil {
			return err
		}
		t.Version++
		t.UpdatedAt = now()
		if err := tx.Save(&t).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return domain.ErrTerritoryExists
			}
			return err
		}
		return nil
	})
	return t, err
}

// PutRep adds a rep to a territory or changes its capacity and activity.
func (s *Store) PutRep(ctx context.Context, territoryID string, r TerritoryRep) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Territory
		if err := lockTerritory(tx, territoryID, &t); err != nil {
			return err
		}
		r.TerritoryID, r.AddedAt = territoryID, now()
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "territory_id"}, {Name: "rep_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"capacity", "active"}),
		}).Create(&r).Error
	})
}

// RemoveRep takes a rep out of a territory; its open leads stay with it.
func (s *Store) RemoveRep(ctx context.Context, territoryID, repID string) error {
	res := s.db.WithContext(ctx).Where("territory_id = ? AND rep_id = ?", territoryID, repID).Delete(&TerritoryRep{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return domain.ErrTerritoryNotFound.Withf("the rep is not a member of this territory")
	}
	return nil
}

// Reps returns a territory's members with their loads, by rep id.
func (s *Store) Reps(ctx context.Context, territoryID string) ([]RepLoad, error) {
	return reps(s.db.WithContext(ctx), territoryID)
}

func reps(tx *gorm.DB, territoryID string) ([]RepLoad, error) {
	var members []TerritoryRep
	if err := tx.Where("territory_id = ?", territoryID).Order("rep_id").Find(&members).Error; err != nil {
		return nil, err
	}
	out := make([]RepLoad, len(members))
	for i, m := range members {
		n, err := loadOf(tx, m.RepID)
		if err != nil {
			return nil, err
		}
		out[i] = RepLoad{TerritoryRep: m, Load: n}
	}
	return out, nil
}

func loadOf(tx *gorm.DB, rep string) (int, error) {
	var n int64
	err := tx.Model(&Lead{}).Where("owner_id = ? AND closed_at IS NULL", rep).Count(&n).Error
	return int(n), err
}

// lockTerritory reads a live territory and, on PostgreSQL, locks its row for
// the transaction (SQLite serialises writers on its single connection).
func lockTerritory(tx *gorm.DB, id string, t *Territory) error {
	q := tx
	if db.Dialect(tx) != db.SQLite {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Where("id = ? AND deleted_at IS NULL", id).Take(t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.ErrTerritoryNotFound
	}
	return err
}

// MatchTerritory finds the territory whose rules take a lead: the one with
// both region and industry equal, else the region's, else the industry's.
func MatchTerritory(tx *gorm.DB, region, industry string) (*Territory, error) {
	var cands []Territory
	err := tx.Where("deleted_at IS NULL AND ((region = ? AND industry = ?) OR (region = ? AND industry = '') OR (region = '' AND industry = ?))",
		region, industry, region, industry).Find(&cands).Error
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	rank := func(t Territory) int {
		switch {
		case t.Region != "" && t.Industry != "":
			return 0
		case t.Region != "":
			return 1
		}
		return 2
	}
	slices.SortFunc(cands, func(a, b Territory) int { return rank(a) - rank(b) })
	if region == "" && cands[0].Region != "" || industry == "" && cands[0].Industry != "" {
		return nil, nil
	}
	return &cands[0], nil
}

// membership returns the territory a rep belongs to, preferring prefer.
func membership(tx *gorm.DB, rep, prefer string) (*Territory, *TerritoryRep, error) {
	var ms []TerritoryRep
	if err := tx.Where("rep_id = ?", rep).Order("territory_id").Find(&ms).Error; err != nil {
		return nil, nil, err
	}
	slices.SortStableFunc(ms, func(a, b TerritoryRep) int {
		if a.TerritoryID == prefer {
			return -1
		}
		if b.TerritoryID == prefer {
			return 1
		}
		return 0
	})
	for _, m := range ms {
		var t Territory
		err := tx.Where("id = ? AND deleted_at IS NULL", m.TerritoryID).Take(&t).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		return &t, &m, nil
	}
	return nil, nil, nil
}

// ---- leads ----

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
	Pool                              bool
	Limit                             int
	After                             *Cursor
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
		kind, why, err := assign(tx, &l, in)
		if err != nil {
			return err
		}
		at := in.At.UTC()
		l.AssignedAt, l.AssignmentSeq, l.AssignmentWhy, l.UpdatedAt = &at, in.Seq, why, now()
		if err := tx.Save(&l).Error; err != nil {
			return err
		}
		summary := "assigned to " + l.OwnerID + " (" + why + ")"
		switch {
		case l.Pooled:
			summary = "returned to the pool (" + why + ")"
		case prevOwner != "" && prevOwner != l.OwnerID:
			kind, summary = "reassigned", "reassigned from "+prevOwner+" to "+l.OwnerID+" ("+why+")"
		}
		out = l
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Event{
			ID: eventID(l.ID, "assign", in.Seq), SubjectType: "lead", SubjectID: l.ID, Kind: kind, Actor: in.Actor,
			Summary: summary, Data: jsonObject("owner_id", l.OwnerID, "previous_owner_id", prevOwner, "territory_id", l.TerritoryID, "team", l.Team, "reason", in.Reason),
			At: at, RecordedAt: now(),
		}).Error
	})
	return out, err
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
}

// assign decides the owner and sets it on l; it returns the timeline kind and
// the reason in people's words.
func assign(tx *gorm.DB, l *Lead, in AssignInput) (kind, why string, err error) {
	if in.ToPool {
		l.OwnerID, l.Pooled = "", true
		return "pooled", nonEmpty(in.Reason, "returned to the pool"), nil
	}
	if in.OwnerID != "" {
		t, m, err := membership(tx, in.OwnerID, l.TerritoryID)
		if err != nil {
			return "", "", err
		}
		if in.Manual {
			if !in.AnyTerritory && (m == nil || (l.TerritoryID != "" && t.ID != l.TerritoryID)) {
				return "", "", domain.ErrRepNotInTerritory
			}
			if m == nil || !m.Active {
				return "", "", domain.ErrRepNotInTerritory.Withf("the rep is not an active member of any territory")
			}
			load, err := loadOf(tx, in.OwnerID)
			if err != nil {
				return "", "", err
			}
			if !in.IgnoreCapacity && load >= m.Capacity {
				return "", "", domain.ErrRepAtCapacity.With("capacity", m.Capacity).With("open_leads", load)
			}
		}
		l.OwnerID, l.Pooled = in.OwnerID, false
		if t == nil { // an owner outside every territory: the lead's own territory's team and manager
			if t, err = MatchTerritory(tx, l.Region, l.Industry); err != nil {
				return "", "", err
			}
		}
		switch {
		case t != nil:
			l.TerritoryID, l.Team, l.ManagerID = t.ID, t.Team, t.ManagerID
		case in.Team != "":
			l.TerritoryID, l.Team, l.ManagerID = "", in.Team, ""
		}
		return "assigned", nonEmpty(in.Reason, "manual"), nil
	}
	t := (*Territory)(nil)
	if l.TerritoryID != "" {
		var cur Territory
		if err := lockTerritory(tx, l.TerritoryID, &cur); err == nil {
			t = &cur
		} else if !errors.Is(err, domain.ErrTerritoryNotFound) {
			return "", "", err
		}
	}
	if t == nil {
		if t, err = MatchTerritory(tx, l.Region, l.Industry); err != nil {
			return "", "", err
		}
		if t != nil {
			if err := lockTerritory(tx, t.ID, t); err != nil {
				return "", "", err
			}
		}
	}
	if t == nil {
		l.OwnerID, l.Pooled, l.TerritoryID, l.Team, l.ManagerID = "", true, "", "", ""
		return "pooled", "no territory covers region " + quote(l.Region) + " and industry " + quote(l.Industry), nil
	}
	l.TerritoryID, l.Team, l.ManagerID = t.ID, t.Team, t.ManagerID
	members, err := reps(tx, t.ID)
	if err != nil {
		return "", "", err
	}
	var free []RepLoad
	for _, m := range members {
		if m.Active && m.Load < m.Capacity && !slices.Contains(in.Exclude, m.RepID) {
			free = append(free, m)
		}
	}
	if len(free) == 0 {
		l.OwnerID, l.Pooled = "", true
		return "pooled", "every rep of territory " + t.Name + " is at capacity or excluded", nil
	}
	var pick RepLoad
	switch t.Strategy {
	case domain.LeastLoaded:
		pick = free[0]
		for _, m := range free[1:] {
			if m.Load < pick.Load {
				pick = m
			}
		}
		why = "territory " + t.Name + ", least loaded"
	default:
		pick = free[0] // free is ordered by rep id: the first after the last one wins
		for _, m := range free {
			if m.RepID > t.LastRep {
				pick = m
				break
			}
		}
		why = "territory " + t.Name + ", round-robin"
	}
	if err := tx.Model(&Territory{}).Where("id = ?", t.ID).Update("last_rep", pick.RepID).Error; err != nil {
		return "", "", err
	}
	l.OwnerID, l.Pooled = pick.RepID, false
	return "assigned", why, nil
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
		if err := domain.CheckLeadCommand(l.State, c.Op); err != nil {
			return err
		}
		at := c.At.UTC()
		ev := Event{ID: c.EventID, SubjectType: "lead", SubjectID: l.ID, Actor: c.Actor, At: at, RecordedAt: now(), Data: "{}"}
		switch c.Op {
		case domain.OpContact:
			ev.Kind, ev.Summary = "contact", c.Channel+": "+c.Summary
			ev.Data = jsonObject("channel", c.Channel)
			if l.FirstContactAt == nil {
				l.FirstContactAt = &at
				ev.Kind = "first_contact"
			}
			if l.State == domain.LeadNew {
				l.State = domain.LeadContacted
			}
		case domain.OpQualify:
			l.State, ev.Kind, ev.Summary = domain.LeadQualified, "qualified", nonEmpty(c.Reason, "qualified")
		case domain.OpDisqualify:
			l.State, l.CloseReason, l.ClosedAt = domain.LeadDisqualified, c.Reason, &at
			ev.Kind, ev.Summary = "disqualified", "disqualified: "+c.Reason
		case domain.OpConvert:
			o := c.Opportunity
			if err := createOpportunity(tx, o); err != nil {
				return err
			}
			l.State, l.OpportunityID, l.ClosedAt = domain.LeadConverted, o.ID, &at
			ev.Kind, ev.Summary = "converted", "converted to opportunity "+o.Name
			ev.Data = jsonObject("opportunity_id", o.ID)
		}
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
func (s *Store) RecordEvent(ctx context.Context, e Event) error {
	e.RecordedAt = now()
	if e.Data == "" {
		e.Data = "{}"
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&e).Error
}

// Timeline returns a subject's events in order.
func (s *Store) Timeline(ctx context.Context, subjectType, subjectID string, limit int, after *Cursor) ([]Event, error) {
	q := s.db.WithContext(ctx).Where("subject_type = ? AND subject_id = ?", subjectType, subjectID)
	if after != nil {
		q = q.Where("(at, id) > (?, ?)", after.At, after.ID)
	}
	var out []Event
	return out, q.Order("at, id").Limit(limit + 1).Find(&out).Error
}

// ---- opportunities ----

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
	Stage                 int
	Limit                 int
	After                 *Cursor
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
		at := c.At.UTC()
		from := o.Stage
		ch := StageChange{ID: c.EventID, OpportunityID: o.ID, FromStage: from, OwnerID: o.OwnerID, Team: o.Team,
			Actor: c.Actor, Reason: c.Reason, At: at, SecondsInStage: int64(max(0, at.Sub(o.StageEnteredAt)/time.Second))}
		ev := Event{ID: c.EventID, SubjectType: "opportunity", SubjectID: o.ID, Actor: c.Actor, At: at, RecordedAt: now()}
		switch c.Op {
		case domain.OpStage:
			if err := domain.CheckStageChange(o.Status, o.Stage, c.ToStage, c.MayGoBack, c.Reason); err != nil {
				return err
			}
			o.Stage, o.StageEnteredAt = c.ToStage, at
			o.MaxStage = max(o.MaxStage, c.ToStage)
			ch.ToStage, ch.ToStatus = c.ToStage, domain.OppOpen
			ev.Kind = "stage_changed"
			ev.Summary = "stage " + itoa(from) + " → " + itoa(c.ToStage) + " (" + domain.StageNames[c.ToStage] + ")"
			if c.Reason != "" {
				ev.Summary += ": " + c.Reason
			}
		case domain.OpWon, domain.OpLost:
			if err := domain.CheckClose(o.Status, c.Op, c.Reason, c.Competitor); err != nil {
				return err
			}
			o.Status, o.ClosedAt = c.Op, &at
			ch.ToStage, ch.ToStatus = o.Stage, c.Op
			ev.Kind, ev.Summary = c.Op, c.Op
			if c.Op == domain.OpWon {
				o.MaxStage, ch.ToStage = domain.WonStage, domain.WonStage
			} else {
				o.LostReason, o.Competitor = c.Reason, c.Competitor
				ev.Summary = "lost: " + c.Reason
				if c.Competitor != "" {
					ev.Summary += " (to " + c.Competitor + ")"
				}
			}
		default:
			return domain.ErrOpportunityClosed.Withf("unknown op %q", c.Op)
		}
		ev.Data = jsonObject("from_stage", itoa(from), "to_stage", itoa(ch.ToStage), "status", o.Status, "reason", c.Reason, "competitor", c.Competitor)
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

func eventID(subject, what string, n int) string { return subject + ":" + what + ":" + itoa(n) }

func nonEmpty(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func quote(s string) string {
	if s == "" {
		return "(none)"
	}
	return `"` + s + `"`
}

func itoa(n int) string { return strconv.Itoa(n) }

// jsonObject builds a JSON object from key, value pairs, leaving out empty values.
func jsonObject(kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// FunnelFilter narrows the funnel report; scope applies on top.
type FunnelFilter struct {
	Team, OwnerID string
}

// StageStat is one row of the funnel's open-opportunity figures.
type StageStat struct {
	Stage    int
	Currency string
	Count    int64
	Amount   int64
	Weighted int64
}

// ReachStat counts opportunities that reached each funnel position.
type ReachStat struct {
	Reached [6]int64 // index 1–4 stages, 5 won
	Won     int64
	Lost    int64
}

// StageTime is the time spent in a stage by opportunities that left it.
type StageTime struct {
	Stage      int
	Exits      int64
	AvgSeconds float64
}

// ClosedStat sums closed opportunities by status and currency.
type ClosedStat struct {
	Status   string
	Currency string
	Count    int64
	Amount   int64
}

// Funnel reads the figures of the funnel report in four aggregate queries.
func (s *Store) Funnel(ctx context.Context, scope auth.Scope, f FunnelFilter) ([]StageStat, ReachStat, []StageTime, []ClosedStat, error) {
	base := func(model any) *gorm.DB {
		q := ScopedLeads(s.db.WithContext(ctx).Model(model), scope, false)
		if f.Team != "" {
			q = q.Where("team = ?", f.Team)
		}
		if f.OwnerID != "" {
			q = q.Where("owner_id = ?", f.OwnerID)
		}
		return q
	}
	var stages []StageStat
	weighted := `SUM(amount_minor * (CASE WHEN probability > 0 THEN probability ELSE CASE stage WHEN 1 THEN 10 WHEN 2 THEN 30 WHEN 3 THEN 60 ELSE 90 END END) / 100)`
	if err := base(&Opportunity{}).Where("status = ?", domain.OppOpen).
		Select("stage, currency, COUNT(*) AS count, COALESCE(SUM(amount_minor), 0) AS amount, COALESCE(" + weighted + ", 0) AS weighted").
		Group("stage, currency").Order("stage, currency").Scan(&stages).Error; err != nil {
		return nil, ReachStat{}, nil, nil, err
	}
	var reach struct{ R1, R2, R3, R4, R5, Won, Lost int64 }
	sum := func(cond string) string { return "COALESCE(SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0)" }
	if err := base(&Opportunity{}).Select(sum("max_stage >= 1") + " AS r1, " + sum("max_stage >= 2") + " AS r2, " + sum("max_stage >= 3") + " AS r3, " +
		sum("max_stage >= 4") + " AS r4, " + sum("max_stage >= 5") + " AS r5, " + sum("status = 'won'") + " AS won, " + sum("status = 'lost'") + " AS lost").
		Scan(&reach).Error; err != nil {
		return nil, ReachStat{}, nil, nil, err
	}
	rs := ReachStat{Reached: [6]int64{0, reach.R1, reach.R2, reach.R3, reach.R4, reach.R5}, Won: reach.Won, Lost: reach.Lost}
	var times []StageTime
	if err := base(&StageChange{}).Where("from_stage BETWEEN 1 AND 4").
		Select("from_stage AS stage, COUNT(*) AS exits, AVG(seconds_in_stage) AS avg_seconds").
		Group("from_stage").Order("from_stage").Scan(&times).Error; err != nil {
		return nil, ReachStat{}, nil, nil, err
	}
	var closed []ClosedStat
	if err := base(&Opportunity{}).Where("status <> ?", domain.OppOpen).
		Select("status, currency, COUNT(*) AS count, COALESCE(SUM(amount_minor), 0) AS amount").
		Group("status, currency").Order("status, currency").Scan(&closed).Error; err != nil {
		return nil, ReachStat{}, nil, nil, err
	}
	return stages, rs, times, closed, nil
}
