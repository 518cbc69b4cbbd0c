package httpx

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
)

type req struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	// At has its own decoder (RFC 3339), whose refusals are invalid_value.
	At *time.Time `json:"at"`
}

func serve(t *testing.T, body string, limit int64) (int, ErrorBody, req) {
	t.Helper()
	e := NewEngine(EngineOptions{MaxBodyBytes: limit})
	var got req
	e.POST("/x", func(c *gin.Context) {
		if err := Bind(c, &got); err != nil {
			WriteError(c, err)
			return
		}
		c.Status(204)
	})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	e.ServeHTTP(w, r)
	var eb ErrorBody
	if w.Code != 204 {
		if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil {
			t.Fatalf("error body is not JSON: %s", w.Body)
		}
	}
	return w.Code, eb, got
}

func TestBindStrict(t *testing.T) {
	cases := []struct {
		body   string
		status int
		code   string
		field  string
	}{
		{`{"name":"a","count":1}`, 204, "", ""},
		{`{"name":"a",`, 400, "malformed_json", ""},
		{`{"name":"a"} x`, 400, "malformed_json", ""},
		{`{"name":"a"}{"name":"b"}`, 400, "malformed_json", ""},
		{`{"nam":"a"}`, 400, "unknown_field", "nam"},
		{`{"count":"3"}`, 400, "invalid_type", "count"},
		{`[]`, 400, "invalid_type", "$"},
		{`{"at":"tomorrow"}`, 400, "invalid_value", ""},
		{``, 400, "empty_body", ""},
		{`{"name":"` + strings.Repeat("x", 100) + `"}`, 413, "body_too_large", ""},
	}
	for _, c := range cases {
		status, eb, _ := serve(t, c.body, 64)
		if status != c.status || eb.Code != c.code {
			t.Errorf("%.30q: got %d %q, want %d %q", c.body, status, eb.Code, c.status, c.code)
		}
		if c.field != "" {
			fields, _ := eb.Details["fields"].([]any)
			if len(fields) != 1 || fields[0].(map[string]any)["field"] != c.field {
				t.Errorf("%q: field details %v", c.body, eb.Details)
			}
		}
	}
}

func TestStatusMappingAndInternalErrorsHidden(t *testing.T) {
	want := map[apperr.Kind]int{
		apperr.KindInvalid: 400, apperr.KindUnauthenticated: 401, apperr.KindForbidden: 403, apperr.KindNotFound: 404,
		apperr.KindConflict: 409, apperr.KindTooLarge: 413, apperr.KindRule: 422, apperr.KindUnavailable: 503, apperr.KindMethodNotAllowed: 405, apperr.KindInternal: 500,
		apperr.KindTooManyRequests: 429,
	}
	for k, s := range want {
		if Status(k) != s {
			t.Errorf("kind %d → %d, want %d", k, Status(k), s)
		}
	}
	status, body := Body(apperr.Internal(errFake("pq: password authentication failed for user secret")))
	if status != 500 || strings.Contains(body.Message, "secret") || body.Code != "internal" {
		t.Fatalf("internal error leaked: %+v", body)
	}
	_, body = Body(errFake("plain error"))
	if body.Code != "internal" {
		t.Fatalf("untyped errors are internal: %+v", body)
	}
	conflict := apperr.Conflict("dup", "duplicate").With("existing_id", "42")
	status, body = Body(conflict)
	if status != 409 || body.Details["existing_id"] != "42" {
		t.Fatalf("meta not in details: %+v", body)
	}
}

type errFake string

func (e errFake) Error() string { return string(e) }

func TestNotFoundAndMethodNotAllowedAreJSON(t *testing.T) {
	e := NewEngine(EngineOptions{})
	e.GET("/only-get", func(c *gin.Context) { c.Status(200) })
	for _, tc := range []struct {
		method, path, code string
		status             int
	}{
		{"GET", "/nope", "route_not_found", 404},
		{"POST", "/only-get", "method_not_allowed", 405},
	} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		var eb ErrorBody
		_ = json.Unmarshal(w.Body.Bytes(), &eb)
		if w.Code != tc.status || eb.Code != tc.code {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, w.Code, w.Body)
		}
	}
}

func TestPanicsBecome500(t *testing.T) {
	e := NewEngine(EngineOptions{})
	e.GET("/boom", func(c *gin.Context) { panic("kaboom with secret") })
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestCursorAndLimit(t *testing.T) {
	type pos struct {
		V string `json:"v"`
		I string `json:"i"`
	}
	var p pos
	if err := DecodeCursor(EncodeCursor(pos{"a", "b"}), &p); err != nil || p.V != "a" {
		t.Fatal(err, p)
	}
	if err := DecodeCursor("!!", &p); apperr.From(err).Code != "invalid_cursor" {
		t.Fatal(err)
	}
	for raw, ok := range map[string]bool{"": true, "1": true, "200": true, "0": false, "201": false, "x": false, "-3": false} {
		if _, err := ParseLimit(raw); (err == nil) != ok {
			t.Errorf("limit %q: %v", raw, err)
		}
	}
}
