package domain

import (
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
)

func TestTransitions(t *testing.T) {
	allowed := map[[2]LifecycleStage]bool{
		{StageLead, StageProspect}: true, {StageLead, StageLost}: true,
		{StageProspect, StageTransacting}: true, {StageProspect, StageLost}: true,
		{StageTransacting, StageService}: true, {StageTransacting, StageLost}: true,
		{StageService, StageTransacting}: true, {StageService, StageLost}: true,
		{StageLost, StageProspect}: true,
	}
	for _, from := range LifecycleStages {
		for _, to := range LifecycleStages {
			if got := CanTransition(from, to); got != allowed[[2]LifecycleStage{from, to}] {
				t.Errorf("%s → %s: got %v", from, to, got)
			}
		}
	}
	if LifecycleStage("customer").Valid() || CanTransition("nope", StageLead) {
		t.Error("unknown stages must be invalid")
	}
}

func TestNormalizeName(t *testing.T) {
	same := [][]string{
		{"Acme Ltd.", "ACME Limited", "acme", "  Acme,  LTD ", "Ａｃｍｅ"},
		{"北京建材有限公司", "北京建材股份有限公司", "北京建材"},
		{"Steel & Iron Co., Inc.", "steel iron"},
	}
	for _, group := range same {
		want := NormalizeName(group[0])
		for _, n := range group[1:] {
			if got := NormalizeName(n); got != want {
				t.Errorf("NormalizeName(%q) = %q, want %q (as %q)", n, got, want, group[0])
			}
		}
	}
	if NormalizeName("Acme Ltd") == NormalizeName("Acme Steel Ltd") {
		t.Error("different companies must stay different")
	}
	if NormalizeName("Ltd") != "ltd" {
		t.Errorf("a name that is only a suffix keeps it: %q", NormalizeName("Ltd"))
	}
	if NormalizeName("!!!") != "" {
		t.Error("punctuation-only names normalise to empty")
	}
}

func TestNormalizeEmailAndTaxID(t *testing.T) {
	if NormalizeEmail(" Ana@Example.COM ") != "ana@example.com" {
		t.Error("email not folded")
	}
	for _, bad := range []string{"ana", "ana@", "Ana <ana@example.com>", "ana@localhost"} {
		if NormalizeEmail(bad) != "" {
			t.Errorf("%q accepted", bad)
		}
	}
	if NormalizeTaxID("91-1100 00ab") != "91110000AB" {
		t.Error(NormalizeTaxID("91-1100 00ab"))
	}
}

func TestScore(t *testing.T) {
	cases := []struct {
		v    Value
		want float64
	}{
		{Value{AnnualRevenue: 1000, AnnualMarketingCost: 200}, 800},
		{Value{AnnualRevenue: 1000, AnnualMarketingCost: 200, YearsOfBusiness: 10}, 960},
		{Value{AnnualRevenue: 1000, YearsOfBusiness: 40}, 1500},
		{Value{AnnualRevenue: 100, AnnualMarketingCost: 500}, 0},
	}
	for _, c := range cases {
		if got := c.v.Score(); got != c.want {
			t.Errorf("%+v: got %v want %v", c.v, got, c.want)
		}
	}
}

func TestClassifyPareto(t *testing.T) {
	// Ten customers, scores 50, 20, 10, 8, 5, 3, 2, 1, 1, 0 (total 100).
	scores := []float64{50, 20, 10, 8, 5, 3, 2, 1, 1, 0}
	want := []ValueClass{ClassA, ClassA, ClassA, ClassB, ClassB, ClassB, ClassC, ClassC, ClassC, ClassC}
	cum := 0.0
	for i, s := range scores {
		// before: 0,50,70 (<80 → A); 80,88,93 (<95 → B); 96,98,99,100 → C
		if got := Classify(cum, s, 100, DefaultThresholds); got != want[i] {
			t.Errorf("customer %d (score %v, before %v): got %s want %s", i, s, cum, got, want[i])
		}
		cum += s
	}
	if Classify(0, 0, 0, DefaultThresholds) != ClassC {
		t.Error("an all-zero population is C")
	}
	if Classify(0, 10, 100, Thresholds{AShare: 0.5, BShare: 0.9}) != ClassA {
		t.Error("custom thresholds")
	}
	if (Thresholds{AShare: 0.9, BShare: 0.8}).Valid() || (Thresholds{AShare: 0, BShare: 0.5}).Valid() || !DefaultThresholds.Valid() {
		t.Error("threshold validation")
	}
}

func TestValidateProfile(t *testing.T) {
	var v apperr.Validation
	ValidateProfile(&v, Profile{Name: "", Region: "r", Industry: string(make([]byte, 101)), RelationshipStage: "friends"}, false)
	e := apperr.From(v.Err())
	fields := map[string]string{}
	for _, f := range e.Fields {
		fields[f.Field] = f.Code
	}
	if fields["name"] != "required" || fields["industry"] == "" || fields["relationship_stage"] != "invalid" || fields["region"] != "" {
		t.Errorf("fields %v", fields)
	}
	var ok apperr.Validation
	ValidateProfile(&ok, Profile{Name: "Acme", Region: "north", Industry: "steel"}, false)
	ValidateValue(&ok, Value{AnnualRevenue: 1, YearsOfBusiness: 3})
	if !ok.Empty() {
		t.Error(ok.Err())
	}
	var neg apperr.Validation
	ValidateValue(&neg, Value{AnnualRevenue: -1, YearsOfBusiness: -2})
	if len(apperr.From(neg.Err()).Fields) != 2 {
		t.Error("negative values must be refused")
	}
}

func TestTrialCountsWithoutStoring(t *testing.T) {
	// Scores 50, 20, 10, 8, 5, 3, 2, 1, 1, 0; the last one is already C, the first already B.
	tr := NewTrial(DefaultThresholds, 100)
	current := []ValueClass{ClassB, "", "", "", "", "", "", "", "", ClassC}
	for i, s := range []float64{50, 20, 10, 8, 5, 3, 2, 1, 1, 0} {
		tr.Add(s, current[i])
	}
	if tr.Customers != 10 || tr.Counts[ClassA] != 3 || tr.Counts[ClassB] != 3 || tr.Counts[ClassC] != 4 || tr.Changes != 9 ||
		tr.Moves["B→A"] != 1 || tr.Moves["none→C"] != 3 {
		t.Errorf("trial: %+v", tr)
	}
}
