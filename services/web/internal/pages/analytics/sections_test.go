package analytics

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

func testCtx(t *testing.T, lang string) *view.Ctx {
	t.Helper()
	r, err := view.New("Asia/Shanghai", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddMessages("analytics", locales, "locales"); err != nil {
		t.Fatal(err)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", "/analytics", nil)
	c.Request.Header.Set("Accept-Language", lang)
	return r.Ctx(c, nil)
}

func ip(v int) *int         { return &v }
func fp(v float64) *float64 { return &v }
func sp(v string) *string   { return &v }

// Customers whose cadence is unknown are a third part of their class's bar
// and are left out of the share; a class nobody is counted in has no share.
func TestCoverageWithUnknownCadences(t *testing.T) {
	x := testCtx(t, "en")
	cc := &customerapi.CareCoverage{
		Classes: &[]customerapi.ClassCoverage{
			{ValueClass: sp("A"), Customers: ip(5), Contacted: ip(2), CadenceUnknown: ip(1), Share: fp(0.5),
				Cadence: &customerapi.Cadence{Duration: sp("240h"), Clock: sp("business")}},
			{ValueClass: sp("B"), Customers: ip(2), Contacted: ip(0), CadenceUnknown: ip(2)},
			{ValueClass: sp("C"), Customers: ip(0), Contacted: ip(0), CadenceUnknown: ip(0)},
		},
		Total: &customerapi.ClassCoverage{ValueClass: sp("all"), Customers: ip(7), Contacted: ip(2), CadenceUnknown: ip(3), Share: fp(0.5)},
		Notes: &[]string{"no calendar for team east"},
	}
	p := coverageOf(x, cc)
	a, b := p.Rows[0], p.Rows[1]
	if a.NotContacted != 2 || a.Share == nil || *a.Share != 0.5 || a.Cadence != "every 240h (working time)" {
		t.Errorf("A: %+v", a)
	}
	if b.NotContacted != 0 || b.Share != nil || b.Cadence != "" {
		t.Errorf("B: %+v", b)
	}
	if !p.Unknown || len(p.Chart.Legend) != 3 || p.Chart.Legend[2].Class != "bar3" || len(p.Chart.Bars) != 9 {
		t.Fatalf("chart: %d bars, legend %+v", len(p.Chart.Bars), p.Chart.Legend)
	}
	if bar := p.Chart.Bars[5]; bar.Class != "bar3" || bar.Value != 2 {
		t.Errorf("B's unknown part: %+v", bar)
	}
	if p.Total.NotContacted != 2 || len(p.Notes) != 1 || !strings.Contains(p.Chart.Desc, "7 customers in care, 2 contacted") {
		t.Errorf("total %+v, desc %q", p.Total, p.Chart.Desc)
	}
	// Nobody in care: the sentence, not a chart.
	empty := coverageOf(x, &customerapi.CareCoverage{Classes: &[]customerapi.ClassCoverage{{ValueClass: sp("A"), Customers: ip(0)}}})
	if empty.Chart.Empty != "No customer in this scope is in care." || len(empty.Chart.Bars) != 0 {
		t.Errorf("empty coverage: %+v", empty.Chart)
	}
}

// A scope without customers: every customer chart says so in the user's
// language; the Pareto description says 80 % is never reached only when
// there is a series.
func TestCustomersEmptyScope(t *testing.T) {
	for lang, want := range map[string]string{"en": "No customers in this scope.", "zh-CN": "此范围内没有客户。"} {
		x := testCtx(t, lang)
		zero := []customerapi.StageFigure{{Stage: sp("lead"), Customers: ip(0), Share: fp(0)}}
		p := customersOf(x, &customerapi.CustomerAnalytics{Customers: ip(0), TotalValue: fp(0), Pareto: &[]customerapi.ParetoPoint{},
			Classes: &[]customerapi.ClassFigure{{ValueClass: sp("A"), Customers: ip(0)}}, LifecycleStages: &zero, RelationshipStages: &zero})
		for name, c := range map[string]Chart{"classes": p.ClassChart, "lifecycle": p.LifeChart, "relationship": p.RelChart} {
			if c.Empty != want {
				t.Errorf("%s, %s: %q", lang, name, c.Empty)
			}
		}
		if p.ParetoChart.Empty == "" || strings.HasPrefix(p.ParetoChart.Empty, "analytics.") || p.Cross80 != nil {
			t.Errorf("%s pareto: %+v", lang, p.ParetoChart)
		}
	}
}
