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

// Customer outcomes: what became of a list of customers in sales over a
// period, for the marketing service's evaluation of a campaign against its
// held-out control group (activity sales.CustomerOutcomes).
//
// The period is (since, until], as the contract says: what happened at the
// very instant since (a customer's enrolment) is not counted, what happened
// at until is. A lead or an opportunity counts in the period it was
// created in; a win counts in the period the opportunity was won in,
// whenever it was created, so an opportunity opened before a campaign and
// won during it is the campaign's win. A customer with no lead, no
// opportunity and no win in the period has no outcome and is left out.

// MaxOutcomeCustomers is how many customers one outcomes query may name.
const MaxOutcomeCustomers = 1000

// OutcomesQuery is a validated outcomes query: distinct customer ids, in
// the order first given, and the period (Since, Until].
type OutcomesQuery struct {
	CustomerIDs  []string
	Since, Until time.Time
}

// NewOutcomesQuery validates a query for the outcomes of customerIDs in
// (since, until]; a zero since is no lower bound. It refuses more than
// MaxOutcomeCustomers ids, an id that is no customer id, and a period that
// ends before it starts (invalid: the caller's request is malformed).
func NewOutcomesQuery(customerIDs []string, since, until time.Time) (OutcomesQuery, error) {
	var fields []apperr.FieldError
	if len(customerIDs) > MaxOutcomeCustomers {
		fields = append(fields, apperr.FieldError{Field: "customer_ids", Code: "too_many",
			Message: fmt.Sprintf("at most %d customers per call; split the list", MaxOutcomeCustomers)})
	}
	ids := make([]string, 0, min(len(customerIDs), MaxOutcomeCustomers))
	seen := make(map[string]bool, len(customerIDs))
	for i, id := range customerIDs {
		if u, err := uuid.Parse(id); err != nil || u.String() != id {
			fields = append(fields, apperr.FieldError{Field: fmt.Sprintf("customer_ids[%d]", i), Code: "invalid", Message: "a customer id (a UUID)"})
			continue
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if until.Before(since) {
		fields = append(fields, apperr.FieldError{Field: "until", Code: "before_since", Message: "the period ends before it starts"})
	}
	if len(fields) > 0 {
		e := apperr.Invalid("invalid", "customer outcomes: "+fields[0].Field+": "+fields[0].Message)
		e.Fields = fields
		return OutcomesQuery{}, e
	}
	return OutcomesQuery{CustomerIDs: ids, Since: since.UTC(), Until: until.UTC()}, nil
}

// CustomerWins are one customer's opportunities won in a period in one
// currency: how many, their summed amount in minor units, and the first
// instant one was won.
type CustomerWins struct {
	CustomerID, Currency string
	Count                int64
	AmountMinor          int64
	FirstAt              time.Time
}

// OutcomeFacts are the counts an outcomes query reads: leads and
// opportunities created in the period per customer id, and wins per
// customer and currency.
type OutcomeFacts struct {
	Leads, Opportunities map[string]int64
	Wins                 []CustomerWins
}

// CustomerOutcome is what became of one customer in the period.
type CustomerOutcome struct {
	CustomerID    string
	Leads         int64
	Opportunities int64
	Won           int64
	// WonRevenue is the won opportunities' amounts in their currencies'
	// major units (120000.50, not 12000050 minor units), added up across
	// currencies as they are: there are no exchange rates in Closeloop.
	WonRevenue float64
	// FirstWonAt is the first win's instant (zero: none).
	FirstWonAt time.Time
}

// Outcomes combines the facts into one outcome per customer with any, in
// customer id order.
func Outcomes(f OutcomeFacts) []CustomerOutcome {
	by := map[string]*CustomerOutcome{}
	get := func(id string) *CustomerOutcome {
		o := by[id]
		if o == nil {
			o = &CustomerOutcome{CustomerID: id}
			by[id] = o
		}
		return o
	}
	for id, n := range f.Leads {
		if n > 0 {
			get(id).Leads += n
		}
	}
	for id, n := range f.Opportunities {
		if n > 0 {
			get(id).Opportunities += n
		}
	}
	for _, w := range f.Wins {
		if w.Count <= 0 {
			continue
		}
		o := get(w.CustomerID)
		o.Won += w.Count
		o.WonRevenue += MajorUnits(w.AmountMinor, w.Currency)
		if o.FirstWonAt.IsZero() || w.FirstAt.Before(o.FirstWonAt) {
			o.FirstWonAt = w.FirstAt.UTC()
		}
	}
	out := make([]CustomerOutcome, 0, len(by))
	for _, o := range by {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b CustomerOutcome) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	return out
}

// currencyDecimals are the currencies whose minor unit is not a hundredth
// of the major (ISO 4217); the console shows amounts by the same table.
var currencyDecimals = map[string]int{"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "PYG": 0,
	"BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3}

// MajorUnits is an amount in minor units of currency as a number of the
// currency's units (12000050 CNY minor units: 120000.50).
func MajorUnits(minor int64, currency string) float64 {
	d, ok := currencyDecimals[strings.ToUpper(currency)]
	if !ok {
		d = 2
	}
	return float64(minor) / math.Pow10(d)
}
