package notices_test

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

// fakeService stands in for the after-sales service's notices API, so the
// pages' tests choose exactly what the service answers (a notice in any
// state, any receipts, any refusal) and read exactly what the console sent.
type fakeService struct {
	URL string

	mu       sync.Mutex
	notices  map[string]map[string]any
	list     []map[string]any
	next     string
	receipts map[string]any
	// answers are canned answers by "METHOD /path" (status and body);
	// anything else is answered as the service would when all is well.
	answers map[string]answer
	sent    []sentRequest
}

type answer struct {
	status int
	body   any
	header map[string]string
}

// sentRequest is one request the console sent.
type sentRequest struct {
	Method, Path string
	Query        url.Values
	Idem         string
	Body         map[string]any
}

func newFakeService(t *testing.T) *fakeService {
	f := &fakeService{notices: map[string]map[string]any{}, answers: map[string]answer{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// put makes notice the one the service answers for its id.
func (f *fakeService) put(notice map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notices[notice["id"].(string)] = notice
}

// setList makes items (and next, the next page's cursor) the answer of every box.
func (f *fakeService) setList(next string, items ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list, f.next = items, next
}

// setReceipts makes page the answer of every notice's receipts.
func (f *fakeService) setReceipts(page map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.receipts = page
}

// answer makes the service answer key ("POST /v1/notices/…") with status and body.
func (f *fakeService) answer(key string, status int, body any, header ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := answer{status: status, body: body, header: map[string]string{}}
	for i := 0; i+1 < len(header); i += 2 {
		a.header[header[i]] = header[i+1]
	}
	f.answers[key] = a
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
	list, next, receipts := f.list, f.next, f.receipts
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/notices/"), "/")
	notice := f.notices[parts[0]]
	f.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Header.Get("Authorization") == "":
		reply(http.StatusUnauthorized, map[string]any{"code": "unauthenticated", "message": "a bearer token is required"})
	case canned:
		reply(a.status, a.body)
	case !strings.HasPrefix(r.URL.Path, "/v1/notices"):
		reply(http.StatusNotFound, map[string]any{"code": "not_found", "message": "not served by the fake"})
	case r.URL.Path == "/v1/notices" && r.Method == http.MethodGet:
		page := map[string]any{"items": list}
		if next != "" {
			page["next_cursor"] = next
		}
		reply(http.StatusOK, page)
	case r.URL.Path == "/v1/notices":
		reply(http.StatusInternalServerError, map[string]any{"code": "internal", "message": "the fake writes no notice unless told"})
	case notice == nil:
		reply(http.StatusNotFound, map[string]any{"code": "notice_not_found", "message": "no such notice"})
	case len(parts) == 2 && parts[1] == "receipts":
		reply(http.StatusOK, receipts)
	default:
		reply(http.StatusOK, notice)
	}
}
