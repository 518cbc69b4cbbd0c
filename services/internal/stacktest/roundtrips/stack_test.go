package roundtrips_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/telemetry"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer"
	"github.com/closeloop/closeloop/services/followup"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/sales"
	"github.com/closeloop/closeloop/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Users: the dev users plus two more reps of north, for the territory's
// round-robin and a reassignment.
const (
	repAna  = stacktest.RepAna
	repCy   = "rep-cy"
	repDan  = "rep-dan"
	mgrMia  = stacktest.MgrMia
	analyst = stacktest.Analyst
)

var users = append(devissuer.DevUsers(),
	auth.Principal{Subject: repCy, Name: "Cy (rep, north)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}},
	auth.Principal{Subject: repDan, Name: "Dan (rep, north)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}},
)

// running is one in-process binary of the stack.
type running struct {
	name string
	app  *service.App
	base string
}

// stack is the customer, follow-up and sales services and the workflow
// worker, in-process, each with a telemetry of its own (so every span
// carries its service's name) whose tracer provider also feeds rec, on a
// database each and a Temporal namespace of the stack's own.
type stack struct {
	t                         testing.TB
	customer, followup, sales *running
	tokens                    map[string]string
	rec                       *recorder
	txs                       *txLog
	hostPort, namespace       string
	tc                        client.Client // plain (untraced): histories
	harness                   trace.Tracer  // the action's root span ("harness")
	customerDSN, followupDSN  string
	customerSeq               atomic.Int64
}

var nsSeq atomic.Int64

// The sales service's client at the test issuer (newStack's identity).
const (
	salesClient = "closeloop-sales"
	salesSecret = "round-trips-sales-secret"
)

func newStack(t testing.TB, dsn func(testing.TB) string, identity bool) *stack {
	t.Helper()
	ctx := context.Background()
	hostPort, ns := testenv.Temporal(t)
	// A namespace of the stack's own, set up before any worker polls it.
	ns = fmt.Sprintf("%s-roundtrips-%d-%d", ns, time.Now().UnixNano()%1e6, nsSeq.Add(1))
	tc, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	wcfg := workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 1000}
	if err := workflows.Setup(ctx, tc, ns, wcfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("temporal setup: %v", err)
	}

	s := &stack{t: t, tokens: map[string]string{}, rec: &recorder{}, txs: newTxLog(), hostPort: hostPort, namespace: ns, tc: tc}
	htp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.rec),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "harness"))))
	t.Cleanup(func() { _ = htp.Shutdown(ctx) })
	s.harness = htp.Tracer("roundtrips")

	iss, issuerURL := stacktest.StartIssuer(t)

	common := map[string]string{"OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": ns,
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"}
	salesEnv := map[string]string{}
	if identity {
		// The sales service with its own identity, as make run and the
		// chart's serviceIdentity give it: a new lead calls the customer
		// and follow-up services as local activities over HTTP.
		iss.RegisterServiceClient(salesClient, salesSecret)
		common["SERVICE_CALLERS"] = salesClient
		salesEnv = map[string]string{"SERVICE_CLIENT_ID": salesClient, "SERVICE_CLIENT_SECRET": salesSecret}
	}
	// The customer service needs the follow-up service's address before it
	// runs, and the other way round: a proxy stands in until both run.
	var target atomic.Pointer[url.URL]
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		if u := target.Load(); u != nil {
			r.SetURL(u)
		}
	}})
	t.Cleanup(proxy.Close)
	s.customerDSN, s.followupDSN = dsn(t), dsn(t)
	s.customer = s.start("customer", customer.Spec(), stacktest.Merge(common, map[string]string{"DATABASE_URL": s.customerDSN,
		"FOLLOWUP_API_URL": proxy.URL, "VISIT_DECISION_WAIT": "60s"}))
	s.followup = s.start("followup", followup.Spec(), stacktest.Merge(common, map[string]string{"DATABASE_URL": s.followupDSN,
		"CUSTOMER_API_URL": s.customer.base}))
	fu, err := url.Parse(s.followup.base)
	if err != nil {
		t.Fatal(err)
	}
	target.Store(fu)
	s.sales = s.start("sales", sales.Spec(), stacktest.Merge(common, salesEnv, map[string]string{"DATABASE_URL": dsn(t),
		"CUSTOMER_API_URL": s.customer.base, "FOLLOWUP_API_URL": s.followup.base, "LEAD_CREATE_WAIT": "60s", "WORKFLOW_UPDATE_WAIT": "60s"}))
	s.start("worker", workflows.Spec(), stacktest.Merge(common, map[string]string{"SETUP_ON_START": "false"}))

	for _, u := range users {
		tok, err := iss.Mint(u, "closeloop", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[u.Subject] = tok
		// Signing in puts the user in the customer service's directory:
		// only known users can be given customers.
		if st, body := s.call(ctx, "GET", "/v1/abc/settings", u.Subject, nil); st != http.StatusOK {
			t.Fatalf("first request of %s: %d %v", u.Subject, st, body)
		}
	}
	return s
}

