package app

import (
	"context"
	"strings"

	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/visit"
)

// RequestInput is a department's request for a visit.
type RequestInput = domain.RequestInput

// LogInput is what a visit achieved.
type LogInput = domain.LogInput

// Answer is the decision on a request.
type Answer struct {
	Outcome string `json:"outcome"`
	// Role is the requester's part in the visit (booker or joined) when she
	// booked or joined it.
	Role string `json:"role,omitempty"`
	// Repeat: the requester already took part in the visit; nothing changed.
	Repeat     bool   `json:"repeat,omitempty"`
	Message    string `json:"message"`
	OfferedDay string `json:"offered_day,omitempty"`
	// Visit is the booked or joined visit; for an offer, the visit that holds the day.
	Visit *domain.View `json:"visit,omitempty"`
	// MovedFrom is the cancelled visit of a reschedule.
	MovedFrom string `json:"moved_from,omitempty"`
}

// check validates a request for customer c by requester p, sent by caller
// (the requester, or the manager rescheduling for her), and builds it: the
// day rule (not in the past, at most two years ahead), and the rules for
// booking it — a working day or an allowed override, a visit that ends on
// its day, a start still ahead. These matter only when the request books the
// day: on a day with a booked visit the request joins it (keeping its start)
// or is offered another day, so there it is sent join-only. Nothing check
// refuses reaches a workflow.
func (s *Visits) check(ctx context.Context, caller, p auth.Principal, c domain.Customer, in RequestInput) (*visit.Input, *visit.Request, error) {
	f, err := domain.CheckFields(in, s.cfg)
	if err != nil {
		return nil, nil, err
	}
	rs, err := s.resolutionOf(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	cal := rs.cal
	loc, now := cal.Location(), s.now()
	if err := domain.CheckDay(in.Day, now, loc); err != nil {
		return nil, nil, err
	}
	override, refusal := domain.BookingRules(f, cal, now, s.cfg.AllowNonWorkingDays, domain.Manages(caller))
	joinOnly := false
	if refusal != nil {
		live, err := s.repo.LiveVisitOn(ctx, c.ID, in.Day)
		if err != nil {
			return nil, nil, err
		}
		if err := domain.JoinOnly(refusal, live); err != nil {
			return nil, nil, err
		}
		joinOnly, override = true, false
	}
	overrideBy := ""
	if override {
		overrideBy = caller.Subject
	}
	wi, r := domain.NewRequest(c, p, f, loc, joinOnly, overrideBy)
	wi.Resolved = rs.res // shared, read only
	return wi, r, nil
}

// Request asks for a visit to the customer on a day. The customer's Visit
// workflow for that day decides: booked, joined or offered another day.
func (s *Visits) Request(ctx context.Context, customerID string, in RequestInput, idemKey string) (Answer, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsWrite)
	if err != nil {
		return Answer{}, err
	}
	if err := domain.CheckIdempotencyKey(idemKey); err != nil {
		return Answer{}, err
	}
	c, err := s.customerOf(ctx, customerID, p.Scope())
	if err != nil {
		return Answer{}, err
	}
	wi, r, err := s.check(ctx, p, p, c, in)
	if err != nil {
		return Answer{}, err
	}
	wid := wfc.VisitWorkflowID(c.ID, in.Day)
	d, err := s.wf.Request(ctx, wi, r, UpdateID(idemKey, p.Subject, wid, wfc.UpdateVisitRequest))
	if err != nil {
		return Answer{}, err
	}
	return s.answer(ctx, d)
}

func (s *Visits) answer(ctx context.Context, d *visit.Decision) (Answer, error) {
	a := Answer{Outcome: d.Outcome, Role: d.Role, Repeat: d.Repeat, Message: d.Message, OfferedDay: d.OfferedDay}
	if d.VisitId != "" {
		v, err := s.view(ctx, d.VisitId, false)
		if err != nil {
			return Answer{}, err
		}
		a.Visit = &v
	}
	return a, nil
}

