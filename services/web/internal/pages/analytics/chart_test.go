package analytics

import (
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"testing"
)

func num(v float64) string { return fmt.Sprint(v) }
func pct(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }

func near(a, b float64) bool { return math.Abs(a-b) <= 0.11 }

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct{ max, top, step float64 }{
		{0, 1, 1}, {1, 1, 1}, {3, 3, 1}, {4, 4, 1}, {7, 8, 2}, {9, 10, 5}, {10, 10, 5}, {37, 40, 10}, {120, 150, 50}, {1234, 1500, 500}, {30, 30, 10},
	} {
		top, step := niceScale(tc.max)
		if top != tc.top || step != tc.step {
			t.Errorf("niceScale(%g) = %g, %g; want %g, %g", tc.max, top, step, tc.top, tc.step)
		}
	}
}

// Simple bars stand on the baseline with heights proportional to their
// values; the axis tops the largest value with a round number.
func TestBarsProportional(t *testing.T) {
	values := []float64{10, 40, 0, 25}
	var cats []Category
	for i, v := range values {
		cats = append(cats, Category{Label: fmt.Sprint("s", i), Values: []float64{v}})
	}
	c := Bars(BarSpec{ID: "x", Title: "t", Categories: cats, Series: []Series{{Class: "bar", Label: "customers"}}, Num: num, Pct: pct})
	if c.Empty != "" || len(c.Bars) != 4 {
		t.Fatalf("%+v", c)
	}
	top, _ := niceScale(40)
	plotH := plotBottom - plotTop
	for i, b := range c.Bars {
		if !near(b.H, plotH*values[i]/top) || !near(b.Y+b.H, plotBottom) {
			t.Errorf("bar %d (%g): y=%g h=%g, want h=%g on %g", i, values[i], b.Y, b.H, plotH*values[i]/top, plotBottom)
		}
		if b.Value != values[i] || !strings.HasSuffix(b.Title, fmt.Sprint(values[i])) {
			t.Errorf("bar %d: value %g, title %q", i, b.Value, b.Title)
		}
	}
	// 10 vs 40: a quarter of the height, whatever the axis.
	if !near(c.Bars[0].H*4, c.Bars[1].H) {
		t.Errorf("bars not proportional: %g vs %g", c.Bars[0].H, c.Bars[1].H)
	}
	if c.Bars[1].X <= c.Bars[0].X || c.Bars[0].X < plotLeft {
		t.Error("bars not left to right inside the plot")
	}
	if len(c.Legend) != 0 {
		t.Error("a chart of one kind of bar has no legend")
	}
	if len(c.Labels) == 0 || c.Labels[len(c.Labels)-1].Text != "s3" || c.Labels[len(c.Labels)-1].Rotate != 0 {
		t.Errorf("category labels: %+v", c.Labels)
	}
}

// Stacked bars pile a category's parts: each part's height is proportional
// to its value, the parts touch, and the stack is as high as their sum.
func TestStackedBars(t *testing.T) {
	c := Bars(BarSpec{ID: "cov", Categories: []Category{{Label: "A", Values: []float64{3, 1}}, {Label: "B", Values: []float64{0, 8}}, {Label: "C", Values: []float64{5, 5}}},
		Series: []Series{{Class: "bar", Label: "contacted"}, {Class: "bar2", Label: "not contacted"}}, Stacked: true, Num: num, Pct: pct})
	if len(c.Bars) != 6 || len(c.Legend) != 2 {
		t.Fatalf("%d bars, %d legend entries", len(c.Bars), len(c.Legend))
	}
	top, _ := niceScale(10)
	plotH := plotBottom - plotTop
	for i := 0; i < 6; i += 2 {
		lo, hi := c.Bars[i], c.Bars[i+1]
		if !near(lo.Y+lo.H, plotBottom) || !near(hi.Y+hi.H, lo.Y) || lo.X != hi.X || lo.W != hi.W {
			t.Errorf("stack %d: %+v under %+v", i/2, lo, hi)
		}
		if !near(plotBottom-hi.Y, plotH*(lo.Value+hi.Value)/top) {
			t.Errorf("stack %d is %g high for %g", i/2, plotBottom-hi.Y, lo.Value+hi.Value)
		}
		if lo.Class != "bar" || hi.Class != "bar2" || !strings.Contains(hi.Title, "not contacted") {
			t.Errorf("stack %d classes %s/%s, title %q", i/2, lo.Class, hi.Class, hi.Title)
		}
	}
	if c.Bars[4].Y+c.Bars[4].H <= c.Bars[5].Y+c.Bars[5].H-0.2 {
		t.Error("C's second part is not on its first")
	}
}

