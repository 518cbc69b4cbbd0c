package campaigns_test

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

// fakeMarketing stands in for the marketing service's API, so the pages'
// tests choose exactly what the service answers (a campaign in any state,
// any figures, any refusal) and read exactly what the console sent.
type fakeMarketing struct {
	URL string

	mu          sync.Mutex
	campaigns   map[string]map[string]any
	evaluations map[string]map[string]any
	list        []map[string]any
	next        string
	costs       map[string]any
	enrolments  map[string]any
	preview     map[string]any
	candidates  map[string]any
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

func newFakeMarketing(t *testing.T) *fakeMarketing {
	f := &fakeMarketing{campaigns: map[string]map[string]any{}, evaluations: map[string]map[string]any{}, answers: map[string]answer{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// put makes campaign the one the service answers for its id, with its
// evaluation (nil: none).
func (f *fakeMarketing) put(campaign, evaluation map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := campaign["id"].(string)
	f.campaigns[id] = campaign
	f.evaluations[id] = evaluation
}

// setList makes items (and next, the next page's cursor) the answer of every list.
func (f *fakeMarketing) setList(next string, items ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list, f.next = items, next
}

// set makes page the answer of what ("costs", "enrolments", "preview",
// "candidates") for every campaign.
func (f *fakeMarketing) set(what string, page map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch what {
	case "costs":
		f.costs = page
	case "enrolments":
		f.enrolments = page
	case "preview":
		f.preview = page
	case "candidates":
		f.candidates = page
	}
}

// answer makes the service answer key ("POST /v1/campaigns/…") with status and body.
func (f *fakeMarketing) answer(key string, status int, body any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[key] = answer{status: status, body: body}
}

func (f *fakeMarketing) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers, f.sent = map[string]answer{}, nil
}

// requests are the requests sent so far with method to a path starting with prefix.
func (f *fakeMarketing) requests(method, prefix string) []sentRequest {
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

func (f *fakeMarketing) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	f.sent = append(f.sent, sentRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Idem: r.Header.Get("Idempotency-Key"), Body: body})
	a, canned := f.answers[r.Method+" "+r.URL.Path]
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/campaigns/"), "/")
	campaign, evaluation := f.campaigns[parts[0]], f.evaluations[parts[0]]
	list, next, costs, enrolments, preview, candidates := f.list, f.next, f.costs, f.enrolments, f.preview, f.candidates
	f.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	orEmpty := func(m map[string]any) map[string]any {
		if m == nil {
			return map[string]any{"items": []any{}}
		}
		return m
	}
	sub := ""
	if len(parts) == 2 {
		sub = parts[1]
	}
	switch {
	case r.Header.Get("Authorization") == "":
		reply(http.StatusUnauthorized, map[string]any{"code": "unauthenticated", "message": "a bearer token is required"})
	case canned:
		reply(a.status, a.body)
	case r.URL.Path == "/v1/winback/candidates":
		reply(http.StatusOK, orEmpty(candidates))
	case strings.HasPrefix(r.URL.Path, "/v1/opt-outs/") && r.Method == http.MethodPut:
		reply(http.StatusOK, map[string]any{"customer_id": strings.TrimPrefix(r.URL.Path, "/v1/opt-outs/"), "reason": body["reason"], "by": "x"})
	case r.URL.Path == "/v1/campaigns" && r.Method == http.MethodGet:
		page := map[string]any{"items": list, "can_plan": true}
		if next != "" {
			page["next_cursor"] = next
		}
		reply(http.StatusOK, page)
	case r.URL.Path == "/v1/campaigns":
		reply(http.StatusInternalServerError, map[string]any{"code": "internal", "message": "the fake plans no campaign unless told"})
	case !strings.HasPrefix(r.URL.Path, "/v1/campaigns/"):
		reply(http.StatusNotFound, map[string]any{"code": "not_found", "message": "not served by the fake"})
	case campaign == nil:
		reply(http.StatusNotFound, map[string]any{"code": "campaign_not_found", "message": "no such campaign"})
	case sub == "evaluation":
		reply(http.StatusOK, evaluation)
	case sub == "costs" && r.Method == http.MethodGet:
		if costs == nil {
			costs = map[string]any{"items": []any{}, "total": 0}
		}
		reply(http.StatusOK, costs)
	case sub == "costs":
		reply(http.StatusCreated, map[string]any{"id": "cost-1", "amount": body["amount"]})
	case sub == "enrolments" && r.Method == http.MethodGet:
		reply(http.StatusOK, orEmpty(enrolments))
	case sub == "enrolments":
		reply(http.StatusCreated, map[string]any{"campaign_id": parts[0], "customer_id": body["customer_id"], "group": "treated"})
	case sub == "preview":
		if preview == nil {
			preview = map[string]any{"count": 0, "holdout_estimate": 0, "sample": []any{}}
		}
		reply(http.StatusOK, preview)
	default:
		reply(http.StatusOK, campaign)
	}
}
