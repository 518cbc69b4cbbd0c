package domain

import (
	"math"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Z95 is the standard normal quantile of a two-sided 95 % interval.
const Z95 = 1.959963984540054

// WinBackBaseline is the share of lost customers a win-back effort usually
// wins back — about one in four, from field studies — which a win-back
// campaign's won-back rate is shown against.
const WinBackBaseline = 0.25

// Group is what happened to one group of a campaign's enrolled customers:
// the treated (touched by the campaign) or the holdout (its control group).
// Each count is from 0 to Enrolled.
type Group struct {
	Enrolled, Touched, Responded, Leads, Opportunities, Won int
	// Revenue is what the group's customers bought during the campaign.
	Revenue float64
}

// EvaluationInput is everything a campaign's evaluation is computed from.
type EvaluationInput struct {
	Type             Type
	Treated, Holdout Group
	// ActualCost is the sum of the campaign's cost entries (ActualCost).
	ActualCost float64
}

// Interval is a confidence interval [Low, High].
type Interval struct{ Low, High float64 }

// GroupResult is a group with its rates; a rate is nil when nobody is
// enrolled in the group.
type GroupResult struct {
	Group
	// ResponseRate is Responded/Enrolled.
	ResponseRate *float64
	// ConversionRate is Won/Enrolled.
	ConversionRate *float64
}

// Uplift is the campaign's effect on one rate: treated against holdout.
type Uplift struct {
	// Absolute is pt − ph; nil when a group is empty.
	Absolute *float64
	// Relative is (pt − ph)/ph; nil when a group is empty or ph is 0.
	Relative *float64
	// CI95 is the 95 % confidence interval of Absolute (Newcombe); nil when
	// a group is empty.
	CI95 *Interval
	// TreatedN and HoldoutN are the sample sizes.
	TreatedN, HoldoutN int
}

// WinBack is how a win-back campaign did against the usual rate.
type WinBack struct {
	// Rate is the treated group's Won/Enrolled; nil when it is empty.
	Rate *float64
	// Baseline is WinBackBaseline.
	Baseline float64
}

// Evaluation is what a campaign achieved.
type Evaluation struct {
	Type             Type
	Treated, Holdout GroupResult
	// Response and Conversion are the uplifts of the response and the
	// conversion (won) rates.
	Response, Conversion Uplift
	// IncrementalRevenue is the revenue the campaign added:
	// (revenue_t/n_t − revenue_h/n_h) × n_t — the treated group's revenue
	// per customer above the holdout's, over the treated group. Without a
	// control group (NoControlGroup) it is the treated group's revenue, all
	// of it credited to the campaign.
	IncrementalRevenue float64
	// NoControlGroup: the holdout is empty, so IncrementalRevenue is not
	// measured against anything and the uplifts are nil.
	NoControlGroup bool
	ActualCost     float64
	// CostPerResponse and CostPerWin are ActualCost per treated response and
	// win; nil when there are none.
	CostPerResponse, CostPerWin *float64
	// ROI is (IncrementalRevenue − ActualCost)/ActualCost; nil when the
	// campaign cost nothing.
	ROI *float64
	// WinBack is set for win-back campaigns only.
	WinBack *WinBack
}

// Evaluate computes a campaign's evaluation, or refuses counts that cannot be
// (a negative count, more responses than enrolled customers, an amount that
// is no number) with a 422 naming them ("treated.responded").
func Evaluate(in EvaluationInput) (Evaluation, error) {
	var v apperr.Validation
	checkGroup(&v, "treated", in.Treated)
	checkGroup(&v, "holdout", in.Holdout)
	v.Check(inRange(in.ActualCost, 0, math.MaxFloat64), "actual_cost", "out_of_range", "an amount of 0 or more")
	if err := v.Err(); err != nil {
		return Evaluation{}, err
	}
	t, h := in.Treated, in.Holdout
	e := Evaluation{
		Type:       in.Type,
		Treated:    result(t),
		Holdout:    result(h),
		Response:   uplift(t.Responded, t.Enrolled, h.Responded, h.Enrolled),
		Conversion: uplift(t.Won, t.Enrolled, h.Won, h.Enrolled),
		ActualCost: in.ActualCost,
	}
	switch {
	case h.Enrolled == 0:
		e.IncrementalRevenue, e.NoControlGroup = t.Revenue, true
	case t.Enrolled > 0:
		e.IncrementalRevenue = (t.Revenue/float64(t.Enrolled) - h.Revenue/float64(h.Enrolled)) * float64(t.Enrolled)
	}
	e.CostPerResponse = ratio(in.ActualCost, t.Responded)
	e.CostPerWin = ratio(in.ActualCost, t.Won)
	if in.ActualCost > 0 {
		roi := (e.IncrementalRevenue - in.ActualCost) / in.ActualCost
		e.ROI = &roi
	}
	if in.Type == TypeWinback {
		e.WinBack = &WinBack{Rate: ratio(float64(t.Won), t.Enrolled), Baseline: WinBackBaseline}
	}
	return e, nil
}

func checkGroup(v *apperr.Validation, name string, g Group) {
	v.Check(g.Enrolled >= 0, name+".enrolled", "out_of_range", "0 or more")
	for _, c := range []struct {
		field string
		n     int
	}{{"touched", g.Touched}, {"responded", g.Responded}, {"leads", g.Leads}, {"opportunities", g.Opportunities}, {"won", g.Won}} {
		v.Check(c.n >= 0 && c.n <= max(g.Enrolled, 0), name+"."+c.field, "out_of_range", "from 0 to the group's enrolled customers")
	}
	v.Check(!math.IsNaN(g.Revenue) && !math.IsInf(g.Revenue, 0), name+".revenue", "invalid", "an amount")
}

func result(g Group) GroupResult {
	return GroupResult{Group: g, ResponseRate: ratio(float64(g.Responded), g.Enrolled), ConversionRate: ratio(float64(g.Won), g.Enrolled)}
}

func uplift(xt, nt, xh, nh int) Uplift {
	u := Uplift{TreatedN: nt, HoldoutN: nh}
	if nt == 0 || nh == 0 {
		return u
	}
	pt, ph := float64(xt)/float64(nt), float64(xh)/float64(nh)
	abs := pt - ph
	u.Absolute = &abs
	if ph > 0 {
		rel := abs / ph
		u.Relative = &rel
	}
	if ci, ok := Newcombe(xt, nt, xh, nh, Z95); ok {
		u.CI95 = &ci
	}
	return u
}

// ratio is x/n, nil when n is 0.
func ratio(x float64, n int) *float64 {
	if n == 0 {
		return nil
	}
	r := x / float64(n)
	return &r
}

// Wilson is the Wilson score interval of the proportion x/n at quantile z:
//
//	(x + z²/2)/(n + z²) ± z/(n + z²) · √(x(n−x)/n + z²/4)
//
// clamped to [0, 1]; false when n is 0 (or x is not in 0..n).
func Wilson(x, n int, z float64) (Interval, bool) {
	if n <= 0 || x < 0 || x > n {
		return Interval{}, false
	}
	fx, fn, z2 := float64(x), float64(n), z*z
	center := (fx + z2/2) / (fn + z2)
	half := z / (fn + z2) * math.Sqrt(fx*(fn-fx)/fn+z2/4)
	return Interval{Low: max(0, center-half), High: min(1, center+half)}, true
}

// Newcombe is the confidence interval of the difference of proportions
// p1 − p2 (p1 = x1/n1, p2 = x2/n2) by Newcombe's hybrid score method
// (Newcombe 1998, method 10), from the Wilson intervals (l1, u1) and (l2, u2)
// of each proportion:
//
//	low  = p1 − p2 − √((p1 − l1)² + (u2 − p2)²)
//	high = p1 − p2 + √((u1 − p1)² + (p2 − l2)²)
//
// It stays within [−1, 1] and behaves at 0 and at n events, where the simple
// Wald interval collapses. false when a group is empty.
func Newcombe(x1, n1, x2, n2 int, z float64) (Interval, bool) {
	w1, ok1 := Wilson(x1, n1, z)
	w2, ok2 := Wilson(x2, n2, z)
	if !ok1 || !ok2 {
		return Interval{}, false
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	d := p1 - p2
	return Interval{
		Low:  d - math.Hypot(p1-w1.Low, w2.High-p2),
		High: d + math.Hypot(w1.High-p1, p2-w2.Low),
	}, true
}
