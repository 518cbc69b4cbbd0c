package domain_test

import (
	"maps"
	"math"
	"testing"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

const tol = 1e-4

func near(got, want float64) bool { return math.Abs(got-want) <= tol }

func nearPtr(got *float64, want float64) bool { return got != nil && near(*got, want) }

func TestWilsonAndNewcombeByHand(t *testing.T) {
	// Treated 50 responses of 200 (p1 = 0.25), holdout 15 of 100 (p2 = 0.15).
	// z = 1.959963984540054, z² = 3.8414588, z²/2 = 1.9207294, z²/4 = 0.9603647.
	//
	// Wilson, treated: n + z² = 203.8414588
	//   centre = (50 + 1.9207294)/203.8414588 = 51.9207294/203.8414588 = 0.2547113
	//   root   = √(50·150/200 + 0.9603647) = √(37.5 + 0.9603647) = √38.4603647 = 6.2016421
	//   half   = 1.9599640 · 6.2016421/203.8414588 = 12.1549952/203.8414588 = 0.0596297
	//   l1 = 0.2547113 − 0.0596297 = 0.1951,  u1 = 0.2547113 + 0.0596297 = 0.3143
	// Wilson, holdout: n + z² = 103.8414588
	//   centre = (15 + 1.9207294)/103.8414588 = 16.9207294/103.8414588 = 0.1629477
	//   root   = √(15·85/100 + 0.9603647) = √(12.75 + 0.9603647) = √13.7103647 = 3.7027510
	//   half   = 1.9599640 · 3.7027510/103.8414588 = 7.2572585/103.8414588 = 0.0698879
	//   l2 = 0.1629477 − 0.0698879 = 0.0931,  u2 = 0.1629477 + 0.0698879 = 0.2328
	// Newcombe (method 10), d = p1 − p2 = 0.10:
	//   low  = 0.10 − √((0.25 − 0.1950817)² + (0.2328356 − 0.15)²)
	//        = 0.10 − √(0.0030160 + 0.0068617) = 0.10 − √0.0098778 = 0.10 − 0.0993869 = 0.0006
	//   high = 0.10 + √((0.3143410 − 0.25)² + (0.15 − 0.0930599)²)
	//        = 0.10 + √(0.0041398 + 0.0032422) = 0.10 + √0.0073819 = 0.10 + 0.0859182 = 0.1859
	w1, ok1 := domain.Wilson(50, 200, domain.Z95)
	w2, ok2 := domain.Wilson(15, 100, domain.Z95)
	if !ok1 || !ok2 || !near(w1.Low, 0.1951) || !near(w1.High, 0.3143) || !near(w2.Low, 0.0931) || !near(w2.High, 0.2328) {
		t.Errorf("Wilson: treated %+v, holdout %+v", w1, w2)
	}
	ci, ok := domain.Newcombe(50, 200, 15, 100, domain.Z95)
	if !ok || !near(ci.Low, 0.0006) || !near(ci.High, 0.1859) {
		t.Errorf("Newcombe: %+v", ci)
	}
}

func TestNewcombePublishedExamples(t *testing.T) {
	// Newcombe (1998), "Interval estimation for the difference between
	// independent proportions", Statistics in Medicine 17:873–890, Table II,
	// method 10.
	cases := []struct {
		x1, n1, x2, n2 int
		low, high      float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.0582, 0.8062},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{10, 10, 0, 20, 0.6791, 1.0000},
	}
	for _, tc := range cases {
		ci, ok := domain.Newcombe(tc.x1, tc.n1, tc.x2, tc.n2, domain.Z95)
		if !ok || !near(ci.Low, tc.low) || !near(ci.High, tc.high) {
			t.Errorf("%d/%d − %d/%d: %+v, want %v to %v", tc.x1, tc.n1, tc.x2, tc.n2, ci, tc.low, tc.high)
		}
	}
}

func TestWilsonEdges(t *testing.T) {
	// 0 of 10: the interval starts at 0 (centre and half are both
	// 1.9207294/13.8414588 = 0.1388), and ends at 2 · 0.1388 = 0.2775.
	if w, ok := domain.Wilson(0, 10, domain.Z95); !ok || w.Low != 0 || !near(w.High, 0.2775) {
		t.Errorf("0/10: %+v", w)
	}
	if w, ok := domain.Wilson(10, 10, domain.Z95); !ok || w.High != 1 || !near(w.Low, 1-0.2775) {
		t.Errorf("10/10: %+v", w)
	}
	for _, c := range [][2]int{{0, 0}, {1, 0}, {-1, 5}, {6, 5}} {
		if _, ok := domain.Wilson(c[0], c[1], domain.Z95); ok {
			t.Errorf("Wilson(%d, %d) has an interval", c[0], c[1])
		}
	}
	if _, ok := domain.Newcombe(1, 10, 0, 0, domain.Z95); ok {
		t.Error("Newcombe with an empty group has an interval")
	}
}

