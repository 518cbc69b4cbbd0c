package analytics

import (
	"fmt"
	"math"
	"strings"
)

// The page's charts are SVG drawn on the server: the functions here turn
// numbers into geometry (pure, unit-tested), and one template ("chart")
// writes any Chart with attributes and app.css classes only — no inline
// style, no script. Every chart has a title and a description the template
// puts in <title>/<desc>, and the page prints the same numbers in a table
// next to it. A chart without data carries only Empty, a sentence the
// template shows instead of an empty drawing.

// Chart is a drawing: rules (grid, axes, reference lines), bars, lines,
// dots, text labels and a legend, in a W×H view box.
type Chart struct {
	ID          string // prefix of the title and description element ids
	Title, Desc string
	Empty       string // set: nothing to draw; the sentence says so
	W, H        int
	Rules       []Rule
	Bars        []Bar
	Lines       []Line
	Dots        []Dot
	Labels      []Label
	Legend      []Legend
}

// Rule is a straight line: a grid line, an axis or a reference line.
type Rule struct {
	X1, Y1, X2, Y2 float64
	Class          string
}

// Bar is one rectangle; Title is read out on hover; Value is the number it
// stands for.
type Bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
	Value      float64
}

// Line is a polyline through Pts.
type Line struct {
	Pts   []Pt
	Class string
}

// Points is the polyline's points attribute.
func (l Line) Points() string {
	s := make([]string, len(l.Pts))
	for i, p := range l.Pts {
		s[i] = fmt.Sprintf("%g,%g", p.X, p.Y)
	}
	return strings.Join(s, " ")
}

// Pt is a point of a line.
type Pt struct{ X, Y float64 }

// Dot marks a value on a line.
type Dot struct {
	X, Y  float64
	Class string
	Title string
}

// Label is a text in the drawing. Anchor is start, middle or end; Rotate
// (degrees, 0 for none) turns it about its own point.
type Label struct {
	X, Y   float64
	Text   string
	Anchor string
	Rotate float64
}

// Transform is the label's transform attribute ("" when not rotated).
func (l Label) Transform() string {
	if l.Rotate == 0 {
		return ""
	}
	return fmt.Sprintf("rotate(%g %g %g)", l.Rotate, l.X, l.Y)
}

// Legend is one entry of a legend: a swatch (or a short line) and its text.
type Legend struct {
	X, X2, Y, MidY, TextX float64
	Class, Text           string
	Line                  bool
}

// Fmt formats a number for the reader (the user's locale).
type Fmt func(float64) string

// Series is one kind of bar (or the line): its app.css class and its name.
type Series struct {
	Class, Label string
}

// Category is one group of bars on the horizontal axis: one value per
// series (stacked or side by side) and, when the chart has a share line, the
// share (0–1; nil where there is none, such as a week without closed
// follow-ups).
type Category struct {
	Label  string
	Short  string // the axis label when Label is too long for it ("" for Label)
	Values []float64
	Share  *float64
}

// BarSpec describes a bar chart.
type BarSpec struct {
	ID, Title, Desc, Empty string
	Categories             []Category
	Series                 []Series
	// Stacked piles a category's values on each other (parts of a whole);
	// otherwise they stand side by side.
	Stacked bool
	// ShareLine draws the categories' shares as a line on a right axis of
	// 0–100 %, with this legend entry; nil for none.
	ShareLine *Series
	// Num formats values, Pct shares; AxisPct the share axis's round
	// percentages (Pct when nil).
	Num, Pct, AxisPct Fmt
}

// Geometry of the plot inside the view box.
const (
	chartW     = 720
	chartH     = 320
	plotLeft   = 64.0
	plotTop    = 16.0
	plotBottom = 236.0
)

