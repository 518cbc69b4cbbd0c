// Package domain holds the rules of the customer service's side of a
// win-back: which campaign's win-back a customer is in (its mark, mark.go),
// what counts as the customer responding (this file), and what a response
// does to the customer once the WinBack workflow has heard it
// (returned.go). It has no storage, no Temporal and no HTTP: the
// win-back's events are handed to it by the contexts that record them
// (actions, visits, the customer's lifecycle) and its decisions are stored
// by package adapters.
package domain

import (
	"cmp"
	"slices"
	"strings"
	"time"

	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
)

// Sources of the events that may answer a win-back.
const (
	SourceAction = "action" // an action logged, or a plan done (package actions)
	SourceVisit  = "visit"  // a visit's log recorded (package visits)
	SourceStage  = "stage"  // a lifecycle stage change
	SourceLead   = "lead"   // a lead naming the customer (the Lead workflow's customer activities)
)

// Response kinds (marketingv1.WinBackResponse.kind) the customer service
// finds. A lead (kind lead) is heard when the Lead workflow asks for its
// customer (EnsureCustomer, ClaimCustomerOwner, which say which lead asks);
// the customer service keeps no leads, so WinBackResponses cannot find one
// whose signal was lost.
const (
	KindCall  = "call"
	KindVisit = "visit"
	KindStage = "stage"
	KindLead  = "lead"
)

// winBackLeadSource is the source of the lead a win-back hands its
// responding customer to sales with (created by Actor): never a response.
const winBackLeadSource = "campaign"

// Actor is who the win-back context records its own changes as: a change
// it makes is never a response.
const Actor = "winback"

// stageLost is the lifecycle stage a win-back brings customers back from.
const stageLost = string(custdomain.StageLost)

// actionLog is an action's kind once done (a log, or a plan completed).
const actionLog = "log"

// contactKinds maps the action categories that are a contact with the
// customer (the actions context's contact categories) to the response
// they are.
var contactKinds = map[string]string{"phone_call": KindCall, "visit_reception": KindVisit}

// ContactCategories lists the action categories that answer a win-back.
func ContactCategories() []string {
	out := make([]string, 0, len(contactKinds))
	for c := range contactKinds {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Event is something recorded about a customer that may answer its
// win-back, as the recording context saw it once stored. At is when it was
// recorded — the instant the customer service learned of it, which is
// when the signal goes out and what WinBackResponses counts from.
type Event struct {
	CustomerID string
	Source     string
	Ref        string // the action, visit or stage change
	// An action's category and kind (plan or log).
	Category, Kind string
	// A lifecycle change's stages.
	From, To string
	// By is who recorded it (a lead: its creator).
	By string
	// A lead's source.
	LeadSource string
	At         time.Time
}

// Response is how a customer responded to its win-back
// (marketingv1.WinBackResponse).
type Response struct {
	Kind, Ref, By string
	At            time.Time
}

// ResponseOf says whether an event answers a win-back, and as what:
//
//   - a logged contact — an action in a contact category that is a log (a
//     log recorded, or a plan of that category done): call or visit;
//   - a visit's log recorded: visit;
//   - a lifecycle change out of lost made by a person (not the win-back
//     itself returning the customer, nor a workflow or the system): stage;
//   - a lead naming the customer, other than the win-back's own hand-over
//     lead: lead.
//
// Anything else — a plan not yet done, another category, a visit booked,
// a change between other stages — is not a response.
func ResponseOf(e Event) (Response, bool) {
	r := Response{Ref: e.Ref, By: e.By, At: e.At.UTC()}
	switch e.Source {
	case SourceAction:
		kind, ok := contactKinds[e.Category]
		if !ok || e.Kind != actionLog {
			return Response{}, false
		}
		r.Kind = kind
	case SourceVisit:
		r.Kind = KindVisit
	case SourceStage:
		if e.From != stageLost || e.To == stageLost || e.To == "" || !ByPerson(e.By) {
			return Response{}, false
		}
		r.Kind = KindStage
	case SourceLead:
		if e.Ref == "" || (e.LeadSource == winBackLeadSource && e.By == Actor) {
			return Response{}, false
		}
		r.Kind = KindLead
	default:
		return Response{}, false
	}
	return r, true
}

// ByPerson says whether an actor is a person: not the win-back, a workflow
// or the system.
func ByPerson(by string) bool {
	return by != "" && by != Actor && by != "workflow" && by != "system" && !strings.HasPrefix(by, "system:")
}

// sourceOrder orders responses recorded at the same instant.
var sourceOrder = []string{KindCall, KindVisit, KindStage}

// FirstResponse is the earliest response among events recorded after
// since (exclusive), if any; responses of one instant are taken in the
// order call, visit, stage, then by ref, so the answer never depends on
// the order the events were read in.
func FirstResponse(events []Event, since time.Time) (Response, bool) {
	var found []Response
	for _, e := range events {
		if r, ok := ResponseOf(e); ok && r.At.After(since) {
			found = append(found, r)
		}
	}
	if len(found) == 0 {
		return Response{}, false
	}
	return slices.MinFunc(found, func(a, b Response) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(slices.Index(sourceOrder, a.Kind), slices.Index(sourceOrder, b.Kind)), cmp.Compare(a.Ref, b.Ref))
	}), true
}

// Window is what WinBackResponses asks the storage for: the customer's
// events recorded after Since that may answer a win-back — actions of
// ActionKind in Categories, visits logged, lifecycle changes from
// FromStage — the earliest Limit of each source. FirstResponse decides.
type Window struct {
	CustomerID string
	Since      time.Time
	ActionKind string
	Categories []string
	FromStage  string
	Limit      int
}

// windowLimit is how many events of each source a window reads: every
// contact action and visit log is a response, so the first decides; a
// stage change out of lost may be the win-back's own, so a few are read.
const windowLimit = 20

// WindowSince is the window of a customer's events after since.
func WindowSince(customerID string, since time.Time) Window {
	return Window{CustomerID: customerID, Since: since.UTC(), ActionKind: actionLog, Categories: ContactCategories(),
		FromStage: stageLost, Limit: windowLimit}
}