func TestEvaluate(t *testing.T) {
	in := domain.EvaluationInput{
		Type:       domain.TypeWinback,
		Treated:    domain.Group{Enrolled: 200, Touched: 180, Responded: 50, Leads: 30, Opportunities: 20, Won: 10, Revenue: 60000},
		Holdout:    domain.Group{Enrolled: 100, Responded: 15, Leads: 10, Opportunities: 6, Won: 2, Revenue: 15000},
		ActualCost: 12000,
	}
	e, err := domain.Evaluate(in)
	if err != nil {
		t.Fatal(err)
	}
	if e.Treated.Group != in.Treated || e.Holdout.Group != in.Holdout || e.Type != domain.TypeWinback {
		t.Errorf("groups %+v, %+v", e.Treated, e.Holdout)
	}
	// Rates: 50/200, 10/200; 15/100, 2/100.
	if !nearPtr(e.Treated.ResponseRate, 0.25) || !nearPtr(e.Treated.ConversionRate, 0.05) ||
		!nearPtr(e.Holdout.ResponseRate, 0.15) || !nearPtr(e.Holdout.ConversionRate, 0.02) {
		t.Errorf("rates %+v, %+v", e.Treated, e.Holdout)
	}
	// Response uplift: 0.25 − 0.15 = 0.10, relative 0.10/0.15 = 0.6667, the
	// interval worked out by hand above.
	r := e.Response
	if !nearPtr(r.Absolute, 0.10) || !nearPtr(r.Relative, 0.6667) || r.CI95 == nil || !near(r.CI95.Low, 0.0006) || !near(r.CI95.High, 0.1859) ||
		r.TreatedN != 200 || r.HoldoutN != 100 {
		t.Errorf("response uplift %+v, CI %+v", r, r.CI95)
	}
	// Conversion uplift: 0.05 − 0.02 = 0.03, relative 0.03/0.02 = 1.5; Wilson
	// 10/200 = [0.0274, 0.0896], 2/100 = [0.0055, 0.0700]; low = 0.03 −
	// √(0.0226² + 0.0500²) = −0.0249, high = 0.03 + √(0.0396² + 0.0145²) = 0.0722.
	c := e.Conversion
	if !nearPtr(c.Absolute, 0.03) || !nearPtr(c.Relative, 1.5) || c.CI95 == nil || !near(c.CI95.Low, -0.0249) || !near(c.CI95.High, 0.0722) {
		t.Errorf("conversion uplift %+v, CI %+v", c, c.CI95)
	}
	// Incremental revenue (60000/200 − 15000/100) · 200 = (300 − 150) · 200 =
	// 30000; per response 12000/50 = 240, per win 12000/10 = 1200; ROI
	// (30000 − 12000)/12000 = 1.5.
	if e.NoControlGroup || !near(e.IncrementalRevenue, 30000) || !nearPtr(e.CostPerResponse, 240) || !nearPtr(e.CostPerWin, 1200) ||
		!nearPtr(e.ROI, 1.5) || e.ActualCost != 12000 {
		t.Errorf("money: %+v", e)
	}
	// Won back: 10/200 = 0.05 against about one in four.
	if e.WinBack == nil || !nearPtr(e.WinBack.Rate, 0.05) || e.WinBack.Baseline != 0.25 {
		t.Errorf("win-back %+v", e.WinBack)
	}
	// Only a win-back campaign is set against the win-back baseline.
	in.Type = domain.TypeCrossSell
	if e, _ := domain.Evaluate(in); e.WinBack != nil {
		t.Error("a cross-sell campaign has a win-back rate")
	}
}

