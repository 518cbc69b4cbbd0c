// Package visit is the Visit workflow: the one visit of one customer on one
// day, across every department.
//
// # At most one visit per customer-day, by construction
//
// The workflow id is Visit:<customer>:<day>, and the API starts it with the
// conflict policy USE_EXISTING, so every request for a customer-day reaches
// the same execution, as an Update (sent with the start: update-with-start).
// Updates run one at a time behind a workflow mutex: the first request books
// the day (an idempotent activity stores the visit); a later one with
// join=true is added to that visit (the booker is told who joins and why);
// one with join=false is answered with the next working day (the customer's
// business calendar) that has no visit, and nothing is booked. There is no
// check-then-write: nobody else writes the day. A unique index on (customer,
// day) in the customer service is defence in depth, not the mechanism.
// A new run takes the reminder policy and the calendar from its input when
// the API sends them (it asked the follow-up engine for them to check the
// day); otherwise it decides its first request while it resolves them (the
// two activities run side by side); only a repeat and an offer, which need
// the calendar, wait for the resolution.
//
// # One participant per person
//
// Whoever already takes part in the day's visit — its booker or someone who
// joined — and asks again gets what she has (outcome booked or joined,
// repeat) and nothing is stored twice; the booker is told she is the booker.
//
// # Only a day with a visit keeps a workflow
//
// A customer-day with no live visit — a refused first request, or its visit
// cancelled — and no request being decided ends at once; the next request
// starts a new run. The workflow ends at the latest when its day is over,
// or, with a visit, when the visit is logged.
//
// # Around the visit
//
// Once booked, the visitor is reminded the visit.reminder_before policy ahead
// of the start (at once when booked later than that). After the visit's end
// its log is a follow-up of kind visit_log, run by the follow-up engine's
// Track (due after visit.log_deadline, escalating along
// visit.log_escalation_ladder to the visitor's team managers). The log update
// ends it. A cancellation (before the start) frees the day again (and ends
// the run, as above). A reschedule is a request on the new day plus a
// cancellation here, done by the API.
//
// # Many requests: continue-as-new
//
// A popular day's run grows with every request it decides. When the server
// suggests it (or after Input.continue_as_new_after decided updates), the run
// continues as new at a moment no update is being decided, handing its state
// — the booked visit, its participants, whether they were reminded, the
// cancelled visits, and a log follow-up suspended where it stood — to the
// next run of the same workflow id (continue.go).
package visit

