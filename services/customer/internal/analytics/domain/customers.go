// Package domain holds the rules of the analytics managers read about their
// book of customers (PRODUCT.md: the 80/20 rule, ABC classes, lifecycle):
// how customers and their value divide among value classes, lifecycle and
// relationship stages; the Pareto series (what share of the value the top 5%,
// 10%, … of customers bring); and care coverage per class (how many customers
// in care were contacted within their cadence — who is within it is the
// care context's rule). It has no storage: the grouped figures are handed to
// it by the use cases in package app.
package domain

import (
	"math"
	"slices"

	customers "github.com/closeloop/closeloop/services/customer/internal/domain"
)

// None labels customers without a value class (not classified yet) or
// without a relationship stage.
const None = "none"

// Cell is the customers of one value class, lifecycle stage and
// relationship stage ("" for none) and the sum of their value scores.
type Cell struct {
	ValueClass, Lifecycle, Relationship string
	Customers                           int64
	Value                               float64
}

// Tile is one of the equal parts customers fall into when ranked by value,
// highest first (the first tile holds the most valuable), with the sum of
// their value scores.
type Tile struct {
	Tile      int
	Customers int64
	Value     float64
}

// ParetoTiles is the number of tiles of the Pareto series: one point at
// every 5% of customers.
const ParetoTiles = 20

// ClassFigure is a value class's customers and value.
type ClassFigure struct {
	// ValueClass is A, B, C, or none (not classified yet).
	ValueClass     string  `json:"value_class"`
	Customers      int64   `json:"customers"`
	CustomersShare float64 `json:"customers_share"`
	Value          float64 `json:"value"`
	ValueShare     float64 `json:"value_share"`
}

// StageFigure is the customers in one stage.
type StageFigure struct {
	Stage     string  `json:"stage"`
	Customers int64   `json:"customers"`
	Share     float64 `json:"share"`
}

// ParetoPoint says how much of the value the top customers bring: the
// first Customers customers by value (CustomersShare of all) bring
// ValueShare of the total value.
type ParetoPoint struct {
	Customers      int64   `json:"customers"`
	CustomersShare float64 `json:"customers_share"`
	Value          float64 `json:"value"`
	ValueShare     float64 `json:"value_share"`
}

// CustomerAnalytics is the analytics of a book of customers.
type CustomerAnalytics struct {
	Customers  int64   `json:"customers"`
	TotalValue float64 `json:"total_value"`
	// Classes: A, B, C and none, in that order, always all four.
	Classes []ClassFigure `json:"classes"`
	// Pareto: one point per 5% of customers ranked by value (fewer when
	// there are fewer than 20 customers), cumulative.
	Pareto []ParetoPoint `json:"pareto"`
	// LifecycleStages: lead, prospect, transacting, service, lost.
	LifecycleStages []StageFigure `json:"lifecycle_stages"`
	// RelationshipStages: exploration, formation, stability, decline, none.
	RelationshipStages []StageFigure `json:"relationship_stages"`
}

// Ratio is a share rounded to four decimals; 0 when of nothing.
func Ratio(part, whole float64) float64 {
	if whole <= 0 {
		return 0
	}
	return math.Round(part/whole*1e4) / 1e4
}

// Summarize adds the cells up per class, lifecycle stage and relationship
// stage, and the tiles into the Pareto series.
func Summarize(cells []Cell, tiles []Tile) CustomerAnalytics {
	var out CustomerAnalytics
	classes := map[string]*ClassFigure{}
	life, rel := map[string]int64{}, map[string]int64{}
	for _, c := range cells {
		out.Customers += c.Customers
		out.TotalValue += c.Value
		class := orNone(c.ValueClass)
		f := classes[class]
		if f == nil {
			f = &ClassFigure{ValueClass: class}
			classes[class] = f
		}
		f.Customers += c.Customers
		f.Value += c.Value
		life[c.Lifecycle] += c.Customers
		rel[orNone(c.Relationship)] += c.Customers
	}
	for _, class := range []string{string(customers.ClassA), string(customers.ClassB), string(customers.ClassC), None} {
		f := ClassFigure{ValueClass: class}
		if c := classes[class]; c != nil {
			f = *c
		}
		f.CustomersShare = Ratio(float64(f.Customers), float64(out.Customers))
		f.ValueShare = Ratio(f.Value, out.TotalValue)
		out.Classes = append(out.Classes, f)
	}
	for _, s := range customers.LifecycleStages {
		out.LifecycleStages = append(out.LifecycleStages, StageFigure{Stage: string(s), Customers: life[string(s)], Share: Ratio(float64(life[string(s)]), float64(out.Customers))})
	}
	for _, s := range []string{string(customers.RelExploration), string(customers.RelFormation), string(customers.RelStability), string(customers.RelDecline), None} {
		out.RelationshipStages = append(out.RelationshipStages, StageFigure{Stage: s, Customers: rel[s], Share: Ratio(float64(rel[s]), float64(out.Customers))})
	}
	out.Pareto = Pareto(tiles)
	return out
}

// Pareto is the cumulative series of the tiles, most valuable first: after
// each tile, how many customers (and what share of all) and how much value
// (and what share of the total) the tiles so far hold.
func Pareto(tiles []Tile) []ParetoPoint {
	tiles = slices.Clone(tiles)
	slices.SortFunc(tiles, func(a, b Tile) int { return a.Tile - b.Tile })
	var n int64
	var total float64
	for _, t := range tiles {
		n += t.Customers
		total += t.Value
	}
	out := make([]ParetoPoint, 0, len(tiles))
	var cn int64
	var cv float64
	for _, t := range tiles {
		cn += t.Customers
		cv += t.Value
		out = append(out, ParetoPoint{Customers: cn, CustomersShare: Ratio(float64(cn), float64(n)), Value: cv, ValueShare: Ratio(cv, total)})
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return None
	}
	return s
}
