package domain

import (
	"slices"
	"strconv"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Standings: the customer service's copy of each customer's service
// standing — its loyalty level, the average CSAT of its recent survey
// answers and how many answers that is, its latest CSAT and NPS — as the
// after-sales service's loyalty rule had it at AsOf
// (services/service/internal/domain/loyalty.go, docs/satisfaction.md). The
// rule is the after-sales service's alone; this service stores what it is
// sent (customer.RecordStandings, from the LoyaltySync workflow) and
// campaign segments filter on it. A customer without a standing is
// LoyaltyUnknown and has no average.

// The loyalty levels, as the after-sales service names them.
const (
	LoyaltyUnknown  = "unknown"
	LoyaltyAtRisk   = "at_risk"
	LoyaltyNeutral  = "neutral"
	LoyaltyLoyal    = "loyal"
	LoyaltyAdvocate = "advocate"
)

// LoyaltyLevels lists the levels, unknown first.
var LoyaltyLevels = []string{LoyaltyUnknown, LoyaltyAtRisk, LoyaltyNeutral, LoyaltyLoyal, LoyaltyAdvocate}

// Ranges of a standing's figures.
const (
	MinCSAT = 1
	MaxCSAT = 5
	MaxNPS  = 10
)

// Standing is one customer's service standing at AsOf.
type Standing struct {
	CustomerID  string
	Level       string
	CSATAverage *float64
	CSATCount   int
	LatestCSAT  *int
	LatestNPS   *int
	AsOf        time.Time
}

// CheckStanding refuses a standing the after-sales service could not have
// sent (validation_failed, fields under prefix): a malformed customer id, an
// unknown level, an average outside 1–5 or without answers, answers without
// an average, a CSAT or NPS out of range, no as_of.
func CheckStanding(v *apperr.Validation, prefix string, s Standing) {
	v.Check(isID(s.CustomerID), prefix+".customer_id", "invalid", "a customer id")
	v.Check(slices.Contains(LoyaltyLevels, s.Level), prefix+".loyalty_level", "invalid", "unknown, at_risk, neutral, loyal or advocate")
	if s.CSATAverage != nil {
		a := *s.CSATAverage
		v.Check(a >= MinCSAT && a <= MaxCSAT, prefix+".csat_average", "out_of_range", "from 1 to 5")
	}
	v.Check(s.CSATCount >= 0 && (s.CSATCount > 0) == (s.CSATAverage != nil), prefix+".csat_count", "invalid",
		"the number of answers the average is over: 0 without an average")
	if s.LatestCSAT != nil {
		v.Check(*s.LatestCSAT >= MinCSAT && *s.LatestCSAT <= MaxCSAT, prefix+".latest_csat", "out_of_range", "from 1 to 5")
	}
	if s.LatestNPS != nil {
		v.Check(*s.LatestNPS >= 0 && *s.LatestNPS <= MaxNPS, prefix+".latest_nps", "out_of_range", "from 0 to "+strconv.Itoa(MaxNPS))
	}
	v.Check(!s.AsOf.IsZero(), prefix+".as_of", "required", "when the after-sales service applied its rule")
}

// Replaces reports whether s takes the place of stored (nil: the customer
// has none): a standing worked out at least as recently. A sync after an
// answer and the daily reconciliation may reach a customer in either
// order; the later instant wins, and the same standing sent again (a
// retried page) is stored again unchanged.
func (s Standing) Replaces(stored *Standing) bool {
	return stored == nil || !s.AsOf.Before(stored.AsOf)
}

// LevelOf is the level of a customer whose standing is s (nil: none).
func LevelOf(s *Standing) string {
	if s == nil {
		return LoyaltyUnknown
	}
	return s.Level
}
