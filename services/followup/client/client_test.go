package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
)

const shanghai = `{"name":"cn","time_zone":"Asia/Shanghai","week":{"monday":[{"start":"09:00","end":"18:00"}],
	"tuesday":[{"start":"09:00","end":"18:00"}]},"holidays":[{"name":"x","start":"2026-10-01","end":"2026-10-07"}]}`

// seen is one request the fake follow-up service received (each is
// recorded before its answer is written, so a test reads it after the call).
type seen struct {
	method, path, query, auth, body string
}

func fake(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) (*Client, *[]seen) {
	t.Helper()
	var (
		mu  sync.Mutex
		got []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), string(b)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL + "/"), &got
}

func caller() context.Context { return httpx.WithBearer(context.Background(), "Bearer tok-ana") }

func TestOpenFirstContactsAsTheCaller(t *testing.T) {
	c, got := fake(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"items":[{"id":"f1","kind":"first_contact","owner_id":"rep-ana","workflow_id":"Lead:l1",
			"due_at":"2026-05-04T10:00:00Z","links":{"self":"/v1/follow-ups/f1"},"policy":{"name":"p","version":2}}],"next_cursor":"abc"}`)
	})
	items, err := c.OpenFirstContacts(caller(), "c 1")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != "f1" || items[0].OwnerID != "rep-ana" || items[0].WorkflowID != "Lead:l1" ||
		!items[0].DueAt.Equal(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("items %+v", items)
	}
	r := (*got)[0]
	if r.method != "GET" || r.path != "/v1/follow-ups" || r.auth != "Bearer tok-ana" ||
		r.query != "customer_id=c+1&kind=first_contact&limit=50&state=open" {
		t.Fatalf("request %+v", r)
	}
}

func TestListWithoutCredentials(t *testing.T) {
	c, got := fake(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"items":null}`) })
	p, err := c.List(context.Background(), Filter{Team: "north", Cursor: "x"})
	if err != nil || p.Items == nil || len(p.Items) != 0 {
		t.Fatalf("page %+v, %v", p, err)
	}
	if r := (*got)[0]; r.auth != "" || r.query != "cursor=x&team=north" {
		t.Fatalf("request %+v", r)
	}
}

func TestComplete(t *testing.T) {
	c, got := fake(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"id":"f/1","kind":"first_contact","state":"done","owner_id":"rep-ana","closed_by":"rep-ana"}`)
	})
	f, err := c.Complete(caller(), "f/1", `called "them"`)
	if err != nil || f.State != "done" || f.ClosedBy == nil || *f.ClosedBy != "rep-ana" {
		t.Fatalf("%+v, %v", f, err)
	}
	r := (*got)[0]
	var body map[string]string
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || body["note"] != `called "them"` {
		t.Fatalf("body %q", r.body)
	}
	if r.method != "POST" || r.path != "/v1/follow-ups/f/1/complete" || r.auth != "Bearer tok-ana" {
		t.Fatalf("request %+v", r)
	}
}

func TestAssignedCalendar(t *testing.T) {
	c, got := fake(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"name":"cn-mainland","version":3,"spec_json":`+shanghai+`}`)
	})
	cal, err := c.AssignedCalendar(caller(), "north", "east & west")
	if err != nil {
		t.Fatal(err)
	}
	if cal.Name != "cn-mainland" || cal.Version != 3 || cal.Calendar == nil || cal.Calendar.Location().String() != "Asia/Shanghai" ||
		!json.Valid(cal.Spec) {
		t.Fatalf("calendar %+v", cal)
	}
	if r := (*got)[0]; r.path != "/v1/calendars/assigned" || r.query != "region=east+%26+west&team=north" || r.auth != "Bearer tok-ana" {
		t.Fatalf("request %+v", r)
	}
}

func TestAssignedCalendarThatDoesNotDecode(t *testing.T) {
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"name":"bad","version":1,"spec_json":{"name":"bad","time_zone":"Mars/Olympus"}}`)
	})
	_, err := c.AssignedCalendar(caller(), "", "")
	if e := apperr.From(err); e.Kind != apperr.KindUnavailable || e.Code != CodeUnavailable {
		t.Fatalf("err %v", err)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name         string
		status       int
		body         string
		kind         apperr.Kind
		code, msg    string
		fields       int
		wantHTTPCode int
	}{
		{"not found", 404, `{"code":"follow_up_not_found","message":"no such follow-up"}`, apperr.KindNotFound, "follow_up_not_found", "no such follow-up", 0, 404},
		{"rule", 422, `{"code":"already_closed","message":"this follow-up is already done"}`, apperr.KindRule, "already_closed", "this follow-up is already done", 0, 422},
		{"validation", 422, `{"code":"validation_failed","message":"the request has invalid fields","details":{"fields":[{"field":"note","code":"too_long","message":"at most 2000 characters"}]}}`,
			apperr.KindRule, "validation_failed", "the request has invalid fields", 1, 422},
		{"conflict", 409, `{"code":"idempotency_key_reused","message":"used"}`, apperr.KindConflict, "idempotency_key_reused", "used", 0, 409},
		{"forbidden", 403, `{"code":"forbidden","message":"no"}`, apperr.KindForbidden, "forbidden", "no", 0, 403},
		{"server error", 500, `{"code":"internal","message":"an internal error occurred"}`, apperr.KindUnavailable, CodeUnavailable, "", 0, 503},
		{"unavailable", 503, `{"code":"temporal_unavailable","message":"x"}`, apperr.KindUnavailable, CodeUnavailable, "", 0, 503},
		{"bad gateway, no body", 502, ``, apperr.KindUnavailable, CodeUnavailable, "", 0, 503},
		{"no such route", 404, `{"code":"route_not_found","message":"no route"}`, apperr.KindUnavailable, CodeUnavailable, "", 0, 503},
		{"credentials refused", 401, `{"code":"unauthenticated","message":"no"}`, apperr.KindUnavailable, CodeUnavailable, "", 0, 503},
		{"not JSON", 200, `<html>`, apperr.KindUnavailable, CodeUnavailable, "", 0, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			_, err := c.Complete(caller(), "f1", "")
			e := apperr.From(err)
			if e.Kind != tc.kind || e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) || len(e.Fields) != tc.fields {
				t.Fatalf("err %#v", e)
			}
			if st, _ := httpx.Body(err); st != tc.wantHTTPCode {
				t.Fatalf("status %d", st)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	c := New(base)
	for name, call := range map[string]func() error{
		"list":     func() error { _, err := c.OpenFirstContacts(caller(), "c1"); return err },
		"complete": func() error { _, err := c.Complete(caller(), "f1", "x"); return err },
		"calendar": func() error { _, err := c.AssignedCalendar(caller(), "t", "r"); return err },
	} {
		err := call()
		var e *apperr.Error
		if !errors.As(err, &e) || e.Kind != apperr.KindUnavailable || e.Code != CodeUnavailable || !strings.Contains(e.Message, "did not answer") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	c, _ := fake(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c.HTTP.Timeout = 50 * time.Millisecond
	_, err := c.AssignedCalendar(caller(), "t", "r")
	if e := apperr.From(err); e.Kind != apperr.KindUnavailable || e.Code != CodeUnavailable {
		t.Fatalf("err %v", err)
	}
}
