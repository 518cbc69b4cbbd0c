package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Service-case items on the history.
//
// An after-sales case (services/service) changes only through its
// ServiceCase workflow, which puts every change on the customer's history
// through the customer.RecordCaseEvent activity. Such an item is stored as
// an action of its own category, service_case — a log of department service,
// linked to its customer, carrying the case (Case) — rather than in a table
// of its own merged into the history query: the history then stays one query
// over one index (ix_action_links_customer) with one cursor, its kind and
// department filters apply to case items as they are, and a history page
// never has to merge two sources. What sets such an item apart from a
// person's action are the rules in this file:
//
//   - nobody records one through POST /v1/actions: service_case is not in
//     Categories, so New refuses it like any unknown category;
//   - nobody completes or cancels one (Changeable: recorded_by_case); the
//     case's own workflow is its only author and it never changes an item
//     it recorded;
//   - it is not a contact (not in contactCategories), so it never restarts
//     its customer's care cadence nor closes follow-ups (RestartsCare,
//     IsContact): a case being filed or closed is not someone talking to the
//     customer;
//   - it is recorded once per idempotency key: its id is derived from the
//     key (CaseEventID), so a retried or replayed activity stores nothing
//     more.

// CategoryServiceCase is the category of the history items that record a
// service case's changes.
const CategoryServiceCase = "service_case"

// DepartmentService is the department of service-case items.
const DepartmentService = "service"

// CaseEvents are the changes of a case its workflow records, each with the
// words an item's title starts with.
var CaseEvents = []string{"filed", "first_response", "waiting_for_customer", "resumed", "resolved", "reopened",
	"closed", "priority_changed", "assigned", "breached"}

var caseEventTitles = map[string]string{
	"filed":                "Case filed",
	"first_response":       "First response",
	"waiting_for_customer": "Waiting for the customer",
	"resumed":              "Case resumed",
	"resolved":             "Case resolved",
	"reopened":             "Case reopened",
	"closed":               "Case closed",
	"priority_changed":     "Priority changed",
	"assigned":             "Case assigned",
	"breached":             "SLA breached",
}

// ErrRecordedByCase refuses to change an item a service case recorded.
var ErrRecordedByCase = apperr.Rule("recorded_by_case", "this item records a service case's change: it changes only through the case")

// caseEventNS is the namespace of the ids derived from case-event keys.
var caseEventNS = uuid.MustParse("6f0c5a3e-2b1d-4f7e-9a58-3c1e0d7b9e41")

// Limits of a case event's texts.
const (
	maxKey   = 200
	maxActor = 200
	maxTeam  = 100
	// maxAhead is how far ahead of the customer service's clock a case
	// event may be: clocks differ a little, a change is not in the future.
	maxAhead = time.Hour
)

// CaseRef is the service case an item records a change of.
type CaseRef struct {
	ID    string // the case (services/service)
	Event string // one of CaseEvents
	Team  string // the team whose queue the case is in, "" when none
}

// CaseEvent is a case's change as its workflow reports it.
type CaseEvent struct {
	Key        string // idempotency key
	CustomerID string
	CaseID     string
	Event      string
	Actor      string // a user id, or "workflow"
	Team       string
	Subject    string // the case's subject
	Summary    string // the change in words
	At         time.Time
}

// CaseEventID is the id of the history item recorded for a case event's
// idempotency key: the same key, the same item.
func CaseEventID(key string) string { return uuid.NewSHA1(caseEventNS, []byte(key)).String() }

// NewCaseEvent validates a case event received at now and returns its
// history item: a log of department service in category service_case,
// done at the event's time, linked to the case's customer, titled by the
// event and the case's subject. Overlong texts are cut rather than refused
// (the case keeps them whole); a malformed event is refused.
func NewCaseEvent(e CaseEvent, now time.Time) (Action, error) {
	var v apperr.Validation
	key := strings.TrimSpace(e.Key)
	checkText(&v, "id", key, maxKey, true)
	customer, err := uuid.Parse(e.CustomerID)
	v.Check(err == nil, "customer_id", "invalid", "must be an id")
	caseID, err := uuid.Parse(e.CaseID)
	v.Check(err == nil, "case_id", "invalid", "must be an id")
	v.Check(slices.Contains(CaseEvents, e.Event), "event", "invalid", "one of "+strings.Join(CaseEvents, ", "))
	checkText(&v, "actor", strings.TrimSpace(e.Actor), maxActor, true)
	checkText(&v, "team", e.Team, maxTeam, false)
	if v.Check(!e.At.IsZero(), "at", "required", "when the change happened") {
		v.Check(!e.At.After(now.Add(maxAhead)), "at", "in_future", "a case event records what happened")
	}
	if err := v.Err(); err != nil {
		return Action{}, err
	}
	at := e.At.UTC().Truncate(time.Microsecond)
	title := caseEventTitles[e.Event]
	if s := strings.TrimSpace(e.Subject); s != "" {
		title += ": " + s
	}
	return Action{ID: CaseEventID(key), Kind: KindLog, Status: StatusDone, Category: CategoryServiceCase, Department: DepartmentService,
		ActorID: strings.TrimSpace(e.Actor), Title: cut(title, maxTitle), Summary: cut(strings.TrimSpace(e.Summary), maxText),
		DoneAt: &at, OccurredAt: at, CreatedAt: now, UpdatedAt: now,
		Links: []Link{{SubjectType: SubjectCustomer, SubjectID: customer.String(), CustomerID: customer.String()}},
		Case:  &CaseRef{ID: caseID.String(), Event: e.Event, Team: strings.TrimSpace(e.Team)}}, nil
}

// FromCase reports whether the item records a service case's change.
func (a Action) FromCase() bool { return a.Case != nil }

// cut shortens s to at most max characters, ending it with "…" when cut.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}
