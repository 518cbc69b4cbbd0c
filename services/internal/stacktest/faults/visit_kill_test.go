package faults_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/followup"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// AfterBook is the customer service's fault point once a booking is
// committed, before the workflow task that ran it as a local activity
// completed (services/customer/internal/visits/app).
const AfterBook = "customer.after-book-visit"

// TestCustomerServiceKilledMidBooking kills the customer service — which
// hosts new customer-days and writes their bookings as local activities —
// with SIGKILL in the middle of a visit request: the booking committed, the
// workflow task that ran it not completed, no answer sent. Started again,
// the service takes the day's workflow task again and runs the booking
// again (idempotent by the visit's id, which the run derives from its own
// id); the client's retry with the same Idempotency-Key is answered 201
// booked with that visit, and the day holds exactly one visit, one booker
// and one "booked" entry. A second department then joins it. About 40
// seconds. PostgreSQL.
func TestCustomerServiceKilledMidBooking(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a service process")
	}
	hostPort, ns, _ := ownNamespace(t)
	iss, issuerURL := stacktest.StartIssuer(t)
	cdsn := testenv.Postgres(t)
	cust := newProc(t, "customer", map[string]string{"DATABASE_URL": cdsn, "OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": hostPort,
		"TEMPORAL_NAMESPACE": ns, "VISIT_DECISION_WAIT": "90s", "SHUTDOWN_TIMEOUT": "5s"})
	fu := servicetest.Start(t, followup.Spec(), map[string]string{"DATABASE_URL": testenv.Postgres(t), "OIDC_ISSUER_URL": issuerURL,
		"TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": ns, "CUSTOMER_API_URL": cust.Base, "NOTIFY_DISPATCH": "false",
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"}, service.Options{})
	cust.env["FOLLOWUP_API_URL"] = fu.Base
	toks := tokens(t, iss)
	mgr := toks[stacktest.MgrMia]
	cust.Start(AfterBook)
	register(t, cust, toks)
	c := send("POST", cust.Base+"/v1/customers", mgr, stacktest.Company(map[string]any{"owner_id": stacktest.RepAna, "team": "north"}))
	if c.Status != http.StatusCreated {
		t.Fatalf("create a customer: %s", c)
	}
	custID := c.JSON(t)["id"].(string)
	day := time.Now().UTC().AddDate(0, 0, 9).Format(time.DateOnly)
	visits := cust.Base + "/v1/customers/" + custID + "/visits"
	// A manager may book any day (allow_non_working_day): the test does
	// not depend on the calendar.
	body := map[string]any{"day": day, "department": "sales", "purpose": "quarterly review", "start_time": "10:00",
		"duration_minutes": 60, "allow_non_working_day": true}
	key := "kill-book-" + strconv.FormatInt(time.Now().UnixNano(), 10)

	first := send("POST", visits, mgr, body, idem.Header, key)
	cust.Died(time.Minute)
	if first.Err == nil {
		t.Fatalf("answered although the service died before its workflow task completed: %s", first)
	}
	cdb := openDB(t, cdsn)
	count := func(query string) int {
		t.Helper()
		var n int64
		if err := cdb.Raw(query, custID).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	const (
		qVisits  = `SELECT count(*) FROM visits WHERE customer_id = ?`
		qBookers = `SELECT count(*) FROM visit_participants p JOIN visits v ON v.id = p.visit_id WHERE v.customer_id = ? AND p.role = 'booker'`
		qBooked  = `SELECT count(*) FROM visit_events e JOIN visits v ON v.id = e.visit_id WHERE v.customer_id = ? AND e.kind = 'booked'`
	)
	if n := count(qVisits); n != 1 {
		t.Fatalf("%d visits stored when the service died after the booking's commit, want 1", n)
	}

	cust.Start("")
	retry := send("POST", visits, mgr, body, idem.Header, key)
	if retry.Status != http.StatusCreated {
		t.Fatalf("the retry answered %s, want 201", retry)
	}
	ans := retry.JSON(t)
	var stored string
	if err := cdb.Raw(`SELECT id FROM visits WHERE customer_id = ?`, custID).Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if ans["outcome"] != "booked" || ans["visit"].(map[string]any)["id"] != stored {
		t.Fatalf("the retry answered %v, want booked with the stored visit %s", ans, stored)
	}
	joined := send("POST", visits, toks[stacktest.RepAna], map[string]any{"day": day, "department": "service", "purpose": "maintenance", "join": true})
	if joined.Status != http.StatusOK || joined.JSON(t)["outcome"] != "joined" {
		t.Fatalf("a join after the restart answered %s", joined)
	}
	if v, b, e := count(qVisits), count(qBookers), count(qBooked); v != 1 || b != 1 || e != 1 {
		t.Fatalf("%d visits, %d bookers, %d booked entries; want one of each", v, b, e)
	}
}
