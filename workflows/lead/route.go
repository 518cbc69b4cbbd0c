package lead

import (
	"go.temporal.io/sdk/workflow"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
)

// Routed first (changeHostedAtCurrent version 2).
//
// A new lead used to find its customer (a customer-service activity), be
// assigned, and then claim the customer for its rep (a second one): two
// activity tasks and three workflow tasks before the lead is settled. A
// hosted run now asks the territory rules first — RouteLead, a local
// activity that reserves the rep (counted against their capacity, the
// round-robin turn moved) — and finds or creates the customer and claims
// it for that rep in one customer-service activity. The first assignment
// then takes the reservation (the claim won: the lead is the rep's, with
// the routing's territory and reason) or releases it (the customer had an
// owner: the lead is that owner's, and the turn goes back to whoever had
// it unless another lead took one since). One activity task and two
// workflow tasks; the rules are unchanged: the customer's owner gets the
// lead, else the territory's rules, else the pool, and leads for one
// customer arriving together end with one owner (the claim is one locked
// read-modify-write in the customer service).

// routedFirst is firstAssignment for a run at changeHostedAtCurrent 2.
func (w *leadWF) routedFirst(ctx workflow.Context) error {
	d := w.data
	var r salesv1.RouteLeadResult
	if err := w.runSales(salesc.ActivityRouteLead, &salesv1.RouteLeadInput{Lead: d}).Get(ctx, &r); err != nil {
		return err
	}
	var owner string
	var claimed bool
	if d.GetCustomerId() == "" {
		c, err := w.ensureCustomer(ctx, &r)
		if c == nil || err != nil { // refused: pooled (the reservation goes)
			return err
		}
		w.snap.CustomerId, w.created, owner, w.custTeam, claimed = c.GetCustomerId(), c.GetCreated(), c.GetOwnerId(), c.GetTeam(), c.GetClaimed()
	} else {
		var c salesv1.ClaimCustomerOwnerResult
		if err := workflow.ExecuteActivity(w.customer, customerc.ActivityClaimCustomerOwner, &salesv1.ClaimCustomerOwnerInput{
			CustomerId: d.GetCustomerId(), OwnerId: r.GetOwnerId(), Team: r.GetTeam(), Actor: "workflow", Reason: claimReason(d.GetId(), &r),
			LeadId: d.GetId(), LeadSource: d.GetSource(), LeadCreatedBy: d.GetCreatedBy()}).Get(ctx, &c); err != nil {
			return err
		}
		owner, w.custTeam, claimed = c.GetOwnerId(), c.GetTeam(), c.GetClaimed()
	}
	// A customer this lead made its rep's is not bound to an earlier owner:
	// the customer follows the lead (followLead). Any other owner had it
	// first — before the lead, or by another lead's claim.
	w.custOwner, w.bound = owner, owner != "" && !claimed
	switch {
	case claimed:
		return w.assign(ctx, &salesv1.AssignLeadInput{OwnerId: owner, IgnoreCapacity: true, Routed: true, Reason: r.GetReason()})
	case owner != "":
		return w.assign(ctx, &salesv1.AssignLeadInput{OwnerId: owner, IgnoreCapacity: true, Reason: "owner of the customer"})
	}
	// Nobody: the rules gave the lead no rep and the customer has no owner.
	// Routed again as the lead is stored (a rep may have room by now), and
	// the customer claimed for whoever gets it.
	if err := w.assign(ctx, &salesv1.AssignLeadInput{Reason: "territory rules"}); err != nil {
		return err
	}
	return w.claimCustomer(ctx)
}