import (
	"strconv"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// offerSpan is how many days ahead an offer looks per activity call.
const offerSpan = 31

// Changes to the workflow's history, for workflow.GetVersion.
const (
	// changeCloseIdle: a customer-day with no live visit (nothing booked,
	// or its visit cancelled) and no request being decided ends at once
	// instead of waiting for the day to pass.
	changeCloseIdle = "visit-close-idle"
	// changeOneParticipant: a request from someone already taking part in
	// the visit is answered with what she has; nothing is stored again.
	changeOneParticipant = "visit-one-participant-per-person"
	// changeContinueAsNew: a run with a booked visit continues as new when
	// its history grows long (continue.go); runs started before never do.
	changeContinueAsNew = "visit-continue-as-new"
	// changeBookWhileResolving: a request that books or joins is decided
	// while the reminder policy and calendar are being resolved (the two
	// activities run side by side, one round trip less before the answer);
	// only a repeat and an offer, which need the calendar, wait for it.
	// Runs started before resolved first, then decided.
	changeBookWhileResolving = "visit-book-while-resolving"
	// changeResolvedAtRequest: a run started with the resolution the API
	// made while it checked the request (Input.resolved) takes the
	// reminder policy and calendar from it and runs no ResolvePolicies
	// activity; one it cannot use is resolved again as before. Asked only
	// when the input carries one, so runs started before never ask.
	changeResolvedAtRequest = "visit-resolved-at-request"
	// changeHostedAtCurrent: a run the customer service hosts takes every
	// change above at version 1 without asking each (host.go, version);
	// from version 2 it decides its requests against the customer-day as
	// stored (stored.go); from version 3 a free day lets the requests being
	// decided finish before it waits for the day's end (host.go, settles).
	changeHostedAtCurrent = "visit-hosted-at-current"
)

type visitWF struct {
	in      *Input
	st      *State
	seq     int // bookings made by this run (a cancelled one frees the day)
	decided int // updates decided by this run (see continueDue)
	// mayContinue: the run may continue as new (changeContinueAsNew).
	mayContinue bool
	// resume: the carried visit's log follow-up, suspended by the previous
	// run when it continued as new; taken up by trackLog.
	resume *followup.Progress
	// suspended: where this run's log follow-up stood when it was
	// suspended to continue as new.
	suspended *followup.Progress
	cal       *calendar.Calendar
	reminder  policy.Timer
	loaded    bool
	// early: requests that book or join do not wait for the resolution
	// (changeBookWhileResolving).
	early    bool
	tracking bool
	fuState  func() *followupv1.FollowUpState
	// interrupt ends the running visit-log follow-up (the visit was logged).
	interrupt workflow.Channel
	mu        workflow.Mutex
	act       workflow.Context
	// local: the run is hosted by the customer service's worker, which
	// runs the visit activities as local activities (hostedByCustomer).
	local bool
}

// Visit is the Visit workflow (Visit:<customer>:<day>); see the package
// documentation.
func Visit(ctx workflow.Context, in *Input) (*State, error) {
	if in.GetCustomerId() == "" || in.GetDay() == "" {
		return nil, temporal.NewNonRetryableApplicationError("a visit day needs customer_id and day", CodeInvalid, nil)
	}
	w := &visitWF{in: in, st: &State{CustomerId: in.CustomerId, Day: in.Day}, interrupt: workflow.NewBufferedChannel(ctx, 1),
		mu: workflow.NewMutex(ctx)}
	if c := in.GetCarried(); c != nil { // the previous run continued as new
		w.st = proto.Clone(c).(*State)
		w.resume = fromLogProgress(in.GetLogProgress())
	}
	w.local = hostedByCustomer(ctx)
	calls := wfx.Call{Queue: customerc.TaskQueue, NonRetryable: []string{CodeInvalid, "not_found", CodeDayTaken}}
	if w.local {
		w.act = wfx.LocalActivities(ctx, calls)
	} else {
		w.act = wfx.Activities(ctx, calls)
	}
	if err := workflow.SetQueryHandler(ctx, wfc.QueryVisitState, func() (*State, error) { return w.snapshot(), nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, wfc.UpdateVisitRequest, w.request,
		workflow.UpdateHandlerOptions{Validator: w.validateRequest}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, wfc.UpdateVisitCancel, w.cancel,
		workflow.UpdateHandlerOptions{Validator: w.validateCancel}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, wfc.UpdateVisitLog, w.log,
		workflow.UpdateHandlerOptions{Validator: w.validateLog}); err != nil {
		return nil, err
	}
	w.early = w.version(ctx, changeBookWhileResolving) >= 1
	if err := w.load(ctx); err != nil {
		return nil, err
	}
	_, dayEnd, err := DayBounds(in.Day, w.cal.Location())
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), CodeInvalid, nil)
	}

	// Runs started before idle closing wait for a booking until the day is
	// over, even with nothing booked.
	closeIdle := w.version(ctx, changeCloseIdle) >= 1
	// Runs started before continue-as-new never continue.
	w.mayContinue = w.version(ctx, changeContinueAsNew) >= 1
	idle := func() bool { return closeIdle && w.st.Status == "" && workflow.AllHandlersFinished(ctx) }
	settles := w.settles(ctx)
	for {
		// Free day: wait for a booking until the day is over, or — nothing
		// booked and no request being decided — end now.
		booked, err := w.awaitBooking(ctx, dayEnd, settles, idle)
		if err != nil {
			return nil, err
		}
		if w.mayContinue {
			// A visit carried over by continue-as-new may be on a day that
			// is over: the wait's timeout does not end it.
			booked = w.st.Status == StatusBooked
		}
		if !booked || w.st.Status != StatusBooked {
			break
		}
		seq := w.seq
		cont, err := w.runVisit(ctx, seq)
		if err != nil {
			return nil, err
		}
		if cont {
			return nil, w.continueAsNew(ctx)
		}
		if w.seq == seq && w.st.Status != "" { // logged or the log follow-up ended: the day is done
			break
		}
		// Cancelled: the day is free again.
	}
	// Let a running update finish its reply.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return nil, err
	}
	return w.snapshot(), nil
}

