package adapters

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// LeadRoute is a row of lead_routes: the rep reserved for a new lead
// between its routing and its first assignment (domain.Reservation).
type LeadRoute struct {
	LeadID      string `gorm:"primaryKey"`
	RepID       string
	Team        string
	TerritoryID string
	ManagerID   string
	Why         string
	PrevTurn    string
	ReservedAt  time.Time
}

func (LeadRoute) TableName() string { return "lead_routes" }

func (r LeadRoute) reservation() domain.Reservation {
	return domain.Reservation{LeadID: r.LeadID, Why: r.Why, PrevTurn: r.PrevTurn, At: r.ReservedAt,
		Assignment: domain.Assignment{OwnerID: r.RepID, Team: r.Team, TerritoryID: r.TerritoryID, ManagerID: r.ManagerID}}
}

// RouteInput is the new lead RouteLead routes.
type RouteInput struct {
	LeadID, Region, Industry string
}

// RouteLead reserves the rep the territory rules give a new lead (see
// domain.Reservation) and returns the reservation; ok is false when they
// give it nobody. A repeated call returns the reservation the first made;
// a call for a lead already assigned returns its assignment, reserving
// nothing.
func (s *Store) RouteLead(ctx context.Context, in RouteInput) (r domain.Reservation, ok bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var l Lead
		if err := tx.Where("id = ?", in.LeadID).Take(&l).Error; err == nil {
			r, ok = domain.Reservation{LeadID: l.ID, Why: l.AssignmentWhy, Assignment: domain.Assignment{OwnerID: l.OwnerID, Team: l.Team,
				TerritoryID: l.TerritoryID, ManagerID: l.ManagerID}}, !l.Pooled && l.OwnerID != ""
			return nil
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if held, found, err := reservationOf(tx, in.LeadID); err != nil || found {
			r, ok = held, found
			return err
		}
		l = Lead{ID: in.LeadID, Region: in.Region, Industry: in.Industry}
		f, err := routeFacts(tx, &l, AssignInput{})
		if err != nil {
			return err
		}
		d, err := domain.Route(domain.Assignment{}, domain.RouteRequest{Reason: "territory rules"}, f)
		if err != nil {
			return err
		}
		if r, ok = domain.Reserve(in.LeadID, d, now()); !ok {
			return nil
		}
		if err := turn(tx, d); err != nil {
			return err
		}
		return tx.Create(&LeadRoute{LeadID: r.LeadID, RepID: r.OwnerID, Team: r.Team, TerritoryID: r.TerritoryID, ManagerID: r.ManagerID,
			Why: r.Why, PrevTurn: r.PrevTurn, ReservedAt: r.At}).Error
	})
	return r, ok, err
}

// reservationOf returns lead id's reservation, if it has one.
func reservationOf(tx *gorm.DB, id string) (domain.Reservation, bool, error) {
	var held LeadRoute
	err := tx.Where("lead_id = ?", id).Take(&held).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Reservation{}, false, nil
	}
	return held.reservation(), err == nil, err
}

// release ends lead l's reservation r on its first assignment: the row
// goes, and the territory's turn goes back when the rule says so.
func release(tx *gorm.DB, r domain.Reservation, l *Lead) error {
	if err := tx.Where("lead_id = ?", r.LeadID).Delete(&LeadRoute{}).Error; err != nil {
		return err
	}
	if r.TerritoryID == "" || r.Takes(l.OwnerID) {
		return nil
	}
	var t Territory
	if err := lockTerritory(tx, r.TerritoryID, &t); err != nil {
		if errors.Is(err, domain.ErrTerritoryNotFound) {
			return nil
		}
		return err
	}
	if prev, ok := r.TurnBack(l.OwnerID, t.LastRep); ok {
		return tx.Model(&Territory{}).Where("id = ?", t.ID).Update("last_rep", prev).Error
	}
	return nil
}

// turn moves the round-robin turn of the territory that decided d.
func turn(tx *gorm.DB, d domain.Decision) error {
	if d.TurnOf == "" {
		return nil
	}
	return tx.Model(&Territory{}).Where("id = ?", d.TurnOf).Update("last_rep", d.OwnerID).Error
}