func TestEvaluateNoResponses(t *testing.T) {
	// Nobody treated responded (0 of 10), 3 of 12 held out did; nobody won.
	// Wilson 0/10 = [0, 0.2775], 3/12 = [0.0889, 0.5323] (centre
	// 4.9207294/15.8414588 = 0.3106, half 1.9599640 · √(3·9/12 + 0.9603647)/15.8414588
	// = 1.9599640 · 1.7917491/15.8414588 = 0.2217). d = 0 − 0.25:
	//   low  = −0.25 − √(0² + (0.5323 − 0.25)²) = −0.25 − 0.2823 = −0.5323
	//   high = −0.25 + √(0.2775² + (0.25 − 0.0889)²) = −0.25 + √(0.0770 + 0.0260) = −0.25 + 0.3209 = 0.0709
	e, err := domain.Evaluate(domain.EvaluationInput{
		Type:       domain.TypeMailing,
		Treated:    domain.Group{Enrolled: 10, Touched: 10},
		Holdout:    domain.Group{Enrolled: 12, Responded: 3, Revenue: 600},
		ActualCost: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := e.Response
	if !nearPtr(r.Absolute, -0.25) || !nearPtr(r.Relative, -1) || r.CI95 == nil || !near(r.CI95.Low, -0.5323) || !near(r.CI95.High, 0.0709) {
		t.Errorf("response uplift %+v, CI %+v", r, r.CI95)
	}
	// Nobody won in either group: no relative uplift of conversion (ph = 0),
	// an absolute one of 0 with an interval around it.
	c := e.Conversion
	if !nearPtr(c.Absolute, 0) || c.Relative != nil || c.CI95 == nil || c.CI95.Low >= 0 || c.CI95.High <= 0 {
		t.Errorf("conversion uplift %+v", c)
	}
	// Revenue: (0/10 − 600/12) · 10 = −500; no responses, no wins: no cost per
	// either; ROI (−500 − 500)/500 = −2.
	if !near(e.IncrementalRevenue, -500) || e.CostPerResponse != nil || e.CostPerWin != nil || !nearPtr(e.ROI, -2) {
		t.Errorf("money: %+v", e)
	}
}

func TestEvaluateEmptyGroups(t *testing.T) {
	// No holdout (a campaign with holdout 0): the treated revenue is all the
	// campaign's, flagged; no uplift can be measured.
	e, err := domain.Evaluate(domain.EvaluationInput{
		Type:    domain.TypeEvent,
		Treated: domain.Group{Enrolled: 40, Responded: 8, Won: 2, Revenue: 9000},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !e.NoControlGroup || e.IncrementalRevenue != 9000 || e.Response.Absolute != nil || e.Response.Relative != nil || e.Response.CI95 != nil ||
		e.Response.HoldoutN != 0 || e.Holdout.ResponseRate != nil || e.Holdout.ConversionRate != nil || !nearPtr(e.Treated.ResponseRate, 0.2) {
		t.Errorf("no holdout: %+v", e)
	}
	// Cost 0: cost per response 0, no ROI.
	if !nearPtr(e.CostPerResponse, 0) || e.ROI != nil {
		t.Errorf("free campaign: %+v", e)
	}
	// Nobody enrolled at all (n = 0).
	e, err = domain.Evaluate(domain.EvaluationInput{Type: domain.TypeWinback, ActualCost: 100})
	if err != nil {
		t.Fatal(err)
	}
	if e.Treated.ResponseRate != nil || e.Conversion.CI95 != nil || e.Conversion.Absolute != nil || e.IncrementalRevenue != 0 ||
		e.CostPerResponse != nil || e.CostPerWin != nil || !nearPtr(e.ROI, -1) || e.WinBack == nil || e.WinBack.Rate != nil {
		t.Errorf("empty campaign: %+v", e)
	}
	// A holdout but nobody treated: no uplift, no revenue credited.
	e, _ = domain.Evaluate(domain.EvaluationInput{Holdout: domain.Group{Enrolled: 5, Responded: 1, Revenue: 100}})
	if e.NoControlGroup || e.IncrementalRevenue != 0 || e.Response.CI95 != nil {
		t.Errorf("nobody treated: %+v", e)
	}
}

func TestEvaluateRefusesImpossibleCounts(t *testing.T) {
	_, err := domain.Evaluate(domain.EvaluationInput{
		Treated:    domain.Group{Enrolled: 10, Responded: 11, Won: -1, Revenue: math.NaN()},
		Holdout:    domain.Group{Enrolled: -1},
		ActualCost: -5,
	})
	want := map[string]string{
		"treated.responded": "out_of_range", "treated.won": "out_of_range", "treated.revenue": "invalid",
		"holdout.enrolled": "out_of_range", "actual_cost": "out_of_range",
	}
	if got := fields(t, err); !maps.Equal(got, want) {
		t.Errorf("fields %v\nwant   %v", got, want)
	}
}
