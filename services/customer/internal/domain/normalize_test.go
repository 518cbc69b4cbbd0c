package domain

import (
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

// Every spelling in a group must give the duplicate key of the first.
func TestNormalizeNameDefeatsUnicodeDisguises(t *testing.T) {
	same := [][]string{
		{"Acme Steel", "Ac\u200Bme Steel", "Ac\u00ADme Steel", "A\u200Dcme\uFEFF Steel", "\u0410\u0441me Steel", "Ａｃｍｅ Ｓｔｅｅｌ", "Acme\u0338 Steel", "Acme \u202ESteel"},
		{"Beta 42", "Beta \u0664\u0662", "Beta \u096A\u0968", "Beta ４２", "\u0392\u0435\u03C4\u03B1 42"},
		{"Ocean Trading Co.", "\u041Ecean Trading Co.", "Oc\u0435an Tr\u0430ding Co."},
	}
	for _, group := range same {
		want := NormalizeName(group[0])
		for _, n := range group[1:] {
			if got := NormalizeName(n); got != want {
				t.Errorf("NormalizeName(%q) = %q, want %q (as %q)", n, got, want, group[0])
			}
		}
	}
	// Cyrillic stays case-insensitive, and different words stay different.
	if NormalizeName("МОСКВА") != NormalizeName("москва") {
		t.Error("Cyrillic upper and lower case must match")
	}
	if NormalizeName("Acme") == NormalizeName("Acne") || NormalizeName("Beta 42") == NormalizeName("Beta 43") {
		t.Error("different names must stay different")
	}
}

func TestFoldDigitsAndTaxIDs(t *testing.T) {
	cases := map[string]string{
		"+86 １３８ ０٠٠٠ ۱۲۳۴":        "+86 138 0000 1234",
		"\u0968\u0966\u0968\u0967": "2021",
		"12\u200B34":               "1234",
	}
	for in, want := range cases {
		if got := FoldDigits(in); got != want {
			t.Errorf("FoldDigits(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tax := range []string{"91110000AB", "９１１１００００ＡＢ", "91-1100\u200B00ab", "\u0669\u0661110000AB", "91110000\u0410\u0412"} {
		if got := NormalizeTaxID(tax); got != "91110000AB" {
			t.Errorf("NormalizeTaxID(%q) = %q", tax, got)
		}
	}
}

func TestNamesRefuseBidiAndControlCharacters(t *testing.T) {
	for _, name := range []string{"Acme \u202Eleets", "Acme\u2066 Steel", "Acme\u200F", "Acme\nSteel", "Acme\tSteel", "Acme\x07"} {
		var v apperr.Validation
		ValidateProfile(&v, Profile{Name: name, Region: "r", Industry: "i"}, false)
		if fieldCode(v, "name") != "invalid" {
			t.Errorf("name %q accepted: %v", name, v.Err())
		}
		var c apperr.Validation
		ValidateContact(&c, "contacts[0].", Contact{Name: name}, false)
		if fieldCode(c, "contacts[0].name") != "invalid" {
			t.Errorf("contact name %q accepted: %v", name, c.Err())
		}
	}
	var ok apperr.Validation
	ValidateProfile(&ok, Profile{Name: "شركة الأمل", Region: "r", Industry: "i", Address: "Line 1\nLine 2"}, false)
	if !ok.Empty() {
		t.Errorf("right-to-left names and multi-line addresses are fine: %v", ok.Err())
	}
}

func TestWebsiteMustBeHTTP(t *testing.T) {
	for _, bad := range []string{"javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,x", "ftp://acme.example",
		"mailto:a@acme.example", "file:///etc/passwd", "https://user:pw@acme.example", "https://", "//acme.example", "vbscript:x", "http:acme.example"} {
		if _, ok := NormalizeWebsite(bad); ok {
			t.Errorf("%q accepted", bad)
		}
		var v apperr.Validation
		ValidateProfile(&v, Profile{Name: "A", Region: "r", Industry: "i", Website: bad}, false)
		if fieldCode(v, "website") != "invalid_url" {
			t.Errorf("website %q: %v", bad, v.Err())
		}
	}
	for in, want := range map[string]string{"https://acme.example/x?y=1": "https://acme.example/x?y=1", "http://acme.example": "http://acme.example", "acme.example": "https://acme.example", "": ""} {
		if got, ok := NormalizeWebsite(in); !ok || got != want {
			t.Errorf("NormalizeWebsite(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestValueBounds(t *testing.T) {
	var v apperr.Validation
	ValidateValue(&v, Value{AnnualRevenue: 1e13})
	if fieldCode(v, "annual_revenue") != "out_of_range" {
		t.Errorf("1e13 must be out of range for everyone: %v", v.Err())
	}
	var ok apperr.Validation
	ValidateValue(&ok, Value{AnnualRevenue: MaxMoney})
	if !ok.Empty() {
		t.Error(ok.Err())
	}
	var rep apperr.Validation
	ValidateRepValue(&rep, Value{AnnualRevenue: MaxMoneyRep + 1, AnnualMarketingCost: MaxMoneyRep + 1}, map[string]bool{"annual_revenue": true})
	if fieldCode(rep, "annual_revenue") != "above_rep_limit" || fieldCode(rep, "annual_marketing_cost") != "" {
		t.Errorf("rep bound applies to the changed figures only: %v", rep.Err())
	}
}

func TestInitialStagesByRole(t *testing.T) {
	rep := auth.Principal{Subject: "r", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}}
	mgr := auth.Principal{Subject: "m", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north"}}
	adm := auth.Principal{Subject: "a", Roles: []auth.Role{auth.RoleAdmin}}
	want := map[string]map[LifecycleStage]bool{
		"rep":   {StageLead: true, StageProspect: true},
		"mgr":   {StageLead: true, StageProspect: true, StageTransacting: true, StageService: true},
		"admin": {StageLead: true, StageProspect: true, StageTransacting: true, StageService: true, StageLost: true},
	}
	for name, p := range map[string]auth.Principal{"rep": rep, "mgr": mgr, "admin": adm} {
		for _, s := range LifecycleStages {
			var v apperr.Validation
			CheckInitialStage(&v, p, s)
			if v.Empty() != want[name][s] {
				t.Errorf("%s creating a %s customer: allowed=%v", name, s, v.Empty())
			}
		}
	}
}

func TestCheckOwner(t *testing.T) {
	mgr := auth.Principal{Subject: "m", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north"}}
	adm := auth.Principal{Subject: "a", Roles: []auth.Role{auth.RoleAdmin}}
	rep := auth.Principal{Subject: "r", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}}
	northRep := &User{ID: "r", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}}
	southRep := &User{ID: "s", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"south"}}
	analyst := &User{ID: "x", Roles: []auth.Role{auth.RoleAnalyst}, Teams: []string{"north"}}
	gone := &User{ID: "g", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}, Disabled: true}
	cases := []struct {
		name string
		p    auth.Principal
		id   string
		u    *User
		team string
		code string
	}{
		{"manager to a rep of its team", mgr, "r", northRep, "north", ""},
		{"manager to itself", mgr, "m", nil, "north", ""},
		{"manager to a rep of another team", mgr, "s", southRep, "north", "owner_out_of_scope"},
		{"manager into another team", mgr, "s", southRep, "south", "owner_out_of_scope"},
		{"manager to nobody", mgr, "ghost", nil, "north", "owner_out_of_scope"},
		{"manager to a non-rep", mgr, "x", analyst, "north", "owner_out_of_scope"},
		{"manager to a disabled rep", mgr, "g", gone, "north", "owner_out_of_scope"},
		{"admin to anyone known", adm, "s", southRep, "north", ""},
		{"admin to itself", adm, "a", nil, "north", ""},
		{"admin to nobody", adm, "ghost", nil, "north", "unknown_owner"},
		{"admin to a disabled user", adm, "g", gone, "north", "unknown_owner"},
		{"rep to itself", rep, "r", northRep, "north", ""},
		{"rep to another", rep, "s", southRep, "north", "owner_out_of_scope"},
	}
	for _, c := range cases {
		err := CheckOwner(c.p, c.id, c.u, c.team)
		if got := codeOf(err); got != c.code {
			t.Errorf("%s: %q, want %q", c.name, got, c.code)
		}
	}
}

func TestDuplicateRefusalHidesWhatTheCallerCannotSee(t *testing.T) {
	d := &Duplicate{ID: "id-1", OwnerID: "rep-bo", Team: "south", MatchedOn: "tax_id"}
	in := d.Refusal(true)
	if in.Meta["existing_id"] != "id-1" || in.Code != "duplicate_customer" {
		t.Errorf("in scope: %+v", in)
	}
	out := d.Refusal(false)
	if out.Code != "duplicate_customer" || out.Meta["existing_id"] != nil || out.Meta["owning_team"] != "south" {
		t.Errorf("out of scope: %+v", out)
	}
	for k, v := range out.Meta {
		if v == "id-1" || v == "rep-bo" {
			t.Errorf("out of scope refusal reveals %s=%v", k, v)
		}
	}
	if s := out.Message; strings.Contains(s, "id-1") || strings.Contains(s, "rep-bo") {
		t.Errorf("message reveals: %s", s)
	}
	if apperr.From(d).Meta["existing_id"] != nil {
		t.Error("an unmapped Duplicate must not carry the id")
	}
}

func fieldCode(v apperr.Validation, field string) string {
	e := apperr.From(v.Err())
	if v.Empty() {
		return ""
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Code
		}
	}
	return ""
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return apperr.From(err).Code
}
