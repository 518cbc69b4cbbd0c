package app

import (
	"context"
	"testing"

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
