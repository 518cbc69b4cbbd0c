package faults_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// AfterRoute and AfterAssign are the sales service's fault points once a
// new lead's routing (the rep reserved) or its first assignment is
// committed, before the workflow task that ran it as a local activity
// completed (services/sales/internal/ports).
const (
	AfterRoute  = "sales.after-route-lead"
	AfterAssign = "sales.after-assign-lead"
)

// TestSalesServiceKilledMidAssignment kills the sales service — which hosts
// new leads and writes their routing and assignments as local activities —
// with SIGKILL in the middle of a lead's creation: once the rep is reserved
// (no lead stored yet), once the lead is stored and assigned; either way the
// workflow task that ran it not completed, no answer sent. Started again,
// the service takes the lead's workflow task again and runs the activity
// again (the same reservation, the same assignment number: nothing
// changes); the client's retry with the same Idempotency-Key is answered
// 201 with that lead, assigned once to the rep first reserved (the
// territory's round-robin gives the next lead to the other rep: the turn
// moved once), its company one customer owned by the lead's owner, no
// reservation left. About 30 seconds each. PostgreSQL. Once more with the
// sales service's own identity, with which the lead also finds its customer
// and opens its follow-up as local activities calling the customer and
// follow-up services over HTTP (LeadInput.calls_local): killed after the
// assignment, those calls run again too and change nothing either.
func TestSalesServiceKilledMidAssignment(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a service process")
	}
	for _, point := range []string{AfterRoute, AfterAssign} {
		t.Run(point, func(t *testing.T) { killedMidAssignment(t, point, false) })
	}
	t.Run(AfterAssign+"/calls-local", func(t *testing.T) { killedMidAssignment(t, AfterAssign, true) })
}

