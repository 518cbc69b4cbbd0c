package visits

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/followup/client"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Config is the visit settings of the customer service.
type Config struct {
	// AllowNonWorkingDays lets visits be booked on days the customer's
	// business calendar has no working time (weekends, holidays) — never
	// silently: a manager or an admin must ask with allow_non_working_day,
	// and the override is recorded on the visit's timeline.
	AllowNonWorkingDays bool
	// DefaultStart is the start of a visit when the request names none, in
	// the customer's calendar time zone ("HH:MM").
	DefaultStart string
	// DefaultDuration is how long a visit lasts when the request says nothing.
	DefaultDuration time.Duration
}

// Calendars reads business calendars from the follow-up service, as the
// caller (client.Client; the context carries the caller's token).
type Calendars interface {
	// AssignedCalendar is the current calendar of a team, else of a
	// region, else the default one.
	AssignedCalendar(ctx context.Context, team, region string) (client.Calendar, error)
}

// Service is the visit use cases.
type Service struct {
	db        *gorm.DB
	store     *Store
	customers *adapters.Store
	calendars Calendars
	wf        Workflows
	cfg       Config
	now       func() time.Time
	closeCare func(ctx context.Context, customerIDs []string, by string) error

	mu   sync.Mutex
	cals map[string]cachedCalendar // by team and region
}

// New returns the service; cals reads the customers' business calendars.
func New(gdb *gorm.DB, customers *adapters.Store, cals Calendars, wf Workflows, cfg Config) *Service {
	if cfg.DefaultStart == "" {
		cfg.DefaultStart = "10:00"
	}
	if cfg.DefaultDuration <= 0 {
		cfg.DefaultDuration = time.Hour
	}
	return &Service{db: gdb, store: NewStore(gdb), customers: customers, calendars: cals, wf: wf, cfg: cfg,
		now: func() time.Time { return time.Now().UTC() }, cals: map[string]cachedCalendar{}}
}

// OnContact sets what closes a customer's care follow-up once a visit to it is
// logged (package care).
func (s *Service) OnContact(fn func(ctx context.Context, customerIDs []string, by string) error) {
	s.closeCare = fn
}

// Store returns the store the activities write through.
func (s *Service) Store() *Store { return s.store }

// RequestInput is a department's request for a visit.
type RequestInput struct {
	Day             string
	Department      string
	Purpose         string
	StartTime       string // "HH:MM" in the customer's time zone; "" = the default
	DurationMinutes int    // 0 = the default
	Join            bool
	// AllowNonWorkingDay asks for a booking on a day without working time
	// (a manager's or an admin's explicit override).
	AllowNonWorkingDay bool
}

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
	Visit *View `json:"visit,omitempty"`
	// MovedFrom is the cancelled visit of a reschedule.
	MovedFrom string `json:"moved_from,omitempty"`
}

// customerOf loads the customer within the caller's scope: unknown and
// invisible customers are both not found.
func (s *Service) customerOf(ctx context.Context, id string, scope auth.Scope) (adapters.CustomerRecord, error) {
	c, err := s.customers.GetCustomer(ctx, id, scope, false)
	if errors.Is(err, domain.ErrCustomerNotFound) {
		return c, domain.ErrCustomerNotFound
	}
	return c, err
}

// calendarTTL is how long the API reuses a calendar for the day rule:
// calendars change seldom, and under a burst of requests asking the
// follow-up service for each one would load it for nothing.
const calendarTTL = 5 * time.Second

type cachedCalendar struct {
	cal *calendar.Calendar
	at  time.Time
}