// awaitBooking waits on a free day until it is booked or idle (true), or
// until dayEnd (false). A settling run (settles) first lets the requests
// being decided finish, and starts the day-end timer only when they leave
// the day free and running: a day they booked needs none (the visit's own
// timers follow), one they left idle ends now.
func (w *visitWF) awaitBooking(ctx workflow.Context, dayEnd time.Time, settles bool, idle func() bool) (bool, error) {
	ready := func() bool { return w.st.Status == StatusBooked || idle() }
	if settles {
		if err := workflow.Await(ctx, func() bool { return ready() || workflow.AllHandlersFinished(ctx) }); err != nil {
			return false, err
		}
		if ready() {
			return true, nil
		}
	}
	return workflow.AwaitWithTimeout(ctx, max(0, dayEnd.Sub(workflow.Now(ctx))), ready)
}

// runVisit follows booking seq: reminder, the visit, its log. It returns when
// the visit is cancelled (w.seq moves on), logged, or its log follow-up ends;
// or, with cont true, when the run is to continue as new (while it waits for
// the reminder, the end or the log).
func (w *visitWF) runVisit(ctx workflow.Context, seq int) (cont bool, err error) {
	changed := func() bool { return w.seq != seq || w.st.Status != StatusBooked }
	wakes := func() bool { return changed() || w.continueDue(ctx) }
	// The reminder (a run that continued as new may have sent it).
	if !w.st.Reminded {
		remindAt, err := w.remindAt()
		if err != nil {
			return false, err
		}
		w.st.RemindAt = Stamp(remindAt)
		if d := remindAt.Sub(workflow.Now(ctx)); d > 0 {
			if ok, err := workflow.AwaitWithTimeout(ctx, d, wakes); err != nil || changed() {
				return false, err
			} else if ok {
				return true, nil
			}
		}
		if !changed() && workflow.Now(ctx).Before(At(w.st.StartAt)) {
			if err := w.remind(ctx); err != nil {
				return false, err
			}
		}
	}
	// The visit itself.
	if d := At(w.st.EndAt).Sub(workflow.Now(ctx)); d > 0 {
		if ok, err := workflow.AwaitWithTimeout(ctx, d, wakes); err != nil || changed() {
			return false, err
		} else if ok {
			return true, nil
		}
	}
	if changed() {
		return false, nil
	}
	return w.trackLog(ctx)
}

func (w *visitWF) remindAt() (time.Time, error) {
	t := w.reminder
	if t.Clock == policy.ClockBusiness {
		return w.cal.Add(At(w.st.StartAt), -t.Duration.D()), nil
	}
	return At(w.st.StartAt).Add(-t.Duration.D()), nil
}

// remind tells every visitor of the booking that the visit is coming.
func (w *visitWF) remind(ctx workflow.Context) error {
	at := workflow.Now(ctx)
	for _, p := range w.st.Participants {
		if err := w.event(ctx, w.st.VisitId+":reminder:"+p.UserId, "reminder", "workflow", p.UserId,
			"reminder: visit to the customer on "+w.st.Day+" at "+At(w.st.StartAt).In(w.cal.Location()).Format("15:04"), nil, at); err != nil {
			return err
		}
	}
	w.st.Reminded = true
	return nil
}

