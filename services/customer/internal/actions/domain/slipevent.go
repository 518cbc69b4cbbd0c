package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Information routing slips on the history.
//
// An information routing slip (services/service) tells the departments that
// must act on something one of them learned about a customer; it changes
// only through its InfoSlip workflow, which puts every change on the
// customer's history through the customer.RecordSlipEvent activity. Such an
// item is stored like a service case's (caseevent.go says why it is an
// action row): an action of its own category, info_slip — a log linked to
// its customer, carrying the slip (Slip) — with the same rules:
//
//   - nobody records one through POST /v1/actions: info_slip is not in
//     Categories;
//   - nobody completes or cancels one (Changeable: recorded_by_slip);
//   - it is not a contact, so it never restarts its customer's care
//     cadence nor closes follow-ups: routing a slip is not talking to the
//     customer;
//   - it is recorded once per idempotency key (SlipEventID).
//
// Unlike a case's item, whose department is always service, a slip's item
// is in the department of whoever made the change (a sales rep sends it,
// service acknowledges it), so the history's department filter finds each
// department's part of the loop. A change whose department the workflow
// does not know ("": the workflow itself closing a slip, a person outside
// the three departments) is an item of no department: the unfiltered
// history lists it, no department filter does — it is no one department's
// work, and guessing one would put it in the wrong department's list.

// CategoryInfoSlip is the category of the history items that record an
// information routing slip's changes.
const CategoryInfoSlip = "info_slip"

// SlipEvents are the changes of a slip its workflow records, each with the
// words an item's title starts with.
var SlipEvents = []string{"sent", "acknowledged", "done", "rejected", "forwarded", "added", "rerouted", "closed", "withdrawn"}

var slipEventTitles = map[string]string{
	"sent":         "Slip sent",
	"acknowledged": "Slip acknowledged",
	"done":         "Slip acted on",
	"rejected":     "Slip rejected",
	"forwarded":    "Slip forwarded",
	"added":        "Recipient added",
	"rerouted":     "Slip rerouted",
	"closed":       "Slip closed",
	"withdrawn":    "Slip withdrawn",
}

// ErrRecordedBySlip refuses to change an item an information routing slip
// recorded.
var ErrRecordedBySlip = apperr.Rule("recorded_by_slip", "this item records an information routing slip's change: it changes only through the slip")

// slipEventNS is the namespace of the ids derived from slip-event keys (not
// caseEventNS: a slip's key and a case's key that happen to be equal are
// two items).
var slipEventNS = uuid.MustParse("2d8e4b71-5c0a-4a9f-b3e6-7f1c9a0d5e28")

// SlipRef is the information routing slip an item records a change of.
type SlipRef struct {
	ID    string // the slip (services/service)
	Event string // one of SlipEvents
}

// SlipEvent is a slip's change as its workflow reports it.
type SlipEvent struct {
	Key        string // idempotency key
	CustomerID string
	SlipID     string
	Event      string
	Actor      string // a user id, or "workflow"
	Department string // of whoever made the change: one of Departments, "" unknown
	Subject    string // the slip's subject
	Summary    string // the change in words
	At         time.Time
}

// SlipEventID is the id of the history item recorded for a slip event's
// idempotency key: the same key, the same item.
func SlipEventID(key string) string { return uuid.NewSHA1(slipEventNS, []byte(key)).String() }

// NewSlipEvent validates a slip event received at now and returns its
// history item: a log in category info_slip of the event's department (none
// when it is ""), done at the event's time, linked to the slip's customer,
// titled by the event and the slip's subject. Overlong texts are cut rather
// than refused (the slip keeps them whole); a malformed event is refused.
func NewSlipEvent(e SlipEvent, now time.Time) (Action, error) {
	var v apperr.Validation
	key := strings.TrimSpace(e.Key)
	checkText(&v, "id", key, maxKey, true)
	customer, err := uuid.Parse(e.CustomerID)
	v.Check(err == nil, "customer_id", "invalid", "must be an id")
	slipID, err := uuid.Parse(e.SlipID)
	v.Check(err == nil, "slip_id", "invalid", "must be an id")
	v.Check(slices.Contains(SlipEvents, e.Event), "event", "invalid", "one of "+strings.Join(SlipEvents, ", "))
	checkText(&v, "actor", strings.TrimSpace(e.Actor), maxActor, true)
	v.Check(e.Department == "" || slices.Contains(Departments, e.Department), "department", "invalid",
		"one of "+strings.Join(Departments, ", ")+", or empty when unknown")
	if v.Check(!e.At.IsZero(), "at", "required", "when the change happened") {
		v.Check(!e.At.After(now.Add(maxAhead)), "at", "in_future", "a slip event records what happened")
	}
	if err := v.Err(); err != nil {
		return Action{}, err
	}
	at := e.At.UTC().Truncate(time.Microsecond)
	title := slipEventTitles[e.Event]
	if s := strings.TrimSpace(e.Subject); s != "" {
		title += ": " + s
	}
	return Action{ID: SlipEventID(key), Kind: KindLog, Status: StatusDone, Category: CategoryInfoSlip, Department: e.Department,
		ActorID: strings.TrimSpace(e.Actor), Title: cut(title, maxTitle), Summary: cut(strings.TrimSpace(e.Summary), maxText),
		DoneAt: &at, OccurredAt: at, CreatedAt: now, UpdatedAt: now,
		Links: []Link{{SubjectType: SubjectCustomer, SubjectID: customer.String(), CustomerID: customer.String()}},
		Slip:  &SlipRef{ID: slipID.String(), Event: e.Event}}, nil
}

// FromSlip reports whether the item records an information routing slip's
// change.
func (a Action) FromSlip() bool { return a.Slip != nil }
