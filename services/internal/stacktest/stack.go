// Package stacktest runs the customer and follow-up services in-process for
// end-to-end tests, as they run in production: each on its own database, the
// follow-up service looking customers up through the customer service's API
// and the customer service reading calendars and closing follow-ups through
// the follow-up service's, both verifying tokens of one dev issuer.
//
// Stack.Call sends each request to the service that owns its path, so a test
// reads as a user of the whole API would use it.
package stacktest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/telemetry"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer"
	"github.com/closeloop/closeloop/services/followup"
)

// Opts configure a stack.
type Opts struct {
	// Temporal is host:port; empty: an address nothing listens on (HTTP-only tests).
	Temporal  string
	Namespace string
	Telemetry *telemetry.Telemetry
	// CustomerEnv and FollowUpEnv add to (or override) each service's environment.
	CustomerEnv, FollowUpEnv map[string]string
	// FollowUpDSN is the follow-up service's database; empty: a new one of
	// the same kind as the customer service's.
	FollowUpDSN string
}

// Stack is one customer and one follow-up service with a dev token issuer.
type Stack struct {
	T            testing.TB
	Base         string // the customer service
	FollowUpBase string
	App          *service.App // the customer service
	FollowUp     *service.App
	Tokens       map[string]string // by subject
	Issuer       *devissuer.Issuer
}

// followUpPaths are the /v1 paths the follow-up service serves.
var followUpPaths = []string{"/v1/policies", "/v1/calendars", "/v1/resolution", "/v1/follow-ups", "/v1/notifications", "/v1/me/notification-preferences", "/v1/deliveries", "/v1/webhooks"}

// OwnsPath reports whether the follow-up service serves path.
func OwnsPath(path string) bool {
	for _, p := range followUpPaths {
		if path == p || strings.HasPrefix(path, p+"/") || strings.HasPrefix(path, p+"?") {
			return true
		}
	}
	return false
}

// New starts the stack on the customer database dsn.
func New(t testing.TB, dsn string, o Opts) *Stack {
	t.Helper()
	// The issuer URL must match the server it is served from.
	iss, issuerURL := StartIssuer(t)

	if o.Temporal == "" {
		o.Temporal = "127.0.0.1:1" // lazy client: never dialled by HTTP-only tests
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.FollowUpDSN == "" {
		if strings.HasPrefix(dsn, "sqlite") {
			o.FollowUpDSN = testenv.SQLite(t)
		} else {
			o.FollowUpDSN = testenv.Postgres(t)
		}
	}
	common := map[string]string{
		"OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": o.Temporal, "TEMPORAL_NAMESPACE": o.Namespace,
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s",
	}
	c, f := StartPair(t, common, Merge(map[string]string{"DATABASE_URL": dsn}, o.CustomerEnv),
		Merge(map[string]string{"DATABASE_URL": o.FollowUpDSN}, o.FollowUpEnv), service.Options{Telemetry: o.Telemetry})
	s := &Stack{T: t, Base: c.Base, FollowUpBase: f.Base, App: c.App, FollowUp: f.App, Tokens: map[string]string{}, Issuer: iss}
	for _, u := range devissuer.DevUsers() {
		tok, err := iss.Mint(u, "closeloop", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.Tokens[u.Subject] = tok
		// A first request puts the user in the customer service's user
		// directory, as signing in does: only known users can be given customers.
		if r := s.Call("GET", "/v1/abc/settings", u.Subject, nil); r.Status != http.StatusOK {
			t.Fatalf("first request of %s: %d %s", u.Subject, r.Status, r.Body)
		}
	}
	return s
}

// StartPair starts the customer and the follow-up service, each with common
// and its own environment (its DATABASE_URL at least), each told where the
// other is: the customer service gets a proxy that forwards to the follow-up
// service once it runs, since each needs the other's address before it starts.
func StartPair(t testing.TB, common, customerEnv, followUpEnv map[string]string, opts service.Options) (customerApp, followUpApp *servicetest.Running) {
	t.Helper()
	var target atomic.Pointer[url.URL]
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		if u := target.Load(); u != nil {
			r.SetURL(u)
		}
	}})
	t.Cleanup(proxy.Close)
	c := servicetest.Start(t, customer.Spec(), Merge(common, map[string]string{"FOLLOWUP_API_URL": proxy.URL}, customerEnv), opts)
	f := servicetest.Start(t, followup.Spec(), Merge(common, map[string]string{"CUSTOMER_API_URL": c.Base}, followUpEnv), opts)
	fu, err := url.Parse(f.Base)
	if err != nil {
		t.Fatal(err)
	}
	target.Store(fu)
	return c, f
}

// Merge is the maps' union, later ones winning: an environment with overrides.
func Merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Response is an answer of the API.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object, failing the test otherwise.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %s", r.Status, r.Body)
	}
	return m
}

// Code is the error code of a problem answer.
func (r Response) Code(t testing.TB) string {
	t.Helper()
	c, _ := r.JSON(t)["code"].(string)
	return c
}

// Fields is the field errors of a problem answer, field → code.
func (r Response) Fields(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	d, _ := r.JSON(t)["details"].(map[string]any)
	fs, _ := d["fields"].([]any)
	for _, f := range fs {
		m := f.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

// Call sends a request as user (empty: no token; a name not among the dev
// users is sent as a raw token) to the service owning path. body may be a
// string or []byte (sent verbatim), nil, or a value marshalled as JSON;
// headers are name, value pairs.
func (s *Stack) Call(method, path, user string, body any, headers ...string) Response {
	s.T.Helper()
	base := s.Base
	if OwnsPath(path) {
		base = s.FollowUpBase
	}
	tok := ""
	if user != "" {
		var ok bool
		if tok, ok = s.Tokens[user]; !ok {
			tok = user
		}
	}
	return Send(s.T, method, base+path, tok, body, headers...)
}

// Send sends a request to url with the bearer token (empty: none). body may
// be a string or []byte (sent verbatim), nil, or a value marshalled as JSON;
// headers are name, value pairs. A request that cannot be made fails t.
func Send(t testing.TB, method, url, token string, body any, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// Create makes a customer as user and returns its id, failing the test otherwise.
func (s *Stack) Create(user string, body map[string]any) string {
	s.T.Helper()
	r := s.Call("POST", "/v1/customers", user, body)
	if r.Status != http.StatusCreated {
		s.T.Fatalf("create %v: %d %s", body, r.Status, r.Body)
	}
	return r.JSON(s.T)["id"].(string)
}
