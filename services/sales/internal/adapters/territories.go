package adapters

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

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
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.RepID
	}
	loads, err := loadsOf(tx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]RepLoad, len(members))
	for i, m := range members {
		out[i] = RepLoad{TerritoryRep: m, Load: loads[m.RepID]}
	}
	return out, nil
}

// loadsOf is loadOf for several reps at once (two statements, not two per
// rep); a reservation counts while domain.HeldSince says so.
func loadsOf(tx *gorm.DB, reps []string) (map[string]int, error) {
	out := make(map[string]int, len(reps))
	if len(reps) == 0 {
		return out, nil
	}
	type count struct {
		Rep string
		N   int
	}
	var open, held []count
	if err := tx.Model(&Lead{}).Select("owner_id AS rep, count(*) AS n").Where("owner_id IN ? AND closed_at IS NULL", reps).
		Group("owner_id").Scan(&open).Error; err != nil {
		return nil, err
	}
	if err := tx.Model(&LeadRoute{}).Select("rep_id AS rep, count(*) AS n").Where("rep_id IN ? AND reserved_at > ?", reps, domain.HeldSince(now())).
		Group("rep_id").Scan(&held).Error; err != nil {
		return nil, err
	}
	for _, c := range append(open, held...) {
		out[c.Rep] += c.N
	}
	return out, nil
}

// loadOf is rep's load: the open leads they hold and the new leads
// reserved for them (RouteLead).
func loadOf(tx *gorm.DB, rep string) (int, error) {
	loads, err := loadsOf(tx, []string{rep})
	return loads[rep], err
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

// routeFacts loads what routing needs for lead l (see domain.RouteFacts);
// the territory whose rules will pick a rep is locked, so two leads never
// take the same round-robin turn.
func routeFacts(tx *gorm.DB, l *Lead, in AssignInput) (domain.RouteFacts, error) {
	f := domain.RouteFacts{Region: l.Region, Industry: l.Industry}
	if l.TerritoryID != "" {
		var cur Territory
		if err := lockTerritory(tx, l.TerritoryID, &cur); err == nil {
			r := cur.rule()
			f.Current = &r
		} else if !errors.Is(err, domain.ErrTerritoryNotFound) {
			return f, err
		}
	}
	var cands []Territory
	if err := tx.Where("deleted_at IS NULL AND (region = ? OR industry = ?)", l.Region, l.Industry).Order("id").Find(&cands).Error; err != nil {
		return f, err
	}
	for _, t := range cands {
		f.Candidates = append(f.Candidates, t.rule())
	}
	switch {
	case in.ToPool:
	case in.OwnerID != "":
		var ms []TerritoryRep
		if err := tx.Where("rep_id = ?", in.OwnerID).Order("territory_id").Find(&ms).Error; err != nil {
			return f, err
		}
		load, err := loadOf(tx, in.OwnerID)
		if err != nil {
			return f, err
		}
		for _, m := range ms {
			var t Territory
			err := tx.Where("id = ? AND deleted_at IS NULL", m.TerritoryID).Take(&t).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				continue
			}
			if err != nil {
				return f, err
			}
			f.Owner = append(f.Owner, domain.Membership{Territory: t.rule(), Member: domain.Member{RepID: m.RepID, Capacity: m.Capacity, Active: m.Active, Load: load}})
		}
	default:
		if t := domain.Governing(f.Current, f.Candidates, l.Region, l.Industry); t != nil {
			var locked Territory
			if err := lockTerritory(tx, t.ID, &locked); err != nil {
				return f, err
			}
			*t = locked.rule()
			members, err := reps(tx, t.ID)
			if err != nil {
				return f, err
			}
			for _, m := range members {
				f.Members = append(f.Members, m.member())
			}
		}
	}
	return f, nil
}

func (t Territory) rule() domain.TerritoryRule {
	return domain.TerritoryRule{ID: t.ID, Name: t.Name, Region: t.Region, Industry: t.Industry, Team: t.Team, ManagerID: t.ManagerID,
		Strategy: t.Strategy, LastRep: t.LastRep}
}

func (r RepLoad) member() domain.Member {
	return domain.Member{RepID: r.RepID, Capacity: r.Capacity, Active: r.Active, Load: r.Load}
}
