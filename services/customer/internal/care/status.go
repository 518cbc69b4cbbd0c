package care

import (
	"time"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

// The pure rules of a customer's care status (what the API shows of care on
// a customer) and of care coverage (who was contacted within their
// cadence). No I/O: the terms are those the latest sweep resolved (see
// terms.go), the instant is the caller's.

// Customer is what care needs to know of a customer.
type Customer struct {
	Stage, OwnerID, ValueClass, Team, Region string
	Deleted                                  bool
	CareFrom, LastContact                    *time.Time
}

// NotInCareReason says why a customer is not in care, "" when it is: care
// is owed to customers that buy (transacting or service), have an owner to
// do it and a value class to set its cadence.
func (c Customer) NotInCareReason() string {
	switch {
	case c.Deleted:
		return "deleted"
	case !isCareStage(c.Stage):
		return "its lifecycle stage is " + c.Stage + ": care is for transacting and service customers"
	case c.OwnerID == "":
		return "it has no owner"
	case c.ValueClass == "":
		return "it has no value class yet (the next ABC classification gives it one)"
	}
	return ""
}

// Status is a customer's care status.
type Status struct {
	// InCare: the customer is owed care contacts (see not_in_care_reason).
	InCare          bool   `json:"in_care"`
	NotInCareReason string `json:"not_in_care_reason,omitempty"`
	// Cadence is the longest gap allowed between logged contacts for the
	// customer's class, under the care terms of terms_as_of.
	Cadence *Cadence `json:"cadence,omitempty"`
	// DueAt is when the next care contact falls due: one cadence after the
	// customer's care_from. Absent when not in care or not known (note).
	DueAt *time.Time `json:"due_at,omitempty"`
	// Overdue: due_at has passed without a logged contact.
	Overdue bool `json:"overdue"`
	// OpenFollowUp is the care follow-up open for the customer, if any (its
	// escalation is the follow-up service's: GET /v1/follow-ups/{id}).
	OpenFollowUp *OpenFollowUp `json:"open_follow_up,omitempty"`
	// TermsAsOf is when the care terms used here (the care.cadence version
	// and business calendars) were resolved: the latest care sweep.
	TermsAsOf *time.Time `json:"terms_as_of,omitempty"`
	// Note says why due_at is absent for a customer in care.
	Note string `json:"note,omitempty"`
}

// Cadence is a care cadence in force.
type Cadence struct {
	ValueClass string `json:"value_class"`
	// Duration is "30d" in calendar time, "240h" of working time in business time.
	Duration string `json:"duration"`
	Clock    string `json:"clock"`
	// Calendar is the business calendar the duration counts in (business time only).
	Calendar      string `json:"calendar,omitempty"`
	PolicyVersion int64  `json:"policy_version"`
}

// OpenFollowUp is an open care follow-up as a customer's status shows it.
type OpenFollowUp struct {
	ID       string    `json:"id"`
	OwnerID  string    `json:"owner_id"`
	AnchorAt time.Time `json:"anchor_at"`
	OpenedAt time.Time `json:"opened_at"`
}

// NoTermsNote is the note of a status computed before any care sweep
// passed its terms.
const NoTermsNote = "the care cadence is not known yet: it arrives with the first care sweep"

// StatusOf is a customer's care status at now under terms (nil: none known
// yet) resolved at termsAsOf, with its open care follow-up (nil: none).
func StatusOf(c Customer, terms *followupv1.CareTerms, termsAsOf time.Time, open *FollowUp, now time.Time) Status {
	st := Status{NotInCareReason: c.NotInCareReason()}
	st.InCare = st.NotInCareReason == ""
	if open != nil {
		st.OpenFollowUp = &OpenFollowUp{ID: open.ID, OwnerID: open.OwnerID, AnchorAt: open.AnchorAt, OpenedAt: open.OpenedAt}
	}
	if !st.InCare {
		return st
	}
	if terms.GetCadence() == nil {
		st.Note = NoTermsNote
		return st
	}
	asOf := termsAsOf
	st.TermsAsOf = &asOf
	timer, cal, err := cadenceOf(terms, c.ValueClass, c.Team, c.Region)
	if err != nil {
		st.Note = err.Error()
		return st
	}
	st.Cadence = cadenceView(terms, c.ValueClass, timer)
	if cal != nil {
		st.Cadence.Calendar = cal.Name()
	}
	if c.CareFrom == nil {
		st.Note = "the customer has no care anchor"
		return st
	}
	due, err := timer.Due(*c.CareFrom, cal)
	if err != nil {
		st.Note = err.Error()
		return st
	}
	due = due.UTC()
	st.DueAt, st.Overdue = &due, !due.After(now)
	return st
}

// ClassCadence is the cadence of a value class under terms. In business
// time its calendar is named only when the policy names one: otherwise it is
// the one assigned to each customer's team or region.
func ClassCadence(terms *followupv1.CareTerms, class string) (*Cadence, error) {
	timer, err := cadenceTimer(terms, class)
	if err != nil {
		return nil, err
	}
	c := cadenceView(terms, class, timer)
	c.Calendar = timer.Calendar
	return c, nil
}

func cadenceView(terms *followupv1.CareTerms, class string, timer policy.Timer) *Cadence {
	return &Cadence{ValueClass: class, Duration: timer.Duration.Format(timer.Clock), Clock: string(timer.Clock), PolicyVersion: terms.GetCadence().GetVersion()}
}

// cadenceOf is the cadence timer of a class and, in business time, the
// calendar it counts in for a customer of team and region.
func cadenceOf(terms *followupv1.CareTerms, class, team, region string) (policy.Timer, *calendar.Calendar, error) {
	timer, err := cadenceTimer(terms, class)
	if err != nil || timer.Clock != policy.ClockBusiness {
		return timer, nil, err
	}
	cal, err := policy.CareTermsCalendar(terms, timer.Calendar, team, region)
	return timer, cal, err
}

// Group is the customers in care of one class, team and region: they share
// a cadence and the calendar it counts in.
type Group struct{ ValueClass, Team, Region string }

// ContactCutoffs returns, for each group, the instant after which a last
// contact is within the group's cadence at now: a customer whose last logged
// contact is after its group's cutoff has its next care contact still ahead
// (one cadence after that contact is after now); one contacted at or before
// it, or never, is not within its cadence. Groups whose cadence or calendar
// the terms cannot give are returned in unknown, with why.
func ContactCutoffs(terms *followupv1.CareTerms, groups []Group, now time.Time) (cutoffs map[Group]time.Time, unknown map[Group]string) {
	cutoffs, unknown = map[Group]time.Time{}, map[Group]string{}
	for _, g := range groups {
		if terms.GetCadence() == nil {
			unknown[g] = NoTermsNote
			continue
		}
		timer, cal, err := cadenceOf(terms, g.ValueClass, g.Team, g.Region)
		if err != nil {
			unknown[g] = err.Error()
			continue
		}
		cutoffs[g] = contactCutoff(timer, cal, now)
	}
	return cutoffs, unknown
}

// contactCutoff is the latest last contact whose next care contact is due
// at or before now: the timer's duration before now, in elapsed time or in
// the calendar's working time (the latest instant with exactly that much
// working time until now). Every later contact is due after now.
func contactCutoff(timer policy.Timer, cal *calendar.Calendar, now time.Time) time.Time {
	if timer.Clock == policy.ClockBusiness && cal != nil {
		return cal.Add(now, -timer.Duration.D()).UTC()
	}
	return now.Add(-timer.Duration.D()).UTC()
}
