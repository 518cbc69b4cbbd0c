package customer_test

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/telemetry"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
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
var backends = testenv.Backends

// stack is the customer service with the follow-up service beside it, each
// on its own real database, with a real dev token issuer (stacktest).
type stack struct {
	*stacktest.Stack
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
}

func newStack(t testing.TB, dsn string, o stackOpts) *stack {
	t.Helper()
	// Waits for workflows are generous: a loaded CI machine must not turn
	// a slow answer into a failed test (a benchmark may set its own).
	decisionWait := os.Getenv("VISIT_DECISION_WAIT")
	if decisionWait == "" {
		decisionWait = "60s"
	}
	st := stacktest.New(t, dsn, stacktest.Opts{Temporal: o.temporal, Namespace: o.namespace, Telemetry: o.telemetry,
		CustomerEnv: map[string]string{"VISIT_DECISION_WAIT": decisionWait}})
	return &stack{Stack: st, t: t, base: st.Base, app: st.App, tokens: st.Tokens, issuer: st.Issuer}
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

// call sends a request as user (empty: no token) to the service owning path.
// body may be a string (sent verbatim), nil, or a value marshalled as JSON.
func (s *stack) call(method, path, user string, body any, headers ...string) response {
	s.t.Helper()
	r := s.Call(method, path, user, body, headers...)
	return response{status: r.Status, header: r.Header, body: r.Body}
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

// company returns a minimal valid create body with a unique name.
func company(extra map[string]any) map[string]any { return stacktest.Company(extra) }
