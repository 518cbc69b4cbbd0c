package app

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/services/followup/client"
	"github.com/closeloop/closeloop/workflows/policy"
)

// fakeCalendars answers AssignedCalendar and counts the calls.
type fakeCalendars struct {
	calls []string // team/region
	err   error
}

func (f *fakeCalendars) AssignedCalendar(_ context.Context, team, region string) (client.Calendar, error) {
	f.calls = append(f.calls, team+"/"+region)
	if f.err != nil {
		return client.Calendar{}, f.err
	}
	spec := []byte(`{"name":"cn","time_zone":"Asia/Shanghai","week":{"monday":[{"start":"09:00","end":"18:00"}]}}`)
	cal, err := policy.CalendarFromJSON(spec)
	return client.Calendar{Name: "cn", Version: 1, Spec: spec, Calendar: cal}, err
}

func TestCalendarOfIsCached(t *testing.T) {
	f := &fakeCalendars{}
	s := New(nil, nil, f, nil, Config{})
	north := domain.Customer{Team: "north", Region: "east"}
	for range 3 {
		cal, err := s.calendarOf(context.Background(), north)
		if err != nil || cal.Location().String() != "Asia/Shanghai" {
			t.Fatalf("%v, %v", cal, err)
		}
	}
	if _, err := s.calendarOf(context.Background(), domain.Customer{Team: "south", Region: "east"}); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 2 || f.calls[0] != "north/east" || f.calls[1] != "south/east" {
		t.Fatalf("calls %v", f.calls)
	}
}

func TestCalendarOfUnavailable(t *testing.T) {
	f := &fakeCalendars{err: apperr.Unavailable(client.CodeUnavailable, "the follow-up service did not answer; retry shortly")}
	s := New(nil, nil, f, nil, Config{})
	_, err := s.calendarOf(context.Background(), domain.Customer{Team: "north"})
	status, body := httpx.Body(err)
	if status != 503 || body.Code != "followup_service_unavailable" ||
		body.Message != "the customer's business calendar could not be read: the follow-up service did not answer; retry shortly" {
		t.Fatalf("%d %+v", status, body)
	}
	// A failure is not cached: the next request asks again.
	f.err = nil
	if _, err := s.calendarOf(context.Background(), domain.Customer{Team: "north"}); err != nil || len(f.calls) != 2 {
		t.Fatalf("%v, calls %v", err, f.calls)
	}
}

func TestCalendarOfPassesRefusalsOn(t *testing.T) {
	f := &fakeCalendars{err: apperr.Forbidden("forbidden", "no")}
	s := New(nil, nil, f, nil, Config{})
	_, err := s.calendarOf(context.Background(), domain.Customer{})
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

func (g *gatedCalendars) AssignedCalendar(ctx context.Context, team, region string) (client.Calendar, error) {
	<-g.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.calls) == 0 && g.firstErr != nil {
		g.calls = append(g.calls, team+"/"+region)
		return client.Calendar{}, g.firstErr
	}
	return g.fakeCalendars.AssignedCalendar(ctx, team, region)
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
			_, errs[i] = s.calendarOf(context.Background(), domain.Customer{Team: "north", Region: "east"})
		})
	}
	time.Sleep(100 * time.Millisecond) // let the burst arrive
	close(g.gate)
	wg.Wait()
	return errs
}

// TestCalendarOfBurstAsksOnce: a burst of visit requests for one team's
// customers on a cold cache asks the follow-up service once, not once per
// request (a thousand calls at once timed out together: 503s).
func TestCalendarOfBurstAsksOnce(t *testing.T) {
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

// TestCalendarOfSharedFailureIsNotAnothersAnswer: when the call made for a
// burst fails (the first caller's token, deadline or cancellation), every
// caller of the burst asks again as itself instead of taking that error.
func TestCalendarOfSharedFailureIsNotAnothersAnswer(t *testing.T) {
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
