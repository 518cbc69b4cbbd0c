package visit

import (
	"time"

	"go.temporal.io/sdk/workflow"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
)

// Requests decided against the stored day.
//
// A hosted run writes a decision as a local activity, inside the workflow
// task that decides it: if that task fails before it completes (the worker
// killed, the server's history read cut short, …), the write is stored but
// the decision is not in the history, and the server aborts the task's
// updates; their clients send them again, in whatever order they come, and
// the next attempt may decide them otherwise — a request offered a day in
// the failed attempt is a repeat in the next (its requester joined by
// another request first), a day booked by one requester is booked by
// another. The workflow's own state cannot know what the failed attempt
// wrote; the store does. So from version 2 of changeHostedAtCurrent a
// hosted run sends each request to customer.DecideVisitRequest, which, in
// one transaction, answers a request it has decided before as it decided
// it, and otherwise applies Decide to the day as stored and stores the
// result; the run takes the day as stored into its state (adopt). What a
// failed attempt wrote thus stays a decision made in some order, and every
// answer matches what is stored. Runs on the workflow worker's queue call
// remote activities, whose writes follow the completed task that scheduled
// them, and keep deciding on their own state.

// decidesStored says whether the run decides requests against the stored
// day (see above).
func (w *visitWF) decidesStored(ctx workflow.Context) bool {
	return w.local && w.hostedAt(ctx) >= 2
}

// requestStored decides request r (update reqID) with
// customer.DecideVisitRequest; loaded waits for the calendar.
func (w *visitWF) requestStored(ctx workflow.Context, r *Request, reqID string, now time.Time, loaded func() error) (*Decision, error) {
	info := workflow.GetInfo(ctx).WorkflowExecution
	team := r.Team
	if team == "" {
		team = w.in.Team
	}
	var res DecideResult
	if err := w.call(customerc.ActivityDecideVisitRequest, &DecideInput{Request: r, Book: &BookInput{
		VisitId: w.nextVisitID(ctx), WorkflowId: info.ID, RequestId: reqID, CustomerId: r.CustomerId, Day: r.Day,
		StartAt: Stamp(At(r.StartAt)), EndAt: Stamp(At(r.EndAt)), BookedBy: r.RequesterId, Team: team,
		Department: r.Department, Purpose: r.Purpose, At: Stamp(now), NonWorkingDayBy: r.NonWorkingDayBy,
	}}).Get(ctx, &res); err != nil {
		return nil, err
	}
	w.adopt(res.GetDay())
	switch res.Outcome {
	case DecidedRefused:
		return nil, (&Refusal{Code: res.Code, Field: res.Field, Message: res.Message}).Err()
	case DecidedRepeat:
		if err := loaded(); err != nil { // the answer gives the time in the customer's zone
			return nil, err
		}
		if p := FindParticipant(w.st, r.RequesterId); p != nil {
			w.answered()
			return RepeatDecision(w.st, p, w.cal.Location()), nil
		}
	case OutcomeBooked:
		w.answered()
		return &Decision{Outcome: OutcomeBooked, Role: RoleBooker, VisitId: res.VisitId, Day: r.Day, Message: "the visit is booked"}, nil
	case OutcomeJoined:
		w.answered()
		return &Decision{Outcome: OutcomeJoined, Role: RoleJoined, VisitId: res.VisitId, Day: r.Day,
			Message: "the day was booked by " + w.st.BookedBy + " (" + w.st.Department + "); you join that visit"}, nil
	case OutcomeOffered:
		w.answered()
		return w.offered(r, res.VisitId, res.OfferedDay), nil
	case DecidedOffer:
		return w.offer(ctx, r, reqID, now, loaded)
	}
	return nil, (&Refusal{Code: CodeInvalid, Field: "", Message: "the customer service answered the request with " + res.Outcome}).Err()
}

// adopt takes the day's live visit as stored into the run's state: a visit
// the run did not hold (its own booking, or one a failed attempt stored) is
// the run's booking from now on; the participants are the stored ones.
func (w *visitWF) adopt(d *State) {
	if d.GetStatus() != StatusBooked {
		return
	}
	if d.VisitId != w.st.VisitId || w.st.Status != StatusBooked {
		w.seq++
		w.st.VisitId, w.st.Status, w.st.BookedBy, w.st.Team, w.st.Department = d.VisitId, StatusBooked, d.BookedBy, d.Team, d.Department
		w.st.StartAt, w.st.EndAt, w.st.Reminded, w.st.FollowUpId = d.StartAt, d.EndAt, false, ""
	}
	w.st.Participants = d.Participants
}