// calendarOf is the business calendar assigned to the customer's team or
// region (at most calendarTTL old), asked of the follow-up service as the
// caller. A follow-up service that does not answer is a 503
// (followup_service_unavailable): the request is refused, nothing stored.
func (s *Service) calendarOf(ctx context.Context, c adapters.CustomerRecord) (*calendar.Calendar, error) {
	key := c.Team + "\x00" + c.Region
	s.mu.Lock()
	hit, ok := s.cals[key]
	s.mu.Unlock()
	if ok && time.Since(hit.at) < calendarTTL {
		return hit.cal, nil
	}
	res, err := s.calendars.AssignedCalendar(ctx, c.Team, c.Region)
	if err != nil {
		if e := apperr.From(err); e.Kind == apperr.KindUnavailable {
			return nil, apperr.Unavailable(e.Code, "the customer's business calendar could not be read: "+e.Message).Wrap(err)
		}
		return nil, err
	}
	if res.Calendar == nil {
		return nil, errors.New("visits: the follow-up service answered no calendar")
	}
	s.mu.Lock()
	s.cals[key] = cachedCalendar{cal: res.Calendar, at: time.Now()}
	s.mu.Unlock()
	return res.Calendar, nil
}

// check validates a request for customer c by requester p, sent by caller
// (the requester, or the manager rescheduling for her), and builds it: the
// day rule (not in the past, at most two years ahead), and the rules for
// booking it — a working day or an allowed override, a visit that ends on
// its day, a start still ahead. These matter only when the request books the
// day: on a day with a booked visit the request joins it (keeping its start)
// or is offered another day, so there it is sent join-only. Nothing check
// refuses reaches a workflow.
func (s *Service) check(ctx context.Context, caller, p auth.Principal, c adapters.CustomerRecord, in RequestInput) (*visit.Input, *visit.Request, error) {
	var v apperr.Validation
	v.Check(visit.ValidDepartment(in.Department), "department", "invalid", "department must be one of "+strings.Join(visit.Departments(), ", "))
	purpose := strings.TrimSpace(in.Purpose)
	if v.Check(purpose != "", "purpose", "required", "say why the visit is needed") {
		v.Check(len([]rune(purpose)) <= 2000, "purpose", "too_long", "at most 2000 characters")
	}
	dur := s.cfg.DefaultDuration
	if in.DurationMinutes != 0 {
		v.Check(in.DurationMinutes >= 15 && in.DurationMinutes <= 600, "duration_minutes", "out_of_range", "between 15 and 600 minutes")
		dur = time.Duration(in.DurationMinutes) * time.Minute
	}
	startTime := in.StartTime
	if startTime == "" {
		startTime = s.cfg.DefaultStart
	}
	var clock calendar.Clock
	v.Check(clock.UnmarshalText([]byte(startTime)) == nil && clock < calendar.At(24, 0), "start_time", "invalid", "a time of day, HH:MM")
	if in.Day == "" {
		v.Add("day", "required", "the day of the visit, YYYY-MM-DD")
	} else if _, err := visit.ParseDay(in.Day, time.UTC); err != nil {
		v.Add("day", "invalid", err.Error())
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	cal, err := s.calendarOf(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	loc, now := cal.Location(), s.now()
	midnight, _ := visit.ParseDay(in.Day, loc)
	start := time.Date(midnight.Year(), midnight.Month(), midnight.Day(), int(clock)/60, int(clock)%60, 0, 0, loc)
	switch {
	case in.Day < visit.Today(now, loc):
		v.Add("day", visit.CodeInThePast, "the day has passed (today is "+visit.Today(now, loc)+" in "+loc.String()+")")
	case in.Day > visit.AddDays(visit.Today(now, loc), 730):
		v.Add("day", "out_of_range", "at most two years ahead")
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	// The rules for booking the day: a working day (or an allowed
	// override), a visit that ends on its day, a start still ahead.
	override, refusal := visit.CheckWorkingDay(cal, in.Day, visit.NonWorkingDay{Allowed: s.cfg.AllowNonWorkingDays,
		Asked: in.AllowNonWorkingDay, MayOverride: manages(caller)})
	if refusal == nil {
		refusal = visit.CheckSpan(in.Day, start, start.Add(dur), loc)
	}
	if refusal == nil && !now.Before(start) {
		refusal = &visit.Refusal{Code: visit.CodeInThePast, Field: "start_time",
			Message: "the visit would start in the past (" + start.In(loc).Format("15:04") + " " + loc.String() + ")"}
	}
	joinOnly := false
	if refusal != nil {
		// A day that holds a visit is not booked by this request: it joins
		// that visit (keeping its start) or is offered another day. Sent as
		// join-only, so that the workflow refuses it should the visit be
		// cancelled meanwhile.
		live, err := s.store.LiveVisitOn(ctx, c.ID, in.Day)
		if err != nil {
			return nil, nil, err
		}
		if !live || refusal.Code == visit.CodeInvalid {
			return nil, nil, refusalError(refusal)
		}
		joinOnly, override = true, false
	}
	nonWorkingDayBy := ""
	if override {
		nonWorkingDayBy = caller.Subject
	}
	team := c.Team
	if len(p.Teams) > 0 {
		team = p.Teams[0]
	}
	return &visit.Input{CustomerId: c.ID, Day: in.Day, Team: c.Team, Region: c.Region},
		&visit.Request{CustomerId: c.ID, Day: in.Day, RequesterId: p.Subject, Team: team, Department: in.Department, Purpose: purpose,
			StartAt: visit.Stamp(start), EndAt: visit.Stamp(start.Add(dur)), Join: in.Join, JoinOnly: joinOnly, NonWorkingDayBy: nonWorkingDayBy}, nil
}

// Request asks for a visit to the customer on a day. The customer's Visit
// workflow for that day decides: booked, joined or offered another day.
func (s *Service) Request(ctx context.Context, customerID string, in RequestInput, idemKey string) (Answer, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsWrite)
	if err != nil {
		return Answer{}, err
	}
	if len(idemKey) > 200 {
		var v apperr.Validation
		v.Add("Idempotency-Key", "too_long", "at most 200 characters")
		return Answer{}, v.Err()
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

func (s *Service) answer(ctx context.Context, d *visit.Decision) (Answer, error) {
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

// visible loads a visit whose customer the caller may see.
func (s *Service) visible(ctx context.Context, perm auth.Permission, id string) (auth.Principal, Row, error) {
	p, err := auth.Authorize(ctx, perm)
	if err != nil {
		return p, Row{}, err
	}
	r, err := s.store.Visit(ctx, id)
	if err != nil {
		return p, r, err
	}
	if _, err := s.customerOf(ctx, r.CustomerID, p.Scope()); errors.Is(err, domain.ErrCustomerNotFound) {
		return p, r, errNotFound
	} else if err != nil {
		return p, r, err
	}
	return p, r, nil
}

func manages(p auth.Principal) bool { return p.Has(auth.RoleManager) || p.Has(auth.RoleAdmin) }

// Cancel cancels a booked visit (its booker or a manager): the day is free
// again and the other visitors are told.
func (s *Service) Cancel(ctx context.Context, id, reason, idemKey string) (View, error) {
	p, r, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return View{}, err
	}
	if r.BookedBy != p.Subject && !manages(p) {
		return View{}, apperr.Forbidden("forbidden", "only the visit's booker or a manager may cancel it")
	}
	if err := checkReason(reason); err != nil {
		return View{}, err
	}
	if r.Status != visit.StatusBooked {
		// Its day's workflow may have ended: the stored record answers.
		return View{}, apperr.Rule(visit.CodeNotBooked, "no booked visit to cancel: this one is "+r.Status)
	}
	if _, err := s.wf.Cancel(ctx, r.WorkflowID, &visit.Cancel{VisitId: id, Actor: p.Subject, Reason: reason},
		UpdateID(idemKey, p.Subject, r.WorkflowID, wfc.UpdateVisitCancel)); err != nil {
		return View{}, err
	}
	return s.view(ctx, id, true)
}

func checkReason(reason string) error {
	var v apperr.Validation
	if v.Check(strings.TrimSpace(reason) != "", "reason", "required", "say why") {
		v.Check(len([]rune(reason)) <= 2000, "reason", "too_long", "at most 2000 characters")
	}
	return v.Err()
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
func (s *Service) Reschedule(ctx context.Context, id string, in RescheduleInput, idemKey string) (Answer, error) {
	p, r, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return Answer{}, err
	}
	if r.BookedBy != p.Subject && !manages(p) {
		return Answer{}, apperr.Forbidden("forbidden", "only the visit's booker or a manager may reschedule it")
	}
	if err := checkReason(in.Reason); err != nil {
		return Answer{}, err
	}
	if r.Status != visit.StatusBooked {
		return Answer{}, apperr.Rule(visit.CodeNotBooked, "only a booked visit can be moved; this one is "+r.Status)
	}
	if in.Day == r.Day {
		var v apperr.Validation
		v.Add("day", "unchanged", "the visit is already on "+r.Day)
		return Answer{}, v.Err()
	}
	c, err := s.customers.GetCustomer(ctx, r.CustomerID, auth.Scope{All: true}, false)
	if err != nil {
		return Answer{}, err
	}
	booker := auth.Principal{Subject: r.BookedBy, Teams: []string{r.Team}}
	wi, req, err := s.check(ctx, p, booker, c, RequestInput{Day: in.Day, Department: r.Department, Purpose: r.Purpose, StartTime: in.StartTime,
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

// LogInput is what a visit achieved.
type LogInput struct {
	Summary, Outcome, NextStep string
}

// Log records the visit's log (a visitor or a manager); it ends the
// visit-log follow-up. Refused before the visit's start.
func (s *Service) Log(ctx context.Context, id string, in LogInput, idemKey string) (View, error) {
	p, r, err := s.visible(ctx, auth.PermFollowupsWrite, id)
	if err != nil {
		return View{}, err
	}
	var v apperr.Validation
	if v.Check(strings.TrimSpace(in.Summary) != "", "summary", "required", "say what the visit achieved") {
		v.Check(len([]rune(in.Summary)) <= 4000, "summary", "too_long", "at most 4000 characters")
	}
	v.Check(len([]rune(in.Outcome)) <= 200, "outcome", "too_long", "at most 200 characters")
	v.Check(len([]rune(in.NextStep)) <= 2000, "next_step", "too_long", "at most 2000 characters")
	if err := v.Err(); err != nil {
		return View{}, err
	}
	if !manages(p) {
		ps, err := s.store.Participants(ctx, []string{id})
		if err != nil {
			return View{}, err
		}
		if !slices.ContainsFunc(ps[id], func(x ParticipantRow) bool { return x.UserID == p.Subject }) {
			return View{}, apperr.Forbidden("forbidden", "only a visitor of this visit or a manager may log it")
		}
	}
	switch {
	case r.Status == visit.StatusCancelled:
		return View{}, apperr.Rule(visit.CodeVisitNotHappened, "a log for a visit that did not happen: it was cancelled")
	case r.Status == visit.StatusDone:
		return View{}, apperr.Rule(visit.CodeAlreadyLogged, "the visit is already logged")
	case s.now().Before(r.StartAt):
		return View{}, apperr.Rule(visit.CodeVisitNotHappened, "a log for a visit that did not happen: it starts at "+r.StartAt.Format(time.RFC3339))
	}
	if _, err := s.wf.Log(ctx, r.WorkflowID, &visit.Log{VisitId: id, Actor: p.Subject, Summary: strings.TrimSpace(in.Summary), Outcome: in.Outcome,
		NextStep: in.NextStep}, UpdateID(idemKey, p.Subject, r.WorkflowID, wfc.UpdateVisitLog)); err != nil {
		return View{}, err
	}
	if s.closeCare != nil {
		// Best effort: a care follow-up left open is closed as answered by
		// the next care sweep (the visit moved the customer's last contact).
		_ = s.closeCare(ctx, []string{r.CustomerID}, p.Subject)
	}
	return s.view(ctx, id, true)
}