// start builds one binary's app with a telemetry of its own, registers the
// transaction log's callbacks on its database before anything runs, and
// runs it until the test ends (servicetest.Start, with that hook).
func (s *stack) start(name string, spec service.Spec, env map[string]string) *running {
	t := s.t
	t.Helper()
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx, telemetry.Options{ServiceName: name})
	if err != nil {
		t.Fatal(err)
	}
	tel.TracerProvider().RegisterSpanProcessor(s.rec)
	t.Cleanup(func() { _ = tel.Shutdown(ctx) })
	env = stacktest.Merge(map[string]string{"HTTP_ADDR": "127.0.0.1:0"}, env)
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := service.LoadConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	app, err := service.Build(runCtx, spec, cfg, service.Options{Telemetry: tel})
	if err != nil {
		cancel()
		t.Fatalf("%s: %v", name, err)
	}
	if gdb := app.Deps().DB; gdb != nil {
		if err := s.txs.register(gdb); err != nil {
			cancel()
			app.Close()
			t.Fatalf("%s: transaction log: %v", name, err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	r := &running{name: name, app: app}
	select {
	case addr := <-app.Addr():
		r.base = "http://" + addr.String()
	case err := <-done:
		cancel()
		app.Close()
		t.Fatalf("%s stopped before listening: %v", name, err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("%s did not start listening", name)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s stopped with %v", name, err)
		}
		app.Close()
	})
	return r
}

// baseOf is the service that serves path.
func (s *stack) baseOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/v1/leads"), strings.HasPrefix(path, "/v1/territories"):
		return s.sales.base
	case stacktest.OwnsPath(path):
		return s.followup.base
	}
	return s.customer.base
}

// call sends a request as user to the service owning path, carrying ctx's
// trace context (the action's root span, or the polls' own), and decodes a
// JSON object answer.
func (s *stack) call(ctx context.Context, method, path, user string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.baseOf(path)+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			s.t.Fatalf("%s %s: %d, not a JSON object: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, m
}

// must is call that fails the test unless the status is one of want.
func (s *stack) must(ctx context.Context, method, path, user string, body any, want ...int) map[string]any {
	s.t.Helper()
	st, m := s.call(ctx, method, path, user, body)
	for _, w := range want {
		if st == w {
			return m
		}
	}
	s.t.Fatalf("%s %s as %s: %d %v, want %v", method, path, user, st, m, want)
	return nil
}

// company makes a customer (north, steel) as mgr-mia with extra fields and
// returns its id.
func (s *stack) company(extra map[string]any) string {
	s.t.Helper()
	b := map[string]any{"name": fmt.Sprintf("Round trips %d %d", time.Now().UnixNano()%1e9, s.customerSeq.Add(1)), "region": "north", "industry": "steel"}
	for k, v := range extra {
		b[k] = v
	}
	return s.must(context.Background(), "POST", "/v1/customers", mgrMia, b, http.StatusCreated)["id"].(string)
}
