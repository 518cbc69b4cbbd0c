package analytics

import (
	"math"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// ClassRow is one ABC class (or "none": not classified yet) of the
// customers in scope: how many and their value (the sum of their value
// scores, rounded to a whole number), with their shares.
type ClassRow struct {
	Class             string
	Customers         int
	CustomersShare    float64
	Value, ValueShare float64
}

// StageRow is how many customers are in one lifecycle or relationship
// stage ("none": not set), and their share.
type StageRow struct {
	Stage, Label string
	Customers    int
	Share        float64
}

// ParetoRow is one point of the Pareto series: the most valuable
// Customers (CustomersShare of all) bring Value (ValueShare of all).
type ParetoRow struct {
	Customers                         int
	CustomersShare, Value, ValueShare float64
}

// CustomerPart is the customers' section: classes with the Pareto chart and
// the class chart, and the two stage charts.
type CustomerPart struct {
	Customers    int
	TotalValue   float64
	Classes      []ClassRow
	ClassChart   Chart
	Pareto       []ParetoRow
	ParetoChart  Chart
	Cross80      *float64 // share of customers that brings 80 % of the value
	Lifecycle    []StageRow
	LifeChart    Chart
	Relationship []StageRow
	RelChart     Chart
}

func flt(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func n(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// customersOf turns the customer service's analytics into the section, its
// charts in x's language.
func customersOf(x *view.Ctx, a *customerapi.CustomerAnalytics) *CustomerPart {
	out := &CustomerPart{}
	if a == nil {
		return out
	}
	out.Customers, out.TotalValue = n(a.Customers), math.Round(flt(a.TotalValue))
	num := func(v float64) string { return x.Num(math.Round(v)) }
	axisPct := axisPercent(x)

	var classCats []Category
	if a.Classes != nil {
		for _, c := range *a.Classes {
			row := ClassRow{Class: view.Str(c.ValueClass), Customers: n(c.Customers), CustomersShare: flt(c.CustomersShare),
				Value: math.Round(flt(c.Value)), ValueShare: flt(c.ValueShare)}
			out.Classes = append(out.Classes, row)
			classCats = append(classCats, Category{Label: x.T("analytics.class." + row.Class), Short: x.T("analytics.class_short." + row.Class),
				Values: []float64{100 * row.CustomersShare, 100 * row.ValueShare}})
		}
	}
	out.ClassChart = Bars(BarSpec{ID: "classes", Title: x.T("analytics.classes.chart_title"), Desc: classDesc(x, out.Classes),
		Empty: x.T("analytics.customers.empty"), Categories: classCats,
		Series: []Series{{Class: "bar2", Label: x.T("analytics.classes.customers_share")}, {Class: "bar", Label: x.T("analytics.classes.value_share")}},
		Num:    func(v float64) string { return x.Num(math.Round(v)) + "%" }, Pct: x.Percent})

	var pts []ParetoPoint
	if a.Pareto != nil {
		for _, p := range *a.Pareto {
			row := ParetoRow{Customers: n(p.Customers), CustomersShare: flt(p.CustomersShare), Value: math.Round(flt(p.Value)), ValueShare: flt(p.ValueShare)}
			out.Pareto = append(out.Pareto, row)
			pts = append(pts, ParetoPoint{Customers: row.CustomersShare, Value: row.ValueShare})
		}
	}
	out.ParetoChart = Pareto(ParetoSpec{ID: "pareto", Title: x.T("analytics.pareto.chart_title"), Empty: x.T("analytics.pareto.empty"),
		Points: pts, Bar: x.T("analytics.pareto.step"), Line: x.T("analytics.pareto.cumulative"), Ref: x.T("analytics.pareto.ref"),
		Desc: func(cross *float64) string {
			out.Cross80 = cross
			if cross == nil {
				return x.T("analytics.pareto.desc_none")
			}
			return x.T("analytics.pareto.desc", "Share", x.Percent(*cross))
		},
		Pct: x.Percent, AxisPct: axisPct})

	out.Lifecycle, out.LifeChart = stages(x, a.LifecycleStages, "life", "stage.", x.T("analytics.lifecycle.chart_title"), num)
	out.Relationship, out.RelChart = stages(x, a.RelationshipStages, "rel", "analytics.rel.", x.T("analytics.relationship.chart_title"), num)
	return out
}

// classDesc says each class's share of customers and of value.
func classDesc(x *view.Ctx, rows []ClassRow) string {
	s := x.T("analytics.classes.desc_intro")
	for _, r := range rows {
		s += " " + x.T("analytics.classes.desc_class", "Class", x.T("analytics.class."+r.Class), "Count", r.Customers,
			"Customers", x.Num(r.Customers), "CustomersShare", x.Percent(r.CustomersShare), "ValueShare", x.Percent(r.ValueShare))
	}
	return s
}

// stages makes one stage chart (simple bars of customers per stage) and
// its rows; labels come from the catalogue under prefix.
func stages(x *view.Ctx, in *[]customerapi.StageFigure, id, prefix, title string, num Fmt) ([]StageRow, Chart) {
	var rows []StageRow
	var cats []Category
	desc := ""
	if in != nil {
		for _, s := range *in {
			st := view.Str(s.Stage)
			row := StageRow{Stage: st, Label: x.T(prefix + st), Customers: n(s.Customers), Share: flt(s.Share)}
			rows = append(rows, row)
			cats = append(cats, Category{Label: row.Label, Values: []float64{float64(row.Customers)}})
			if desc != "" {
				desc += x.T("analytics.list_sep")
			}
			desc += x.T("analytics.stage_desc", "Stage", row.Label, "Customers", x.Num(row.Customers), "Share", x.Percent(row.Share))
		}
	}
	return rows, Bars(BarSpec{ID: id, Title: title, Desc: desc, Empty: x.T("analytics.customers.empty"), Categories: cats,
		Series: []Series{{Class: "bar", Label: x.T("analytics.customers")}}, Num: num, Pct: x.Percent})
}

// CoverageRow is one class's care coverage: the customers in care, those
// contacted within their cadence, those not, those whose cadence is not
// known (left out of the share), and the share (nil: nobody counted).
type CoverageRow struct {
	Class                                       string
	Cadence                                     string
	Customers, Contacted, NotContacted, Unknown int
	Share                                       *float64
}

// CoveragePart is the care coverage section.
type CoveragePart struct {
	Rows      []CoverageRow
	Total     CoverageRow
	Chart     Chart
	Notes     []string
	TermsAsOf *time.Time
	Unknown   bool // some class has customers of unknown cadence
}

func coverageRow(x *view.Ctx, c customerapi.ClassCoverage) CoverageRow {
	r := CoverageRow{Class: view.Str(c.ValueClass), Customers: n(c.Customers), Contacted: n(c.Contacted), Unknown: n(c.CadenceUnknown)}
	r.NotContacted = max(0, r.Customers-r.Contacted-r.Unknown)
	if known := r.Customers - r.Unknown; c.Share != nil && known > 0 {
		s := float64(r.Contacted) / float64(known) // exact; the service rounds
		r.Share = &s
	}
	if cd := c.Cadence; cd != nil && view.Str(cd.Duration) != "" {
		r.Cadence = x.T("analytics.care.cadence", "Duration", view.Str(cd.Duration), "Clock", x.T("analytics.care.clock."+view.Str(cd.Clock)))
	}
	return r
}

// coverageOf turns the customer service's care coverage into the section.
func coverageOf(x *view.Ctx, cc *customerapi.CareCoverage) *CoveragePart {
	out := &CoveragePart{}
	if cc == nil {
		return out
	}
	out.TermsAsOf = cc.TermsAsOf
	if cc.Notes != nil {
		out.Notes = *cc.Notes
	}
	if cc.Total != nil {
		out.Total = coverageRow(x, *cc.Total)
	}
	if cc.Classes != nil {
		for _, c := range *cc.Classes {
			r := coverageRow(x, c)
			out.Rows = append(out.Rows, r)
			out.Unknown = out.Unknown || r.Unknown > 0
		}
	}
	series := []Series{{Class: "bar", Label: x.T("analytics.care.contacted")}, {Class: "bar2", Label: x.T("analytics.care.not_contacted")}}
	if out.Unknown {
		series = append(series, Series{Class: "bar3", Label: x.T("analytics.care.unknown")})
	}
	var cats []Category
	for _, r := range out.Rows {
		vals := []float64{float64(r.Contacted), float64(r.NotContacted)}
		if out.Unknown {
			vals = append(vals, float64(r.Unknown))
		}
		cats = append(cats, Category{Label: x.T("analytics.class." + r.Class), Short: x.T("analytics.class_short." + r.Class), Values: vals})
	}
	share := x.T("analytics.none")
	if out.Total.Share != nil {
		share = x.Percent(*out.Total.Share)
	}
	out.Chart = Bars(BarSpec{ID: "care", Title: x.T("analytics.care.chart_title"),
		Desc: x.T("analytics.care.desc", "Count", out.Total.Customers, "Customers", x.Num(out.Total.Customers), "Contacted", x.Num(out.Total.Contacted),
			"Unknown", x.Num(out.Total.Unknown), "Share", share),
		Empty: x.T("analytics.care.empty"), Categories: cats, Series: series, Stacked: true,
		Num: func(v float64) string { return x.Num(v) }, Pct: x.Percent})
	return out
}
