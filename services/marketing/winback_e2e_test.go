package marketing_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// TestWinBackEndToEnd runs the win-back across the services, on the real
// Temporal dev server and both databases: customers lost for longer than
// winback.inactivity_period (180 days) are enrolled when the win-back
// campaign launches — half held out — while one lost last week is not; the
// treated customer's first touch (a call) is planned for its rep; the rep
// logs a call, which stops the cadence and hands the customer to sales as a
// lead for its owner (the customer back on the expected list); the lead is
// worked and its opportunity won; the campaign then reports one customer
// won back. The held-out customer is never touched.
func TestWinBackEndToEnd(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStack(t, b.DSN, true)
			cdb := s.customer.App.Deps().DB
			camp := s.must(201, "POST", "/v1/campaigns", mktMo, campaign(map[string]any{"name": "Win them back", "type": "winback",
				"segment": map[string]any{"owner_ids": []string{repAna}}, "holdout": 0.5, "enrol_newcomers": true}))
			id := camp["id"].(string)

			lose := func(c string, ago time.Duration) {
				t.Helper()
				r := s.call(s.customer.Base, "POST", "/v1/customers/"+c+"/lifecycle", repAna, map[string]any{"to": "lost",
					"reason": "went with a cheaper supplier", "competitor": "Acme Cranes"})
				if r.Status != http.StatusOK {
					t.Fatalf("lose %s: %d %s", c, r.Status, r.Body)
				}
				if err := cdb.Exec("UPDATE customers SET lost_at = ? WHERE id = ?", time.Now().Add(-ago), c).Error; err != nil {
					t.Fatal(err)
				}
			}
			var treated, inbound, held string
			for i := 0; (treated == "" || inbound == "" || held == "") && i < 40; i++ {
				c := s.customerOf(repAna, nil)
				switch {
				case domain.InHoldout(id, c, 0.5) && held == "":
					held = c
				case !domain.InHoldout(id, c, 0.5) && treated == "":
					treated = c
				case !domain.InHoldout(id, c, 0.5) && inbound == "":
					inbound = c
				default:
					continue
				}
				lose(c, 200*24*time.Hour)
			}
			recent := s.customerOf(repAna, nil)
			lose(recent, 7*24*time.Hour)

			s.must(200, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
			s.must(200, "POST", "/v1/campaigns/"+id+"/launch", mktMo, nil)

			enrolment := func(c string) map[string]any {
				page := s.must(200, "GET", "/v1/campaigns/"+id+"/enrolments?limit=200", mktMo, nil)
				for _, it := range page["items"].([]any) {
					if e := it.(map[string]any); e["customer_id"] == c {
						return e
					}
				}
				return nil
			}
			stacktest.Eventually(t, "the launch enrols and the first touch is made", 60*time.Second, func() bool {
				e := enrolment(treated)
				return e != nil && e["touches"] == float64(1) && s.must(200, "GET", "/v1/campaigns/"+id, mktMo, nil)["launch"] != nil
			})
			if e := enrolment(held); e == nil || e["group"] != "holdout" {
				t.Fatalf("the held-out customer's enrolment: %v", e)
			}
			if e := enrolment(recent); e != nil {
				t.Fatalf("a customer lost a week ago was enrolled: %v", e)
			}
			if e := enrolment(treated); e["group"] != "treated" || e["owner_id"] != repAna || e["state"] != "active" {
				t.Fatalf("the treated customer's enrolment: %v", e)
			}
			// The touch is an action plan for the customer's rep, on its history.
			var plan map[string]any
			stacktest.Eventually(t, "the touch's action plan", 30*time.Second, func() bool { plan = s.findPlan(treated); return plan != nil })
			if plan == nil {
				t.Fatalf("no win-back call on the treated customer's history: %s", s.call(s.customer.Base, "GET", "/v1/customers/"+treated+"/history", admin, nil).Body)
			}
			if raw, _ := json.Marshal(plan); !strings.Contains(string(raw), repAna) {
				t.Errorf("the win-back call is not the rep's: %s", raw)
			}
			if s.findPlan(held) != nil {
				t.Fatal("the held-out customer was touched")
			}
			// By hand: a customer in the campaign already, and one who opted out.
			if r := s.api("POST", "/v1/campaigns/"+id+"/enrolments", mktMo, map[string]any{"customer_id": treated}); r.Status != http.StatusConflict ||
				r.Code(t) != "already_enrolled" {
				t.Errorf("enrolling twice: %d %s", r.Status, r.Body)
			}
			s.must(200, "PUT", "/v1/opt-outs/"+recent, mktMay, map[string]any{"reason": "asked on the phone"})
			if r := s.api("POST", "/v1/campaigns/"+id+"/enrolments", mktMo, map[string]any{"customer_id": recent}); r.Status != http.StatusUnprocessableEntity ||
				r.Code(t) != "opted_out" {
				t.Errorf("enrolling an opted-out customer: %d %s", r.Status, r.Body)
			}

			// The rep calls: the customer answers; the cadence stops and the
			// customer becomes a lead for its owner.
			r := s.call(s.customer.Base, "POST", "/v1/actions", repAna, map[string]any{"kind": "log", "category": "phone_call",
				"department": "sales", "title": "Called back", "summary": "they want a quote for two cranes", "customer_ids": []string{treated}})
			if r.Status != http.StatusCreated {
				t.Fatalf("log the call: %d %s", r.Status, r.Body)
			}
			var leadID string
			stacktest.Eventually(t, "the response stops the cadence with a lead", 60*time.Second, func() bool {
				e := enrolment(treated)
				leadID, _ = e["lead_id"].(string)
				return e["state"] == "ended" && e["outcome"] == "responded" && e["response_kind"] == "call" && leadID != ""
			})
			var lead map[string]any
			stacktest.Eventually(t, "the lead is assigned to the customer's owner", 60*time.Second, func() bool {
				r := s.call(s.sales.Base, "GET", "/v1/leads/"+leadID, repAna, nil)
				if r.Status != http.StatusOK {
					return false
				}
				lead = r.JSON(t)
				return lead["owner_id"] == repAna
			})
			if lead["customer_id"] != treated || lead["source"] != "campaign" {
				t.Fatalf("the lead: %v", lead)
			}
			stacktest.Eventually(t, "the customer is back on the expected list", 30*time.Second, func() bool {
				c := s.call(s.customer.Base, "GET", "/v1/customers/"+treated, repAna, nil).JSON(t)
				return c["lifecycle_stage"] == "prospect"
			})

			// Another lost customer comes back on its own: a lead for it
			// (an inbound request typed in by sales) stops its cadence and is
			// the hand-over — no second lead.
			in := s.salesMust(201, "POST", "/v1/leads", repAna, map[string]any{"source": "web", "customer_id": inbound,
				"interest": "asked for a price list"})
			stacktest.Eventually(t, "the inbound lead stops the other cadence", 60*time.Second, func() bool {
				e := enrolment(inbound)
				return e["state"] == "ended" && e["outcome"] == "responded" && e["response_kind"] == "lead" && e["lead_id"] == in["id"]
			})

			// Sales works the lead as any other, and wins.
			s.salesMust(200, "POST", "/v1/leads/"+leadID+"/contacts", repAna, map[string]any{"channel": "call", "summary": "quote sent"})
			s.salesMust(200, "POST", "/v1/leads/"+leadID+"/qualify", repAna, map[string]any{"reason": "budget confirmed"})
			conv := s.salesMust(200, "POST", "/v1/leads/"+leadID+"/convert", repAna, map[string]any{"opportunity": map[string]any{
				"name": "Two cranes", "stage": 2, "amount_minor": 8_000_000, "currency": "CNY", "expected_close": "2027-03-31"}})
			opp := conv["opportunity_id"].(string)
			stacktest.Eventually(t, "the opportunity's workflow", 30*time.Second, func() bool {
				return s.call(s.sales.Base, "GET", "/v1/opportunities/"+opp, repAna, nil).Status == http.StatusOK
			})
			s.salesMust(200, "POST", "/v1/opportunities/"+opp+"/won", repAna, map[string]any{"reason": "signed"})

			// The hourly outcome run, now.
			tc := s.marketing.App.Deps().Temporal
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfc.CampaignOutcomesWorkflowID("test"), TaskQueue: wfc.BulkTaskQueue},
				wfc.WorkflowCampaignOutcomes, &marketingv1.CampaignOutcomesInput{})
			if err != nil {
				t.Fatal(err)
			}
			if err := run.Get(ctx, nil); err != nil {
				t.Fatalf("outcomes: %v", err)
			}
			if b.Name == "postgres" {
				testenv.SaveHistory(t, tc, wfc.WinBackWorkflowID(treated, id), "../../workflows/winback/testdata/winback-prefetch-call-hands-over-a-lead.json")
				testenv.SaveHistory(t, tc, wfc.WinBackWorkflowID(inbound, id), "../../workflows/winback/testdata/winback-prefetch-inbound-lead.json")
				testenv.SaveHistory(t, tc, wfc.CampaignLaunchWorkflowID(id), "../../workflows/campaign/testdata/launch-winback-bulk.json")
				testenv.SaveHistory(t, tc, wfc.CampaignOutcomesWorkflowID("test"), "../../workflows/campaign/testdata/outcomes-bulk.json")
			}
			ev := s.must(200, "GET", "/v1/campaigns/"+id+"/evaluation", mgrMona, nil)
			if dig(ev, "treated.won") != float64(1) || dig(ev, "treated.responded") != float64(2) || dig(ev, "treated.revenue") != float64(80000) ||
				dig(ev, "holdout.touched") != float64(0) || dig(ev, "winback.rate") != 0.5 || dig(ev, "winback.baseline") != 0.25 {
				raw, _ := json.Marshal(ev)
				t.Fatalf("evaluation: %s", raw)
			}
		})
	}
}

// findPlan is the marketing action plan on a customer's history, or nil.
func (s *stack) findPlan(customer string) map[string]any {
	s.t.Helper()
	r := s.call(s.customer.Base, "GET", "/v1/customers/"+customer+"/history", admin, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("history: %d %s", r.Status, r.Body)
	}
	for _, it := range r.JSON(s.t)["items"].([]any) {
		m := it.(map[string]any)
		raw, _ := json.Marshal(m)
		if strings.Contains(string(raw), `"marketing"`) && strings.Contains(string(raw), `"plan"`) {
			return m
		}
	}
	return nil
}

// salesMust calls the sales service and fails the test unless it answers want.
func (s *stack) salesMust(want int, method, path, user string, body any) map[string]any {
	s.t.Helper()
	r := s.call(s.sales.Base, method, path, user, body)
	if r.Status != want {
		s.t.Fatalf("%s %s as %s: %d %s (want %d)", method, path, user, r.Status, r.Body, want)
	}
	return r.JSON(s.t)
}
