package marketing_test

import (
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
	"github.com/closeloop/closeloop/services/marketing"
	"github.com/closeloop/closeloop/services/sales"
	"github.com/closeloop/closeloop/workflows"
)

// workerEnv, when set, makes the test binary run the workflow worker instead
// of the tests: TestWorkerKilledWhileATouchFallsDue starts it as a child
// process so it can kill it with SIGKILL.
const workerEnv = "CLOSELOOP_MARKETING_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		service.Main(workflows.Spec())
		return
	}
	testenv.Main(m)
}

// backends lists the databases every storage-touching test runs on.
var backends = testenv.Backends

// The people of the tests: ana and bo are sales reps (north, south) who own
// customers; mo and may are marketers, mona their manager; nell is a
// marketer of another marketing team (emea) and nico its manager.
const (
	repAna   = stacktest.RepAna
	repBo    = stacktest.RepBo
	mgrMia   = stacktest.MgrMia
	analyst  = stacktest.Analyst
	admin    = stacktest.Admin
	mktMo    = "mkt-mo"
	mktMay   = "mkt-may"
	mgrMona  = "mgr-mona"
	mktNell  = "mkt-nell"
	mgrNico  = "mgr-nico"
	svcSam   = "svc-sam"
	teamMain = "marketing"
)

