package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Draft is a new action as asked for.
type Draft struct {
	Kind, Category, Department, Title, Summary, Outcome, NextStep string
	CustomerIDs, ContactIDs, LeadIDs, OpportunityIDs              []string
	PlannedFor, DoneAt                                            *time.Time
}

// Subjects are the ids a valid draft names, trimmed and without repeats, in
// the order given.
type Subjects struct {
	Customers, Contacts, Leads, Opportunities []string
}

// New validates a draft recorded by actor at now and returns the action,
// without links yet, and the subjects it names. A plan is for now or later
// (at most a day back) and not done yet; a log is done (default now) at most
// a minute ahead and at most 30 days ago, and has a summary. Every draft
// names at least one customer and at most 20 of each subject.
func New(d Draft, id, actor string, now time.Time) (Action, Subjects, error) {
	var v apperr.Validation
	v.Check(d.Kind == KindPlan || d.Kind == KindLog, "kind", "invalid", "plan or log")
	v.Check(slices.Contains(Categories, d.Category), "category", "invalid", "one of "+strings.Join(Categories, ", "))
	v.Check(slices.Contains(Departments, d.Department), "department", "invalid", "one of "+strings.Join(Departments, ", "))
	checkText(&v, "title", d.Title, maxTitle, true)
	checkText(&v, "summary", d.Summary, maxText, d.Kind == KindLog)
	checkText(&v, "outcome", d.Outcome, maxText, false)
	checkText(&v, "next_step", d.NextStep, maxText, false)
	var s Subjects
	s.Customers = ids(&v, "customer_ids", d.CustomerIDs)
	v.Check(len(d.CustomerIDs) > 0, "customer_ids", "required", "name at least one customer")
	s.Contacts = ids(&v, "contact_ids", d.ContactIDs)
	s.Leads = ids(&v, "lead_ids", d.LeadIDs)
	s.Opportunities = ids(&v, "opportunity_ids", d.OpportunityIDs)
	a := Action{ID: id, Kind: d.Kind, Category: d.Category, Department: d.Department, ActorID: actor,
		Title: strings.TrimSpace(d.Title), Summary: strings.TrimSpace(d.Summary), Outcome: d.Outcome, NextStep: d.NextStep, CreatedAt: now, UpdatedAt: now}
	switch d.Kind {
	case KindPlan:
		if v.Check(d.PlannedFor != nil, "planned_for", "required", "when the action is planned") {
			v.Check(d.PlannedFor.After(now.Add(-24*time.Hour)), "planned_for", "in_past", "a plan is for now or later")
			t := d.PlannedFor.UTC()
			a.PlannedFor, a.OccurredAt = &t, t
		}
		v.Check(d.DoneAt == nil, "done_at", "not_allowed", "a plan is not done yet; complete it later")
		a.Status = StatusPlanned
	case KindLog:
		t := now
		if d.DoneAt != nil {
			t = d.DoneAt.UTC()
			v.Check(!t.After(now.Add(time.Minute)), "done_at", "in_future", "a log records what was done")
			v.Check(t.After(now.Add(-30*24*time.Hour)), "done_at", "too_old", "at most 30 days ago")
		}
		a.DoneAt, a.OccurredAt, a.Status = &t, t, StatusDone
	}
	if err := v.Err(); err != nil {
		return Action{}, Subjects{}, err
	}
	return a, s, nil
}

// Facts is what storage knows about a draft's subjects.
type Facts struct {
	// MayChange holds the named customers the caller may change.
	MayChange map[string]bool
	// ContactCustomer maps each named contact that is a (not deleted)
	// contact of one of the named customers to its customer.
	ContactCustomer map[string]string
}

// Attach checks the subjects against the facts — every customer one the
// caller may change, every contact one of theirs — and links them to the
// action: customers and contacts under their customer, leads and
// opportunities (which live in the sales service, kept as references) under
// the first customer.
func (a *Action) Attach(s Subjects, f Facts) error {
	var v apperr.Validation
	for i, id := range s.Customers {
		v.Check(f.MayChange[id], "customer_ids["+itoa(i)+"]", "not_found", "no such customer, or not one of yours")
	}
	links := make([]Link, 0, len(s.Customers)+len(s.Contacts)+len(s.Leads)+len(s.Opportunities))
	for _, id := range s.Customers {
		links = append(links, Link{SubjectType: SubjectCustomer, SubjectID: id, CustomerID: id})
	}
	for i, id := range s.Contacts {
		c, ok := f.ContactCustomer[id]
		if !v.Check(ok && slices.Contains(s.Customers, c), "contact_ids["+itoa(i)+"]", "not_found", "no such contact of the named customers") {
			continue
		}
		links = append(links, Link{SubjectType: SubjectContact, SubjectID: id, CustomerID: c})
	}
	if err := v.Err(); err != nil {
		return err
	}
	for _, id := range s.Leads {
		links = append(links, Link{SubjectType: SubjectLead, SubjectID: id, CustomerID: s.Customers[0]})
	}
	for _, id := range s.Opportunities {
		links = append(links, Link{SubjectType: SubjectOpportunity, SubjectID: id, CustomerID: s.Customers[0]})
	}
	a.Links = links
	return nil
}