// Bars lays out a bar chart: a round value axis on the left from 0 to the
// largest value (or stack) rounded up, bars proportional to their values,
// category labels under the axis (turned when there are many), a legend
// below, and the share line on a right axis when asked for. A chart whose
// values are all zero (or that has no category) is Empty.
func Bars(s BarSpec) Chart {
	c := Chart{ID: s.ID, Title: s.Title, Desc: s.Desc, W: chartW, H: chartH}
	max, any := 0.0, false
	for _, cat := range s.Categories {
		sum := 0.0
		for _, v := range cat.Values {
			v = math.Max(0, v)
			sum += v
			if !s.Stacked {
				max = math.Max(max, v)
			}
		}
		if s.Stacked {
			max = math.Max(max, sum)
		}
		if sum > 0 || (s.ShareLine != nil && cat.Share != nil) {
			any = true
		}
	}
	if !any {
		return Chart{ID: s.ID, Title: s.Title, Empty: s.Empty}
	}
	right := float64(chartW - 16)
	if s.ShareLine != nil {
		right = chartW - 56
	}
	top, step := niceScale(max)
	plotH := plotBottom - plotTop
	y := func(v float64) float64 { return round1(plotBottom - plotH*v/top) }
	for v := 0.0; v <= top+step/2; v += step {
		c.Rules = append(c.Rules, Rule{X1: plotLeft, X2: right, Y1: y(v), Y2: y(v), Class: "grid"})
		c.Labels = append(c.Labels, Label{X: plotLeft - 8, Y: y(v) + 4, Text: s.Num(v), Anchor: "end"})
	}
	if s.ShareLine != nil {
		axisPct := s.AxisPct
		if axisPct == nil {
			axisPct = s.Pct
		}
		for i := 0; i <= 4; i++ {
			v := float64(i) / 4
			c.Labels = append(c.Labels, Label{X: right + 8, Y: round1(plotBottom-plotH*v) + 4, Text: axisPct(v), Anchor: "start"})
		}
	}
	c.Rules = append(c.Rules, Rule{X1: plotLeft, X2: right, Y1: plotBottom, Y2: plotBottom, Class: "axis"})

	n := len(s.Categories)
	gw := (right - plotLeft) / float64(n)
	groupW := gw * 0.7
	parts := len(s.Series)
	if parts == 0 {
		parts = 1
	}
	barW := groupW
	if !s.Stacked {
		barW = groupW / float64(parts)
	}
	// Labels are turned when the longest does not fit under its group.
	rotate := false
	for _, cat := range s.Categories {
		rotate = rotate || textWidth(axisLabel(cat)) > gw-4
	}
	var line []Pt
	flush := func() {
		if len(line) > 1 {
			c.Lines = append(c.Lines, Line{Pts: line, Class: s.ShareLine.Class})
		}
		line = nil
	}
	for i, cat := range s.Categories {
		gx := plotLeft + gw*float64(i) + (gw-groupW)/2
		base := 0.0
		for j, v := range cat.Values {
			v = math.Max(0, v)
			class, name := "bar", ""
			if j < len(s.Series) {
				class, name = s.Series[j].Class, s.Series[j].Label
			}
			x, y0 := gx+barW*float64(j), 0.0
			if s.Stacked {
				x, y0 = gx, base
				base += v
			}
			h := round1(plotH * v / top)
			title := cat.Label + ": " + s.Num(v)
			if name != "" {
				title = cat.Label + ", " + name + ": " + s.Num(v)
			}
			c.Bars = append(c.Bars, Bar{X: round1(x), Y: round1(y(y0) - h), W: round1(barW), H: h, Class: class, Title: title, Value: v})
		}
		mid := round1(plotLeft + gw*float64(i) + gw/2)
		if rotate {
			c.Labels = append(c.Labels, Label{X: mid, Y: plotBottom + 14, Text: axisLabel(cat), Anchor: "end", Rotate: -40})
		} else {
			c.Labels = append(c.Labels, Label{X: mid, Y: plotBottom + 18, Text: axisLabel(cat), Anchor: "middle"})
		}
		if s.ShareLine != nil {
			if cat.Share == nil {
				flush() // a gap in the line: no share in this category
				continue
			}
			p := Pt{X: mid, Y: round1(plotBottom - plotH*clamp01(*cat.Share))}
			line = append(line, p)
			c.Dots = append(c.Dots, Dot{X: p.X, Y: p.Y, Class: "dot", Title: cat.Label + ", " + s.ShareLine.Label + ": " + s.Pct(*cat.Share)})
		}
	}
	if s.ShareLine != nil {
		flush()
	}
	legend := append([]Series(nil), s.Series...)
	if s.ShareLine != nil {
		legend = append(legend, *s.ShareLine)
	}
	c.legend(legend, s.ShareLine)
	return c
}

