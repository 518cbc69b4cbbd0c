package sales_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// TestLeadOnAColleaguesCustomer is the field defect of issue 13 item 1, end
// to end on a real Temporal server and each database. Before the fix: rep-cy
// named rep-ana's existing customer in a lead received "20 days ago"; within
// a second the first-contact SLA had run out, rep-ana was reminded,
// escalated and stripped of the lead, a third rep got it and converted it
// into an opportunity on a customer that rep cannot see, and rep-ana could
// not see the opportunity on her own customer. Now:
//   - the lead belongs to the customer's owner, and the 201 tells rep-cy
//     only which team handles it (no owner, customer id, territory, manager);
//   - its SLA counts from its creation: received_at is recorded, not trusted;
//   - only the permissioned import path (leads:assign) times it from
//     received_at, and then the ladder escalates to the managers instead of
//     moving the lead away from the customer's owner;
//   - a manager may move it only by moving the customer too (move_customer);
//   - converting checks that the lead's owner may see the customer, and the
//     opportunity is visible to the customer's owner.
func TestLeadOnAColleaguesCustomer(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, stackOpts{temporal: hostPort, namespace: namespace})
			terr := s.northSteel(10)
			for _, u := range []string{repAna, repCy, repDan} { // the customer service learns its users from their tokens
				s.call(s.customer.Base, "GET", "/v1/customers", u, nil)
			}
			name := companyName("Ana Quarry")
			cr := s.call(s.customer.Base, "POST", "/v1/customers", admin, map[string]any{"name": name, "region": "north", "industry": "steel", "owner_id": repAna, "team": "north"})
			if cr.status != 201 {
				t.Fatalf("customer: %d %s", cr.status, cr.body)
			}
			custID := cr.json(t)["id"].(string)
			customerOwner := func() any {
				return s.call(s.customer.Base, "GET", "/v1/customers/"+custID, admin, nil).json(t)["owner_id"]
			}

			// rep-cy names rep-ana's customer, "received" 20 days ago.
			old := time.Now().Add(-20 * 24 * time.Hour).UTC().Format(time.RFC3339)
			before := time.Now().UTC()
			r := s.api("POST", "/v1/leads", repCy, map[string]any{"source": "phone", "company_name": name, "region": "north", "industry": "steel", "received_at": old})
			if r.status != http.StatusCreated {
				t.Fatalf("create lead: %d %s", r.status, r.body)
			}
			created := r.json(t)
			id := created["id"].(string)
			for _, f := range []string{"owner_id", "customer_id", "territory_id", "manager_id", "assignment_reason"} {
				if v, _ := created[f].(string); v != "" {
					t.Errorf("rep-cy is told %s=%q of a lead on a customer out of their scope: %s", f, v, r.body)
				}
			}
			if note, _ := created["note"].(string); created["team"] != "north" || !strings.Contains(note, "north") {
				t.Errorf("rep-cy is not told which team to ask: %s", r.body)
			}
			if strings.Contains(string(r.body), custID) || strings.Contains(string(r.body), repAna) || strings.Contains(string(r.body), terr) {
				t.Errorf("the answer leaks the customer, its owner or the territory: %s", r.body)
			}
			l := s.must(200, "GET", "/v1/leads/"+id, mgrMia, nil)
			if l["owner_id"] != repAna || l["customer_id"] != custID || l["received_at"] == nil {
				t.Fatalf("lead %v", l)
			}
			// The SLA counts from the lead's creation, not from received_at.
			var due time.Time
			eventually(t, "the first-contact follow-up", 30*time.Second, func() bool {
				esc := s.must(200, "GET", "/v1/leads/"+id+"/escalation", mgrMia, nil)
				d, _ := esc["due_at"].(string)
				due, _ = time.Parse(time.RFC3339Nano, d)
				return esc["follow_up_id"] != nil && due.Year() > 1
			})
			if due.Before(before) {
				t.Fatalf("first contact due at %v, before the lead was created (%v): received_at was trusted", due, before)
			}
			time.Sleep(2 * time.Second)
			l = s.must(200, "GET", "/v1/leads/"+id, mgrMia, nil)
			if l["owner_id"] != repAna || customerOwner() != repAna {
				t.Fatalf("within seconds the lead went to %v (customer owner %v)", l["owner_id"], customerOwner())
			}
			if k := kinds(s.must(200, "GET", "/v1/leads/"+id+"/timeline", mgrMia, nil)); strings.Contains(k, "reminder") || strings.Contains(k, "escalated") {
				t.Fatalf("escalated at once: %s", k)
			}

			// The import path: received_at counts, but only with leads:assign.
			imp := map[string]any{"source": "partner", "company_name": name, "region": "north", "industry": "steel", "received_at": old, "import": true}
			if r := s.api("POST", "/v1/leads", repCy, imp); r.status != http.StatusForbidden {
				t.Fatalf("a rep imported a back-dated lead: %d %s", r.status, r.body)
			}
			imported := s.must(201, "POST", "/v1/leads", mgrMia, imp)
			impID := imported["id"].(string)
			if imported["owner_id"] != repAna {
				t.Fatalf("imported lead %v", imported)
			}
			// Its ladder runs at once — remind, escalate, and the reassign
			// step escalates to the managers instead of taking the lead away.
			eventually(t, "the reassign step", 60*time.Second, func() bool {
				return strings.Contains(string(s.api("GET", "/v1/leads/"+impID+"/timeline", mgrMia, nil).body), "to decide on reassign")
			})
			time.Sleep(time.Second)
			k := kinds(s.must(200, "GET", "/v1/leads/"+impID+"/timeline", mgrMia, nil))
			if strings.Contains(k, "reassigned") || strings.Contains(k, "pooled") || !strings.Contains(k, "reminder") {
				t.Fatalf("imported lead's timeline %s", k)
			}
			if l := s.must(200, "GET", "/v1/leads/"+impID, mgrMia, nil); l["owner_id"] != repAna || l["pooled"] != false {
				t.Fatalf("the ladder moved the lead: %v", l)
			}
			if o := customerOwner(); o != repAna {
				t.Fatalf("the ladder moved the customer to %v", o)
			}

			// A manager moves the lead only together with the customer.
			for _, body := range []map[string]any{
				{"to_owner_id": repDan, "reason": "Ana is busy"},
				{"to_pool": true, "reason": "nobody"},
				{"reason": "rebalance"},
			} {
				if r := s.api("POST", "/v1/leads/"+id+"/reassign", mgrMia, body); r.status != 422 || r.code(t) != "customer_owned" {
					t.Fatalf("reassign %v: %d %s", body, r.status, r.body)
				}
			}
			if r := s.api("POST", "/v1/leads/"+id+"/reassign", mgrMax, map[string]any{"to_owner_id": repBo, "move_customer": true, "reason": "x"}); r.status != 404 {
				t.Fatalf("another team's manager moved the lead: %d %s", r.status, r.body)
			}
			moved := s.must(200, "POST", "/v1/leads/"+id+"/reassign", mgrMia, map[string]any{"to_owner_id": repDan, "move_customer": true, "reason": "Ana is on leave"})
			if moved["owner_id"] != repDan {
				t.Fatalf("moved %v", moved)
			}
			eventually(t, "the customer moves with the lead", 20*time.Second, func() bool { return customerOwner() == repDan })

			// rep-ana still has the imported lead, on a customer she no longer
			// owns: she may not convert it into an opportunity she could not see.
			s.must(200, "POST", "/v1/leads/"+impID+"/contacts", repAna, map[string]any{"channel": "call", "summary": "hello"})
			if r := s.api("POST", "/v1/leads/"+impID+"/convert", repAna, nil); r.status != 422 || r.code(t) != "customer_not_visible" {
				t.Fatalf("converted on a customer the owner cannot see: %d %s", r.status, r.body)
			}
			if l := s.must(200, "GET", "/v1/leads/"+impID, mgrMia, nil); l["state"] != "contacted" || l["opportunity_id"] != nil {
				t.Fatalf("a refused convert changed the lead: %v", l)
			}
			// rep-dan, the customer's owner now, converts his lead; the
			// opportunity is his and he sees it.
			s.must(200, "POST", "/v1/leads/"+id+"/contacts", repDan, map[string]any{"channel": "call", "summary": "hello"})
			conv := s.must(200, "POST", "/v1/leads/"+id+"/convert", repDan, nil)
			oppID, _ := conv["opportunity_id"].(string)
			if oppID == "" {
				t.Fatalf("converted %v", conv)
			}
			eventually(t, "the opportunity", 20*time.Second, func() bool {
				return s.api("GET", "/v1/opportunities/"+oppID, repDan, nil).status == 200
			})
			if r := s.api("GET", "/v1/opportunities/"+oppID, repAna, nil); r.status != 404 {
				t.Fatalf("rep-ana reads an opportunity on a customer she no longer owns: %d", r.status)
			}
			// The customer changes hands in the customer service: its new owner
			// sees the opportunity on it (reads; the deal stays rep-dan's).
			if r := s.call(s.customer.Base, "PATCH", "/v1/customers/"+custID, mgrMia, map[string]any{"owner_id": repAna, "team": "north", "reason": "Dan moves to key accounts"}); r.status != 200 {
				t.Fatalf("customer owner change: %d %s", r.status, r.body)
			}
			for _, p := range []string{"", "/timeline"} {
				if r := s.api("GET", "/v1/opportunities/"+oppID+p, repAna, nil); r.status != 200 {
					t.Fatalf("the customer's new owner cannot read the opportunity%s on her customer: %d %s", p, r.status, r.body)
				}
			}
			if r := s.api("GET", "/v1/opportunities/"+oppID, repCy, nil); r.status != 404 {
				t.Fatalf("a rep who owns neither reads the opportunity: %d", r.status)
			}
			if r := s.api("POST", "/v1/opportunities/"+oppID+"/won", repAna, nil); r.status != 404 {
				t.Fatalf("the customer's owner changed someone else's deal: %d %s", r.status, r.body)
			}
			// A direct opportunity for a rep who cannot see the customer is refused.
			if r := s.api("POST", "/v1/opportunities", mgrMia, map[string]any{"customer_id": custID, "name": "Side deal", "owner_id": repDan}); r.status != 422 || r.code(t) != "customer_not_visible" {
				t.Fatalf("opportunity for a rep who cannot see the customer: %d %s", r.status, r.body)
			}

			s.must(200, "POST", "/v1/leads/"+impID+"/disqualify", repAna, map[string]any{"reason": "customer moved to another rep"})
			if b.Name == "postgres" {
				c := s.sales.App.Deps().Temporal
				// Routed before the customer is found (-lean: recorded before).
				saveHistory(t, c, "Lead:"+id, "lead-bound-moved-with-customer-routed")
				saveHistory(t, c, "Lead:"+impID, "lead-imported-bound-escalated-routed")
			}

			// Territories and loads are scoped (issue 13 item 3).
			if r := s.api("GET", "/v1/territories/"+terr, repBo, nil); r.status != 404 {
				t.Fatalf("rep-bo (south) reads north's territory: %d", r.status)
			}
			if r := s.api("GET", "/v1/territories/"+terr, mgrMax, nil); r.status != 404 {
				t.Fatalf("south's manager reads north's territory: %d", r.status)
			}
			if items := s.must(200, "GET", "/v1/territories", repBo, nil)["items"].([]any); len(items) != 0 {
				t.Fatalf("rep-bo lists %v", items)
			}
			own := s.must(200, "GET", "/v1/territories/"+terr, repAna, nil)
			if reps := own["reps"].([]any); len(reps) != 1 || reps[0].(map[string]any)["rep_id"] != repAna {
				t.Fatalf("rep-ana sees other reps' loads: %v", reps)
			}
			if reps := s.must(200, "GET", "/v1/territories/"+terr, mgrMia, nil)["reps"].([]any); len(reps) != 3 {
				t.Fatalf("north's manager sees %v", reps)
			}
			if items := s.must(200, "GET", "/v1/territories", analyst, nil)["items"].([]any); len(items) != 1 {
				t.Fatalf("the analyst lists %v", items)
			}
		})
	}
}

func kinds(tl map[string]any) string {
	var k []string
	for _, e := range tl["items"].([]any) {
		k = append(k, e.(map[string]any)["kind"].(string))
	}
	return strings.Join(k, ",")
}
