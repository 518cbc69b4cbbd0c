package slips_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeService stands in for the after-sales service's slips API, so the
// pages' tests choose exactly what the service answers (a slip in any
// state, any refusal) and read exactly what the console sent.
type fakeService struct {
	URL string

	mu    sync.Mutex
	slips map[string]map[string]any
	list  []map[string]any
	// answers are canned answers by "METHOD /path" (status and body);
	// anything else is answered as the service would when all is well.
	answers map[string]answer
	sent    []sentRequest
}

type answer struct {
	status int
	body   any
}

// sentRequest is one request the console sent.
type sentRequest struct {
	Method, Path string
	Query        url.Values
	Idem         string
	Body         map[string]any
}

func newFakeService(t *testing.T) *fakeService {
	f := &fakeService{slips: map[string]map[string]any{}, answers: map[string]answer{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// put makes slip the one the service answers for its id.
func (f *fakeService) put(slip map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slips[slip["id"].(string)] = slip
}

// setList makes items the answer of every list of slips.
func (f *fakeService) setList(items ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = items
}

// answer makes the service answer key ("POST /v1/slips/…") with status and body.
func (f *fakeService) answer(key string, status int, body any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[key] = answer{status, body}
}

func (f *fakeService) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers, f.sent = map[string]answer{}, nil
}

// requests are the requests sent so far with method to a path starting with prefix.
func (f *fakeService) requests(method, prefix string) []sentRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sentRequest
	for _, r := range f.sent {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeService) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	f.sent = append(f.sent, sentRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Idem: r.Header.Get("Idempotency-Key"), Body: body})
	a, canned := f.answers[r.Method+" "+r.URL.Path]
	list := f.list
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/slips/"), "/")
	slip := f.slips[parts[0]]
	f.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Header.Get("Authorization") == "":
		reply(http.StatusUnauthorized, map[string]any{"code": "unauthenticated", "message": "a bearer token is required"})
	case canned:
		reply(a.status, a.body)
	case !strings.HasPrefix(r.URL.Path, "/v1/slips"):
		reply(http.StatusNotFound, map[string]any{"code": "not_found", "message": "not served by the fake"})
	case r.URL.Path == "/v1/slips" && r.Method == http.MethodGet:
		reply(http.StatusOK, map[string]any{"items": list})
	case r.URL.Path == "/v1/slips":
		reply(http.StatusInternalServerError, map[string]any{"code": "internal", "message": "the fake sends no slip unless told"})
	case slip == nil:
		reply(http.StatusNotFound, map[string]any{"code": "slip_not_found", "message": "no such slip"})
	case len(parts) == 2 && parts[1] == "timeline":
		reply(http.StatusOK, map[string]any{"items": []any{
			map[string]any{"id": "e1", "kind": "created", "actor": slip["originator_id"], "at": "2026-03-02T01:00:00Z", "body": slip["subject"]},
			map[string]any{"id": "e2", "kind": "forwarded", "actor": "rep-cy", "at": "2026-03-02T02:00:00Z", "recipient": 3, "to": "4",
				"body": "better placed in south"},
		}})
	default:
		reply(http.StatusOK, slip)
	}
}