// trackLog runs the visit-log follow-up until the log arrives or a person
// closes the follow-up — or, with cont true, until it is suspended for the
// run to continue as new (continue.go).
func (w *visitWF) trackLog(ctx workflow.Context) (cont bool, err error) {
	for w.interrupt.ReceiveAsync(nil) {
	}
	w.st.FollowUpId = uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/visit-log\x00"+w.st.VisitId)).String()
	spec := &followupv1.FollowUpSpec{
		Id: w.st.FollowUpId, Kind: policy.KindVisitLog, CustomerId: w.in.CustomerId, OwnerId: w.st.BookedBy, Team: w.st.Team,
		Territory: w.in.Region, Title: "Log the visit of " + w.st.Day, AnchorAt: timestamppb.New(At(w.st.EndAt)), OpenedBy: "workflow",
	}
	opts := followup.Options{
		OnStep: w.onStep, Interrupt: w.interrupt, Resume: w.resume,
		Expose: func(f func() *followupv1.FollowUpState) { w.fuState = f },
	}
	w.resume = nil
	if w.mayContinue {
		stop := w.suspendWhenDue(ctx, &opts)
		defer stop()
	}
	w.tracking = true
	out, err := followup.Track(ctx, spec, opts)
	for err == nil && out.State == followup.Suspended {
		// Suspended at Track's wait; an update may have arrived since the
		// suspension was asked for. Once none is being decided, continue as
		// new — unless it was the log: then go on here, and Track closes the
		// follow-up at once.
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return false, err
		}
		if w.st.Status == StatusBooked {
			w.tracking, w.suspended = false, out.Resume
			if w.fuState != nil {
				w.st.LogDueAt = dueAt(w.fuState())
			}
			w.fuState = nil
			return true, nil
		}
		opts.Resume, opts.Suspend = out.Resume, nil
		out, err = followup.Track(ctx, spec, opts)
	}
	if w.fuState != nil {
		w.st.LogDueAt = dueAt(w.fuState())
	}
	w.tracking, w.fuState = false, nil
	if err != nil {
		return false, err
	}
	if out.State == "cancelled" && w.st.Status == StatusBooked {
		return false, w.event(ctx, w.st.VisitId+":log-waived", "log_waived", out.By, "", "the visit-log follow-up was cancelled: "+out.Note, nil, workflow.Now(ctx))
	}
	return false, nil
}

// onStep tells the visitor (remind) or the team's managers (escalate) that the
// log is overdue; Track has recorded the step on the follow-up already.
func (w *visitWF) onStep(ctx workflow.Context, s followup.Step) error {
	id := w.st.VisitId + ":log-step:" + strconv.Itoa(s.Level)
	switch s.Action {
	case policy.ActionRemind:
		return w.event(ctx, id, "log_reminder", "workflow", w.st.BookedBy, "the log of the visit of "+w.st.Day+" is overdue", nil, workflow.Now(ctx))
	case policy.ActionEscalateManager:
		return w.event(ctx, id, "log_escalated", "workflow", "managers:"+w.st.Team,
			"escalated to the managers of team "+w.st.Team+": "+w.st.BookedBy+" has not logged the visit of "+w.st.Day,
			map[string]string{"owner_id": w.st.BookedBy, "team": w.st.Team}, workflow.Now(ctx))
	}
	return nil
}

func (w *visitWF) validateRequest(ctx workflow.Context, r *Request) error {
	return CheckRequest(w.st, r, workflow.Now(ctx)).Err()
}

