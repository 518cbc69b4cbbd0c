// Package adapters reads the analytics' figures from the customers table,
// each figure with one grouped query over the customers in scope: their
// composition by value class, lifecycle and relationship stage (one scan
// for three figures), their value by twentieth when ranked by value, and the
// customers in care per class, team and region with how many were contacted
// after their group's cutoff. It decides nothing: which customer is in care
// and the cutoffs are the care context's rules, the sums and shares package
// domain's.
package adapters

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/analytics/domain"
	"github.com/closeloop/closeloop/services/customer/internal/care"
)

// Filter narrows the customers in scope.
type Filter struct {
	Scope         auth.Scope
	Team, OwnerID string
}

// Store reads the figures (app.Repository).
type Store struct{ db *gorm.DB }

// New returns the store over db.
func New(db *gorm.DB) *Store { return &Store{db: db} }

// customers is the live customers of the filter.
func (s *Store) customers(ctx context.Context, f Filter) *gorm.DB {
	q := custadapters.Scoped(s.db.WithContext(ctx).Table("customers").Where("deleted_at IS NULL"), f.Scope, "")
	if f.Team != "" {
		q = q.Where("team = ?", f.Team)
	}
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	return q
}

// Composition counts the customers, and sums their value scores, per value
// class, lifecycle stage and relationship stage.
func (s *Store) Composition(ctx context.Context, f Filter) ([]domain.Cell, error) {
	var out []domain.Cell
	err := s.customers(ctx, f).
		Select("value_class, lifecycle_stage AS lifecycle, relationship_stage AS relationship, COUNT(*) AS customers, COALESCE(SUM(value_score), 0) AS value").
		Group("value_class, lifecycle_stage, relationship_stage").Find(&out).Error
	return out, err
}

// Tiles ranks the customers by value score, highest first, into n parts of
// equal size (the first ones one larger when they do not divide evenly) and
// sums each part's value.
func (s *Store) Tiles(ctx context.Context, f Filter, n int) ([]domain.Tile, error) {
	ranked := s.customers(ctx, f).Select(fmt.Sprintf("NTILE(%d) OVER (ORDER BY value_score DESC) AS tile, value_score", n))
	var out []domain.Tile
	err := s.db.WithContext(ctx).Table("(?) AS ranked", ranked).
		Select("tile, COUNT(*) AS customers, COALESCE(SUM(value_score), 0) AS value").Group("tile").Order("tile").Find(&out).Error
	return out, err
}

// InCare counts the customers in care per value class, team and region.
func (s *Store) InCare(ctx context.Context, f Filter) ([]domain.GroupCount, error) {
	var rows []struct {
		ValueClass, Team, Region string
		Customers                int64
	}
	if err := s.customers(ctx, f).Where(care.InCareSQL).Select("value_class, team, region, COUNT(*) AS customers").
		Group("value_class, team, region").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.GroupCount, len(rows))
	for i, r := range rows {
		out[i] = domain.GroupCount{Group: care.Group{ValueClass: r.ValueClass, Team: r.Team, Region: r.Region}, Customers: r.Customers}
	}
	return out, nil
}

// Contacted counts, per value class, the customers in care whose last
// contact is after their group's cutoff.
func (s *Store) Contacted(ctx context.Context, f Filter, cutoffs map[care.Group]time.Time) (map[string]int64, error) {
	out := map[string]int64{}
	if len(cutoffs) == 0 {
		return out, nil
	}
	// The cutoffs as a table joined on the group: one scan, whatever the
	// number of groups.
	cast := "?"
	if db.Dialect(s.db) != db.SQLite {
		cast = "CAST(? AS TIMESTAMPTZ)"
	}
	values := make([]string, 0, len(cutoffs))
	args := make([]any, 0, 4*len(cutoffs))
	for g, at := range cutoffs {
		values = append(values, "(?, ?, ?, "+cast+")")
		args = append(args, g.ValueClass, g.Team, g.Region, at.UTC())
	}
	// VALUES names its columns column1… on both databases.
	groups := s.db.WithContext(ctx).Raw("SELECT column1 AS g_class, column2 AS g_team, column3 AS g_region, column4 AS g_cutoff FROM (VALUES "+
		strings.Join(values, ", ")+") AS v", args...)
	var rows []struct {
		ValueClass string
		Contacted  int64
	}
	err := s.customers(ctx, f).Where(care.InCareSQL).
		Joins("JOIN (?) AS g ON g.g_class = customers.value_class AND g.g_team = customers.team AND g.g_region = customers.region", groups).
		Where("customers.last_contact_at > g.g_cutoff").
		Select("customers.value_class AS value_class, COUNT(*) AS contacted").Group("customers.value_class").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ValueClass] = r.Contacted
	}
	return out, nil
}
