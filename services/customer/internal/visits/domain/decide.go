package domain

import (
	"encoding/json"
	"sort"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/workflows/visit"
)

// Deciding a request against the stored day (customer.DecideVisitRequest).
//
// The Visit workflows the customer service hosts write as local activities,
// inside the workflow task that decides; a task that fails after such a
// write leaves it stored while its decision is lost, and the next attempt
// may take the day's requests in another order (workflows/visit, stored.go).
// So the store, not the run, is what a request is decided against: a
// request decided before is answered as it was, and any other gets the
// workflow's rule (visit.Decide) applied to the day as stored.

// Day is a customer-day as stored when a request comes to be decided.
type Day struct {
	CustomerID, Day string
	// Visits are the day's visits, cancelled ones included; at most one
	// is live (booked or done).
	Visits []Visit
	// Participants are those visits' visitors.
	Participants []Participant
	// Offers are the request's offers recorded on those visits (at most one).
	Offers []Event
}

// Decided is a request's decision and what it stores.
type Decided struct {
	// Outcome is visit.OutcomeBooked, OutcomeJoined or OutcomeOffered (the
	// request was decided so, now or before), visit.DecidedRepeat,
	// DecidedOffer (the workflow finds the day and records the offer) or
	// DecidedRefused (Refusal says why).
	Outcome    string
	VisitID    string
	OfferedDay string
	Refusal    *visit.Refusal
	// State is the day's live visit as stored once the decision is.
	State *visit.State
	// A booking stores NewVisit and its Booker; a join stores Joiner and
	// the booker's Notice.
	NewVisit *Visit
	Booker   *Participant
	Joiner   *Participant
	Notice   *Event
}

// OfferID is the timeline entry that records request requestID's offer on
// visit visitID.
func OfferID(visitID, requestID string) string { return visitID + ":offer:" + requestID }

// DecideRequest decides request r of the day d; b is the booking it makes
// if the day is free (the workflow's next visit id, the request's update
// id, its instants, and At, the instant it is decided at).
func DecideRequest(d Day, r *visit.Request, b Booking) Decided {
	live := liveVisit(d.Visits)
	st := d.state(live)
	for _, p := range d.Participants {
		if p.RequestID == b.RequestID { // decided before: as it was
			out := Decided{Outcome: visit.OutcomeJoined, VisitID: p.VisitID, State: st}
			if p.Role == RoleBooker {
				out.Outcome = visit.OutcomeBooked
			}
			return out
		}
	}
	if len(d.Offers) > 0 { // offered before: the day then offered
		var data map[string]string
		_ = json.Unmarshal([]byte(d.Offers[0].Data), &data)
		return Decided{Outcome: visit.OutcomeOffered, VisitID: d.Offers[0].VisitID, OfferedDay: data["offered_day"], State: st}
	}
	outcome, _, refusal := visit.Decide(st, r, b.At)
	out := Decided{Outcome: outcome, Refusal: refusal, State: st, VisitID: st.VisitId}
	switch outcome {
	case visit.OutcomeBooked:
		for _, v := range d.Visits {
			if v.ID == b.VisitID { // a visit of a failed attempt, cancelled since: a new id
				b.VisitID = uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/visit\x00"+b.VisitID+"\x00"+b.RequestID)).String()
			}
		}
		v, p := Book(b)
		out.NewVisit, out.Booker, out.VisitID = &v, &p, v.ID
		out.State = stateOf(d.CustomerID, d.Day, &v, []Participant{p})
	case visit.OutcomeJoined:
		p, notice := Join(Joining{VisitID: live.ID, RequestID: b.RequestID, UserID: r.RequesterId, Department: r.Department,
			Purpose: r.Purpose, Notify: live.BookedBy, At: b.At})
		out.Joiner, out.Notice = &p, &notice
		out.State.Participants = append(out.State.Participants, participantOf(p))
	}
	return out
}

// liveVisit is the day's booked or done visit, nil if none.
func liveVisit(vs []Visit) *Visit {
	for i := range vs {
		if vs[i].Status == visit.StatusBooked || vs[i].Status == visit.StatusDone {
			return &vs[i]
		}
	}
	return nil
}

// state is the day as the workflow's rules read it: its live visit, if any,
// with that visit's participants, the booker first.
func (d Day) state(live *Visit) *visit.State {
	if live == nil {
		return stateOf(d.CustomerID, d.Day, nil, nil)
	}
	var ps []Participant
	for _, p := range d.Participants {
		if p.VisitID == live.ID {
			ps = append(ps, p)
		}
	}
	return stateOf(d.CustomerID, d.Day, live, ps)
}

func stateOf(customerID, day string, v *Visit, ps []Participant) *visit.State {
	st := &visit.State{CustomerId: customerID, Day: day}
	if v == nil {
		return st
	}
	st.VisitId, st.Status, st.BookedBy, st.Team, st.Department = v.ID, v.Status, v.BookedBy, v.Team, v.Department
	st.StartAt, st.EndAt = visit.Stamp(v.StartAt), visit.Stamp(v.EndAt)
	sort.SliceStable(ps, func(i, j int) bool {
		if (ps[i].Role == RoleBooker) != (ps[j].Role == RoleBooker) {
			return ps[i].Role == RoleBooker
		}
		return ps[i].JoinedAt.Before(ps[j].JoinedAt)
	})
	for _, p := range ps {
		st.Participants = append(st.Participants, participantOf(p))
	}
	return st
}

func participantOf(p Participant) *visit.Participant {
	return &visit.Participant{UserId: p.UserID, Department: p.Department, Purpose: p.Purpose, Role: p.Role,
		JoinedAt: visit.Stamp(p.JoinedAt)}
}
