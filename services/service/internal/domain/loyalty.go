package domain

import (
	"math"
	"slices"
	"time"
)

// The loyalty level of a customer, derived from what the after-sales
// service knows of it — satisfaction, repeat business and tenure — by one
// documented rule (docs/satisfaction.md, "Loyalty level"). The field study
// of the steel company tiers customers by satisfaction feedback and loyalty;
// the construction-software study names four stages of loyalty (cognitive,
// affective, conative, action). This service sees no orders, so what it
// measures is plain:
//
//   - satisfaction: the average CSAT of the customer's last RecentAnswers
//     answers within SatisfactionWindow, the latest CSAT, and the latest
//     NPS answer within the window;
//   - repeat business: the number of distinct calendar months (UTC) within
//     RepeatWindow in which the customer filed a case — a customer who keeps
//     coming back to the service desk is still using what it bought;
//   - tenure: whole months since the customer's first case.
//
// The levels, checked in this order:
//
//   - unknown: no answer within the window — nothing to judge by;
//   - at_risk: the average is below 3, or the latest CSAT is 2 or less, or
//     the latest NPS is 6 or less (a detractor);
//   - advocate: average at least 4.5, latest NPS 9 or 10 (a promoter), cases
//     in at least 3 months, and a customer for at least 12 months;
//   - loyal: average at least 4, no NPS below 7, cases in at least 2
//     months, and a customer for at least 6 months;
//   - neutral: everything else.
const (
	LoyaltyUnknown  = "unknown"
	LoyaltyAtRisk   = "at_risk"
	LoyaltyNeutral  = "neutral"
	LoyaltyLoyal    = "loyal"
	LoyaltyAdvocate = "advocate"
)

// LoyaltyLevels lists the levels, lowest first (unknown apart).
var LoyaltyLevels = []string{LoyaltyUnknown, LoyaltyAtRisk, LoyaltyNeutral, LoyaltyLoyal, LoyaltyAdvocate}

// The rule's windows and thresholds.
const (
	SatisfactionWindow = 365 * 24 * time.Hour
	RecentAnswers      = 10
	RepeatWindow       = 730 * 24 * time.Hour

	atRiskAverage   = 3.0
	atRiskLatest    = 2 // a latest CSAT at or below
	detractorNPS    = 6 // an NPS at or below
	loyalAverage    = 4.0
	loyalMonths     = 2
	loyalTenure     = 6
	advocateAverage = 4.5
	promoterNPS     = 9
	advocateMonths  = 3
	advocateTenure  = 12
)

// Scored is one answered survey.
type Scored struct {
	At   time.Time
	CSAT int
	NPS  *int
}

// LoyaltyFacts are the rule's inputs as stored: every answer, and the
// instants at which the customer filed cases (those within RepeatWindow
// suffice), with the first case's.
type LoyaltyFacts struct {
	Answers     []Scored
	CaseDates   []time.Time
	FirstCaseAt *time.Time
}

// Loyalty is a customer's level with the inputs that produced it.
type Loyalty struct {
	Level string
	// Rule says which condition decided the level.
	Rule string
	// CSATAverage is of the CSATCount most recent answers within the window.
	CSATAverage *float64
	CSATCount   int
	LatestCSAT  *int
	// NPS is the latest NPS answer within the window.
	NPS          *int
	ActiveMonths int
	TenureMonths int
	Since        *time.Time
}

// LoyaltyOf applies the rule to f at now.
func LoyaltyOf(f LoyaltyFacts, now time.Time) Loyalty {
	var out Loyalty
	recent := make([]Scored, 0, len(f.Answers))
	for _, a := range f.Answers {
		if !a.At.After(now) && now.Sub(a.At) <= SatisfactionWindow {
			recent = append(recent, a)
		}
	}
	slices.SortStableFunc(recent, func(a, b Scored) int { return b.At.Compare(a.At) }) // newest first
	for _, a := range recent {
		if a.NPS != nil {
			n := *a.NPS
			out.NPS = &n
			break
		}
	}
	if len(recent) > RecentAnswers {
		recent = recent[:RecentAnswers]
	}
	if len(recent) > 0 {
		sum := 0
		for _, a := range recent {
			sum += a.CSAT
		}
		avg := math.Round(float64(sum)/float64(len(recent))*100) / 100
		latest := recent[0].CSAT
		out.CSATAverage, out.CSATCount, out.LatestCSAT = &avg, len(recent), &latest
	}
	months := map[string]bool{}
	for _, d := range f.CaseDates {
		if !d.After(now) && now.Sub(d) <= RepeatWindow {
			months[d.UTC().Format("2006-01")] = true
		}
	}
	out.ActiveMonths = len(months)
	if f.FirstCaseAt != nil {
		since := f.FirstCaseAt.UTC()
		out.Since, out.TenureMonths = &since, wholeMonths(since, now.UTC())
	}
	out.Level, out.Rule = level(out)
	return out
}

func level(l Loyalty) (string, string) {
	if l.CSATAverage == nil {
		return LoyaltyUnknown, "no survey answered in the last 12 months"
	}
	avg, nps := *l.CSATAverage, l.NPS
	switch {
	case avg < atRiskAverage:
		return LoyaltyAtRisk, "average CSAT below 3"
	case *l.LatestCSAT <= atRiskLatest:
		return LoyaltyAtRisk, "latest CSAT 2 or less"
	case nps != nil && *nps <= detractorNPS:
		return LoyaltyAtRisk, "latest NPS 6 or less (detractor)"
	case avg >= advocateAverage && nps != nil && *nps >= promoterNPS && l.ActiveMonths >= advocateMonths && l.TenureMonths >= advocateTenure:
		return LoyaltyAdvocate, "average CSAT 4.5 or more, NPS 9 or more, cases in 3 or more months, a customer for 12 months or more"
	case avg >= loyalAverage && l.ActiveMonths >= loyalMonths && l.TenureMonths >= loyalTenure:
		return LoyaltyLoyal, "average CSAT 4 or more, no detractor NPS, cases in 2 or more months, a customer for 6 months or more"
	}
	return LoyaltyNeutral, "satisfied enough not to be at risk, not (yet) loyal by the rule's thresholds"
}

// wholeMonths is the number of whole calendar months from a to b (0 when b
// is before a).
func wholeMonths(a, b time.Time) int {
	if b.Before(a) {
		return 0
	}
	n := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	if b.Day() < a.Day() || (b.Day() == a.Day() && clock(b) < clock(a)) {
		n--
	}
	return max(n, 0)
}

func clock(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}