// request is the request update: book, join or offer.
func (w *visitWF) request(ctx workflow.Context, r *Request) (*Decision, error) {
	// The first request of a new run may be decided before the main
	// coroutine has run: the version is asked here as well (one marker).
	early := w.version(ctx, changeBookWhileResolving) >= 1
	loaded := func() error { return workflow.Await(ctx, func() bool { return w.loaded }) }
	if !early {
		if err := loaded(); err != nil {
			return nil, err
		}
	}
	if err := w.mu.Lock(ctx); err != nil {
		return nil, err
	}
	defer w.mu.Unlock()
	now := workflow.Now(ctx)
	if err := w.validateRequest(ctx, r); err != nil { // the day may have changed while waiting for the lock
		return nil, err
	}
	reqID := workflow.GetCurrentUpdateInfo(ctx).ID
	if w.decidesStored(ctx) {
		return w.requestStored(ctx, r, reqID, now, loaded)
	}
	switch p := FindParticipant(w.st, r.RequesterId); {
	case p != nil && w.version(ctx, changeOneParticipant) >= 1:
		if err := loaded(); err != nil { // the answer gives the time in the customer's zone
			return nil, err
		}
		w.answered()
		return RepeatDecision(w.st, p, w.cal.Location()), nil
	case w.st.Status == "":
		info := workflow.GetInfo(ctx).WorkflowExecution
		id := w.nextVisitID(ctx)
		team := r.Team
		if team == "" {
			team = w.in.Team
		}
		// The validator read both instants: they are RFC 3339.
		start, end := Stamp(At(r.StartAt)), Stamp(At(r.EndAt))
		if err := w.call(customerc.ActivityBookVisit, &BookInput{
			VisitId: id, WorkflowId: info.ID, RequestId: reqID, CustomerId: r.CustomerId, Day: r.Day, StartAt: start, EndAt: end,
			BookedBy: r.RequesterId, Team: team, Department: r.Department, Purpose: r.Purpose, At: Stamp(now), NonWorkingDayBy: r.NonWorkingDayBy,
		}).Get(ctx, nil); err != nil {
			return nil, err
		}
		w.seq++
		w.st.VisitId, w.st.Status, w.st.BookedBy, w.st.Team, w.st.Department = id, StatusBooked, r.RequesterId, team, r.Department
		w.st.StartAt, w.st.EndAt, w.st.Reminded, w.st.FollowUpId = start, end, false, ""
		w.st.Participants = []*Participant{{UserId: r.RequesterId, Department: r.Department, Purpose: r.Purpose, Role: RoleBooker, JoinedAt: Stamp(now)}}
		w.answered()
		return &Decision{Outcome: OutcomeBooked, Role: RoleBooker, VisitId: id, Day: r.Day, Message: "the visit is booked"}, nil
	case r.Join:
		if err := w.call(customerc.ActivityJoinVisit, &JoinInput{
			VisitId: w.st.VisitId, RequestId: reqID, UserId: r.RequesterId, Department: r.Department, Purpose: r.Purpose,
			Notify: w.st.BookedBy, At: Stamp(now),
		}).Get(ctx, nil); err != nil {
			return nil, err
		}
		w.st.Participants = append(w.st.Participants, &Participant{UserId: r.RequesterId, Department: r.Department, Purpose: r.Purpose, Role: RoleJoined, JoinedAt: Stamp(now)})
		w.answered()
		return &Decision{Outcome: OutcomeJoined, Role: RoleJoined, VisitId: w.st.VisitId, Day: r.Day,
			Message: "the day was booked by " + w.st.BookedBy + " (" + w.st.Department + "); you join that visit"}, nil
	default:
		return w.offer(ctx, r, reqID, now, loaded)
	}
}

// offer answers a request that declined to join the day's visit with the
// next working day without a visit (the calendar's: loaded waits for it),
// recorded on the visit's timeline.
func (w *visitWF) offer(ctx workflow.Context, r *Request, reqID string, now time.Time, loaded func() error) (*Decision, error) {
	if err := loaded(); err != nil {
		return nil, err
	}
	offered, err := w.nextFreeDay(ctx)
	if err != nil {
		return nil, err
	}
	if err := w.recordOffer(ctx, r, reqID, offered, now); err != nil {
		return nil, err
	}
	w.answered()
	return w.offered(r, w.st.VisitId, offered), nil
}

// nextVisitID is the id of the run's next booking.
func (w *visitWF) nextVisitID(ctx workflow.Context) string {
	info := workflow.GetInfo(ctx).WorkflowExecution
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/visit\x00"+info.ID+"\x00"+info.RunID+"\x00"+strconv.Itoa(w.seq+1))).String()
}

// recordOffer records on the visit's timeline that request reqID declined to
// join and was offered day offered.
func (w *visitWF) recordOffer(ctx workflow.Context, r *Request, reqID, offered string, now time.Time) error {
	return w.event(ctx, w.st.VisitId+":offer:"+reqID, "offered", r.RequesterId, "",
		r.RequesterId+" of "+r.Department+" declined to join and was offered "+offered,
		map[string]string{"requester_id": r.RequesterId, "department": r.Department, "purpose": r.Purpose, "offered_day": offered}, now)
}

// offered is the answer to a request offered day offered instead of joining
// visit visitID.
func (w *visitWF) offered(r *Request, visitID, offered string) *Decision {
	return &Decision{Outcome: OutcomeOffered, VisitId: visitID, Day: r.Day, OfferedDay: offered,
		Message: "the day is booked by " + w.st.BookedBy + " (" + w.st.Department + "); the next working day without a visit is " + offered}
}