func axisLabel(c Category) string {
	if c.Short != "" {
		return c.Short
	}
	return c.Label
}

// legend places the entries in a row under the plot; the share line's entry
// is drawn as a line.
func (c *Chart) legend(entries []Series, line *Series) {
	if len(entries) < 2 && line == nil {
		return // one kind of bar: its name is the chart's title
	}
	x, y := plotLeft, float64(chartH-18)
	for _, e := range entries {
		isLine := line != nil && e == *line
		c.Legend = append(c.Legend, Legend{X: round1(x), X2: round1(x + 14), Y: y, MidY: y + 6, TextX: round1(x + 18),
			Class: e.Class, Text: e.Label, Line: isLine})
		x += 34 + textWidth(e.Label)
	}
}

// textWidth estimates the width of s at the charts' 12 px: about 7 px a
// Latin letter, 12 px a Chinese character.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r < 0x2E80 {
			w += 7
		} else {
			w += 12
		}
	}
	return w
}

// ParetoPoint is one point of the Pareto series: the top Customers share of
// customers by value (0–1) bring the Value share of the value (0–1).
type ParetoPoint struct {
	Customers, Value float64
}

// ParetoSpec describes the Pareto chart.
type ParetoSpec struct {
	ID, Title, Empty string
	Points           []ParetoPoint
	// Bar and Line name the legend entries (each step's share of value and
	// the cumulative share); Ref names the 80 % line.
	Bar, Line, Ref string
	// Desc writes the description from the share of customers that brings
	// 80 % of the value (nil: the series never reaches 80 %).
	Desc func(cross80 *float64) string
	// Pct formats shares, AxisPct the axes' round percentages (Pct when nil).
	Pct, AxisPct Fmt
}

// Pareto80 is the share of value the reference line marks.
const Pareto80 = 0.8