// Grouped bars stand side by side; the share line runs on the 0–100 %
// axis through the categories that have a share and breaks where one has
// none; labels too long for their group are turned, short ones are not.
func TestGroupedBarsWithShareLine(t *testing.T) {
	var cats []Category
	for i := range 12 {
		closed, onTime := float64(i+2), float64(i)
		share := onTime / closed
		cat := Category{Label: fmt.Sprintf("2026-W%02d", i+1), Values: []float64{closed, onTime}, Share: &share}
		if i == 5 {
			cat.Values, cat.Share = []float64{0, 0}, nil // a week without closed follow-ups
		}
		cats = append(cats, cat)
	}
	c := Bars(BarSpec{ID: "t", Categories: cats, Series: []Series{{Class: "bar2", Label: "closed"}, {Class: "bar", Label: "on time"}},
		ShareLine: &Series{Class: "line", Label: "on-time share"}, Num: num, Pct: pct})
	if len(c.Bars) != 24 || len(c.Lines) != 2 || len(c.Dots) != 11 {
		t.Fatalf("%d bars, %d lines, %d dots", len(c.Bars), len(c.Lines), len(c.Dots))
	}
	if len(c.Lines[0].Pts) != 5 || len(c.Lines[1].Pts) != 6 {
		t.Errorf("the line does not break at the empty week: %d + %d points", len(c.Lines[0].Pts), len(c.Lines[1].Pts))
	}
	plotH := plotBottom - plotTop
	for i, d := range c.Dots {
		k := i
		if i >= 5 {
			k = i + 1
		}
		if want := plotBottom - plotH**cats[k].Share; !near(d.Y, want) {
			t.Errorf("dot %d at %g, want %g", i, d.Y, want)
		}
	}
	a, b := c.Bars[0], c.Bars[1]
	if !near(a.X+a.W, b.X) || !near(a.Y+a.H, plotBottom) || !near(b.Y+b.H, plotBottom) {
		t.Errorf("a group's bars are not side by side on the baseline: %+v %+v", a, b)
	}
	rotated := 0
	for _, l := range c.Labels {
		if l.Rotate != 0 {
			rotated++
			if l.Transform() == "" {
				t.Error("a turned label without transform")
			}
		}
	}
	if rotated != 12 || len(c.Legend) != 3 || !c.Legend[2].Line || c.Legend[0].Line {
		t.Errorf("%d turned labels, legend %+v", rotated, c.Legend)
	}
	for i := range cats {
		cats[i].Short = fmt.Sprintf("%02d", i+1)
	}
	short := Bars(BarSpec{ID: "t", Categories: cats, Series: []Series{{Class: "bar2"}, {Class: "bar"}}, Num: num, Pct: pct})
	for _, l := range short.Labels {
		if l.Rotate != 0 {
			t.Fatalf("a short label is turned: %+v", l)
		}
	}
	if got := short.Labels[len(short.Labels)-1].Text; got != "12" || !strings.HasPrefix(short.Bars[0].Title, "2026-W01") {
		t.Errorf("the axis shows %q, the bar's title %q", got, short.Bars[0].Title)
	}
	if c.Lines[1].Points() == "" || strings.Count(c.Lines[1].Points(), ",") != 6 {
		t.Errorf("points %q", c.Lines[1].Points())
	}
}

// No category, or nothing but zeros: no drawing, the sentence instead.
func TestBarsEmpty(t *testing.T) {
	for name, cats := range map[string][]Category{"none": nil, "zeros": {{Label: "A", Values: []float64{0, 0}}, {Label: "B", Values: []float64{0}}}} {
		c := Bars(BarSpec{ID: "e", Title: "t", Empty: "No customers yet.", Categories: cats, Num: num, Pct: pct})
		if c.Empty != "No customers yet." || len(c.Bars)+len(c.Rules)+len(c.Labels) != 0 {
			t.Errorf("%s: %+v", name, c)
		}
	}
}

// A typical 80/20 series: bars are each step's share of value, the
// cumulative line starts at 0, rises monotonically to the last point, the
// 80 % line is drawn, and the crossing is where 80 % is reached.
func TestPareto(t *testing.T) {
	var pts []ParetoPoint
	cum := []float64{.35, .55, .68, .80, .86, .90, .93, .95, .965, .975, .983, .988, .992, .995, .997, .998, .999, .9995, 1, 1}
	for i, v := range cum {
		pts = append(pts, ParetoPoint{Customers: float64(i+1) * .05, Value: v})
	}
	var gotCross *float64
	c := Pareto(ParetoSpec{ID: "p", Title: "Pareto", Points: pts, Bar: "step", Line: "cumulative", Ref: "80 %", Pct: pct,
		Desc: func(x *float64) string { gotCross = x; return "desc" }})
	if c.Empty != "" || len(c.Bars) != 20 || len(c.Lines) != 1 || c.Desc != "desc" {
		t.Fatalf("%+v", c)
	}
	if gotCross == nil || math.Abs(*gotCross-0.20) > 1e-9 {
		t.Fatalf("80 %% reached at %v, want 20 %%", gotCross)
	}
	line := c.Lines[0].Pts
	if len(line) != 21 || line[0] != (Pt{X: plotLeft, Y: plotBottom}) {
		t.Fatalf("the line does not start at the origin: %+v", line[:1])
	}
	monotonic(t, line)
	plotH := plotBottom - plotTop
	if !near(line[20].Y, plotTop) || !near(line[4].Y, plotBottom-plotH*.8) {
		t.Errorf("line ends at %g (want %g), 20 %% at %g", line[20].Y, plotTop, line[4].Y)
	}
	// Bars: the first step is 35 % high, the second 20 %; they sum to 100 %.
	sum := 0.0
	for _, b := range c.Bars {
		sum += b.Value
		if !near(b.Y+b.H, plotBottom) {
			t.Errorf("bar off the baseline: %+v", b)
		}
	}
	if !near(c.Bars[0].H, plotH*.35) || !near(c.Bars[1].H, plotH*.20) || math.Abs(sum-1) > 1e-9 {
		t.Errorf("bars %g, %g; sum %g", c.Bars[0].H, c.Bars[1].H, sum)
	}
	refs := 0
	for _, r := range c.Rules {
		if r.Class == "ref" {
			refs++
		}
	}
	if refs != 2 || len(c.Dots) != 1 || len(c.Legend) != 3 {
		t.Errorf("%d reference lines, %d marks, %d legend entries", refs, len(c.Dots), len(c.Legend))
	}
}

