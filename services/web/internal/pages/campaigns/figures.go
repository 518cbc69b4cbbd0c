package campaigns

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/marketingapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Eval is a campaign's evaluation as the pages show it: the service's
// figures without pointers, except those the service leaves out when they
// cannot be computed (a rate of an empty group, an uplift without a
// control group, a ROI without costs), which the pages show as "—".
type Eval struct {
	Treated, Holdout            Group
	Response, Conversion        Uplift
	IncrementalRevenue          float64
	ActualCost, Budget          float64
	CostPerResponse, CostPerWin *float64
	ROI                         *float64
	NoControlGroup              bool
	WinBack                     *WinBack
	OutcomesAsOf                *time.Time
}

// Group is one group of a campaign (treated or holdout).
type Group struct {
	Enrolled, Touched, Responded, Leads, Opportunities, Won int
	Revenue                                                 float64
	ResponseRate, ConversionRate                            *float64
}

// Uplift is the campaign's effect on a rate, treated against holdout.
type Uplift struct {
	// Absolute is the difference of the rates (a share: 0.03 is three
	// percentage points), Relative that difference over the holdout's rate.
	Absolute, Relative *float64
	// CI is the 95 % interval of Absolute.
	CI                 *Interval
	TreatedN, HoldoutN int
}

// Interval is a 95 % confidence interval.
type Interval struct{ Low, High float64 }

// WinBack is a win-back campaign's won-back rate and the usual one.
type WinBack struct {
	Rate     *float64
	Baseline float64
}

// Signals of an uplift: its interval lies above zero (a gain), below it (a
// loss), or around it (not clear yet).
const (
	SignalGain    = "gain"
	SignalLoss    = "loss"
	SignalUnclear = "unclear"
)

// Signal says what the interval tells of u ("" without one).
func (u Uplift) Signal() string {
	switch {
	case u.CI == nil:
		return ""
	case u.CI.Low > 0:
		return SignalGain
	case u.CI.High < 0:
		return SignalLoss
	}
	return SignalUnclear
}

func evalOf(v marketingapi.EvaluationView) Eval {
	e := Eval{Treated: groupOf(v.Treated), Holdout: groupOf(v.Holdout), Response: upliftOf(v.ResponseUplift),
		Conversion: upliftOf(v.ConversionUplift), IncrementalRevenue: deref(v.IncrementalRevenue), ActualCost: deref(v.ActualCost),
		Budget: deref(v.Budget), CostPerResponse: v.CostPerResponse, CostPerWin: v.CostPerWin, ROI: v.Roi,
		NoControlGroup: deref(v.NoControlGroup), OutcomesAsOf: v.OutcomesAsOf}
	if w := v.Winback; w != nil {
		e.WinBack = &WinBack{Rate: w.Rate, Baseline: deref(w.Baseline)}
	}
	return e
}

func groupOf(g *marketingapi.GroupView) Group {
	if g == nil {
		return Group{}
	}
	return Group{Enrolled: deref(g.Enrolled), Touched: deref(g.Touched), Responded: deref(g.Responded), Leads: deref(g.Leads),
		Opportunities: deref(g.Opportunities), Won: deref(g.Won), Revenue: deref(g.Revenue), ResponseRate: g.ResponseRate,
		ConversionRate: g.ConversionRate}
}

func upliftOf(u *marketingapi.UpliftView) Uplift {
	if u == nil {
		return Uplift{}
	}
	out := Uplift{Absolute: u.Absolute, Relative: u.Relative, TreatedN: deref(u.TreatedN), HoldoutN: deref(u.HoldoutN)}
	if ci := u.Ci95; ci != nil && ci.Low != nil && ci.High != nil {
		out.CI = &Interval{Low: *ci.Low, High: *ci.High}
	}
	return out
}

// Ctx is the request's view context with the figures' formats, which
// every page's data embeds.
type Ctx struct{ *view.Ctx }

// dash stands for a figure that cannot be computed.
const dash = "—"

// Rate is a share as a percentage ("12.5%"), "—" for none.
func (x Ctx) Rate(share *float64) string {
	if share == nil {
		return dash
	}
	return x.Percent(*share)
}

// Points is a difference of two rates in percentage points, signed
// ("+3.2 pp"), "—" for none.
func (x Ctx) Points(diff *float64) string {
	if diff == nil {
		return dash
	}
	return x.T("campaigns.fig.points", "N", signed(100**diff))
}

// Relative is a relative change, signed ("+40.0%"), "—" for none.
func (x Ctx) Relative(r *float64) string {
	if r == nil {
		return dash
	}
	s := x.Percent(*r)
	if *r > 0 {
		s = "+" + s
	}
	return s
}

// Interval is the 95 % interval of an uplift in percentage points ("" for none).
func (x Ctx) Interval(ci *Interval) string {
	if ci == nil {
		return ""
	}
	return x.T("campaigns.fig.ci", "Low", signed(100*ci.Low), "High", signed(100*ci.High))
}

// ROI is a return on investment as a signed percentage ("+150.0%"), "—" for none.
func (x Ctx) ROI(r *float64) string { return x.Relative(r) }

// Money is an amount in the campaign's currency (the service keeps no
// currency: major units), with the locale's grouping and two decimals
// when it has cents; "—" for none.
func (x Ctx) Money(v any) string {
	switch n := v.(type) {
	case *float64:
		if n == nil {
			return dash
		}
		return x.Money(*n)
	case float64:
		return x.Num(math.Round(n*100) / 100)
	}
	return x.Num(v)
}

// Share is a share of the segment as a percentage ("10%", "12.5%").
func (x Ctx) Share(v float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(x.Percent(v), ".0%"), "%") + "%"
}

// OrT is the message id in the user's language, else fallback (a code
// the catalogue does not know yet shows as the service names it).
func (x Ctx) OrT(id, fallback string) string { return orID(x.Ctx, id, fallback) }

// Channels are a campaign's channels in words, the main one first.
func (x Ctx) Channels(chs *[]string) string {
	words := make([]string, len(deref(chs)))
	for i, c := range deref(chs) {
		words[i] = x.OrT("campaigns.channel."+c, c)
	}
	return strings.Join(words, x.T("campaigns.sep"))
}

// Int is a count the API may leave out (0 then).
func (x Ctx) Int(p *int) int { return deref(p) }

// signed is v with one decimal and its sign ("+3.2", "-1.0", "0.0").
func signed(v float64) string {
	v = math.Round(v*10) / 10
	switch {
	case v > 0:
		return fmt.Sprintf("+%.1f", v)
	case v < 0:
		return fmt.Sprintf("-%.1f", -v)
	}
	return "0.0"
}
