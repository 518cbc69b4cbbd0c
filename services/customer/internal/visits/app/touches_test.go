package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/visit"
)

// touchRepo answers what ForTouches reads: the participants earlier
// requests added, and visits by id.
type touchRepo struct {
	Repository
	had    map[string]*domain.Participant
	visits map[string]domain.Visit
}

func (r *touchRepo) RequestedVisits(_ context.Context, _, _ []string) (map[string]*domain.Participant, error) {
	return r.had, nil
}

func (r *touchRepo) Visit(_ context.Context, id string) (domain.Visit, error) {
	if v, ok := r.visits[id]; ok {
		return v, nil
	}
	return domain.Visit{}, domain.ErrNotFound
}

type touchCustomers map[string]domain.Customer

func (c touchCustomers) Customer(_ context.Context, id string, _ auth.Scope) (domain.Customer, error) {
	if x, ok := c[id]; ok {
		return x, nil
	}
	return domain.Customer{}, custdomain.ErrCustomerNotFound
}

// touchWorkflows answers requests by customer: a decision or an error.
type touchWorkflows struct {
	Workflows
	mu       sync.Mutex
	answers  map[string]func(*visit.Request) (*visit.Decision, error)
	requests []*visit.Request
	ids      []string
}

func (w *touchWorkflows) Request(_ context.Context, _ *visit.Input, r *visit.Request, updateID string) (*visit.Decision, error) {
	w.mu.Lock()
	w.requests, w.ids = append(w.requests, r), append(w.ids, updateID)
	w.mu.Unlock()
	return w.answers[r.CustomerId](r)
}

type terms struct{ t *followupv1.CareTerms }

func (t terms) Terms(context.Context) (*followupv1.CareTerms, time.Time, error) {
	return t.t, time.Unix(1, 0), nil
}