// Cancel cancels a booked visit (its booker or a manager): the day is free
// again and the other visitors are told.
func (s *Visits) Cancel(ctx context.Context, id, reason, idemKey string) (domain.View, error) {
	p, r, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return domain.View{}, err
	}
	if err := domain.MayChange(r, p, "cancel it"); err != nil {
		return domain.View{}, err
	}
	if err := domain.CheckReason(reason); err != nil {
		return domain.View{}, err
	}
	if err := domain.Cancellable(r); err != nil {
		return domain.View{}, err
	}
	if _, err := s.wf.Cancel(ctx, r.WorkflowID, &visit.Cancel{VisitId: id, Actor: p.Subject, Reason: reason},
		UpdateID(idemKey, p.Subject, r.WorkflowID, wfc.UpdateVisitCancel)); err != nil {
		return domain.View{}, err
	}
	return s.view(ctx, id, true)
}

// RescheduleInput moves a visit to another day.
type RescheduleInput struct {
	Day             string
	StartTime       string
	DurationMinutes int
	Join            bool
	Reason          string
	// AllowNonWorkingDay: see RequestInput.
	AllowNonWorkingDay bool
}

// Reschedule moves a booked visit: a request for the new day on the
// booker's behalf (same department and purpose), then — only if that booked
// or joined the new day — the old visit is cancelled as moved. An offer
// leaves the old visit as it is.
func (s *Visits) Reschedule(ctx context.Context, id string, in RescheduleInput, idemKey string) (Answer, error) {
	p, r, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return Answer{}, err
	}
	if err := domain.MayChange(r, p, "reschedule it"); err != nil {
		return Answer{}, err
	}
	if err := domain.CheckReason(in.Reason); err != nil {
		return Answer{}, err
	}
	if err := domain.Movable(r, in.Day); err != nil {
		return Answer{}, err
	}
	c, err := s.customers.Customer(ctx, r.CustomerID, auth.Scope{All: true})
	if err != nil {
		return Answer{}, err
	}
	wi, req, err := s.check(ctx, p, domain.Booker(r), c, RequestInput{Day: in.Day, Department: r.Department, Purpose: r.Purpose, StartTime: in.StartTime,
		DurationMinutes: in.DurationMinutes, Join: in.Join, AllowNonWorkingDay: in.AllowNonWorkingDay})
	if err != nil {
		return Answer{}, err
	}
	wid := wfc.VisitWorkflowID(c.ID, in.Day)
	d, err := s.wf.Request(ctx, wi, req, UpdateID(idemKey, p.Subject, wid, wfc.UpdateVisitRequest))
	if err != nil {
		return Answer{}, err
	}
	if d.Outcome != visit.OutcomeOffered {
		if _, err := s.wf.Cancel(ctx, r.WorkflowID, &visit.Cancel{VisitId: id, Actor: p.Subject, Reason: in.Reason, MovedTo: in.Day},
			UpdateID(idemKey, p.Subject, r.WorkflowID, wfc.UpdateVisitCancel)); err != nil {
			return Answer{}, err
		}
	}
	a, err := s.answer(ctx, d)
	if err == nil && d.Outcome != visit.OutcomeOffered {
		a.MovedFrom = id
	}
	return a, err
}

// Log records the visit's log (a visitor or a manager); it ends the
// visit-log follow-up. Refused before the visit's start.
func (s *Visits) Log(ctx context.Context, id string, in LogInput, idemKey string) (domain.View, error) {
	p, r, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return domain.View{}, err
	}
	if err := domain.CheckLog(in); err != nil {
		return domain.View{}, err
	}
	if !domain.Manages(p) {
		ps, err := s.repo.Participants(ctx, []string{id})
		if err != nil {
			return domain.View{}, err
		}
		if err := domain.MayLog(p, ps[id]); err != nil {
			return domain.View{}, err
		}
	}
	if err := domain.Loggable(r, s.now()); err != nil {
		return domain.View{}, err
	}
	if _, err := s.wf.Log(ctx, r.WorkflowID, &visit.Log{VisitId: id, Actor: p.Subject, Summary: strings.TrimSpace(in.Summary), Outcome: in.Outcome,
		NextStep: in.NextStep}, UpdateID(idemKey, p.Subject, r.WorkflowID, wfc.UpdateVisitLog)); err != nil {
		return domain.View{}, err
	}
	if s.closeCare != nil {
		// Best effort: a care follow-up left open is closed as answered by
		// the next care sweep (the visit moved the customer's last contact).
		_ = s.closeCare(ctx, []string{r.CustomerID}, p.Subject)
	}
	return s.view(ctx, id, true)
}
