// Package domain holds the rules of the actions context: what makes a valid
// action plan or log and the subjects it names (customers, contacts, leads,
// opportunities), how a plan changes state (planned → done or cancelled) and
// what is refused, which categories are a contact with the customer, which
// first-contact follow-ups a logged contact answers, what a history query
// may filter on, the items that record a service case's or an information
// routing slip's changes on the history, which nobody records or changes as
// an action (caseevent.go, slipevent.go), and marketing campaigns' touches
// and items (campaign.go). It has no storage, no
// HTTP and no follow-up service: the facts it decides on (which customers
// the caller may change, which customer a contact belongs to) are handed to
// it by the use cases in package app.
package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Kinds, statuses, categories and departments.
const (
	KindPlan = "plan"
	KindLog  = "log"

	StatusPlanned   = "planned"
	StatusDone      = "done"
	StatusCancelled = "cancelled"
)

// Subject types an action links to.
const (
	SubjectCustomer    = "customer"
	SubjectContact     = "contact"
	SubjectLead        = "lead"
	SubjectOpportunity = "opportunity"
)

var (
	// Categories of actions.
	Categories = []string{"briefing_report", "phone_call", "visit_reception", "materials_submission"}
	// Departments that act towards customers.
	Departments = []string{"sales", "service", "marketing"}
	// contactCategories are the categories that are a contact with the customer.
	contactCategories = []string{"phone_call", "visit_reception"}
)

// Limits.
const (
	maxLinks = 20
	maxText  = 4000
	maxTitle = 200
)

// ErrNotFound answers for an action that does not exist or is not visible.
var ErrNotFound = apperr.NotFound("action_not_found", "no such action")

// Action is an action plan or log with the subjects it concerns.
type Action struct {
	ID         string
	Kind       string
	Status     string
	Category   string
	Department string
	ActorID    string
	Title      string
	Summary    string
	Outcome    string
	NextStep   string
	PlannedFor *time.Time
	DoneAt     *time.Time
	OccurredAt time.Time // done_at for logs, planned_for for plans: the history's order
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Links      []Link
	Case       *CaseRef // the service case whose change the item records; nil for a person's action (caseevent.go)
	Slip       *SlipRef // the information routing slip whose change the item records; nil otherwise (slipevent.go)
	// CampaignID is the marketing campaign of a touch's plan or of a
	// campaign's item (campaign.go); "" otherwise.
	CampaignID string
}

// Link ties an action to a customer, contact, lead or opportunity, filed
// under a customer (the customer's history lists it).
type Link struct {
	SubjectType string // customer | contact | lead | opportunity
	SubjectID   string
	CustomerID  string
}

// IsContact reports whether a category is a contact with the customer (a
// phone call or a visit/reception).
func IsContact(category string) bool { return slices.Contains(contactCategories, category) }

// RestartsCare reports whether storing the action restarts its customers'
// care cadence: a logged contact does (a service case's or a slip's item
// never: neither is in a contact category).
func (a Action) RestartsCare() bool { return a.Kind == KindLog && IsContact(a.Category) }

// Subjects returns the ids linked as subjectType, in link order.
func (a Action) Subjects(subjectType string) []string {
	var out []string
	for _, l := range a.Links {
		if l.SubjectType == subjectType {
			out = append(out, l.SubjectID)
		}
	}
	return out
}

// CustomerIDs returns the customers the action names.
func (a Action) CustomerIDs() []string { return a.Subjects(SubjectCustomer) }

// LeadIDs returns the leads the action names.
func (a Action) LeadIDs() []string { return a.Subjects(SubjectLead) }

// MayChange reports whether a person may complete or cancel the action: the
// person who recorded it, or a manager or admin (the caller says which).
func (a Action) MayChange(subject string, managerOrAdmin bool) bool {
	return a.ActorID == subject || managerOrAdmin
}

// ContactNote is the note a follow-up closed by a logged contact carries.
func (a Action) ContactNote() string { return "contact logged (" + a.Category + "): " + a.Title }

func ids(v *apperr.Validation, field string, in []string) []string {
	var out []string
	seen := map[string]bool{}
	v.Check(len(in) <= maxLinks, field, "too_many", "at most 20")
	for i, id := range in {
		id = strings.TrimSpace(id)
		if _, err := uuid.Parse(id); err != nil {
			v.Add(field+"["+itoa(i)+"]", "invalid", "must be an id")
			continue
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func checkText(v *apperr.Validation, field, s string, max int, required bool) {
	if required {
		v.Check(strings.TrimSpace(s) != "", field, "required", "is required")
	}
	v.Check(utf8.RuneCountInString(s) <= max, field, "too_long", "too long")
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