// TestForTouches: each touch is asked for on its due day, as its assignee,
// willing to join, under its own update id; the workflow's answer is read
// for the plan — booked, joined, refused (no visit) — and a failure to
// retry is the call's error. A touch whose request was decided before is
// answered from the store; one whose customer is gone, or that has no
// calendar assigned, has no visit; before any calendar is known, touches
// wait.
func TestForTouches(t *testing.T) {
	cal := []byte(`{"name":"standard","time_zone":"UTC","week":{"monday":[{"start":"09:00","end":"17:00"}],"tuesday":[{"start":"09:00","end":"17:00"}],` +
		`"wednesday":[{"start":"09:00","end":"17:00"}],"thursday":[{"start":"09:00","end":"17:00"}],"friday":[{"start":"09:00","end":"17:00"}]}}`)
	stored := terms{&followupv1.CareTerms{Calendars: []*followupv1.ResolvedCalendar{{Name: "standard", Version: 1, SpecJson: cal}},
		Assignments: []*followupv1.CalendarAssignment{{Scope: "region", Value: "east", Calendar: "standard"}}}}
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	day := "2026-03-06" // a Friday
	visits := map[string]domain.Visit{
		"v-free": {ID: "v-free", Day: day, StartAt: at(day + "T10:00:00Z"), EndAt: at(day + "T11:00:00Z"), BookedBy: "rep-ana", Department: "marketing"},
		"v-held": {ID: "v-held", Day: day, StartAt: at(day + "T14:30:00Z"), EndAt: at(day + "T15:30:00Z"), BookedBy: "tech-tim", Department: "service"},
		"v-old":  {ID: "v-old", Day: "2026-03-05", StartAt: at("2026-03-05T10:00:00Z"), EndAt: at("2026-03-05T11:00:00Z"), BookedBy: "rep-ana", Department: "marketing"},
	}
	customers := touchCustomers{}
	for _, c := range []string{"free", "held", "over", "down", "again", "nocal"} {
		customers[c] = domain.Customer{ID: c, Team: "north", Region: "east"}
	}
	customers["nocal"] = domain.Customer{ID: "nocal", Team: "north", Region: "west"}
	wf := &touchWorkflows{answers: map[string]func(*visit.Request) (*visit.Decision, error){
		"free": func(r *visit.Request) (*visit.Decision, error) {
			return &visit.Decision{Outcome: visit.OutcomeBooked, Role: visit.RoleBooker, VisitId: "v-free", Day: r.Day}, nil
		},
		"held": func(r *visit.Request) (*visit.Decision, error) {
			return &visit.Decision{Outcome: visit.OutcomeJoined, Role: visit.RoleJoined, VisitId: "v-held", Day: r.Day}, nil
		},
		"over": func(*visit.Request) (*visit.Decision, error) {
			return nil, apperr.Rule(visit.CodeVisitOver, "the visit of that day is over")
		},
	}}
	repo := &touchRepo{had: map[string]*domain.Participant{domain.TouchUpdateID("plan-again"): {VisitID: "v-old", Role: domain.RoleBooker}}, visits: visits}
	s := New(repo, customers, nil, wf, Config{DefaultStart: "10:00", DefaultDuration: time.Hour})
	s.now = func() time.Time { return at("2026-03-02T08:00:00Z") }
	s.UseStoredCalendars(stored)

	touch := func(customer string) domain.TouchRequest {
		return domain.TouchRequest{TouchID: "plan-" + customer, CustomerID: customer, AssigneeID: "rep-ana", Department: "marketing",
			Purpose: "Drive: visit", PlannedAt: at("2026-03-02T09:00:00Z"), DueAt: at("2026-03-06T17:00:00Z")}
	}
	ts := []domain.TouchRequest{touch("free"), touch("held"), touch("over"), touch("gone"), touch("again"), touch("nocal")}
	got := make([]domain.TouchAnswer, len(ts))
	if err := s.ForTouches(context.Background(), ts, func(i int, a domain.TouchAnswer) error { got[i] = a; return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Visit booked for 2026-03-06 10:00–11:00 UTC (visit v-free).",
		"Visit joined: tech-tim (service) holds 2026-03-06 14:30–15:30 UTC, one visit per customer and day, so the touch joins that visit (visit v-held).",
		"No visit booked: the visit of that day is over.",
		"No visit booked: the customer is deleted.",
		"Visit booked for 2026-03-05 10:00–11:00 UTC (visit v-old).",
		"No visit booked: no business calendar is assigned to the customer's team, its region or as default.",
	}
	for i := range want {
		if got[i].Sentence != want[i] {
			t.Errorf("%s: %q, want %q", ts[i].CustomerID, got[i].Sentence, want[i])
		}
	}
	if !got[0].Booked() || !got[1].Booked() || got[2].Booked() || got[3].Booked() || got[4].VisitID != "v-old" || got[5].Booked() {
		t.Fatalf("answers %+v", got)
	}
	// Asked: the three with a calendar and no decision yet, each on its day
	// (its place among the week's days that fit) as the assignee, willing to
	// join, under its own update id.
	if len(wf.requests) != 3 {
		t.Fatalf("requests %v", wf.requests)
	}
	week, err := policy.CalendarFromJSON(cal)
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]bool{}
	for i, r := range wf.requests {
		want, _, _ := domain.TouchDay(at("2026-03-02T09:00:00Z"), at("2026-03-06T17:00:00Z"), week, s.cfg, domain.TouchPlace("plan-"+r.CustomerId))
		days[r.Day] = true
		if r.Day != want || r.Day < "2026-03-02" || r.Day > day || r.RequesterId != "rep-ana" || r.Department != "marketing" || !r.Join || r.Team != "north" ||
			wf.ids[i] != domain.TouchUpdateID("plan-"+r.CustomerId) {
			t.Errorf("request %v under %s", r, wf.ids[i])
		}
	}

	if len(days) < 2 {
		t.Errorf("the three touches all asked for %v: their days are not spread", days)
	}
	// A failure to retry is the call's error, not an answer.
	wf.answers["down"] = func(*visit.Request) (*visit.Decision, error) {
		return nil, apperr.Unavailable("workflow_unavailable", "the workflow engine is unavailable; retry shortly")
	}
	answered := 0
	err = s.ForTouches(context.Background(), []domain.TouchRequest{touch("down")}, func(int, domain.TouchAnswer) error { answered++; return nil })
	if e := apperr.From(err); e.Code != "workflow_unavailable" || answered != 0 {
		t.Fatalf("%v, %d answered", err, answered)
	}
	// Before any care sweep passed calendars: every touch waits.
	s.UseStoredCalendars(terms{})
	err = s.ForTouches(context.Background(), []domain.TouchRequest{touch("free")}, func(int, domain.TouchAnswer) error { answered++; return nil })
	if !errors.Is(err, domain.ErrCalendarsUnknown) || answered != 0 || !strings.Contains(err.Error(), "care sweep") {
		t.Fatalf("%v, %d answered", err, answered)
	}
}
