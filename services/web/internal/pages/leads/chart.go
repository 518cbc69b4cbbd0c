package leads

import (
	"fmt"
	"math"
	"strings"
)

// The funnel chart is plain SVG built here and written by the template with
// attributes only (no style): per stage, a bar of the open amount and one of
// the weighted amount on the left axis, and the conversion to the next stage
// as a line of points on the right axis (0–100 %).

// Chart is the geometry of the funnel chart.
type Chart struct {
	W, H                     int
	Left, Right, Top, Bottom float64
	Bars                     []Bar
	Ticks, PercentTicks      []Tick
	Groups                   []Tick // stage labels: X and Label
	Line                     string // polyline points of the conversion
	Points                   []Point
	Legend                   []Legend
}

// Legend is one entry of the chart's legend: a swatch (or a line) and its label.
type Legend struct {
	X, X2, Y, MidY, TextX float64
	Class, Label          string
	Line                  bool
}

// legend places the three entries under the plot.
func (c *Chart) legend(amount, weighted, conversion string) {
	y := c.Bottom + 42
	x := c.Left
	for _, e := range []Legend{{Class: "bar", Label: amount}, {Class: "bar2", Label: weighted}, {Class: "line", Label: conversion, Line: true}} {
		e.X, e.X2, e.Y, e.MidY, e.TextX = x, x+16, y, y+6, x+22
		c.Legend = append(c.Legend, e)
		x += 200
	}
}

// Bar is one bar; Title is read out on hover.
type Bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// Tick is a label on an axis (Y for value axes, X for the stage labels).
type Tick struct {
	X, Y  float64
	Label string
}

// Point is one conversion point.
type Point struct {
	X, Y  float64
	Label string
}

// ChartStage is one stage's numbers for the chart: amounts in the chart's
// currency (major units) and the conversion share (nil: none reached it).
type ChartStage struct {
	Label                    string
	Amount, Weighted         float64
	AmountText, WeightedText string
	Conversion               *float64
	ConversionText           string
}

// buildChart lays out stages; fmtAxis formats an amount for the left axis.
func buildChart(stages []ChartStage, fmtAxis func(float64) string, pct func(float64) string) Chart {
	c := Chart{W: 720, H: 330, Left: 96, Right: 656, Top: 20, Bottom: 260}
	max := 0.0
	for _, s := range stages {
		max = math.Max(max, math.Max(s.Amount, s.Weighted))
	}
	top := niceCeil(max)
	plotH := c.Bottom - c.Top
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.Ticks = append(c.Ticks, Tick{X: c.Left - 8, Y: round1(c.Bottom - plotH*float64(i)/4), Label: fmtAxis(v)})
	}
	for i := 0; i <= 2; i++ {
		c.PercentTicks = append(c.PercentTicks, Tick{X: c.Right + 8, Y: round1(c.Bottom - plotH*float64(i)/2), Label: pct(float64(i) / 2)})
	}
	if len(stages) == 0 {
		return c
	}
	gw := (c.Right - c.Left) / float64(len(stages))
	bw := gw * 0.28
	var line []string
	for i, s := range stages {
		gx := c.Left + gw*float64(i)
		h1, h2 := plotH*s.Amount/top, plotH*s.Weighted/top
		c.Bars = append(c.Bars,
			Bar{X: round1(gx + gw*0.18), Y: round1(c.Bottom - h1), W: round1(bw), H: round1(h1), Class: "bar", Title: s.Label + ": " + s.AmountText},
			Bar{X: round1(gx + gw*0.18 + bw + 4), Y: round1(c.Bottom - h2), W: round1(bw), H: round1(h2), Class: "bar2", Title: s.Label + ": " + s.WeightedText})
		c.Groups = append(c.Groups, Tick{X: round1(gx + gw/2), Y: c.Bottom + 20, Label: s.Label})
		if s.Conversion != nil {
			p := Point{X: round1(gx + gw/2), Y: round1(c.Bottom - plotH*math.Min(1, math.Max(0, *s.Conversion))), Label: s.ConversionText}
			c.Points = append(c.Points, p)
			line = append(line, fmt.Sprintf("%g,%g", p.X, p.Y))
		}
	}
	c.Line = strings.Join(line, " ")
	return c
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten (1 for 0), so
// the axis reads in round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
