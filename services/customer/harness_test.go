package customer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/telemetry"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer"
	"github.com/closeloop/closeloop/workflows"
)

// workerEnv, when set, makes the test binary run the workflow worker instead
// of the tests: TestVisitWorkerKilled starts it as a child process so it can
// kill it with SIGKILL (no separate build of the worker needed).
const workerEnv = "CLOSELOOP_CUSTOMER_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		service.Main(workflows.Spec())
		return
	}
	testenv.Main(m)
}

// backends lists the databases every storage-touching test runs on.
var backends = []struct {
	name string
	dsn  func(testing.TB) string
}{
	{"postgres", testenv.Postgres},
	{"sqlite", testenv.SQLite},
}

// stack is one customer service on a real database with a real dev token issuer.
type stack struct {
	t      testing.TB
	base   string
	app    *service.App
	tokens map[string]string // by subject
	issuer *devissuer.Issuer
}

type stackOpts struct {
	temporal  string // host:port; empty: an address nothing listens on (HTTP-only tests)
	namespace string
	telemetry *telemetry.Telemetry
	register  func(*service.App)
}

func newStack(t testing.TB, dsn string, o stackOpts) *stack {
	t.Helper()
	// The issuer URL must match the server it is served from.
	srv := httptest.NewUnstartedServer(nil)
	issuerURL := "http://" + srv.Listener.Addr().String()
	iss, err := devissuer.New(issuerURL)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	t.Cleanup(srv.Close)

	if o.temporal == "" {
		o.temporal = "127.0.0.1:1" // lazy client: never dialled by HTTP-only tests
	}
	if o.namespace == "" {
		o.namespace = "default"
	}
	// Waits for workflows are generous: a loaded CI machine must not turn
	// a slow answer into a failed test (a benchmark may set its own).
	decisionWait := os.Getenv("VISIT_DECISION_WAIT")
	if decisionWait == "" {
		decisionWait = "60s"
	}
	r := servicetest.Start(t, customer.Spec(), map[string]string{
		"DATABASE_URL": dsn, "OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": o.temporal, "TEMPORAL_NAMESPACE": o.namespace,
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s", "VISIT_DECISION_WAIT": decisionWait,
	}, service.Options{Telemetry: o.telemetry})
	app, addr := r.App, strings.TrimPrefix(r.Base, "http://")
	s := &stack{t: t, base: "http://" + addr, app: app, tokens: map[string]string{}, issuer: iss}
	for _, u := range devissuer.DevUsers() {
		tok, err := iss.Mint(u, "closeloop", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[u.Subject] = tok
		// A first request puts the user in the service's user directory, as
		// signing in does: only known users can be given customers.
		if r := s.call("GET", "/v1/abc/settings", u.Subject, nil); r.status != http.StatusOK {
			t.Fatalf("first request of %s: %d %s", u.Subject, r.status, r.body)
		}
	}
	return s
}

// Dev users (see devissuer.DevUsers).
const (
	repAna  = "rep-ana"     // rep, team north
	repBo   = "rep-bo"      // rep, team south
	mgrMia  = "mgr-mia"     // manager of north
	analyst = "analyst-ali" // analyst
	admin   = "admin-ada"   // admin
)

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %s", r.status, r.body)
	}
	return m
}

func (r response) code(t testing.TB) string {
	t.Helper()
	c, _ := r.json(t)["code"].(string)
	return c
}

// call sends a request as user (empty: no token). body may be a string (sent
// verbatim), nil, or a value marshalled as JSON.
func (s *stack) call(method, path, user string, body any, headers ...string) response {
	s.t.Helper()
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
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		tok, ok := s.tokens[user]
		if !ok {
			tok = user // a raw token
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// create makes a customer as user and returns its id, failing the test otherwise.
func (s *stack) create(user string, body map[string]any) string {
	s.t.Helper()
	r := s.call("POST", "/v1/customers", user, body)
	if r.status != http.StatusCreated {
		s.t.Fatalf("create %v: %d %s", body, r.status, r.body)
	}
	return r.json(s.t)["id"].(string)
}

var seq int

// company returns a minimal valid create body with a unique name.
func company(extra map[string]any) map[string]any {
	seq++
	b := map[string]any{"name": fmt.Sprintf("Company %d %d", os.Getpid(), seq), "region": "north", "industry": "steel"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}