func killedMidAssignment(t *testing.T, point string, identity bool) {
	hostPort, ns, _ := ownNamespace(t)
	iss, issuerURL := stacktest.StartIssuer(t)
	common := map[string]string{"OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": ns,
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"}
	salesEnv := map[string]string{}
	if identity {
		iss.RegisterServiceClient("closeloop-sales", "secret-of-the-sales-service")
		common["SERVICE_CALLERS"] = "closeloop-sales"
		salesEnv = map[string]string{"SERVICE_CLIENT_ID": "closeloop-sales", "SERVICE_CLIENT_SECRET": "secret-of-the-sales-service"}
	}
	cust, fu := stacktest.StartPair(t, common, map[string]string{"DATABASE_URL": testenv.Postgres(t)},
		map[string]string{"DATABASE_URL": testenv.Postgres(t), "NOTIFY_DISPATCH": "false"}, service.Options{})
	sdsn := testenv.Postgres(t)
	salesEnv["FOLLOWUP_API_URL"] = fu.Base
	sales := newProc(t, "sales", stacktest.Merge(common, stacktest.Merge(salesEnv, map[string]string{"DATABASE_URL": sdsn, "CUSTOMER_API_URL": cust.Base,
		"LEAD_CREATE_WAIT": "90s"})))
	toks := tokens(t, iss)
	mgr := toks[stacktest.MgrMia]
	for user, tok := range toks { // known users own customers and leads
		if a := send("GET", cust.Base+"/v1/abc/settings", tok, nil); a.Status != http.StatusOK {
			t.Fatalf("first request of %s: %s", user, a)
		}
	}
	sales.Start(point)
	if a := send("POST", sales.Base+"/v1/territories", mgr, map[string]any{"name": "North steel", "region": "north", "industry": "steel",
		"team": "north", "strategy": "round_robin", "reps": []map[string]any{{"rep_id": stacktest.RepAna, "capacity": 10},
			{"rep_id": stacktest.RepBo, "capacity": 10}}}); a.Status != http.StatusCreated {
		t.Fatalf("territory: %s", a)
	}
	name := "Killed Sales Ltd " + strconv.FormatInt(time.Now().UnixNano(), 10)
	body := map[string]any{"source": "phone", "company_name": name, "region": "north", "industry": "steel"}
	key := "kill-lead-" + strconv.FormatInt(time.Now().UnixNano(), 10)

	first := send("POST", sales.Base+"/v1/leads", mgr, body, idem.Header, key)
	sales.Died(time.Minute)
	if first.Err == nil {
		t.Fatalf("answered although the service died before its workflow task completed: %s", first)
	}
	sdb := openDB(t, sdsn)
	var stored []struct{ ID, OwnerID string }
	if err := sdb.Raw(`SELECT id, owner_id FROM leads WHERE company_name = ?`, name).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	var held []struct{ LeadID, RepID string }
	if err := sdb.Raw(`SELECT lead_id, rep_id FROM lead_routes`).Scan(&held).Error; err != nil {
		t.Fatal(err)
	}
	switch {
	case point == AfterRoute && (len(stored) != 0 || len(held) != 1 || held[0].RepID != stacktest.RepAna):
		t.Fatalf("when the service died after the routing's commit: leads %+v, reservations %+v; want none, and rep-ana reserved", stored, held)
	case point == AfterAssign && (len(stored) != 1 || stored[0].OwnerID != stacktest.RepAna || len(held) != 0):
		t.Fatalf("when the service died after the assignment's commit: leads %+v, reservations %+v; want one, rep-ana's, and none", stored, held)
	}

	sales.Start("")
	retry := send("POST", sales.Base+"/v1/leads", mgr, body, idem.Header, key)
	if retry.Status != http.StatusCreated {
		t.Fatalf("the retry answered %s, want 201", retry)
	}
	l := retry.JSON(t)
	id, _ := l["id"].(string)
	if (len(stored) == 1 && id != stored[0].ID) || (len(held) == 1 && id != held[0].LeadID) || l["owner_id"] != stacktest.RepAna {
		t.Fatalf("the retry answered %v, want the lead stored or reserved, rep-ana's", l)
	}
	var left []struct{ LeadID, RepID string }
	if err := sdb.Raw(`SELECT lead_id, rep_id FROM lead_routes`).Scan(&left).Error; err != nil || len(left) != 0 {
		t.Fatalf("reservations left: %+v (%v)", left, err)
	}
	next := send("POST", sales.Base+"/v1/leads", mgr, map[string]any{"source": "phone", "company_name": name + " next", "region": "north",
		"industry": "steel"})
	if next.Status != http.StatusCreated || next.JSON(t)["owner_id"] != stacktest.RepBo {
		t.Fatalf("the next lead: %s, want it rep-bo's (the turn moved once)", next)
	}
	kinds := map[string]int{}
	tl := send("GET", sales.Base+"/v1/leads/"+id+"/timeline", toks[stacktest.Admin], nil)
	if tl.Status != http.StatusOK {
		t.Fatalf("timeline: %s", tl)
	}
	for _, e := range tl.JSON(t)["items"].([]any) {
		kinds[e.(map[string]any)["kind"].(string)]++
	}
	if kinds["assigned"] != 1 || kinds["created"] != 1 {
		t.Fatalf("timeline kinds %v, want created and assigned once each", kinds)
	}
	c := send("GET", cust.Base+"/v1/customers/"+l["customer_id"].(string), mgr, nil)
	if c.Status != http.StatusOK || c.JSON(t)["owner_id"] != stacktest.RepAna {
		t.Fatalf("the lead's customer: %s, want it owned by rep-ana", c)
	}
	var n int64
	if err := sdb.Raw(`SELECT count(*) FROM leads WHERE company_name = ?`, name).Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("%d leads for the company (%v), want 1", n, err)
	}
	// One customer for the company, and one first-contact follow-up open
	// for the lead, however often their calls ran.
	cs := send("GET", cust.Base+"/v1/customers?q="+url.QueryEscape(name), mgr, nil)
	if cs.Status != http.StatusOK {
		t.Fatalf("customers: %s", cs)
	}
	named := 0
	for _, c := range cs.JSON(t)["items"].([]any) {
		if c.(map[string]any)["name"] == name {
			named++
		}
	}
	if named != 1 {
		t.Fatalf("%d customers named %q, want one: %s", named, name, cs)
	}
	var fus []any
	stacktest.Eventually(t, "the lead's follow-up is open", 30*time.Second, func() bool {
		r := send("GET", fu.Base+"/v1/follow-ups?kind=first_contact&customer_id="+l["customer_id"].(string), mgr, nil)
		fus, _ = r.JSON(t)["items"].([]any)
		return r.Status == http.StatusOK && len(fus) > 0
	})
	if len(fus) != 1 || fus[0].(map[string]any)["owner_id"] != stacktest.RepAna {
		t.Fatalf("first-contact follow-ups of the lead's customer: %v, want one, rep-ana's", fus)
	}
}
