package sales_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupc "github.com/closeloop/closeloop/proto/contract/followup"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

// TestLeadCallingOtherServicesLocally runs one lead — created, reassigned
// after the first-contact SLA changed, its first contact logged by the new
// owner, then disqualified — hosted by the sales service with LeadInput.calls_local, as a
// sales service with a service identity starts it: the customer service's
// EnsureCustomer and every engine call of the first-contact follow-ups
// (resolve and open, the step, the close) run as local activities, no
// activity task of them; ClaimCustomerOwner (the customer following its
// lead on the reassignment) stays an activity task. The lead stores and
// answers as a lead without the flag does, and each follow-up resolves the
// policy versions in force when its assignment was stored: the second
// opens with the SLA version that came into force before the reassignment,
// not the one in force when the lead was created. Without the flag the
// same run calls them as activity tasks, with the same outcome.
func TestLeadCallingOtherServicesLocally(t *testing.T) {
	for _, callsLocal := range []bool{true, false} {
		t.Run(map[bool]string{true: "calls_local", false: "remote"}[callsLocal], func(t *testing.T) {
			start := cst(time.March, 2, 10, 0)
			h := newWFHarness(t, start)
			h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: salesc.TaskQueue})
			starts := testenv.RecordActivityStarts(h.env)
			in := h.leadInput("Harbor Logistics")
			in.CallsLocal = callsLocal
			id := in.GetLead().GetId()
			h.putPolicy(policy.LeadFirstContactSLA, 2, cst(time.March, 2, 10, 30), policy.Value{Timer: &policy.Timer{Duration: policy.Duration(time.Hour), Clock: policy.ClockBusiness}})
			h.reassignContactDisqualify(t, in)
			if o := h.cust.owner[h.lead(id).CustomerID]; o != "rep-bo" {
				t.Errorf("the customer the lead created is %q's, want it to follow its lead to rep-bo", o)
			}
			others := []string{customerc.ActivityEnsureCustomer, followupc.ActivityResolvePolicies, followupc.ActivityCloseFollowUp}
			for _, name := range others {
				locals, tasks := starts.Locals(name), starts.Tasks(name)
				if callsLocal && (locals == 0 || tasks != 0) || !callsLocal && (locals != 0 || tasks == 0) {
					t.Errorf("%s: %d local activities, %d activity tasks; calls_local %v", name, locals, tasks, callsLocal)
				}
			}
			if n := starts.Tasks(customerc.ActivityClaimCustomerOwner); n != 1 {
				t.Errorf("ClaimCustomerOwner ran as %d activity tasks, want 1 (the reassignment's)", n)
			}
			opened := h.eventsOf(followupc.ActivityOpenFollowUp)
			if len(opened) != 2 {
				t.Fatalf("%d follow-ups opened, want 2", len(opened))
			}
			for i, want := range []int64{1, 2} {
				if v := opened[i].Msg.(*followupv1.FollowUpRecord).GetPolicyVersion(); v != want {
					t.Errorf("follow-up %d opened with SLA version %d, want %d (the version in force at its assignment)", i+1, v, want)
				}
			}
		})
	}
}