// Points out of order, a rounding dip and points outside 0–1 still give a
// rising line; a series that never reaches 80 % has no crossing.
func TestParetoMonotonicFromUntidyInput(t *testing.T) {
	pts := []ParetoPoint{{.5, .6}, {.25, .5}, {.75, .599}, {1, .7}, {0, .1}, {1.5, 1}}
	var gotCross = new(float64)
	c := Pareto(ParetoSpec{ID: "p", Points: pts, Pct: pct, Desc: func(x *float64) string { gotCross = x; return "" }})
	if len(c.Bars) != 4 {
		t.Fatalf("%d bars from 4 usable points", len(c.Bars))
	}
	monotonic(t, c.Lines[0].Pts)
	for _, b := range c.Bars {
		if b.H < 0 || b.Value < 0 {
			t.Errorf("negative bar %+v", b)
		}
	}
	if gotCross != nil {
		t.Errorf("a series topping out at 70 %% crosses 80 %% at %g", *gotCross)
	}
}

func monotonic(t *testing.T, line []Pt) {
	t.Helper()
	for i := 1; i < len(line); i++ {
		if line[i].X <= line[i-1].X || line[i].Y > line[i-1].Y {
			t.Fatalf("the cumulative line falls or turns back at %d: %+v after %+v", i, line[i], line[i-1])
		}
	}
}

func TestParetoEmpty(t *testing.T) {
	for name, pts := range map[string][]ParetoPoint{"none": nil, "no value": {{.5, 0}, {1, 0}}} {
		c := Pareto(ParetoSpec{ID: "p", Title: "t", Empty: "No customer has a value yet.", Points: pts, Pct: pct})
		if c.Empty == "" || len(c.Bars)+len(c.Lines)+len(c.Rules) != 0 {
			t.Errorf("%s: %+v", name, c)
		}
	}
}

func TestCross(t *testing.T) {
	pts := []ParetoPoint{{.1, .5}, {.2, .7}, {.4, .9}}
	if x := Cross(pts, .8); x == nil || math.Abs(*x-.3) > 1e-9 {
		t.Errorf("cross 80 %% = %v, want 30 %%", x)
	}
	if x := Cross(pts, .25); x == nil || math.Abs(*x-.05) > 1e-9 {
		t.Errorf("cross 25 %% = %v, want 5 %%", x)
	}
	if x := Cross(pts, .95); x != nil {
		t.Errorf("cross 95 %% = %g, want none", *x)
	}
}

// The chart template writes well-formed SVG with its title and description
// for a chart, and only the sentence for an empty one.
func TestChartTemplate(t *testing.T) {
	tpl := template.Must(template.ParseFS(templates, "templates/chart.html"))
	render := func(c Chart) string {
		var sb strings.Builder
		if err := tpl.ExecuteTemplate(&sb, "chart", c); err != nil {
			t.Fatal(err)
		}
		return sb.String()
	}
	empty := render(Chart{ID: "e", Title: "t", Empty: "No follow-up was closed in these weeks."})
	if strings.Contains(empty, "<svg") || !strings.Contains(empty, `<p class="chart-empty">No follow-up was closed in these weeks.</p>`) {
		t.Fatalf("empty chart: %s", empty)
	}
	share := .5
	c := Bars(BarSpec{ID: "g", Title: "Closed <on time>", Desc: "north & south", Categories: []Category{{Label: "W1", Values: []float64{2, 1}, Share: &share}, {Label: "W2", Values: []float64{4, 4}, Share: &share}},
		Series: []Series{{Class: "bar2", Label: "closed"}, {Class: "bar", Label: "on time"}}, ShareLine: &Series{Class: "line", Label: "share"}, Num: num, Pct: pct})
	out := render(c)
	for _, want := range []string{`role="img"`, `aria-labelledby="g-title g-desc"`, `<title id="g-title">Closed &lt;on time&gt;</title>`, `<desc id="g-desc">north &amp; south</desc>`, `<polyline class="line"`, `class="bar2"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the SVG lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "style=") {
		t.Error("inline style in the chart")
	}
	d := xml.NewDecoder(strings.NewReader(out))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the SVG is not well-formed: %v\n%s", err, out)
		}
	}
}
