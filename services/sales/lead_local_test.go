package sales_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

// TestLeadHostedByTheSalesServiceRunsItsActivitiesLocally runs one lead — its
// first assignment, a reassignment, a contact logged by the new owner and its
// disqualification — on each of the two task queues a Lead run can be on: the
// sales service's own (where the API starts new leads: the sales activities
// are local activities of the same worker) and the workflow worker's (leads
// started before, and win-back hand-overs: the same activities as activity
// tasks). Both answer and store the same; only how the sales activities are
// called differs, and the customer service's and the follow-up engine's are
// remote on both.
func TestLeadHostedByTheSalesServiceRunsItsActivitiesLocally(t *testing.T) {
	for _, tc := range []struct {
		queue string
		local bool
	}{{salesc.TaskQueue, true}, {wfc.TaskQueue, false}} {
		t.Run(tc.queue, func(t *testing.T) {
			start := cst(time.March, 2, 10, 0)
			h := newWFHarness(t, start)
			h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: tc.queue})
			starts := testenv.RecordActivityStarts(h.env)
			in := h.leadInput("Lantern Foods")
			id := in.GetLead().GetId()
			h.reassignContactDisqualify(t, in)
			if got, want := strings.Join(h.timeline("lead", id), ","), "created,assigned,reassigned,first_contact,disqualified"; got != want {
				t.Errorf("timeline %s, want %s", got, want)
			}
			// Hosted, the lead is routed first, so one customer-service call
			// finds the customer and claims it for the lead's rep; on the
			// workflow worker's queue a second claims it after the assignment.
			// Both claim once more when the reassignment moves the customer
			// the lead created.
			own, claims := []string{salesc.ActivityAssignLead, salesc.ActivityApplyLeadCommand}, 2
			if tc.local {
				own, claims = append(own, salesc.ActivityRouteLead), 1
			}
			starts.Check(t, tc.local, "sales.", own...)
			if n, c := starts.Tasks(customerc.ActivityEnsureCustomer), starts.Tasks(customerc.ActivityClaimCustomerOwner); n != 1 || c != claims {
				t.Errorf("EnsureCustomer ran %d times, ClaimCustomerOwner %d, want once and %d times", n, c, claims)
			}
			if o := h.cust.owner[h.lead(id).CustomerID]; o != "rep-bo" {
				t.Errorf("the customer the lead created is %q's, want it to follow its lead to rep-bo", o)
			}
		})
	}
}
