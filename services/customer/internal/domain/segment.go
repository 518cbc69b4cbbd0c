package domain

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Segments: which customers a campaign's filter means.
//
// A campaign's segment (marketingv1.SegmentFilter) is read a keyset page at
// a time, in customer id order, by the customer.SegmentPage activity. What
// the filter means is decided here, once, as a SegmentPlan: plain lists and
// bounds the storage turns into one query (adapters.SegmentPage), so the
// 100,000-customer case is filtered by the database and every rule below is
// tested without one.
//
//   - Only live customers (not deleted) are in a segment.
//   - Every list is "any of"; an empty list does not filter. Value classes,
//     lifecycle and relationship stages must be known ones (a misspelt class
//     would silently select nobody); regions, industries, owners and teams
//     are matched as the customers have them.
//   - Days since the last contact are whole days (24 hours) from the last
//     logged contact to as_of: d = floor((as_of − last_contact) / 24h).
//     min_days_since_contact m keeps d ≥ m, that is last_contact ≤ as_of −
//     m days; max_days_since_contact M keeps d ≤ M, that is last_contact >
//     as_of − (M+1) days. -1 means no bound. A customer never contacted has
//     been out of touch for ever: it meets any minimum and no maximum.
//   - lost_before keeps customers lost at or before it (their lost_at, which
//     only a lost customer has).
//   - loyalty_levels keeps customers whose standing (the copy of the
//     after-sales service's, standing.go) has one of the levels; a customer
//     without a standing is unknown, so "unknown" keeps it too.
//   - min_satisfaction and max_satisfaction (1..5, inclusive) bound the
//     average CSAT of the standing; a customer without answers (no standing,
//     or one without an average) matches no bound.
//   - A page holds at most Limit customers (default 500, at most 1000)
//     after AfterID.

// Limits of a segment request.
const (
	DefaultSegmentPage = 500
	MaxSegmentPage     = 1000
	// MaxSegmentList bounds each "any of" list but customer ids.
	MaxSegmentList = 200
	// MaxSegmentIDs bounds the customer ids a filter names (a page's worth).
	MaxSegmentIDs = 1000
	// MaxSegmentDays bounds the days-since-contact bounds (a century).
	MaxSegmentDays = 36500
	// NoBound is the days-since-contact value that sets no bound.
	NoBound = -1
)

// SegmentFilter is a campaign's filter as asked (marketingv1.SegmentFilter).
type SegmentFilter struct {
	ValueClasses, LifecycleStages, RelationshipStages []string
	Regions, Industries, OwnerIDs, Teams, CustomerIDs []string
	MinDaysSinceContact, MaxDaysSinceContact          int
	LostBefore                                        *time.Time
	LoyaltyLevels                                     []string
	// MinSatisfaction and MaxSatisfaction bound the average CSAT; nil: no
	// bound.
	MinSatisfaction, MaxSatisfaction *float64
}

// SegmentRequest asks for one page of a segment.
type SegmentRequest struct {
	Filter  SegmentFilter
	AfterID string
	Limit   int
	// AsOf is the instant days since contact count to; needed only when
	// the filter bounds them.
	AsOf *time.Time
	// WithCount asks for the number of customers in the whole segment too.
	WithCount bool
}

// SegmentPlan is what a segment request means, for the storage to query:
// live customers whose columns are in every non-empty list and within every
// set bound, after AfterID in id order, at most Limit.
type SegmentPlan struct {
	ValueClasses, LifecycleStages, RelationshipStages []string
	Regions, Industries, OwnerIDs, Teams, IDs         []string
	// LastContactAtMost keeps customers last contacted at or before it;
	// LastContactAfter those last contacted after it (nil: no bound).
	LastContactAtMost, LastContactAfter *time.Time
	// NeverContacted says whether customers never contacted are in.
	NeverContacted bool
	// LostAtMost keeps customers lost at or before it (nil: no bound).
	LostAtMost *time.Time
	// Levels keeps customers whose stored standing has one of these levels
	// (empty: no level filter); WithoutStanding says whether customers
	// without a standing are in too (the filter names unknown).
	Levels          []string
	WithoutStanding bool
	// SatisfactionAtLeast and SatisfactionAtMost bound the stored average
	// CSAT; when either is set only customers with an average are in.
	SatisfactionAtLeast, SatisfactionAtMost *float64
	AfterID                                 string
	Limit                                   int
	WithCount                               bool
}