var testUsers = append(devissuer.DevUsers(),
	auth.Principal{Subject: mktMo, Name: "Mo (marketing)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"marketing"}},
	auth.Principal{Subject: mktMay, Name: "May (marketing)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"marketing"}},
	auth.Principal{Subject: mgrMona, Name: "Mona (marketing manager)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"marketing"}},
	auth.Principal{Subject: mktNell, Name: "Nell (marketing, EMEA)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"marketing-emea"}},
	auth.Principal{Subject: mgrNico, Name: "Nico (marketing manager, EMEA)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"marketing-emea"}},
	auth.Principal{Subject: svcSam, Name: "Sam (service rep)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"service"}},
)

// stack is the marketing service with the customer, follow-up and sales
// services beside it, each on its own real database, verifying tokens of
// one dev issuer; with Temporal, the workflow worker runs too.
type stack struct {
	t         testing.TB
	customer  *servicetest.Running
	followup  *servicetest.Running
	sales     *servicetest.Running
	marketing *servicetest.Running
	tokens    map[string]string
	db        *gorm.DB
}

// noTemporal is an address nothing listens on: the services start, and
// whatever needs the workflow engine answers 503.
const noTemporal = "127.0.0.1:1"

func newStack(t testing.TB, dsn func(testing.TB) string, withTemporal bool) *stack {
	t.Helper()
	temporal, namespace := noTemporal, "default"
	if withTemporal {
		temporal, namespace = testenv.Temporal(t)
	}
	return newStackOn(t, dsn, temporal, namespace, withTemporal)
}

// newStackOn is the stack on a Temporal server of the caller's, with the
// workflow worker in this process when worker is set. env, when given, is
// more of the follow-up service's environment (env[0]: SMTP_*, …) and the
// marketing service's (env[1]).
func newStackOn(t testing.TB, dsn func(testing.TB) string, temporal, namespace string, worker bool, env ...map[string]string) *stack {
	t.Helper()
	withTemporal := temporal != noTemporal
	iss, issuerURL := stacktest.StartIssuer(t)
	common := map[string]string{"OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": temporal, "TEMPORAL_NAMESPACE": namespace,
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"}
	s := &stack{t: t, tokens: map[string]string{}}
	env = append(env, nil, nil)
	s.customer, s.followup = stacktest.StartPair(t, common, map[string]string{"DATABASE_URL": dsn(t)},
		stacktest.Merge(map[string]string{"DATABASE_URL": dsn(t)}, env[0]), service.Options{})
	if withTemporal {
		s.sales = servicetest.Start(t, sales.Spec(), stacktest.Merge(common, map[string]string{"DATABASE_URL": dsn(t),
			"CUSTOMER_API_URL": s.customer.Base}), service.Options{})
	}
	s.marketing = servicetest.Start(t, marketing.Spec(), stacktest.Merge(common, map[string]string{"DATABASE_URL": dsn(t),
		"MARKETING_TEAMS": "marketing,marketing-emea", "LAUNCH_START_INTERVAL": "1s", "PREVIEW_WAIT": "20s",
		"NEWCOMERS_INTERVAL": "2s", "UNSUBSCRIBE_KEY": unsubscribeKey, "UNSUBSCRIBE_PUBLIC_BASE_URL": unsubscribeBase}, env[1]), service.Options{})
	s.db = s.marketing.App.Deps().DB
	if worker {
		stacktest.StartWorker(t, temporal, namespace, nil)
	}
	for _, u := range testUsers {
		tok, err := iss.Mint(u, "closeloop", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[u.Subject] = tok
	}
	// The tests check touch instants to the second: no spread of touches
	// (winback.touch_spread) unless a test sets one.
	s.setPolicy("winback.touch_spread", map[string]any{"timer": map[string]any{"duration": "0m", "clock": "calendar"}})
	return s
}

// setPolicy makes value the policy's version in force, as an analyst would.
func (s *stack) setPolicy(name string, value map[string]any) {
	s.t.Helper()
	r := s.call(s.followup.Base, "POST", "/v1/policies/"+name+"/versions", analyst, map[string]any{"value": value, "reason": "test set-up"})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("policy %s: %d %s", name, r.Status, r.Body)
	}
}

// response is an answer of a service.
type response = stacktest.Response

func (s *stack) call(base, method, path, user string, body any, headers ...string) response {
	s.t.Helper()
	tok := ""
	if user != "" {
		tok = s.tokens[user]
	}
	return stacktest.Send(s.t, method, base+path, tok, body, headers...)
}

// api calls the marketing service.
func (s *stack) api(method, path, user string, body any, headers ...string) response {
	s.t.Helper()
	return s.call(s.marketing.Base, method, path, user, body, headers...)
}

// must calls the marketing service and fails the test unless it answers want.
func (s *stack) must(want int, method, path, user string, body any) map[string]any {
	s.t.Helper()
	r := s.api(method, path, user, body)
	if r.Status != want {
		s.t.Fatalf("%s %s as %s: %d %s (want %d)", method, path, user, r.Status, r.Body, want)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.JSON(s.t)
}

// customerOf creates a customer owned by rep, with extra fields, and returns its id.
func (s *stack) customerOf(rep string, extra map[string]any) string {
	s.t.Helper()
	r := s.call(s.customer.Base, "POST", "/v1/customers", rep, stacktest.Company(extra))
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create customer as %s: %d %s", rep, r.Status, r.Body)
	}
	return r.JSON(s.t)["id"].(string)
}

// campaign is a valid campaign body with extra fields set.
func campaign(extra map[string]any) map[string]any {
	b := map[string]any{"name": "Spring cross-sell", "objective": "Sell the service plan to A customers", "type": "cross_sell",
		"channels": []string{"phone_call"}, "segment": map[string]any{"value_classes": []string{"A"}}, "budget": 5000,
		"expected_cost": 4000, "expected_revenue": 20000, "starts_on": "2026-01-05", "ends_on": "2099-03-31"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// rows counts what the marketing service stores.
func (s *stack) rows() map[string]int64 {
	s.t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"campaigns", "campaign_costs", "enrolments", "touches", "opt_outs", "idempotency_keys"} {
		var n int64
		if err := s.db.Table(table).Count(&n).Error; err != nil {
			s.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// winBackOfOne loses one of rep Ana's customers 200 days ago, launches a
// win-back campaign over every lost customer (no holdout) and waits for its
// enrolment: the customer, the campaign and when it was enrolled.
func (s *stack) winBackOfOne() (customerID, campaignID string, enrolled time.Time) {
	t := s.t
	t.Helper()
	c := s.customerOf(repAna, nil)
	if r := s.call(s.customer.Base, "POST", "/v1/customers/"+c+"/lifecycle", repAna, map[string]any{"to": "lost", "reason": "price"}); r.Status != http.StatusOK {
		t.Fatalf("lose: %d %s", r.Status, r.Body)
	}
	if err := s.customer.App.Deps().DB.Exec("UPDATE customers SET lost_at = ? WHERE id = ?", time.Now().Add(-200*24*time.Hour), c).Error; err != nil {
		t.Fatal(err)
	}
	id := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"type": "winback", "segment": map[string]any{}, "holdout": 0}))["id"].(string)
	s.must(200, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
	s.must(200, "POST", "/v1/campaigns/"+id+"/launch", mktMo, nil)
	stacktest.Eventually(t, "the enrolment", time.Minute, func() bool {
		items := s.must(200, "GET", "/v1/campaigns/"+id+"/enrolments", mktMo, nil)["items"].([]any)
		if len(items) != 1 {
			return false
		}
		at, err := time.Parse(time.RFC3339Nano, items[0].(map[string]any)["enrolled_at"].(string))
		enrolled = at
		return err == nil
	})
	return c, id, enrolled
}
