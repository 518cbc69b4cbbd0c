package sales_test

import (
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

var companySeq int

func companyName(prefix string) string {
	companySeq++
	return fmt.Sprintf("%s %d-%d", prefix, os.Getpid(), companySeq)
}

// TestLeadToOpportunityEndToEnd runs the whole path on a real Temporal server
// and each database: the customer service, the sales service and the workflow
// worker. A territory is defined; a rep's lead for a new company is stored,
// its customer is created in the customer service and owned by the rep the
// territory's round-robin picked; its live escalation state answers; first
// contact ends the follow-up; conversion starts the opportunity; stage
// changes and the funnel report work; and other reps and other teams' managers
// see none of it (404).
func TestLeadToOpportunityEndToEnd(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			// On PostgreSQL the sales service has a service identity: the
			// lead calls the customer and follow-up services as local
			// activities (LeadInput.calls_local); on SQLite as activity tasks.
			callsLocal := b.Name == "postgres"
			s := newStack(t, b.DSN, stackOpts{temporal: hostPort, namespace: namespace, identity: callsLocal})
			terr := s.northSteel(10)

			name := companyName("Granite Works")
			r := s.api("POST", "/v1/leads", repAna, map[string]any{"source": "web", "company_name": name, "region": "north", "industry": "steel",
				"contact_name": "Li Wei", "contact_email": fmt.Sprintf("li.wei.%d.%d@granite.example", os.Getpid(), companySeq), "interest": "crane rental"})
			if r.status != http.StatusCreated {
				t.Fatalf("create lead: %d %s", r.status, r.body)
			}
			l := r.json(t)
			id := l["id"].(string)
			if l["owner_id"] != repAna || l["territory_id"] != terr || l["team"] != "north" || l["customer_id"] == "" || l["state"] != "new" {
				t.Fatalf("lead %v", l)
			}
			// The customer service holds the new customer, owned by the lead's rep.
			c := s.call(s.customer.Base, "GET", "/v1/customers/"+l["customer_id"].(string), repAna, nil)
			if c.status != 200 || c.json(t)["owner_id"] != repAna || c.json(t)["name"] != name {
				t.Fatalf("customer: %d %s; as admin: %s", c.status, c.body, s.call(s.customer.Base, "GET", "/v1/customers/"+l["customer_id"].(string), admin, nil).body)
			}
			// Round-robin: the next lead goes to the next rep.
			l2 := s.must(201, "POST", "/v1/leads", mgrMia, map[string]any{"source": "event", "company_name": companyName("Basalt"), "region": "north", "industry": "steel"})
			if l2["owner_id"] != repCy {
				t.Fatalf("second lead went to %v, want rep-cy", l2["owner_id"])
			}

			// Live escalation state: a first-contact follow-up due in 4 business hours.
			var esc map[string]any
			eventually(t, "the follow-up is open", 20*time.Second, func() bool {
				esc = s.must(200, "GET", "/v1/leads/"+id+"/escalation", repAna, nil)
				return esc["follow_up_id"] != nil && esc["due_at"] != nil
			})
			if esc["next_action"] != "remind" || esc["owner_id"] != repAna {
				t.Fatalf("escalation %v", esc)
			}
			fu := s.call(s.customer.Base, "GET", "/v1/follow-ups/"+esc["follow_up_id"].(string), mgrMia, nil)
			if fu.status != 200 || fu.json(t)["kind"] != "first_contact" || fu.json(t)["owner_id"] != repAna {
				t.Fatalf("follow-up: %d %s", fu.status, fu.body)
			}

			// BOLA: another rep, another team's manager: 404 like a missing id.
			for _, u := range []string{repCy, repBo, mgrMax} {
				for _, p := range []string{"", "/timeline", "/escalation"} {
					if r := s.api("GET", "/v1/leads/"+id+p, u, nil); r.status != http.StatusNotFound {
						t.Errorf("%s read lead%s: %d", u, p, r.status)
					}
				}
				if r := s.api("POST", "/v1/leads/"+id+"/contacts", u, map[string]any{"channel": "call", "summary": "x"}); r.status != http.StatusNotFound {
					t.Errorf("%s logged a contact on another's lead: %d", u, r.status)
				}
			}
			if r := s.api("POST", "/v1/leads/"+id+"/reassign", repAna, map[string]any{"to_owner_id": repCy, "reason": "x"}); r.status != http.StatusForbidden {
				t.Errorf("a rep reassigned: %d", r.status)
			}
			list := s.must(200, "GET", "/v1/leads", repCy, nil)
			for _, it := range list["items"].([]any) {
				if it.(map[string]any)["owner_id"] != repCy {
					t.Errorf("rep-cy lists another's lead: %v", it)
				}
			}

			// First contact closes the follow-up.
			after := s.must(200, "POST", "/v1/leads/"+id+"/contacts", repAna, map[string]any{"channel": "call", "summary": "needs 3 cranes in May"})
			if after["state"] != "contacted" || after["first_contact_at"] == nil {
				t.Fatalf("after contact %v", after)
			}
			eventually(t, "the follow-up closes", 20*time.Second, func() bool {
				return s.call(s.customer.Base, "GET", "/v1/follow-ups/"+esc["follow_up_id"].(string), mgrMia, nil).json(t)["state"] == "done"
			})
			// Bad transitions are refused and change nothing.
			if r := s.api("POST", "/v1/leads/"+id+"/disqualify", repAna, map[string]any{"reason": ""}); r.status != 422 {
				t.Fatalf("disqualify without reason: %d %s", r.status, r.body)
			}
			s.must(200, "POST", "/v1/leads/"+id+"/qualify", repAna, map[string]any{"reason": "budget confirmed"})
			conv := s.must(200, "POST", "/v1/leads/"+id+"/convert", repAna, map[string]any{"opportunity": map[string]any{
				"name": "Crane fleet 2027", "stage": 2, "amount_minor": 12_000_000, "currency": "CNY", "expected_close": "2027-03-31"}})
			oppID, _ := conv["opportunity_id"].(string)
			if conv["state"] != "converted" || oppID == "" {
				t.Fatalf("converted %v", conv)
			}
			var opp map[string]any
			eventually(t, "the opportunity's workflow", 20*time.Second, func() bool {
				opp = s.must(200, "GET", "/v1/opportunities/"+oppID, repAna, nil)
				return opp["stage"] == float64(2)
			})
			if opp["probability"] != float64(30) || opp["weighted_amount_minor"] != float64(3_600_000) || opp["owner_id"] != repAna {
				t.Fatalf("opportunity %v", opp)
			}
			if r := s.api("GET", "/v1/opportunities/"+oppID, repCy, nil); r.status != http.StatusNotFound {
				t.Errorf("another rep read the opportunity: %d", r.status)
			}
			if r := s.api("POST", "/v1/opportunities/"+oppID+"/stage", repAna, map[string]any{"stage": 1, "reason": "scope cut"}); r.status != http.StatusForbidden {
				t.Fatalf("a rep moved back: %d %s", r.status, r.body)
			}
			s.must(200, "POST", "/v1/opportunities/"+oppID+"/stage", repAna, map[string]any{"stage": 4, "reason": "verbal yes"})
			s.must(200, "POST", "/v1/opportunities/"+oppID+"/stage", mgrMia, map[string]any{"stage": 3, "reason": "procurement reopened the tender"})
			if r := s.api("POST", "/v1/opportunities/"+oppID+"/lost", repAna, map[string]any{}); r.status != 422 {
				t.Fatalf("lost without reason: %d %s", r.status, r.body)
			}
			won := s.must(200, "POST", "/v1/opportunities/"+oppID+"/won", repAna, map[string]any{"reason": "signed"})
			if won["status"] != "won" || won["probability"] != float64(100) {
				t.Fatalf("won %v", won)
			}
			tl := s.must(200, "GET", "/v1/opportunities/"+oppID+"/timeline", mgrMia, nil)["items"].([]any)
			kinds := ""
			for _, e := range tl {
				kinds += e.(map[string]any)["kind"].(string) + ","
			}
			if kinds != "created,stage_changed,stage_changed,won," {
				t.Fatalf("opportunity timeline %s", kinds)
			}
			ltl := s.must(200, "GET", "/v1/leads/"+id+"/timeline", repAna, nil)["items"].([]any)
			kinds = ""
			for _, e := range ltl {
				kinds += e.(map[string]any)["kind"].(string) + ","
			}
			if kinds != "created,assigned,first_contact,qualified,converted," {
				t.Fatalf("lead timeline %s", kinds)
			}

			// The lead, hosted by the sales service, asked one change for
			// all of its own and its follow-up's (lead-hosted-at-current).
			if got := versionsAsked(t, s.sales.App.Deps().Temporal, "Lead:"+id); len(got) != 1 || got[0] != "lead-hosted-at-current" {
				t.Errorf("the lead's run asked the changes %v, want lead-hosted-at-current alone", got)
			}
			if n := localCalls(t, s.sales.App.Deps().Temporal, "Lead:"+id); callsLocal != (n > 0) {
				t.Errorf("the lead ran %d of the customer and follow-up services' activities locally; calls_local %v", n, callsLocal)
			}
			if b.Name == "postgres" {
				c := s.sales.App.Deps().Temporal
				// Both open their follow-ups with the resolution (change
				// resolve-and-open); lead-converted and opportunity-won are
				// the same recorded before it. The lead is routed before its
				// customer is found and calls the customer and follow-up
				// services as local activities (lead-hosted-at-current 3);
				// -routed is the same recorded before the local calls, -lean
				// before the routing.
				saveHistory(t, c, "Lead:"+id, "lead-converted-calls-local")
				saveHistory(t, c, "Opportunity:"+oppID, "opportunity-won-resolve-and-open")
			}

			// Funnel of north: one opportunity that reached stages 2–4 and was won.
			f := s.must(200, "GET", "/v1/funnel?team=north", mgrMia, nil)
			stages := f["stages"].([]any)
			st2, st4 := stages[1].(map[string]any), stages[3].(map[string]any)
			if f["won"].(map[string]any)["count"] != float64(1) || st2["reached"] != float64(1) || st4["conversion_to_next"] != float64(1) ||
				st2["exits"] != float64(1) || f["win_rate"] != float64(1) {
				t.Fatalf("funnel %s", mustJSON(f))
			}
			// Another team's manager sees an empty funnel.
			if g := s.must(200, "GET", "/v1/funnel?team=north", mgrMax, nil); g["won"].(map[string]any)["count"] != float64(0) {
				t.Fatalf("mgr-max sees north's funnel: %v", g)
			}
		})
	}
}

