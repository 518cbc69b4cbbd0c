package domain

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/closeloop/closeloop/services/customer/internal/care"
)

func TestSummarize(t *testing.T) {
	cells := []Cell{
		{"A", "transacting", "stability", 2, 800},
		{"B", "transacting", "", 3, 150},
		{"C", "service", "decline", 4, 50},
		{"", "lead", "exploration", 1, 0},
		{"C", "lost", "decline", 0, 0},
	}
	got := Summarize(cells, nil)
	if got.Customers != 10 || got.TotalValue != 1000 {
		t.Fatalf("totals %d %v", got.Customers, got.TotalValue)
	}
	want := []ClassFigure{{"A", 2, 0.2, 800, 0.8}, {"B", 3, 0.3, 150, 0.15}, {"C", 4, 0.4, 50, 0.05}, {None, 1, 0.1, 0, 0}}
	if !reflect.DeepEqual(got.Classes, want) {
		t.Errorf("classes %+v; want %+v", got.Classes, want)
	}
	if fmt.Sprint(got.LifecycleStages) != "[{lead 1 0.1} {prospect 0 0} {transacting 5 0.5} {service 4 0.4} {lost 0 0}]" {
		t.Errorf("lifecycle %v", got.LifecycleStages)
	}
	if fmt.Sprint(got.RelationshipStages) != "[{exploration 1 0.1} {formation 0 0} {stability 2 0.2} {decline 4 0.4} {none 3 0.3}]" {
		t.Errorf("relationship %v", got.RelationshipStages)
	}
	// Nothing in scope: every class and stage, all zero, no series.
	empty := Summarize(nil, nil)
	if len(empty.Classes) != 4 || len(empty.LifecycleStages) != 5 || len(empty.RelationshipStages) != 5 || len(empty.Pareto) != 0 || empty.Classes[0].ValueShare != 0 {
		t.Errorf("empty %+v", empty)
	}
}

// TestPareto: 100 customers in 20 tiles of 5, the first tile holding 60%
// of the value, the next three 20% together: the top 20% bring 80%.
func TestPareto(t *testing.T) {
	tiles := []Tile{{1, 5, 600}, {2, 5, 100}, {3, 5, 60}, {4, 5, 40}}
	for i := 5; i <= ParetoTiles; i++ {
		tiles = append(tiles, Tile{i, 5, 12.5})
	}
	tiles[5], tiles[0] = tiles[0], tiles[5] // any order in
	p := Pareto(tiles)
	if len(p) != 20 {
		t.Fatalf("%d points", len(p))
	}
	if p[0] != (ParetoPoint{5, 0.05, 600, 0.6}) || p[3] != (ParetoPoint{20, 0.2, 800, 0.8}) || p[19] != (ParetoPoint{100, 1, 1000, 1}) {
		t.Errorf("points 1, 4, 20: %+v %+v %+v", p[0], p[3], p[19])
	}
	for i := 1; i < len(p); i++ {
		if p[i].ValueShare < p[i-1].ValueShare || p[i].Customers <= p[i-1].Customers {
			t.Errorf("not cumulative at %d: %+v after %+v", i, p[i], p[i-1])
		}
	}
	// Unequal tiles (21 customers: the first tile holds 2) and no value.
	odd := Pareto([]Tile{{1, 2, 0}, {2, 1, 0}})
	if odd[0] != (ParetoPoint{2, 0.6667, 0, 0}) || odd[1] != (ParetoPoint{3, 1, 0, 0}) {
		t.Errorf("odd %+v", odd)
	}
}

func TestCoverage(t *testing.T) {
	a1, a2 := care.Group{ValueClass: "A", Team: "north", Region: "north"}, care.Group{ValueClass: "A", Team: "south", Region: "east"}
	b1, c1 := care.Group{ValueClass: "B", Team: "north", Region: "north"}, care.Group{ValueClass: "C", Team: "east", Region: "x"}
	groups := []GroupCount{{a1, 10}, {a2, 5}, {b1, 20}, {c1, 4}, {care.Group{ValueClass: "Z"}, 9}}
	unknown := map[care.Group]string{c1: "no calendar for east", a2: "no calendar for east"}
	thirty := &care.Cadence{ValueClass: "A", Duration: "30d", Clock: "calendar", PolicyVersion: 1}
	got := Coverage(groups, unknown, map[string]int64{"A": 8, "B": 5}, map[string]*care.Cadence{"A": thirty})
	f := func(p *float64) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	var lines []string
	for _, c := range append(got.Classes, got.Total) {
		lines = append(lines, fmt.Sprintf("%s %d %d %d %s", c.ValueClass, c.Customers, c.Contacted, c.CadenceUnknown, f(c.Share)))
	}
	// A: 8 of the 10 whose cadence is known; C: all unknown; total: 13 of 30.
	if want := "[A 15 8 5 0.8 B 20 5 0 0.25 C 4 0 4 null all 39 13 9 0.4333]"; fmt.Sprint(lines) != want {
		t.Errorf("coverage %v; want %s", lines, want)
	}
	if got.Classes[0].Cadence != thirty || got.Classes[1].Cadence != nil || fmt.Sprint(got.Notes) != "[no calendar for east]" {
		t.Errorf("cadences and notes: %+v %v", got.Classes, got.Notes)
	}
	if none := Coverage(nil, nil, nil, nil); len(none.Classes) != 3 || none.Total.Share != nil {
		t.Errorf("nothing in care: %+v", none)
	}
}
