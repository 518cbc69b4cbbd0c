package sales_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/sales"
	"github.com/closeloop/closeloop/workflows"
)

// backends lists the databases every storage-touching test runs on.
var backends = testenv.Backends

// Users of the tests: the dev users plus more reps and a manager of south.
var testUsers = append(devissuer.DevUsers(),
	auth.Principal{Subject: "rep-cy", Name: "Cy (rep, north)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}},
	auth.Principal{Subject: "rep-dan", Name: "Dan (rep, north)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}},
	auth.Principal{Subject: "mgr-max", Name: "Max (manager, south)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"south"}},
)

const (
	repAna  = "rep-ana" // rep, north
	repBo   = "rep-bo"  // rep, south
	repCy   = "rep-cy"  // rep, north
	repDan  = "rep-dan" // rep, north
	mgrMia  = "mgr-mia" // manager of north
	mgrMax  = "mgr-max" // manager of south
	analyst = "analyst-ali"
	admin   = "admin-ada"
)

// stack is the customer service, the sales service and (optionally) the
// workflow worker, on real databases and a real Temporal server.
type stack struct {
	t        testing.TB
	customer *servicetest.Running
	followup *servicetest.Running
	sales    *servicetest.Running
	tokens   map[string]string
	// salesDSN and customerDSN are the services' databases.
	salesDSN, customerDSN string
	// namespace is the stack's own Temporal namespace.
	namespace string
	// common is the environment every service of the stack shares.
	common map[string]string
}

type stackOpts struct {
	temporal, namespace string
	noWorker            bool
	salesEnv            map[string]string
	// followUpEnv adds to the follow-up service's environment.
	followUpEnv map[string]string
	// identity gives the sales service a service identity of its own
	// (closeloop-sales at the stack's issuer), which the customer and
	// follow-up services accept as a caller: new leads then call them as
	// local activities (LeadInput.calls_local).
	identity bool
}

// salesClient and salesSecret are the sales service's own client at the
// test issuer (stackOpts.identity).
const salesClient, salesSecret = "closeloop-sales", "secret-of-the-sales-service"

func newStack(t testing.TB, dsn func(testing.TB) string, o stackOpts) *stack {
	t.Helper()
	iss, issuerURL := stacktest.StartIssuer(t)
	if o.temporal == "" {
		o.temporal, o.namespace = "127.0.0.1:1", "default" // HTTP-only tests: never dialled
	} else {
		// Each stack gets its own namespace, registered before any worker
		// polls: task queues are per namespace, so activities of one
		// stack's workflows never reach another stack's services (and
		// databases) when subtests run one after the other.
		o.namespace = fmt.Sprintf("%s-%d", o.namespace, nsSeq.Add(1))
		c, err := client.Dial(client.Options{HostPort: o.temporal, Namespace: o.namespace, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		if err != nil {
			t.Fatal(err)
		}
		wcfg := workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 1000}
		if err := workflows.Setup(context.Background(), c, o.namespace, wcfg, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("temporal setup: %v", err)
		}
		c.Close()
	}
	common := map[string]string{"OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": o.temporal, "TEMPORAL_NAMESPACE": o.namespace,
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"}
	if o.identity {
		iss.RegisterServiceClient(salesClient, salesSecret)
		common["SERVICE_CALLERS"] = salesClient
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	s := &stack{t: t, tokens: map[string]string{}, namespace: o.namespace, common: common}
	s.customerDSN, s.salesDSN = dsn(t), dsn(t)
	s.customer, s.followup = stacktest.StartPair(t, common, map[string]string{"DATABASE_URL": s.customerDSN},
		stacktest.Merge(map[string]string{"DATABASE_URL": dsn(t)}, o.followUpEnv), service.Options{})
	// Generous waits for workflows: a loaded CI machine must not turn a slow
	// answer into a 202 or a 503 the test does not expect.
	salesEnv := with(map[string]string{"DATABASE_URL": s.salesDSN, "CUSTOMER_API_URL": s.customer.Base, "FOLLOWUP_API_URL": s.followup.Base,
		"LEAD_CREATE_WAIT": "60s", "WORKFLOW_UPDATE_WAIT": "60s"})
	if o.identity {
		salesEnv["SERVICE_CLIENT_ID"], salesEnv["SERVICE_CLIENT_SECRET"] = salesClient, salesSecret
	}
	for k, v := range o.salesEnv {
		salesEnv[k] = v
	}
	s.sales = servicetest.Start(t, sales.Spec(), salesEnv, service.Options{})
	if !o.noWorker && o.temporal != "127.0.0.1:1" {
		startWorker(t, o.temporal, o.namespace)
	}
	for _, u := range testUsers {
		tok, err := iss.Mint(u, "closeloop", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[u.Subject] = tok
	}
	return s
}

// startWorker runs the workflow worker in-process (the namespace is set up).
func startWorker(t testing.TB, hostPort, namespace string) *servicetest.Running {
	t.Helper()
	return servicetest.Start(t, workflows.Spec(), map[string]string{"TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": namespace,
		"LOG_LEVEL": "warn", "SETUP_ON_START": "false", "SHUTDOWN_TIMEOUT": "5s"}, service.Options{})
}

var nsSeq atomic.Int64

type response struct {
	status int
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object (%d): %s", r.status, r.body)
	}
	return m
}

func (r response) code(t testing.TB) string {
	t.Helper()
	c, _ := r.json(t)["code"].(string)
	return c
}

// call sends a request to base as user; body is a string (verbatim), nil or
// a value marshalled as JSON.
func (s *stack) call(base, method, path, user string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	if base == s.customer.Base && stacktest.OwnsPath(path) {
		base = s.followup.Base // policies, calendars and follow-ups are the follow-up service's
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[user])
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
	return response{status: resp.StatusCode, body: raw}
}

// api calls the sales service.
func (s *stack) api(method, path, user string, body any, headers ...string) response {
	s.t.Helper()
	return s.call(s.sales.Base, method, path, user, body, headers...)
}

// must calls the sales service and fails the test unless the status is want.
func (s *stack) must(want int, method, path, user string, body any) map[string]any {
	s.t.Helper()
	r := s.api(method, path, user, body)
	if r.status != want {
		s.t.Fatalf("%s %s as %s: %d %s (want %d)", method, path, user, r.status, r.body, want)
	}
	if len(r.body) == 0 {
		return nil
	}
	return r.json(s.t)
}

// territory defines the north/steel territory (reps ana, cy, dan) as mia.
func (s *stack) northSteel(capacity int) string {
	s.t.Helper()
	v := s.must(201, "POST", "/v1/territories", mgrMia, map[string]any{"name": "North steel", "region": "north", "industry": "steel",
		"team": "north", "strategy": "round_robin", "reps": []map[string]any{
			{"rep_id": repAna, "capacity": capacity}, {"rep_id": repCy, "capacity": capacity}, {"rep_id": repDan, "capacity": capacity}}})
	return v["id"].(string)
}

// eventually polls fn until it holds or d runs out.
func eventually(t testing.TB, what string, d time.Duration, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func urlQuery(s string) string { return url.QueryEscape(s) }
