package domain

import (
	"fmt"
	"math"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
)

// LifecycleStage is where a customer is in the company's relationship with it.
type LifecycleStage string

const (
	StageLead        LifecycleStage = "lead"
	StageProspect    LifecycleStage = "prospect"
	StageTransacting LifecycleStage = "transacting"
	StageService     LifecycleStage = "service"
	StageLost        LifecycleStage = "lost"
)

// LifecycleStages lists every stage in funnel order.
var LifecycleStages = []LifecycleStage{StageLead, StageProspect, StageTransacting, StageService, StageLost}

// transitions is the one table of allowed lifecycle changes. Any stage can be
// lost; a lost customer returns to the prospect list (the win-back path); a
// service customer that buys again is transacting again.
var transitions = map[LifecycleStage][]LifecycleStage{
	StageLead:        {StageProspect, StageLost},
	StageProspect:    {StageTransacting, StageLost},
	StageTransacting: {StageService, StageLost},
	StageService:     {StageTransacting, StageLost},
	StageLost:        {StageProspect},
}

// Transitions returns the stages reachable from s.
func Transitions(s LifecycleStage) []LifecycleStage { return transitions[s] }

// CanTransition reports whether from → to is allowed.
func CanTransition(from, to LifecycleStage) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Valid reports whether s is a known stage.
func (s LifecycleStage) Valid() bool { _, ok := transitions[s]; return ok }

// RelationshipStage follows customer lifecycle theory; it may move freely.
type RelationshipStage string

const (
	RelExploration RelationshipStage = "exploration"
	RelFormation   RelationshipStage = "formation"
	RelStability   RelationshipStage = "stability"
	RelDecline     RelationshipStage = "decline"
)

// Valid reports whether r is a known relationship stage.
func (r RelationshipStage) Valid() bool {
	switch r {
	case RelExploration, RelFormation, RelStability, RelDecline:
		return true
	}
	return false
}

// ValueClass is the ABC class; empty until the first classification run.
type ValueClass string

const (
	ClassA ValueClass = "A"
	ClassB ValueClass = "B"
	ClassC ValueClass = "C"
)

// Valid reports whether c is A, B or C.
func (c ValueClass) Valid() bool { return c == ClassA || c == ClassB || c == ClassC }

// Limits on customer fields.
const (
	MaxNameLen  = 200
	MaxShortLen = 100
	MaxTextLen  = 2000
	// MaxMoney bounds annual_revenue and annual_marketing_cost for everyone:
	// one trillion in the company's currency, above any single customer's
	// yearly business with one supplier.
	MaxMoney = 1e12
	// MaxMoneyRep bounds what a rep alone may enter: one value class is a
	// share of every customer's value, so a mistyped or inflated figure would
	// reclassify every team's customers. Larger figures are entered by a
	// manager or an admin.
	MaxMoneyRep    = 1e9
	MaxYears       = 500
	MaxDepth       = 8 // group → subsidiary → branch, with room to spare
	MaxContactsNew = 50
)

// Profile is the editable master data of a customer.
type Profile struct {
	Name              string
	TaxID             string
	Region            string
	Industry          string
	Website           string
	Phone             string
	Address           string
	RelationshipStage RelationshipStage
}

// Value holds the inputs of the value score.
type Value struct {
	AnnualRevenue       float64
	AnnualMarketingCost float64
	YearsOfBusiness     int
}

// Score is the value used by the ABC rule: the yearly contribution (revenue
// minus marketing cost, never below zero) weighted up by 2% per year of
// business, capped at +50% after 25 years. Loyal customers of equal margin rank
// higher, as the studies recommend.
func (v Value) Score() float64 {
	contribution := math.Max(0, v.AnnualRevenue-v.AnnualMarketingCost)
	years := math.Min(float64(v.YearsOfBusiness), 25)
	return math.Round(contribution*(1+0.02*years)*100) / 100
}

// ValidateProfile checks p, reporting field errors under prefix (e.g. "" or "customer.").
func ValidateProfile(v *apperr.Validation, p Profile, partial bool) {
	checkName(v, "name", p.Name, !partial)
	if p.Name != "" && NormalizeName(p.Name) == "" {
		v.Add("name", "invalid", "must contain letters or digits")
	}
	checkText(v, "region", p.Region, MaxShortLen, !partial)
	checkText(v, "industry", p.Industry, MaxShortLen, !partial)
	checkText(v, "tax_id", p.TaxID, 50, false)
	if p.TaxID != "" && NormalizeTaxID(p.TaxID) == "" {
		v.Add("tax_id", "invalid", "must contain letters or digits")
	}
	checkText(v, "website", p.Website, 300, false)
	if _, ok := NormalizeWebsite(p.Website); !ok {
		v.Add("website", "invalid_url", "must be an http:// or https:// address")
	}
	checkText(v, "phone", p.Phone, 50, false)
	checkText(v, "address", p.Address, 500, false)
	if p.RelationshipStage != "" && !p.RelationshipStage.Valid() {
		v.Add("relationship_stage", "invalid", "must be exploration, formation, stability or decline")
	}
}

// ValidateValue checks the value inputs against the bounds for everyone.
func ValidateValue(v *apperr.Validation, val Value) {
	checkMoney(v, "annual_revenue", val.AnnualRevenue, MaxMoney)
	checkMoney(v, "annual_marketing_cost", val.AnnualMarketingCost, MaxMoney)
	v.Check(val.YearsOfBusiness >= 0 && val.YearsOfBusiness <= MaxYears, "years_of_business", "out_of_range", fmt.Sprintf("must be 0..%d", MaxYears))
}

// ValidateRepValue checks the value figures a rep enters: each changed one
// (changed[field]) at most MaxMoneyRep. Figures a manager entered earlier may
// stay above it when the rep changes something else.
func ValidateRepValue(v *apperr.Validation, val Value, changed map[string]bool) {
	for field, x := range map[string]float64{"annual_revenue": val.AnnualRevenue, "annual_marketing_cost": val.AnnualMarketingCost} {
		if changed[field] && x > MaxMoneyRep {
			v.Add(field, "above_rep_limit", fmt.Sprintf("a rep may enter at most %.0f; a manager or admin enters larger figures", MaxMoneyRep))
		}
	}
}

func checkMoney(v *apperr.Validation, field string, x, max float64) {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		v.Add(field, "invalid", "must be a number")
	case x < 0:
		v.Add(field, "negative", "must not be negative")
	case x > max:
		v.Add(field, "out_of_range", fmt.Sprintf("must be at most %.0f", max))
	}
}

// checkName is checkText for names: one line, and no invisible direction
// changes (a name is shown in lists next to others and must read as stored).
func checkName(v *apperr.Validation, field, s string, required bool) {
	if strings.ContainsAny(s, "\n\r\t") {
		v.Add(field, "invalid", "must be one line without tabs")
		return
	}
	checkText(v, field, s, MaxNameLen, required)
}

func checkText(v *apperr.Validation, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "required", "is required")
	case !utf8.ValidString(s):
		v.Add(field, "invalid", "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "too_long", fmt.Sprintf("must be at most %d characters", max))
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		v.Add(field, "invalid", "must not contain control characters")
	case strings.ContainsFunc(s, isBidiControl):
		v.Add(field, "invalid", "must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)")
	}
}

// NormalizeEmail lower-cases and trims an address; "" when invalid.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return ""
	}
	return strings.ToLower(s)
}

// DecisionRole is a contact's part in buying decisions.
type DecisionRole string

// Valid reports whether r is a known role (empty is allowed).
func (r DecisionRole) Valid() bool {
	switch r {
	case "", "decision_maker", "influencer", "user", "gatekeeper", "other":
		return true
	}
	return false
}

// Contact is a person at a customer: basic, contact, personal and related information.
type Contact struct {
	Name          string
	Title         string
	Department    string
	Email         string
	Phone         string
	Mobile        string
	Birthday      string // YYYY-MM-DD
	PersonalNotes string
	DecisionRole  DecisionRole
	IsPrimary     bool
}

// ValidateContact checks c, reporting fields under prefix (e.g. "contacts[0].").
func ValidateContact(v *apperr.Validation, prefix string, c Contact, partial bool) {
	checkName(v, prefix+"name", c.Name, !partial)
	checkText(v, prefix+"title", c.Title, MaxShortLen, false)
	checkText(v, prefix+"department", c.Department, MaxShortLen, false)
	checkText(v, prefix+"phone", c.Phone, 50, false)
	checkText(v, prefix+"mobile", c.Mobile, 50, false)
	checkText(v, prefix+"personal_notes", c.PersonalNotes, MaxTextLen, false)
	if c.Email != "" {
		if len(c.Email) > 254 || NormalizeEmail(c.Email) == "" {
			v.Add(prefix+"email", "invalid", "must be a valid email address")
		}
	}
	if c.Birthday != "" {
		if d, err := time.Parse(time.DateOnly, c.Birthday); err != nil || d.Year() < 1900 || d.After(time.Now()) {
			v.Add(prefix+"birthday", "invalid", "must be a past date as YYYY-MM-DD")
		}
	}
	if !c.DecisionRole.Valid() {
		v.Add(prefix+"decision_role", "invalid", "must be decision_maker, influencer, user, gatekeeper or other")
	}
}
