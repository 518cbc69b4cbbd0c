package lead_test

import (
	"testing"

	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/lead"
)

func code(r *lead.Refusal) string {
	if r == nil {
		return ""
	}
	return r.Code
}

// A lead on a customer its owner already had (bound) changes hands only to
// a named rep together with the customer; other leads as before.
func TestCheckReassign(t *testing.T) {
	free := lead.Holding{State: lead.StateNew, OwnerID: "rep-ana", Settled: true}
	bound := lead.Holding{State: lead.StateNew, OwnerID: "rep-ana", Settled: true, Bound: true, CustomerOwnerID: "rep-ana"}
	for _, c := range []struct {
		name string
		h    lead.Holding
		req  *salesv1.ReassignRequest
		want string
	}{
		{"free to a rep", free, &salesv1.ReassignRequest{ToOwnerId: "rep-dan", Reason: "r"}, ""},
		{"free to the pool", free, &salesv1.ReassignRequest{ToPool: true, Reason: "r"}, ""},
		{"free by the rules", free, &salesv1.ReassignRequest{Reason: "r"}, ""},
		{"bound to a rep", bound, &salesv1.ReassignRequest{ToOwnerId: "rep-dan", Reason: "r"}, "customer_owned"},
		{"bound to the pool", bound, &salesv1.ReassignRequest{ToPool: true, Reason: "r"}, "customer_owned"},
		{"bound by the rules", bound, &salesv1.ReassignRequest{Reason: "r"}, "customer_owned"},
		{"bound with the customer", bound, &salesv1.ReassignRequest{ToOwnerId: "rep-dan", MoveCustomer: true, Reason: "r"}, ""},
		{"move_customer without a rep", free, &salesv1.ReassignRequest{MoveCustomer: true, Reason: "r"}, "invalid"},
		{"no reason", free, &salesv1.ReassignRequest{ToOwnerId: "rep-dan"}, "invalid"},
		{"same owner", bound, &salesv1.ReassignRequest{ToOwnerId: "rep-ana", MoveCustomer: true, Reason: "r"}, "same_owner"},
		{"closed", lead.Holding{State: lead.StateConverted, Settled: true}, &salesv1.ReassignRequest{ToOwnerId: "rep-dan", Reason: "r"}, "lead_closed"},
		{"pooled to the pool", lead.Holding{State: lead.StateNew, Pooled: true, Settled: true}, &salesv1.ReassignRequest{ToPool: true, Reason: "r"}, "already_pooled"},
		{"unsettled", lead.Holding{State: lead.StateNew}, &salesv1.ReassignRequest{ToOwnerId: "rep-dan", Reason: "r"}, "invalid"},
	} {
		if got := code(lead.CheckReassign(c.h, c.req)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// An opportunity goes to the lead's owner, who must be the customer's owner.
func TestCheckConvert(t *testing.T) {
	for _, c := range []struct {
		name                          string
		owner                         string
		pooled                        bool
		customerOwner, oppOwner, want string
	}{
		{"owner of the customer", "rep-ana", false, "rep-ana", "rep-ana", ""},
		{"customer without owner", "rep-ana", false, "", "rep-ana", ""},
		{"someone else's customer", "rep-dan", false, "rep-ana", "rep-dan", "customer_not_visible"},
		{"lead reassigned meanwhile", "rep-dan", false, "rep-dan", "rep-ana", "lead_not_found"},
		{"pooled", "", true, "", "", "invalid"},
	} {
		if got := code(lead.CheckConvert(c.owner, c.pooled, c.customerOwner, c.oppOwner)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
