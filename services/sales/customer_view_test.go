package sales_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
)

// TestCustomerSalesView checks what the console's customer page reads from
// the sales service, on a real Temporal server and each database: the lead
// and opportunity lists filtered by customer_id hold that customer's records
// only, and GET /v1/timeline?customer_id= merges the events of its leads and
// opportunities newest first, each naming its lead or opportunity, read a
// page at a time without gaps or repeats. Another team's rep and manager see
// an empty page for the same customer; a missing or malformed customer_id is
// 400 invalid_query.
func TestCustomerSalesView(t *testing.T) {
	hostPort, namespace := testenv.Temporal(t)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, stackOpts{temporal: hostPort, namespace: namespace})
			s.northSteel(10)
			newLead := func(company string) map[string]any {
				t.Helper()
				r := s.api("POST", "/v1/leads", mgrMia, map[string]any{"source": "web", "company_name": company, "region": "north", "industry": "steel",
					"contact_email": fmt.Sprintf("buyer.%d.%d@example.com", os.Getpid(), companySeq)})
				if r.status != http.StatusCreated {
					t.Fatalf("create lead: %d %s", r.status, r.body)
				}
				return r.json(t)
			}
			granite := companyName("Granite Works")
			lead := newLead(granite)
			other := newLead(companyName("Basalt Ltd"))
			cust, owner := lead["customer_id"].(string), lead["owner_id"].(string)
			leadID := lead["id"].(string)
			s.must(200, "POST", "/v1/leads/"+leadID+"/contacts", owner, map[string]any{"channel": "call", "summary": "wants cranes"})
			conv := s.must(200, "POST", "/v1/leads/"+leadID+"/convert", owner, map[string]any{"opportunity": map[string]any{
				"name": "Crane fleet", "stage": 1, "amount_minor": 100_000, "currency": "CNY"}})
			oppID := conv["opportunity_id"].(string)
			eventually(t, "the opportunity's workflow", 20*time.Second, func() bool {
				return s.api("GET", "/v1/opportunities/"+oppID, owner, nil).status == 200
			})
			s.must(200, "POST", "/v1/opportunities/"+oppID+"/stage", owner, map[string]any{"stage": 2, "reason": "project intended"})

			ids := func(page map[string]any) []string {
				var out []string
				for _, it := range page["items"].([]any) {
					out = append(out, it.(map[string]any)["id"].(string))
				}
				return out
			}
			if got := ids(s.must(200, "GET", "/v1/leads?customer_id="+cust, mgrMia, nil)); len(got) != 1 || got[0] != leadID {
				t.Fatalf("leads of the customer: %v, want [%s] (not %s)", got, leadID, other["id"])
			}
			if got := ids(s.must(200, "GET", "/v1/opportunities?customer_id="+cust, owner, nil)); len(got) != 1 || got[0] != oppID {
				t.Fatalf("opportunities of the customer: %v, want [%s]", got, oppID)
			}
			if got := ids(s.must(200, "GET", "/v1/opportunities?customer_id="+other["customer_id"].(string), mgrMia, nil)); len(got) != 0 {
				t.Fatalf("the other customer has opportunities %v", got)
			}

			// The whole timeline in one page, then a page at a time.
			var all []map[string]any
			eventually(t, "the stage change on the timeline", 20*time.Second, func() bool {
				all = nil
				for _, it := range s.must(200, "GET", "/v1/timeline?customer_id="+cust+"&limit=200", owner, nil)["items"].([]any) {
					all = append(all, it.(map[string]any))
				}
				return len(all) > 0 && all[0]["kind"] == "stage_changed"
			})
			kinds := map[string]bool{}
			for i, e := range all {
				kinds[e["subject_type"].(string)+"/"+e["kind"].(string)] = true
				// As times, not text: RFC 3339 drops trailing zeros of the fraction.
				if i > 0 && instantOf(t, e["at"]).After(instantOf(t, all[i-1]["at"])) {
					t.Errorf("not newest first at %d: %v after %v", i, e["at"], all[i-1]["at"])
				}
				switch e["subject_id"] {
				case leadID:
					if e["subject_type"] != "lead" || e["subject_name"] != granite {
						t.Errorf("lead event %v", e)
					}
				case oppID:
					if e["subject_type"] != "opportunity" || e["subject_name"] != "Crane fleet" {
						t.Errorf("opportunity event %v", e)
					}
				default:
					t.Errorf("an event of neither the lead nor its opportunity: %v", e)
				}
			}
			for _, k := range []string{"lead/created", "lead/assigned", "lead/first_contact", "lead/converted", "opportunity/created", "opportunity/stage_changed"} {
				if !kinds[k] {
					t.Errorf("the timeline lacks %s: %v", k, kinds)
				}
			}
			var paged []string
			for cursor := ""; ; {
				page := s.must(200, "GET", "/v1/timeline?customer_id="+cust+"&limit=2&cursor="+urlQuery(cursor), owner, nil)
				paged = append(paged, ids(page)...)
				next, _ := page["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			if fmt.Sprint(paged) != fmt.Sprint(ids(map[string]any{"items": anySlice(all)})) {
				t.Errorf("pages of 2 read %v, one page %v", paged, ids(map[string]any{"items": anySlice(all)}))
			}

			// Outside the scope: empty, like a customer without sales.
			for _, u := range []string{repBo, mgrMax} {
				for _, p := range []string{"/v1/timeline?customer_id=", "/v1/leads?customer_id=", "/v1/opportunities?customer_id="} {
					if got := ids(s.must(200, "GET", p+cust, u, nil)); len(got) != 0 {
						t.Errorf("%s reads %s of another team's customer: %v", u, p, got)
					}
				}
			}
			for _, p := range []string{"/v1/timeline", "/v1/timeline?customer_id=granite", "/v1/leads?customer_id=1", "/v1/opportunities?customer_id=x"} {
				if r := s.api("GET", p, mgrMia, nil); r.status != http.StatusBadRequest || r.code(t) != "invalid_query" {
					t.Errorf("%s: %d %s", p, r.status, r.body)
				}
			}
		})
	}
}

func anySlice(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// instantOf parses an RFC 3339 instant from an API answer.
func instantOf(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("instant %v: %v", v, err)
	}
	return at
}
