package domain

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/visit"
)

// store is a customer-day held in memory: what the repository's Decide
// loads and stores, for the rules alone.
type store struct {
	day    Day
	events []Event
}

func newStore() *store { return &store{day: Day{CustomerID: "c1", Day: "2026-03-02"}} }

// decide runs DecideRequest on the day as stored (the request's offers
// found by id, as the repository finds them) and stores what it decided.
func (s *store) decide(r *visit.Request, b Booking) Decided {
	d := s.day
	d.Offers = nil
	for _, v := range d.Visits {
		for _, e := range s.events {
			if e.ID == OfferID(v.ID, b.RequestID) {
				d.Offers = append(d.Offers, e)
			}
		}
	}
	out := DecideRequest(d, r, b)
	switch {
	case out.NewVisit != nil:
		s.day.Visits = append(s.day.Visits, *out.NewVisit)
		s.day.Participants = append(s.day.Participants, *out.Booker)
		s.events = append(s.events, out.NewVisit.NewEvents...)
	case out.Joiner != nil:
		s.day.Participants = append(s.day.Participants, *out.Joiner)
		s.events = append(s.events, *out.Notice)
	}
	return out
}

// offer records what the workflow records after DecidedOffer.
func (s *store) offer(visitID, requestID, day string) {
	data, _ := json.Marshal(map[string]string{"offered_day": day})
	s.events = append(s.events, Event{ID: OfferID(visitID, requestID), VisitID: visitID, Kind: "offered", Data: string(data)})
}

// ask is request id of user (department sales), joining or not, with the
// booking it would make as visit candidate.
func ask(id, user string, join bool, candidate string) (*visit.Request, Booking) {
	start, end := at.Add(8*time.Hour), at.Add(9*time.Hour)
	r := &visit.Request{CustomerId: "c1", Day: "2026-03-02", RequesterId: user, Department: visit.DeptSales, Purpose: "p " + id,
		StartAt: visit.Stamp(start), EndAt: visit.Stamp(end), Join: join}
	return r, Booking{VisitID: candidate, WorkflowID: "Visit:c1:2026-03-02", RequestID: id, CustomerID: "c1", Day: "2026-03-02",
		StartAt: start, EndAt: end, BookedBy: user, Team: "north", Department: visit.DeptSales, Purpose: r.Purpose, At: at}
}

func TestDecideRequestAppliesTheWorkflowsRulesToTheStoredDay(t *testing.T) {
	s := newStore()
	if out := s.decide(ask("r1", "ana", false, "v1")); out.Outcome != visit.OutcomeBooked || out.VisitID != "v1" || out.NewVisit == nil ||
		out.State.GetStatus() != visit.StatusBooked || len(out.State.GetParticipants()) != 1 || out.State.Participants[0].Role != RoleBooker {
		t.Fatalf("free day: %+v", out)
	}
	if out := s.decide(ask("r2", "bob", true, "v2")); out.Outcome != visit.OutcomeJoined || out.VisitID != "v1" || out.Joiner == nil ||
		out.Notice.Recipient != "ana" || len(out.State.GetParticipants()) != 2 || out.State.Participants[1].UserId != "bob" {
		t.Fatalf("join: %+v", out)
	}
	if out := s.decide(ask("r3", "bob", false, "v2")); out.Outcome != visit.DecidedRepeat || out.Joiner != nil || out.NewVisit != nil {
		t.Fatalf("repeat: %+v", out)
	}
	if out := s.decide(ask("r4", "cyd", false, "v2")); out.Outcome != visit.DecidedOffer || out.VisitID != "v1" || out.Joiner != nil {
		t.Fatalf("declined to join: %+v", out)
	}
	late, b := ask("r5", "dan", true, "v2")
	b.At = at.Add(10 * time.Hour)
	if out := s.decide(late, b); out.Outcome != visit.DecidedRefused || out.Refusal.Code != visit.CodeVisitOver || out.Joiner != nil {
		t.Fatalf("after the visit: %+v", out)
	}
	free := newStore()
	r, b := ask("r1", "ana", true, "v1")
	r.JoinOnly = true
	if out := free.decide(r, b); out.Outcome != visit.DecidedRefused || out.Refusal.Code != visit.CodeDayFree || len(free.day.Visits) != 0 {
		t.Fatalf("join only on a free day: %+v", out)
	}
}

// The reason the store decides: a workflow task that failed after its
// local activities wrote leaves their decisions stored, and the next
// attempt takes the requests in another order. Every request is answered
// as the store first decided it, and nothing is stored twice.
func TestDecideRequestAnswersARequestDecidedInAFailedAttemptAsItWasDecided(t *testing.T) {
	s := newStore()
	// The failed attempt: ana books (v1), cyd declines to join and is offered the 3rd.
	s.decide(ask("a", "ana", false, "v1"))
	if out := s.decide(ask("c", "cyd", false, "v2")); out.Outcome != visit.DecidedOffer {
		t.Fatalf("offer: %+v", out)
	}
	s.offer("v1", "c", "2026-03-03")
	// The next attempt knows nothing of it: bob comes first, with the same
	// candidate id, then cyd asks to join, then cyd's first request and
	// ana's come again.
	if out := s.decide(ask("b", "bob", true, "v1")); out.Outcome != visit.OutcomeJoined || out.VisitID != "v1" || out.State.BookedBy != "ana" {
		t.Fatalf("bob: %+v", out)
	}
	if out := s.decide(ask("c2", "cyd", true, "v1")); out.Outcome != visit.OutcomeJoined {
		t.Fatalf("cyd joins: %+v", out)
	}
	if out := s.decide(ask("c", "cyd", false, "v1")); out.Outcome != visit.OutcomeOffered || out.OfferedDay != "2026-03-03" || out.VisitID != "v1" || out.Joiner != nil {
		t.Fatalf("cyd's first request again: %+v, want offered as it was", out)
	}
	if out := s.decide(ask("a", "ana", false, "v1")); out.Outcome != visit.OutcomeBooked || out.VisitID != "v1" || out.NewVisit != nil {
		t.Fatalf("ana's request again: %+v, want booked as it was", out)
	}
	if len(s.day.Visits) != 1 || len(s.day.Participants) != 3 {
		t.Fatalf("stored %d visits, %d participants; want 1 and 3", len(s.day.Visits), len(s.day.Participants))
	}
	if out := s.decide(ask("z", "zoe", true, "v1")); len(out.State.Participants) != 4 || out.State.Participants[0].UserId != "ana" {
		t.Fatalf("the day as stored, booker first: %+v", out.State.Participants)
	}
}

func TestDecideRequestBooksAFreshIdWhenItsCandidateWasCancelled(t *testing.T) {
	s := newStore()
	s.decide(ask("a", "ana", false, "v1"))
	s.day.Visits[0].Status = visit.StatusCancelled
	out := s.decide(ask("b", "bob", false, "v1"))
	if out.Outcome != visit.OutcomeBooked || out.VisitID == "v1" || out.VisitID == "" || out.NewVisit.ID != out.VisitID || out.State.VisitId != out.VisitID {
		t.Fatalf("%+v", out)
	}
	if again := s.decide(ask("b", "bob", false, "v1")); again.Outcome != visit.OutcomeBooked || again.VisitID != out.VisitID || again.NewVisit != nil {
		t.Fatalf("again: %+v", again)
	}
}
