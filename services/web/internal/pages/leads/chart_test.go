package leads

import (
	"fmt"
	"math"
	"testing"
)

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.7: 1, 1: 1, 1.2: 2, 2.2: 2.5, 3: 5, 7: 10, 120000: 200000, 250000: 250000, 999: 1000} {
		if got := niceCeil(in); math.Abs(got-want) > 1e-9 {
			t.Errorf("niceCeil(%g) = %g, want %g", in, got, want)
		}
	}
}

// Bars are proportional to the amounts on a round axis whose top is the
// largest amount rounded up; conversion points sit at their share of the
// plot's height; a stage without conversion has no point.
func TestBuildChart(t *testing.T) {
	half, full := 0.5, 1.0
	stages := []ChartStage{
		{Label: "1", Amount: 100, Weighted: 10, Conversion: &half},
		{Label: "2", Amount: 200, Weighted: 60, Conversion: &full},
		{Label: "3", Amount: 0, Weighted: 0},
		{Label: "4", Amount: 50, Weighted: 45},
	}
	c := buildChart(stages, func(v float64) string { return fmt.Sprint(v) }, func(v float64) string { return fmt.Sprint(v) })
	plotH := c.Bottom - c.Top
	if len(c.Bars) != 8 || len(c.Groups) != 4 {
		t.Fatalf("%d bars, %d groups", len(c.Bars), len(c.Groups))
	}
	// Top of the axis: 200 (already round).
	if c.Ticks[4].Label != "200" || c.Ticks[0].Label != "0" {
		t.Fatalf("ticks %+v", c.Ticks)
	}
	for i, want := range []float64{100, 10, 200, 60, 0, 0, 50, 45} {
		b := c.Bars[i]
		if h := plotH * want / 200; math.Abs(b.H-h) > 0.1 || math.Abs(b.Y+b.H-c.Bottom) > 0.11 {
			t.Errorf("bar %d: y=%g h=%g, want h=%g on the baseline %g", i, b.Y, b.H, h, c.Bottom)
		}
	}
	if c.Bars[2].Y != c.Top {
		t.Errorf("the largest bar does not reach the top: %g vs %g", c.Bars[2].Y, c.Top)
	}
	if len(c.Points) != 2 || math.Abs(c.Points[0].Y-(c.Bottom-plotH/2)) > 0.1 || math.Abs(c.Points[1].Y-c.Top) > 0.1 {
		t.Fatalf("points %+v", c.Points)
	}
	if c.Line == "" {
		t.Fatal("no conversion line")
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{{"120000", "CNY", 12000000, true}, {"1,200.50", "CNY", 120050, true}, {"5000", "JPY", 5000, true}, {"1.234", "KWD", 1234, true},
		{"", "CNY", 0, true}, {"abc", "CNY", 0, false}, {"-3", "CNY", 0, false}} {
		got, ok := parseMinor(tc.in, tc.cur)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseMinor(%q, %s) = %d, %v; want %d, %v", tc.in, tc.cur, got, ok, tc.want, tc.ok)
		}
	}
}
