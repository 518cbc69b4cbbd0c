package sales_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// TestLeadCreatedWhileTheCustomerServiceIsDown: the lead's workflow is
// started and its first assignment awaited in one call (update-with-start).
// The sales service hosts the lead, but its first assignment needs the
// customer service's activities (the company found or created, then
// claimed): with the customer service down, the assignment cannot settle,
// so the request answers 202 with the lead's id once the wait runs out —
// the workflow exists, nothing is lost — and the lead is assigned and
// stored as soon as a customer service runs again.
func TestLeadCreatedWhileTheCustomerServiceIsDown(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	s := newStack(t, testenv.Postgres, stackOpts{temporal: hostPort, namespace: namespace, noWorker: true,
		salesEnv: map[string]string{"LEAD_CREATE_WAIT": "2s"}})
	s.northSteel(2)
	s.customer.Stop()
	started := time.Now()
	r := s.call(s.sales.Base, "POST", "/v1/leads", mgrMia, map[string]any{"source": "phone", "company_name": companyName("No Customer Service Ltd"),
		"region": "north", "industry": "steel"})
	if r.status != http.StatusAccepted {
		t.Fatalf("want 202 while the customer service is down, got %d %s", r.status, r.body)
	}
	if took := time.Since(started); took > 15*time.Second {
		t.Fatalf("the 202 took %v; the wait is 2s", took)
	}
	id := r.json(t)["id"].(string)
	tc := s.sales.App.Deps().Temporal
	if _, err := tc.DescribeWorkflowExecution(context.Background(), wfc.LeadWorkflowID(id), ""); err != nil {
		t.Fatalf("the lead's workflow was not started: %v", err)
	}
	servicetest.Start(t, customer.Spec(), stacktest.Merge(s.common, map[string]string{"DATABASE_URL": s.customerDSN,
		"FOLLOWUP_API_URL": s.followup.Base}), service.Options{})
	eventually(t, "the lead assigned once the customer service runs", 60*time.Second, func() bool {
		g := s.call(s.sales.Base, "GET", "/v1/leads/"+id, mgrMia, nil)
		return g.status == http.StatusOK && g.json(t)["owner_id"] != ""
	})
}