// Pareto lays out the Pareto chart on one 0–100 % axis: per step of the
// series (customers sorted by value, most valuable first) a bar of the value
// that step adds, the cumulative share as a rising line from (0, 0), the
// 80 % line across, and a mark where the cumulative line reaches it. The
// series is sorted by customer share and a cumulative share never falls (a
// later point below an earlier one, which only rounding can cause, is drawn
// at the earlier height). No point, or no value at all, is Empty.
func Pareto(s ParetoSpec) Chart {
	pts := make([]ParetoPoint, 0, len(s.Points))
	for _, p := range s.Points {
		if p.Customers > 0 && p.Customers <= 1 {
			pts = append(pts, ParetoPoint{Customers: p.Customers, Value: clamp01(p.Value)})
		}
	}
	sortPareto(pts)
	if len(pts) == 0 || pts[len(pts)-1].Value <= 0 {
		return Chart{ID: s.ID, Title: s.Title, Empty: s.Empty}
	}
	c := Chart{ID: s.ID, Title: s.Title, W: chartW, H: chartH}
	right := float64(chartW - 24)
	plotW, plotH := right-plotLeft, plotBottom-plotTop
	x := func(v float64) float64 { return round1(plotLeft + plotW*v) }
	y := func(v float64) float64 { return round1(plotBottom - plotH*v) }
	axisPct := s.AxisPct
	if axisPct == nil {
		axisPct = s.Pct
	}
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		c.Rules = append(c.Rules, Rule{X1: plotLeft, X2: right, Y1: y(v), Y2: y(v), Class: "grid"})
		c.Labels = append(c.Labels, Label{X: plotLeft - 8, Y: y(v) + 4, Text: axisPct(v), Anchor: "end"})
		c.Labels = append(c.Labels, Label{X: x(v), Y: plotBottom + 18, Text: axisPct(v), Anchor: "middle"})
	}
	c.Rules = append(c.Rules, Rule{X1: plotLeft, X2: right, Y1: plotBottom, Y2: plotBottom, Class: "axis"})
	line := []Pt{{X: x(0), Y: y(0)}}
	prevC, prevV := 0.0, 0.0
	for _, p := range pts {
		v := math.Max(prevV, p.Value)
		step := v - prevV
		x0, x1 := x(prevC), x(p.Customers)
		w := math.Max(0, x1-x0-1)
		c.Bars = append(c.Bars, Bar{X: x0 + 0.5, Y: y(step), W: round1(w), H: round1(plotBottom - y(step)), Class: "bar", Value: step,
			Title: s.Pct(prevC) + "–" + s.Pct(p.Customers) + ": " + s.Pct(step)})
		line = append(line, Pt{X: x1, Y: y(v)})
		prevC, prevV = p.Customers, v
	}
	c.Lines = append(c.Lines, Line{Pts: line, Class: "line"})
	c.Rules = append(c.Rules, Rule{X1: plotLeft, X2: right, Y1: y(Pareto80), Y2: y(Pareto80), Class: "ref"})
	cross := Cross(pts, Pareto80)
	if cross != nil {
		c.Rules = append(c.Rules, Rule{X1: x(*cross), X2: x(*cross), Y1: y(Pareto80), Y2: plotBottom, Class: "ref"})
		c.Dots = append(c.Dots, Dot{X: x(*cross), Y: y(Pareto80), Class: "dot", Title: s.Pct(*cross) + " → " + s.Pct(Pareto80)})
	}
	if s.Desc != nil {
		c.Desc = s.Desc(cross)
	}
	c.legend([]Series{{Class: "bar", Label: s.Bar}, {Class: "line", Label: s.Line}, {Class: "ref", Label: s.Ref}}, &Series{Class: "line", Label: s.Line})
	for i := range c.Legend {
		c.Legend[i].Line = c.Legend[i].Class != "bar"
	}
	return c
}

// Cross is the share of customers at which the cumulative value share first
// reaches share, interpolated between the series' points (which start at
// 0, 0); nil when it never does. pts must be sorted by customer share.
func Cross(pts []ParetoPoint, share float64) *float64 {
	prevC, prevV := 0.0, 0.0
	for _, p := range pts {
		v := math.Max(prevV, p.Value)
		if v >= share {
			c := p.Customers
			if v > prevV {
				c = prevC + (p.Customers-prevC)*(share-prevV)/(v-prevV)
			}
			return &c
		}
		prevC, prevV = p.Customers, v
	}
	return nil
}

func sortPareto(pts []ParetoPoint) {
	for i := 1; i < len(pts); i++ { // a few dozen points: insertion sort
		for j := i; j > 0 && pts[j].Customers < pts[j-1].Customers; j-- {
			pts[j], pts[j-1] = pts[j-1], pts[j]
		}
	}
}

// niceScale returns the top of a value axis for values up to max and the
// step of its grid: the step is 1, 2 or 5 times a power of ten (at least 1:
// the charts count things) such that four or five steps cover max.
func niceScale(max float64) (top, step float64) {
	if max <= 0 {
		return 1, 1
	}
	raw := max / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * p
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-12) {
			step = m * p
			break
		}
	}
	if step < 1 {
		step = 1
	}
	return step * math.Ceil(max/step*(1-1e-12)), step
}

func clamp01(v float64) float64 { return math.Min(1, math.Max(0, v)) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }
