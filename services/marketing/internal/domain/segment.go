package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Customer vocabularies a segment filters on: the customer service's.
var (
	// ValueClasses are the ABC classes.
	ValueClasses = []string{"A", "B", "C"}
	// LifecycleStages are the stages of a customer's lifecycle.
	LifecycleStages = []string{"lead", "prospect", "transacting", "service", StageLost}
	// RelationshipStages are the stages of a customer relationship.
	RelationshipStages = []string{"exploration", "formation", "stability", "decline"}
	// LoyaltyLevels are the after-sales service's loyalty levels
	// (docs/satisfaction.md), which the customer service keeps a copy of.
	LoyaltyLevels = []string{LoyaltyUnknown, "at_risk", "neutral", "loyal", "advocate"}
)

// LoyaltyUnknown is the level of a customer the after-sales service knows
// no recent answer of (and of one it sent no standing of).
const LoyaltyUnknown = "unknown"

// StageLost is the lifecycle stage of a lost customer, the one a win-back
// campaign reaches.
const StageLost = "lost"

// Limits of a segment's filters.
const (
	MaxSegmentEntries = 100  // entries of one list
	MaxSegmentEntry   = 100  // characters of one entry
	MaxContactDays    = 3650 // days since the last contact, about ten years
	MinSatisfaction   = 1.0  // the lowest average CSAT
	MaxSatisfaction   = 5.0  // the highest average CSAT
)

// Segment is a saved filter over customers: a customer is in the segment when
// it passes every filter that is set. A list filter passes a customer whose
// fact is one of its entries; an empty list does not filter. The empty
// segment is every customer.
//
// Lists are trimmed and deduplicated when validated (Normalize). Entries
// match exactly, as the customers have them — the customer service reads
// segments with the same meaning (its SegmentPlan), so the customers a
// preview or a launch finds and those Matches admits later are the same.
type Segment struct {
	ValueClasses       []string `json:"value_classes,omitempty"`
	LifecycleStages    []string `json:"lifecycle_stages,omitempty"`
	RelationshipStages []string `json:"relationship_stages,omitempty"`
	Regions            []string `json:"regions,omitempty"`
	Industries         []string `json:"industries,omitempty"`
	OwnerIDs           []string `json:"owner_ids,omitempty"`
	Teams              []string `json:"teams,omitempty"`
	// MinDaysSinceContact and MaxDaysSinceContact bound the whole days since
	// the customer's last contact (0..MaxContactDays, min ≤ max); nil does
	// not filter. A customer never contacted is infinitely long ago.
	MinDaysSinceContact *int `json:"min_days_since_contact,omitempty"`
	MaxDaysSinceContact *int `json:"max_days_since_contact,omitempty"`
	// LoyaltyLevels are the loyalty levels of the customers' service
	// standing (unknown, at_risk, neutral, loyal, advocate); a customer the
	// after-sales service has no recent answer of is unknown.
	LoyaltyLevels []string `json:"loyalty_levels,omitempty"`
	// MinSatisfaction and MaxSatisfaction bound the average CSAT of the
	// customer's recent answers (1..5, inclusive, min ≤ max); nil does not
	// filter. A customer without answers matches no bound.
	MinSatisfaction *float64 `json:"min_satisfaction,omitempty"`
	MaxSatisfaction *float64 `json:"max_satisfaction,omitempty"`
}

// ParseSegment reads a segment strictly from JSON (absent or null: the empty
// segment) and validates it (Normalize). Every problem is a field error under
// "segment." — an unknown field is code unknown_field naming it
// ("segment.region"), a value of the wrong JSON type invalid_type, JSON that
// does not parse malformed.
func ParseSegment(raw json.RawMessage) (Segment, error) {
	var s Segment
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return s, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Segment{}, decodeErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Segment{}, fieldErr("segment", "malformed", "one JSON object, with nothing after it")
	}
	return s.Normalize()
}

func decodeErr(err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		field := "segment"
		if typ.Field != "" {
			field += "." + typ.Field
		}
		return fieldErr(field, "invalid_type", "must be "+jsonKind(typ.Type.String()))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return fieldErr("segment."+name, "unknown_field", "a segment filters on "+strings.Join(segmentFields, ", "))
	}
	return fieldErr("segment", "malformed", "a JSON object: "+strings.TrimPrefix(err.Error(), "json: "))
}

var segmentFields = []string{"value_classes", "lifecycle_stages", "relationship_stages", "regions", "industries", "owner_ids", "teams",
	"min_days_since_contact", "max_days_since_contact", "loyalty_levels", "min_satisfaction", "max_satisfaction"}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "an array of strings"
	case goType == "string":
		return "a string"
	case goType == "int" || goType == "*int":
		return "a whole number"
	case goType == "float64" || goType == "*float64":
		return "a number"
	}
	return "an object"
}

// Normalize is s validated, its lists trimmed and deduplicated (first
// occurrence kept); every bad entry is reported at once (422), as
// "segment.<filter>" or "segment.<filter>[i]" with i the entry's index in s.
func (s Segment) Normalize() (Segment, error) {
	var v apperr.Validation
	out := s.normalize(&v)
	if err := v.Err(); err != nil {
		return Segment{}, err
	}
	return out, nil
}

func (s Segment) normalize(v *apperr.Validation) Segment {
	out := Segment{
		ValueClasses:        list(v, "value_classes", s.ValueClasses, ValueClasses),
		LifecycleStages:     list(v, "lifecycle_stages", s.LifecycleStages, LifecycleStages),
		RelationshipStages:  list(v, "relationship_stages", s.RelationshipStages, RelationshipStages),
		Regions:             list(v, "regions", s.Regions, nil),
		Industries:          list(v, "industries", s.Industries, nil),
		OwnerIDs:            list(v, "owner_ids", s.OwnerIDs, nil),
		Teams:               list(v, "teams", s.Teams, nil),
		MinDaysSinceContact: days(v, "min_days_since_contact", s.MinDaysSinceContact),
		MaxDaysSinceContact: days(v, "max_days_since_contact", s.MaxDaysSinceContact),
		LoyaltyLevels:       list(v, "loyalty_levels", s.LoyaltyLevels, LoyaltyLevels),
		MinSatisfaction:     satisfaction(v, "min_satisfaction", s.MinSatisfaction),
		MaxSatisfaction:     satisfaction(v, "max_satisfaction", s.MaxSatisfaction),
	}
	if lo, hi := out.MinDaysSinceContact, out.MaxDaysSinceContact; lo != nil && hi != nil {
		v.Check(*lo <= *hi, "segment.max_days_since_contact", "below_min", "at least min_days_since_contact")
	}
	if lo, hi := out.MinSatisfaction, out.MaxSatisfaction; lo != nil && hi != nil {
		v.Check(*lo <= *hi, "segment.max_satisfaction", "below_min", "at least min_satisfaction")
	}
	return out
}

// list checks and normalizes one list filter; known, when set, is the
// vocabulary its entries come from.
func list(v *apperr.Validation, name string, in, known []string) []string {
	field := "segment." + name
	if !v.Check(len(in) <= MaxSegmentEntries, field, "too_many", "at most "+strconv.Itoa(MaxSegmentEntries)+" entries") {
		return nil
	}
	var out []string
	for i, e := range in {
		f := field + "[" + strconv.Itoa(i) + "]"
		e = strings.TrimSpace(e)
		switch {
		case !v.Check(e != "", f, "empty", "an entry of 1 to 100 characters"):
		case !v.Check(utf8.ValidString(e) && strings.IndexFunc(e, unicode.IsControl) < 0, f, "invalid", "must be valid text, without control characters"):
		case !v.Check(utf8.RuneCountInString(e) <= MaxSegmentEntry, f, "too_long", "at most 100 characters"):
		case known != nil && !v.Check(slices.Contains(known, e), f, "invalid", "one of "+strings.Join(known, ", ")):
		case !slices.Contains(out, e):
			out = append(out, e)
		}
	}
	return out
}

// days checks a bound of days since contact.
func days(v *apperr.Validation, name string, d *int) *int {
	if d == nil || !v.Check(*d >= 0 && *d <= MaxContactDays, "segment."+name, "out_of_range", "whole days from 0 to 3650") {
		return nil
	}
	n := *d
	return &n
}