// TestConcurrentLeadsForOneCompanyHaveOneOwner: twenty leads for the same new
// company arrive at once (round-robin would spread them over three reps).
// The customer service's duplicate detection makes them one customer, and the
// conditional owner claim gives it exactly one owner, who gets every lead.
func TestConcurrentLeadsForOneCompanyHaveOneOwner(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	s := newStack(t, testenv.Postgres, stackOpts{temporal: hostPort, namespace: namespace})
	s.northSteel(100)
	name := companyName("Concurrent Steel")
	const n = 20
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.api("POST", "/v1/leads", mgrMia, map[string]any{"source": "web", "company_name": name, "region": "north", "industry": "steel",
				"notes": fmt.Sprintf("form submission %d", i)})
			if r.status != http.StatusCreated && r.status != http.StatusAccepted {
				errs <- fmt.Sprintf("lead %d: %d %s", i, r.status, r.body)
				return
			}
			var m map[string]any
			_ = jsonUnmarshal(r.body, &m)
			ids[i] = m["id"].(string)
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	owners, customers := map[string]int{}, map[string]int{}
	for _, id := range ids {
		var l map[string]any
		eventually(t, "lead assigned", 60*time.Second, func() bool {
			l = s.must(200, "GET", "/v1/leads/"+id, admin, nil)
			return l["owner_id"] != "" && l["customer_id"] != ""
		})
		owners[l["owner_id"].(string)]++
		customers[l["customer_id"].(string)]++
	}
	if len(owners) != 1 || len(customers) != 1 {
		t.Fatalf("%d leads for one company: owners %v, customers %v", n, owners, customers)
	}
	for cid := range customers {
		c := s.call(s.customer.Base, "GET", "/v1/customers/"+cid, admin, nil).json(t)
		for owner := range owners {
			if c["owner_id"] != owner {
				t.Fatalf("customer owned by %v, leads by %s", c["owner_id"], owner)
			}
		}
	}
	list := s.call(s.customer.Base, "GET", "/v1/customers?q="+urlQuery(name), admin, nil).json(t)
	if n := len(list["items"].([]any)); n != 1 {
		t.Fatalf("%d customers named %q", n, name)
	}
}
