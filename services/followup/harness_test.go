package followup_test

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/faults"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/telemetry"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/followup"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// followUpProcessEnv makes the test binary, run again by a test, the
// follow-up service (notify_kill_test.go), armed to kill itself at the
// fault point $CLOSELOOP_FAULT if set.
const followUpProcessEnv = "CLOSELOOP_TEST_FOLLOWUP_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(followUpProcessEnv) == "1" {
		if f := os.Getenv("CLOSELOOP_FAULT"); f != "" {
			faults.KillAt(f)
		}
		service.Main(followup.Spec())
		return
	}
	testenv.Main(m)
}

// backends lists the databases every storage-touching test runs on.
var backends = testenv.Backends

// stack is the follow-up service with the customer service beside it, each
// on its own real database, with a real dev token issuer (stacktest). app is
// the follow-up service: its database holds the follow-ups.
type stack struct {
	*stacktest.Stack
	t   testing.TB
	app *service.App
}

type stackOpts struct {
	temporal  string // host:port; empty: an address nothing listens on (HTTP-only tests)
	namespace string
	telemetry *telemetry.Telemetry
	env       map[string]string // the follow-up service's, added to the defaults
	// followUpDSN is the follow-up service's database; empty: a new one.
	followUpDSN string
}

func newStack(t testing.TB, dsn string, o stackOpts) *stack {
	t.Helper()
	st := stacktest.New(t, dsn, stacktest.Opts{Temporal: o.temporal, Namespace: o.namespace, Telemetry: o.telemetry, FollowUpEnv: o.env, FollowUpDSN: o.followUpDSN})
	return &stack{Stack: st, t: t, app: st.FollowUp}
}

// Dev users (see devissuer.DevUsers).
const (
	repAna  = stacktest.RepAna
	repBo   = stacktest.RepBo
	mgrMia  = stacktest.MgrMia
	analyst = stacktest.Analyst
	admin   = stacktest.Admin
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

// call sends a request as user (empty: no token) to the service owning path.
func (s *stack) call(method, path, user string, body any, headers ...string) response {
	s.t.Helper()
	r := s.Call(method, path, user, body, headers...)
	return response{status: r.Status, header: r.Header, body: r.Body}
}

func (s *stack) create(user string, body map[string]any) string { return s.Create(user, body) }

func company(extra map[string]any) map[string]any { return stacktest.Company(extra) }

func eventually(t testing.TB, what string, d time.Duration, fn func() bool) {
	t.Helper()
	stacktest.Eventually(t, what, d, fn)
}

func startWorker(t testing.TB, hostPort, namespace string, tel *telemetry.Telemetry) {
	t.Helper()
	stacktest.StartWorker(t, hostPort, namespace, tel)
}

func (r response) code(t testing.TB) string {
	t.Helper()
	c, _ := r.json(t)["code"].(string)
	return c
}

func percentile(d []time.Duration, p float64) time.Duration { return stacktest.Percentile(d, p) }

func ms(d time.Duration) float64 { return stacktest.Ms(d) }
