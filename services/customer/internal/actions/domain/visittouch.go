package domain

import (
	"errors"
	"strings"
	"time"
)

// A campaign's visit touch (action visit, a plan in category
// visit_reception) is more than a line on its assignee's list: its visit
// is requested through the one-visit-per-customer-day rule, like a
// person's (the visits context chooses the day and asks the day's Visit
// workflow; its rules are in internal/visits/domain/touch.go).
//
// The plan is stored with its visit request, a link of subject type
// visit_request whose subject is the instant the touch counts as made (its
// visit starts after it), in the same transaction: the request is durable
// and cheap to store, and the page of touches that planned it does not
// wait for a Visit workflow per customer. The requests are then taken,
// oldest first, and answered; each answer is recorded on the plan once, in
// place of its request:
//
//   - a visit booked or joined is linked to the plan (subject type visit,
//     filed under the customer) and named in its summary — its day, time,
//     booker and id — so the assignee's list and the customer's history say
//     where the touch is made;
//   - no visit (the customer deleted, the day's visit over, no calendar
//     assigned): the summary says why, and the plan's next step asks the
//     assignee to arrange the visit by hand, through the same rule;
//   - a plan its assignee completed or cancelled before its request was
//     answered gets no visit: the request is dropped.
//
// A plan without a request is settled: a retried or repeated touch plans
// nothing (its plan exists) and requests nothing more.

// Subject types of a visit touch's plan's links.
const (
	// SubjectVisitRequest is a visit touch's request, not answered yet.
	SubjectVisitRequest = "visit_request"
	// SubjectVisit links a visit touch's plan to its visit.
	SubjectVisit = "visit"
)

// NoVisitNextStep is the next step of a visit touch's plan that could have
// no visit.
const NoVisitNextStep = "Arrange the visit with the customer yourself, through the customer's visits (one visit per customer and day): the campaign could not book it."

// NoVisitMalformed answers the request of a plan that names no customer or
// due time (not one NewTouchPlan makes).
const NoVisitMalformed = "No visit booked: the plan names no customer or due time."

// ErrVisitSettled says a plan has no visit request to answer.
var ErrVisitSettled = errors.New("actions: the touch's visit request is answered")

// requestLayout writes a visit request's instant: RFC 3339 in UTC, whole
// seconds (fits the link's subject, sorts in time order).
const requestLayout = "2006-01-02T15:04:05Z"

func visitRequest(customer string, made time.Time) Link {
	return Link{SubjectType: SubjectVisitRequest, SubjectID: made.UTC().Format(requestLayout), CustomerID: customer}
}

// TouchVisit is what became of a visit touch's visit.
type TouchVisit struct {
	VisitID  string // "": no visit
	Sentence string // names the visit, or says why there is none
}

// IsVisitTouch reports whether the action is a campaign's visit touch.
func (a Action) IsVisitTouch() bool {
	return a.CampaignID != "" && a.Category == touchCategories["visit"] && !a.FromCampaign()
}

// VisitRequested returns when the touch counts as made, from which its
// visit may start, and whether the plan has a visit request to answer.
func (a Action) VisitRequested() (time.Time, bool) {
	for _, l := range a.Links {
		if l.SubjectType == SubjectVisitRequest {
			t, err := time.Parse(requestLayout, l.SubjectID)
			if err != nil {
				t = a.CreatedAt
			}
			return t, true
		}
	}
	return time.Time{}, false
}

// AwaitsVisit reports whether the plan's visit request is to be sent: the
// plan has one and is still planned.
func (a Action) AwaitsVisit() bool {
	_, ok := a.VisitRequested()
	return ok && a.Kind == KindPlan && a.Status == StatusPlanned && a.IsVisitTouch()
}

// VisitID is the visit the touch's plan is linked to ("" for none).
func (a Action) VisitID() string {
	if ids := a.Subjects(SubjectVisit); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// NoteVisit answers the plan's visit request at now with what became of
// the visit (see above). A plan that does not await it is left as it is
// (ErrVisitSettled).
func (a *Action) NoteVisit(v TouchVisit, now time.Time) error {
	if !a.AwaitsVisit() {
		return ErrVisitSettled
	}
	a.dropRequest()
	customers := a.CustomerIDs()
	if v.VisitID != "" && len(customers) > 0 {
		a.Links = append(a.Links, Link{SubjectType: SubjectVisit, SubjectID: v.VisitID, CustomerID: customers[0]})
	} else {
		a.NextStep = NoVisitNextStep
	}
	a.Summary = cut(strings.TrimSpace(a.Summary+" "+strings.TrimSpace(v.Sentence)), maxText)
	a.UpdatedAt = now
	return nil
}

// DropVisitRequest drops the request of a plan that no longer awaits its
// visit (its assignee completed or cancelled it): no visit is requested. A
// plan that awaits its visit, or has no request, is left as it is
// (ErrVisitSettled).
func (a *Action) DropVisitRequest() error {
	if _, ok := a.VisitRequested(); !ok || a.AwaitsVisit() {
		return ErrVisitSettled
	}
	a.dropRequest()
	return nil
}

func (a *Action) dropRequest() {
	links := a.Links[:0:0]
	for _, l := range a.Links {
		if l.SubjectType != SubjectVisitRequest {
			links = append(links, l)
		}
	}
	a.Links = links
}