// PlanSegment decides what a segment request means, or refuses it
// (validation_failed, with a field per problem): unknown classes, stages or
// loyalty levels, satisfaction bounds outside 1..5 or crossed,
// malformed ids, negative limits or bounds other than -1, a minimum above
// the maximum, a contact bound without as_of.
func PlanSegment(r SegmentRequest) (SegmentPlan, error) {
	var v apperr.Validation
	f := r.Filter
	p := SegmentPlan{AfterID: r.AfterID, Limit: r.Limit, WithCount: r.WithCount, NeverContacted: true}
	p.ValueClasses = known(&v, "filter.value_classes", f.ValueClasses, func(s string) bool { return ValueClass(s).Valid() }, "A, B or C")
	p.LifecycleStages = known(&v, "filter.lifecycle_stages", f.LifecycleStages, func(s string) bool { return LifecycleStage(s).Valid() },
		"lead, prospect, transacting, service or lost")
	p.RelationshipStages = known(&v, "filter.relationship_stages", f.RelationshipStages, func(s string) bool { return RelationshipStage(s).Valid() },
		"exploration, formation, stability or decline")
	anything := func(string) bool { return true }
	p.Regions = known(&v, "filter.regions", f.Regions, anything, "")
	p.Industries = known(&v, "filter.industries", f.Industries, anything, "")
	p.OwnerIDs = known(&v, "filter.owner_ids", f.OwnerIDs, anything, "")
	p.Teams = known(&v, "filter.teams", f.Teams, anything, "")
	p.IDs = known(&v, "filter.customer_ids", f.CustomerIDs, isID, "a customer id")
	if r.AfterID != "" {
		v.Check(isID(r.AfterID), "after_id", "invalid", "must be a customer id")
	}
	switch {
	case r.Limit < 0:
		v.Add("limit", "invalid", "must not be negative")
	case r.Limit == 0:
		p.Limit = DefaultSegmentPage
	case r.Limit > MaxSegmentPage:
		p.Limit = MaxSegmentPage
	}
	minD, maxD := f.MinDaysSinceContact, f.MaxDaysSinceContact
	v.Check(minD >= NoBound && minD <= MaxSegmentDays, "filter.min_days_since_contact", "out_of_range", fmt.Sprintf("must be -1 (no bound) or 0..%d", MaxSegmentDays))
	v.Check(maxD >= NoBound && maxD <= MaxSegmentDays, "filter.max_days_since_contact", "out_of_range", fmt.Sprintf("must be -1 (no bound) or 0..%d", MaxSegmentDays))
	if minD > NoBound && maxD > NoBound {
		v.Check(minD <= maxD, "filter.min_days_since_contact", "above_max", "must not exceed max_days_since_contact")
	}
	p.Levels = known(&v, "filter.loyalty_levels", f.LoyaltyLevels, func(s string) bool { return slices.Contains(LoyaltyLevels, s) },
		"unknown, at_risk, neutral, loyal or advocate")
	if slices.Contains(p.Levels, LoyaltyUnknown) {
		p.WithoutStanding = true
	}
	p.SatisfactionAtLeast = satisfaction(&v, "filter.min_satisfaction", f.MinSatisfaction)
	p.SatisfactionAtMost = satisfaction(&v, "filter.max_satisfaction", f.MaxSatisfaction)
	if lo, hi := p.SatisfactionAtLeast, p.SatisfactionAtMost; lo != nil && hi != nil {
		v.Check(*lo <= *hi, "filter.min_satisfaction", "above_max", "must not exceed max_satisfaction")
	}
	if (minD > NoBound || maxD > NoBound) && r.AsOf == nil {
		v.Add("as_of", "required", "days since contact count to as_of")
	}
	if err := v.Err(); err != nil {
		return SegmentPlan{}, err
	}
	if minD > NoBound {
		t := r.AsOf.UTC().Add(-days(minD))
		p.LastContactAtMost = &t
	}
	if maxD > NoBound {
		t := r.AsOf.UTC().Add(-days(maxD + 1))
		p.LastContactAfter, p.NeverContacted = &t, false
	}
	if f.LostBefore != nil {
		t := f.LostBefore.UTC()
		p.LostAtMost = &t
	}
	return p, nil
}

// DaysSinceContact is the whole days from a last contact to asOf; ok is
// false for a customer never contacted. It is the measure PlanSegment's
// bounds select on.
func DaysSinceContact(last *time.Time, asOf time.Time) (d int, ok bool) {
	if last == nil {
		return 0, false
	}
	gap := asOf.Sub(*last)
	d = int(gap / (24 * time.Hour))
	if gap < 0 && gap%(24*time.Hour) != 0 {
		d-- // floor, not truncation, for a contact after asOf
	}
	return d, true
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// satisfaction checks a bound of the average CSAT (nil: none).
func satisfaction(v *apperr.Validation, field string, b *float64) *float64 {
	if b == nil || !v.Check(!math.IsNaN(*b) && *b >= MinCSAT && *b <= MaxCSAT, field, "out_of_range", "an average CSAT from 1 to 5") {
		return nil
	}
	x := *b
	return &x
}

func isID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// known trims a filter list, drops repeats and empty entries, and checks
// each entry with ok (what says what is allowed) and the list's length.
func known(v *apperr.Validation, field string, in []string, ok func(string) bool, what string) []string {
	max := MaxSegmentList
	if field == "filter.customer_ids" {
		max = MaxSegmentIDs
	}
	if !v.Check(len(in) <= max, field, "too_many", fmt.Sprintf("at most %d", max)) {
		return nil
	}
	var out []string
	seen := make(map[string]bool, len(in))
	for i, s := range in {
		s = strings.TrimSpace(s)
		switch {
		case s == "" || len(s) > MaxNameLen:
			v.Add(fmt.Sprintf("%s[%d]", field, i), "invalid", "must be 1..200 characters")
		case !ok(s):
			v.Add(fmt.Sprintf("%s[%d]", field, i), "invalid", "must be "+what)
		case !seen[s]:
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
