package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	aftersales "github.com/closeloop/closeloop/services/service"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows"
)

// workerEnv, when set, makes the test binary run the workflow worker instead
// of the tests: TestWorkerKilledWhileABreachFallsDue starts it as a child
// process so it can kill it with SIGKILL.
const workerEnv = "CLOSELOOP_SERVICE_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		service.Main(workflows.Spec())
		return
	}
	testenv.Main(m)
}

// backends lists the databases every storage-touching test runs on.
var backends = testenv.Backends

// The people of the tests. Sales: ana and bo own customers (north, south),
// mia manages north, max south. Service: sam and sue are the service team
// (a rep and its manager), oz and wes the service-west team.
const (
	repAna  = stacktest.RepAna // rep, sales team north
	repBo   = stacktest.RepBo  // rep, sales team south
	mgrMia  = stacktest.MgrMia // manager of north
	mgrMax  = "mgr-max"        // manager of south
	analyst = stacktest.Analyst
	admin   = stacktest.Admin
	svcSam  = "svc-sam" // rep, team service
	svcSue  = "svc-sue" // manager of service
	svcOz   = "svc-oz"  // rep, team service-west
	mgrWes  = "mgr-wes" // manager of service-west
)

var testUsers = append(devissuer.DevUsers(),
	auth.Principal{Subject: svcSam, Name: "Sam (service rep)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"service"}},
	auth.Principal{Subject: svcSue, Name: "Sue (service manager)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"service"}},
	auth.Principal{Subject: svcOz, Name: "Oz (service rep, west)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"service-west"}},
	auth.Principal{Subject: mgrWes, Name: "Wes (service manager, west)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"service-west"}},
	auth.Principal{Subject: mktMo, Name: "Mo (marketing)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"marketing"}},
	auth.Principal{Subject: mgrMona, Name: "Mona (marketing manager)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"marketing"}},
)

// Marketing, for info slips routed to every department.
const (
	mktMo   = "mkt-mo"   // rep, team marketing
	mgrMona = "mgr-mona" // manager of marketing
)

// slipCrowd are twenty service reps, recipients of one slip at once.
var slipCrowd = func() []string {
	var out []string
	for i := 1; i <= 20; i++ {
		out = append(out, fmt.Sprintf("svc-r%02d", i))
	}
	return out
}()

func init() {
	for _, u := range slipCrowd {
		testUsers = append(testUsers, auth.Principal{Subject: u, Name: "Service rep " + u, Roles: []auth.Role{auth.RoleRep}, Teams: []string{"service"}})
	}
}

// stack is the after-sales service with the customer service (and the
// follow-up service it talks to) beside it, each on its own real database,
// verifying tokens of one dev issuer: cases are filed against customers the
// customer service really shows, to whoever really asks.
type stack struct {
	t        testing.TB
	customer *servicetest.Running
	followup *servicetest.Running
	service  *servicetest.Running
	tokens   map[string]string
	// db is the after-sales service's database.
	db *gorm.DB
	// common is the environment every service of the stack shares (the
	// token issuer, Temporal), for a test that starts one more.
	common map[string]string
}

func newStack(t testing.TB, dsn func(testing.TB) string) *stack {
	t.Helper()
	return newStackOn(t, dsn, "", "")
}

// newStackWithWorkflows is the stack with the Temporal dev server and the
// workflow worker beside it: cases change through their workflows.
func newStackWithWorkflows(t testing.TB, dsn func(testing.TB) string) *stack {
	t.Helper()
	hostPort, namespace := testenv.Temporal(t)
	s := newStackOn(t, dsn, hostPort, namespace)
	stacktest.StartWorker(t, hostPort, namespace, nil)
	return s
}

func newStackOn(t testing.TB, dsn func(testing.TB) string, temporal, namespace string) *stack {
	t.Helper()
	if temporal == "" {
		temporal, namespace = noTemporal, "default"
	}
	iss, issuerURL := stacktest.StartIssuer(t)
	common := map[string]string{"OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": temporal, "TEMPORAL_NAMESPACE": namespace,
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"}
	s := &stack{t: t, tokens: map[string]string{}, common: common}
	s.customer, s.followup = stacktest.StartPair(t, common, map[string]string{"DATABASE_URL": dsn(t)}, map[string]string{"DATABASE_URL": dsn(t)}, service.Options{})
	s.service = servicetest.Start(t, aftersales.Spec(), stacktest.Merge(common, surveyEnv,
		map[string]string{"DATABASE_URL": dsn(t), "CUSTOMER_API_URL": s.customer.Base}), service.Options{})
	s.db = s.service.App.Deps().DB
	for _, u := range testUsers {
		tok, err := iss.Mint(u, "closeloop", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[u.Subject] = tok
	}
	return s
}

type response struct {
	status int
	header http.Header
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

// fields is the field errors of an error answer, field → code.
func (r response) fields(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	d, _ := r.json(t)["details"].(map[string]any)
	fs, _ := d["fields"].([]any)
	for _, f := range fs {
		m := f.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

// call sends a request to base as user (empty: no token); body is a string
// or []byte (verbatim), nil, or a value marshalled as JSON; headers are
// name, value pairs.
func (s *stack) call(base, method, path, user string, body any, headers ...string) response {
	s.t.Helper()
	tok := ""
	if user != "" {
		tok = s.tokens[user]
	}
	r := stacktest.Send(s.t, method, base+path, tok, body, headers...)
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// api calls the after-sales service.
func (s *stack) api(method, path, user string, body any, headers ...string) response {
	s.t.Helper()
	return s.call(s.service.Base, method, path, user, body, headers...)
}

// must calls the after-sales service and fails the test unless it answers want.
func (s *stack) must(want int, method, path, user string, body any) map[string]any {
	s.t.Helper()
	r := s.api(method, path, user, body)
	if r.status != want {
		s.t.Fatalf("%s %s as %s: %d %s (want %d)", method, path, user, r.status, r.body, want)
	}
	return r.json(s.t)
}

// customerOf creates a customer owned by rep (in the rep's team) and returns its id.
func (s *stack) customerOf(rep string) string {
	s.t.Helper()
	r := s.call(s.customer.Base, "POST", "/v1/customers", rep, stacktest.Company(nil))
	if r.status != http.StatusCreated {
		s.t.Fatalf("create customer as %s: %d %s", rep, r.status, r.body)
	}
	return r.json(s.t)["id"].(string)
}

// file files a case as user and returns it, failing the test unless 201.
func (s *stack) file(user string, body map[string]any) map[string]any {
	s.t.Helper()
	return s.must(http.StatusCreated, "POST", "/v1/cases", user, body)
}

// complaint is a valid case body for customer, with extra fields set.
func complaint(customer string, extra map[string]any) map[string]any {
	b := map[string]any{"customer_id": customer, "type": "complaint", "channel": "phone",
		"subject": "Crane stops under load", "description": "Since Monday, twice a day."}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// change applies fn to a stored case as the case workflow will (which is not
// built yet): the only way a test gets notes, replies and state changes.
func (s *stack) change(id string, fn func(c domain.Case) (domain.Case, []domain.Entry, error)) {
	s.t.Helper()
	_, err := adapters.NewCases(s.db).Update(context.Background(), id, func(c *domain.Case) ([]domain.Entry, error) {
		out, es, err := fn(*c)
		*c = out
		return es, err
	})
	if err != nil {
		s.t.Fatalf("change case %s: %v", id, err)
	}
}

// rows counts what the after-sales service stores: cases, their entries and
// idempotency keys.
func (s *stack) rows() [3]int64 {
	s.t.Helper()
	var out [3]int64
	for i, table := range []string{"cases", "case_entries", "idempotency_keys"} {
		if err := s.db.Table(table).Count(&out[i]).Error; err != nil {
			s.t.Fatal(err)
		}
	}
	return out
}

// ids is the ids of a page's items, in order.
func ids(page map[string]any) []string {
	var out []string
	for _, it := range page["items"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
