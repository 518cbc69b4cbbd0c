package client

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

func TestResolution(t *testing.T) {
	c, got := fake(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"assigned_calendar":"cn-mainland","at":"2026-10-08T01:00:00Z","next_change_at":"2026-10-09T00:00:00Z",
			"policies":[{"name":"visit.reminder_before","version":4,"value_json":{"timer":{"duration":"2h","clock":"elapsed"}},"effective_from":"2026-10-01T00:00:00Z"}],
			"calendars":[{"name":"other","version":1,"spec_json":{}},{"name":"cn-mainland","version":3,"spec_json":`+shanghai+`}]}`)
	})
	res, err := c.Resolution(caller(), "north", "east", "visit.reminder_before", "visit.log_deadline")
	if err != nil {
		t.Fatal(err)
	}
	if r := (*got)[0]; r.path != "/v1/resolution" || r.query != "policy=visit.reminder_before&policy=visit.log_deadline&region=east&team=north" || r.auth != "Bearer tok-ana" {
		t.Fatalf("request %+v", r)
	}
	if res.Calendar.Name != "cn-mainland" || res.Calendar.Version != 3 || res.Calendar.Calendar.Location().String() != "Asia/Shanghai" {
		t.Fatalf("calendar %+v", res.Calendar)
	}
	if !res.At.Equal(time.Date(2026, 10, 8, 1, 0, 0, 0, time.UTC)) || !res.NextChangeAt.Equal(time.Date(2026, 10, 9, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("at %v, next change %v", res.At, res.NextChangeAt)
	}
	r := res.Result
	if r.GetAssignedCalendar() != "cn-mainland" || len(r.GetPolicies()) != 1 || len(r.GetCalendars()) != 2 {
		t.Fatalf("result %v", r)
	}
	p := r.GetPolicies()[0]
	if p.GetName() != "visit.reminder_before" || p.GetVersion() != 4 || !json.Valid(p.GetValueJson()) ||
		!p.GetEffectiveFrom().AsTime().Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("policy %v", p)
	}
	if cal := r.GetCalendars()[1]; cal.GetName() != "cn-mainland" || cal.GetVersion() != 3 || !json.Valid(cal.GetSpecJson()) {
		t.Fatalf("calendar %v", cal)
	}
}

func TestResolutionWithoutItsCalendar(t *testing.T) {
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"assigned_calendar":"cn-mainland","at":"2026-10-08T01:00:00Z","policies":[],"calendars":[]}`)
	})
	_, err := c.Resolution(caller(), "", "")
	if e := apperr.From(err); e.Kind != apperr.KindUnavailable || e.Code != CodeUnavailable {
		t.Fatalf("err %v", err)
	}
}

func TestResolutionOfAnOlderService(t *testing.T) {
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"code":"not_found","message":"no such route"}`)
	})
	_, err := c.Resolution(caller(), "", "", "visit.reminder_before")
	if e := apperr.From(err); e.Kind != apperr.KindNotFound {
		t.Fatalf("err %v", err)
	}
}
