package app

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/services/followup/client"
	"github.com/closeloop/closeloop/workflows/policy"
)

// fakeCalendars answers Resolution (or, as an older follow-up service,
// 404 to it and AssignedCalendar) and counts the calls.
type fakeCalendars struct {
	calls []string // team/region, with "assigned:" in front for AssignedCalendar
	err   error
	old   bool          // Resolution is NotFound
	next  time.Duration // a scheduled version comes into force this long after the answer
}

func (f *fakeCalendars) Resolution(_ context.Context, team, region string, policies ...string) (client.Resolution, error) {
	if f.old {
		return client.Resolution{}, apperr.NotFound("not_found", "no route")
	}
	f.calls = append(f.calls, team+"/"+region)
	if f.err != nil {
		return client.Resolution{}, f.err
	}
	cal, err := fakeCalendar()
	at := time.Date(2026, 10, 8, 1, 0, 0, 0, time.UTC) // another clock than the test's
	r := client.Resolution{Calendar: cal, At: at, Result: &followupv1.ResolvePoliciesResult{AssignedCalendar: cal.Name,
		Calendars: []*followupv1.ResolvedCalendar{{Name: cal.Name, Version: cal.Version, SpecJson: cal.Spec}}}}
	for _, p := range policies {
		r.Result.Policies = append(r.Result.Policies, &followupv1.ResolvedPolicy{Name: p, Version: 2, ValueJson: []byte(`{"timer":{"duration":"2h","clock":"calendar"}}`)})
	}
	if f.next > 0 {
		r.NextChangeAt = at.Add(f.next)
	}
	return r, err
}

func (f *fakeCalendars) AssignedCalendar(_ context.Context, team, region string) (client.Calendar, error) {
	f.calls = append(f.calls, "assigned:"+team+"/"+region)
	if f.err != nil {
		return client.Calendar{}, f.err
	}
	return fakeCalendar()
}

func fakeCalendar() (client.Calendar, error) {
	spec := []byte(`{"name":"cn","time_zone":"Asia/Shanghai","week":{"monday":[{"start":"09:00","end":"18:00"}]}}`)
	cal, err := policy.CalendarFromJSON(spec)
	return client.Calendar{Name: "cn", Version: 1, Spec: spec, Calendar: cal}, err
}

func TestResolutionOfIsCached(t *testing.T) {
	f := &fakeCalendars{}
	s := New(nil, nil, f, nil, Config{})
	north := domain.Customer{Team: "north", Region: "east"}
	for range 3 {
		r, err := s.resolutionOf(context.Background(), north)
		if err != nil || r.cal.Location().String() != "Asia/Shanghai" {
			t.Fatalf("%v, %v", r.cal, err)
		}
		if p := r.res.GetPolicies(); len(p) != 1 || p[0].GetName() != policy.VisitReminder || r.res.GetAssignedCalendar() != "cn" {
			t.Fatalf("resolution %v", r.res)
		}
	}
	if _, err := s.resolutionOf(context.Background(), domain.Customer{Team: "south", Region: "east"}); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 2 || f.calls[0] != "north/east" || f.calls[1] != "south/east" {
		t.Fatalf("calls %v", f.calls)
	}
}

// TestResolutionOfNotPastAScheduledChange: a reminder policy version
// scheduled to come into force before the cache would expire ends the
// reuse then (measured on the follow-up service's clock from its answer).
func TestResolutionOfNotPastAScheduledChange(t *testing.T) {
	f := &fakeCalendars{next: 100 * time.Millisecond}
	s := New(nil, nil, f, nil, Config{})
	north := domain.Customer{Team: "north", Region: "east"}
	if _, err := s.resolutionOf(context.Background(), north); err != nil {
		t.Fatal(err)
	}
	if _, err := s.resolutionOf(context.Background(), north); err != nil || len(f.calls) != 1 {
		t.Fatalf("%v, calls %v: not reused before the change", err, f.calls)
	}
	time.Sleep(150 * time.Millisecond)
	if _, err := s.resolutionOf(context.Background(), north); err != nil || len(f.calls) != 2 {
		t.Fatalf("%v, calls %v: reused past the change", err, f.calls)
	}
}