// satisfaction checks a bound of the average CSAT.
func satisfaction(v *apperr.Validation, name string, b *float64) *float64 {
	if b == nil || !v.Check(!math.IsNaN(*b) && *b >= MinSatisfaction && *b <= MaxSatisfaction, "segment."+name, "out_of_range",
		"an average CSAT from 1 to 5") {
		return nil
	}
	x := *b
	return &x
}

// EffectiveSegment is the segment a campaign of type t reaches: a win-back campaign
// reaches lost customers only, so its segment is restricted to lifecycle
// stage lost; naming any other stage is refused (422 on
// "segment.lifecycle_stages", code winback_lost_only). Other types reach s.
// s is a normalized segment.
func (s Segment) EffectiveSegment(t Type) (Segment, error) {
	var v apperr.Validation
	out := s.effective(&v, t)
	if err := v.Err(); err != nil {
		return Segment{}, err
	}
	return out, nil
}

func (s Segment) effective(v *apperr.Validation, t Type) Segment {
	if t != TypeWinback {
		return s
	}
	v.Check(!slices.ContainsFunc(s.LifecycleStages, func(st string) bool { return st != StageLost }),
		"segment.lifecycle_stages", "winback_lost_only", "a win-back campaign reaches lost customers only: name lost or no stage")
	s.LifecycleStages = []string{StageLost}
	return s
}

// Empty reports whether s filters nothing: every customer is in it.
func (s Segment) Empty() bool {
	return len(s.ValueClasses)+len(s.LifecycleStages)+len(s.RelationshipStages)+len(s.Regions)+len(s.Industries)+
		len(s.OwnerIDs)+len(s.Teams)+len(s.LoyaltyLevels) == 0 && s.MinDaysSinceContact == nil && s.MaxDaysSinceContact == nil &&
		s.MinSatisfaction == nil && s.MaxSatisfaction == nil
}

// Facts are what a segment knows of a customer, from the customer service.
type Facts struct {
	CustomerID        string
	ValueClass        string
	LifecycleStage    string
	RelationshipStage string
	Region            string
	Industry          string
	OwnerID           string
	Team              string
	// LastContactAt is the customer's last contact; nil: never contacted.
	LastContactAt *time.Time
	// LostAt is when the customer was lost (nil: it is not). No filter reads
	// it; a win-back enrolment records it.
	LostAt *time.Time
	// LoyaltyLevel is the level of the customer's service standing ("" is
	// unknown); CSATAverage the average CSAT of its recent answers (nil:
	// none).
	LoyaltyLevel string
	CSATAverage  *float64
}

// Matches reports whether the customer f describes is in the segment at now.
// Days since contact are whole days (24 hours) from LastContactAt to now, 0
// for a contact after now; a customer never contacted passes any minimum and
// fails any maximum. A customer without a loyalty level is unknown; one
// without an average CSAT fails any satisfaction bound.
func (s Segment) Matches(f Facts, now time.Time) bool {
	in := func(xs []string, x string) bool { return len(xs) == 0 || slices.Contains(xs, x) }
	level := f.LoyaltyLevel
	if level == "" {
		level = LoyaltyUnknown
	}
	if !in(s.ValueClasses, f.ValueClass) || !in(s.LifecycleStages, f.LifecycleStage) || !in(s.RelationshipStages, f.RelationshipStage) ||
		!in(s.Regions, f.Region) || !in(s.Industries, f.Industry) || !in(s.OwnerIDs, f.OwnerID) || !in(s.Teams, f.Team) ||
		!in(s.LoyaltyLevels, level) {
		return false
	}
	if s.MinSatisfaction != nil || s.MaxSatisfaction != nil {
		if f.CSATAverage == nil || (s.MinSatisfaction != nil && *f.CSATAverage < *s.MinSatisfaction) ||
			(s.MaxSatisfaction != nil && *f.CSATAverage > *s.MaxSatisfaction) {
			return false
		}
	}
	if s.MinDaysSinceContact == nil && s.MaxDaysSinceContact == nil {
		return true
	}
	if f.LastContactAt == nil {
		return s.MaxDaysSinceContact == nil
	}
	d := max(0, int(now.Sub(*f.LastContactAt)/(24*time.Hour)))
	return (s.MinDaysSinceContact == nil || d >= *s.MinDaysSinceContact) && (s.MaxDaysSinceContact == nil || d <= *s.MaxDaysSinceContact)
}
