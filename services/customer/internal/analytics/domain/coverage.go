package domain

import (
	"slices"
	"time"

	"github.com/closeloop/closeloop/services/customer/internal/care"
	customers "github.com/closeloop/closeloop/services/customer/internal/domain"
)

// GroupCount is the customers in care of one class, team and region.
type GroupCount struct {
	Group     care.Group
	Customers int64
}

// ClassCoverage is the care coverage of one value class.
type ClassCoverage struct {
	ValueClass string `json:"value_class"`
	// Cadence is the class's care cadence (in business time, its calendar
	// depends on the customer's team and region and is not shown here).
	Cadence *care.Cadence `json:"cadence,omitempty"`
	// Customers in care of the class.
	Customers int64 `json:"customers"`
	// Contacted: those whose last logged contact is within the cadence, so
	// their next care contact is still ahead.
	Contacted int64 `json:"contacted"`
	// CadenceUnknown: those whose cadence or calendar the care terms do not
	// give (before the first care sweep: all); they count in neither share.
	CadenceUnknown int64 `json:"cadence_unknown"`
	// Share is contacted / (customers - cadence_unknown), null when that is 0.
	Share *float64 `json:"share"`
}

// CareCoverage is the care coverage of a book of customers at an instant.
type CareCoverage struct {
	At time.Time `json:"at"`
	// TermsAsOf is when the care terms used were resolved (the latest care
	// sweep); absent before the first sweep.
	TermsAsOf *time.Time `json:"terms_as_of,omitempty"`
	// Classes: A, B, C, in that order, always all three.
	Classes []ClassCoverage `json:"classes"`
	Total   ClassCoverage   `json:"total"`
	// Notes say why some customers' cadence is unknown (one per reason).
	Notes []string `json:"notes,omitempty"`
}

// Coverage adds up the groups per class: groups gives the customers in care
// per class, team and region, unknown the groups whose cadence is unknown
// (and why), contacted the customers contacted within their cadence per
// class, cadences each class's cadence (nil: unknown).
func Coverage(groups []GroupCount, unknown map[care.Group]string, contacted map[string]int64, cadences map[string]*care.Cadence) CareCoverage {
	out := CareCoverage{Total: ClassCoverage{ValueClass: "all"}}
	byClass := map[string]*ClassCoverage{}
	for _, class := range []string{string(customers.ClassA), string(customers.ClassB), string(customers.ClassC)} {
		byClass[class] = &ClassCoverage{ValueClass: class, Cadence: cadences[class], Contacted: contacted[class]}
	}
	for _, g := range groups {
		c := byClass[g.Group.ValueClass]
		if c == nil {
			continue // not a class care knows
		}
		c.Customers += g.Customers
		if why, ok := unknown[g.Group]; ok {
			c.CadenceUnknown += g.Customers
			if !slices.Contains(out.Notes, why) {
				out.Notes = append(out.Notes, why)
			}
		}
	}
	for _, class := range []string{string(customers.ClassA), string(customers.ClassB), string(customers.ClassC)} {
		c := byClass[class]
		c.Share = share(c.Contacted, c.Customers-c.CadenceUnknown)
		out.Classes = append(out.Classes, *c)
		out.Total.Customers += c.Customers
		out.Total.Contacted += c.Contacted
		out.Total.CadenceUnknown += c.CadenceUnknown
	}
	out.Total.Share = share(out.Total.Contacted, out.Total.Customers-out.Total.CadenceUnknown)
	slices.Sort(out.Notes)
	return out
}

func share(part, whole int64) *float64 {
	if whole <= 0 {
		return nil
	}
	r := Ratio(float64(part), float64(whole))
	return &r
}