// TestResolutionOfAnOlderFollowUpService: a follow-up service without GET
// /v1/resolution (a rolling upgrade) gives the calendar alone; the request
// goes without a resolution and its workflow resolves itself.
func TestResolutionOfAnOlderFollowUpService(t *testing.T) {
	f := &fakeCalendars{old: true}
	s := New(nil, nil, f, nil, Config{})
	r, err := s.resolutionOf(context.Background(), domain.Customer{Team: "north", Region: "east"})
	if err != nil || r.cal.Location().String() != "Asia/Shanghai" || r.res != nil {
		t.Fatalf("%+v, %v", r, err)
	}
	if len(f.calls) != 1 || f.calls[0] != "assigned:north/east" {
		t.Fatalf("calls %v", f.calls)
	}
}

func TestResolutionOfUnavailable(t *testing.T) {
	f := &fakeCalendars{err: apperr.Unavailable(client.CodeUnavailable, "the follow-up service did not answer; retry shortly")}
	s := New(nil, nil, f, nil, Config{})
	_, err := s.resolutionOf(context.Background(), domain.Customer{Team: "north"})
	status, body := httpx.Body(err)
	if status != 503 || body.Code != "followup_service_unavailable" ||
		body.Message != "the customer's business calendar could not be read: the follow-up service did not answer; retry shortly" {
		t.Fatalf("%d %+v", status, body)
	}
	// A failure is not cached: the next request asks again.
	f.err = nil
	if _, err := s.resolutionOf(context.Background(), domain.Customer{Team: "north"}); err != nil || len(f.calls) != 2 {
		t.Fatalf("%v, calls %v", err, f.calls)
	}
}

func TestResolutionOfPassesRefusalsOn(t *testing.T) {
	f := &fakeCalendars{err: apperr.Forbidden("forbidden", "no")}
	s := New(nil, nil, f, nil, Config{})
	_, err := s.resolutionOf(context.Background(), domain.Customer{})
	if e := apperr.From(err); e.Kind != apperr.KindForbidden || e.Code != "forbidden" {
		t.Fatalf("%v", err)
	}
}

// gatedCalendars is fakeCalendars for concurrent callers: each call waits
// for the gate; the first one fails with firstErr.
type gatedCalendars struct {
	fakeCalendars
	mu       sync.Mutex
	gate     chan struct{}
	firstErr error
}

func (g *gatedCalendars) Resolution(ctx context.Context, team, region string, policies ...string) (client.Resolution, error) {
	<-g.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.calls) == 0 && g.firstErr != nil {
		g.calls = append(g.calls, team+"/"+region)
		return client.Resolution{}, g.firstErr
	}
	return g.fakeCalendars.Resolution(ctx, team, region, policies...)
}

// calendarBurst sends n requests for one team and region at once on a cold
// cache and returns their errors.
func calendarBurst(t *testing.T, g *gatedCalendars, n int) []error {
	t.Helper()
	s := New(nil, nil, g, nil, Config{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.resolutionOf(context.Background(), domain.Customer{Team: "north", Region: "east"})
		})
	}
	time.Sleep(100 * time.Millisecond) // let the burst arrive
	close(g.gate)
	wg.Wait()
	return errs
}

// TestResolutionOfBurstAsksOnce: a burst of visit requests for one team's
// customers on a cold cache asks the follow-up service once, not once per
// request (a thousand calls at once timed out together: 503s).
func TestResolutionOfBurstAsksOnce(t *testing.T) {
	g := &gatedCalendars{gate: make(chan struct{})}
	for i, err := range calendarBurst(t, g, 200) {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if len(g.calls) != 1 {
		t.Fatalf("%d calls to the follow-up service for one team and region, want 1", len(g.calls))
	}
}

// TestResolutionOfSharedFailureIsNotAnothersAnswer: when the call made for a
// burst fails (the first caller's token, deadline or cancellation), every
// caller of the burst asks again as itself instead of taking that error.
func TestResolutionOfSharedFailureIsNotAnothersAnswer(t *testing.T) {
	g := &gatedCalendars{gate: make(chan struct{}), firstErr: apperr.Unavailable(client.CodeUnavailable, "timed out")}
	for i, err := range calendarBurst(t, g, 20) {
		if err != nil {
			t.Errorf("request %d took the shared call's error: %v", i, err)
		}
	}
	if len(g.calls) < 2 {
		t.Fatalf("calls %v: nobody asked again", g.calls)
	}
}