// nextFreeDay asks the customer service which days after this one are booked
// and returns the first working day among the others.
func (w *visitWF) nextFreeDay(ctx workflow.Context) (string, error) {
	from := w.in.Day
	for range 12 {
		var res BookedDaysResult
		if err := w.call(customerc.ActivityVisitBookedDays, &BookedDaysInput{
			CustomerId: w.in.CustomerId, From: AddDays(from, 1), To: AddDays(from, offerSpan),
		}).Get(ctx, &res); err != nil {
			return "", err
		}
		booked := map[string]bool{}
		for _, d := range res.Days {
			booked[d] = true
		}
		if d := NextFreeDay(w.cal, from, offerSpan, booked); d != "" {
			return d, nil
		}
		from = AddDays(from, offerSpan)
	}
	return "", temporal.NewNonRetryableApplicationError("no free working day within a year", CodeDayTaken, nil)
}

func (w *visitWF) validateCancel(ctx workflow.Context, c *Cancel) error {
	if c.Actor == "" {
		return (&Refusal{Code: CodeInvalid, Field: "actor", Message: "a cancellation needs its actor"}).Err()
	}
	return CheckCancel(w.st, c, workflow.Now(ctx)).Err()
}

// cancel is the cancel update: the visit is cancelled, its visitors told, and
// the day is free again.
func (w *visitWF) cancel(ctx workflow.Context, c *Cancel) (*State, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return nil, err
	}
	defer w.mu.Unlock()
	if err := w.validateCancel(ctx, c); err != nil {
		return nil, err
	}
	notify := make([]string, 0, len(w.st.Participants))
	for _, p := range w.st.Participants {
		if p.UserId != c.Actor {
			notify = append(notify, p.UserId)
		}
	}
	in := &CancelInput{VisitId: w.st.VisitId, Actor: c.Actor, Reason: c.Reason, MovedTo: c.MovedTo, Notify: notify, At: Stamp(workflow.Now(ctx))}
	if err := w.call(customerc.ActivityCancelVisit, in).Get(ctx, nil); err != nil {
		return nil, err
	}
	out := w.snapshot()
	out.Status = StatusCancelled
	w.st = &State{CustomerId: w.in.CustomerId, Day: w.in.Day, Answered: w.st.Answered, Cancelled: append(out.Cancelled, w.st.VisitId)}
	w.seq++ // the running booking's timers stop
	w.decided++
	return out, nil
}

func (w *visitWF) validateLog(ctx workflow.Context, l *Log) error {
	if l.Actor == "" {
		return (&Refusal{Code: CodeInvalid, Field: "actor", Message: "a log needs its author"}).Err()
	}
	return CheckLog(w.st, l, workflow.Now(ctx)).Err()
}

// log is the log update: the visit took place; its log ends the follow-up.
func (w *visitWF) log(ctx workflow.Context, l *Log) (*State, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return nil, err
	}
	defer w.mu.Unlock()
	if err := w.validateLog(ctx, l); err != nil {
		return nil, err
	}
	in := &LogInput{VisitId: w.st.VisitId, Actor: l.Actor, Summary: l.Summary, Outcome: l.Outcome, NextStep: l.NextStep, At: Stamp(workflow.Now(ctx))}
	if err := w.call(customerc.ActivityLogVisit, in).Get(ctx, nil); err != nil {
		return nil, err
	}
	w.st.Status = StatusDone
	if w.tracking {
		w.interrupt.SendAsync(&followupv1.CloseSignal{State: "done", By: l.Actor, Note: "visit logged"})
	}
	return w.snapshot(), nil
}

func (w *visitWF) event(ctx workflow.Context, id, kind, actor, recipient, summary string, data map[string]string, at time.Time) error {
	return w.call(customerc.ActivityRecordVisitEvent, &EventInput{
		Id: id, VisitId: w.st.VisitId, Kind: kind, Actor: actor, Recipient: recipient, Summary: summary, Data: data, At: Stamp(at),
	}).Get(ctx, nil)
}

// answered counts a decided request.
func (w *visitWF) answered() {
	w.st.Answered++
	w.decided++
}

// snapshot is a copy of the day's state, with the log's due time while the
// log follow-up runs.
func (w *visitWF) snapshot() *State {
	s := proto.Clone(w.st).(*State)
	if w.tracking && w.fuState != nil {
		s.LogDueAt = dueAt(w.fuState())
	}
	return s
}

// dueAt is when a follow-up is due ("" before its policy is resolved).
func dueAt(f *followupv1.FollowUpState) string {
	if f.GetDueAt() == nil {
		return ""
	}
	return Stamp(f.GetDueAt().AsTime())
}
