package service_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/marketing"
)

// TestLoyaltyReachesCampaignSegments, on the real Temporal server and both
// databases, across four services: survey answers move customers' loyalty
// levels in the after-sales service; each answer's LoyaltySync (started
// from the answer's outbox) copies the standing to the customer service;
// and a campaign whose segment is loyalty_levels ["at_risk"] previews and
// launches with exactly the at-risk customers — a second answer that moves
// a neutral customer to at risk adds it, and a satisfaction bound and the
// unknown level pick the others. A reconciliation run over everyone finds
// the copy up to date (every standing it reads is stale or the same).
func TestLoyaltyReachesCampaignSegments(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s := newStackWithWorkflows(t, b.DSN)
			mkt := servicetest.Start(t, marketing.Spec(), stacktest.Merge(s.common, map[string]string{"DATABASE_URL": b.DSN(t),
				"MARKETING_TEAMS": "marketing", "LAUNCH_START_INTERVAL": "1s", "PREVIEW_WAIT": "20s"}), service.Options{})
			market := func(want int, method, path, user string, body any) map[string]any {
				t.Helper()
				r := s.call(mkt.Base, method, path, user, body)
				if r.status != want {
					t.Fatalf("%s %s as %s: %d %s (want %d)", method, path, user, r.status, r.body, want)
				}
				return r.json(t)
			}
			preview := func(segment map[string]any) []string {
				t.Helper()
				p := market(http.StatusOK, "POST", "/v1/campaigns/preview", mktMo, map[string]any{"segment": segment, "holdout": 0})
				var ids []string
				for _, it := range p["sample"].([]any) {
					ids = append(ids, it.(map[string]any)["id"].(string))
				}
				if p["count"] != float64(len(ids)) {
					// A copy written between the count and the page (a sync
					// landing now): read again.
					return []string{"count " + fmt.Sprint(p["count"])}
				}
				slices.Sort(ids)
				return ids
			}
			sorted := func(ids ...string) []string { return slices.Sorted(slices.Values(ids)) }

			unhappy, content, silent := s.customerOf(repAna), s.customerOf(repAna), s.customerOf(repBo)
			answer := func(customer string, csat int) string {
				t.Helper()
				id := s.file(repAna, complaint(customer, map[string]any{"team": "service"}))["id"].(string)
				s.closeCase(id, "", "", false)
				out := s.issue(id)
				_, token := s.surveyLink(id, svcSam)
				body := map[string]any{"csat": csat}
				if csat < 3 {
					body["comment"] = "The crane stopped again."
				}
				if r := s.api("POST", "/public/v1/surveys/"+token, "", body); r.status != http.StatusOK {
					t.Fatalf("answer: %d %s", r.status, r.body)
				}
				return out.SurveyID
			}
			first := answer(unhappy, 1) // at risk: an average below 3
			answer(content, 5)          // neutral: satisfied, not (yet) loyal by tenure
			atRisk := map[string]any{"loyalty_levels": []string{"at_risk"}}
			stacktest.Eventually(t, "both answers reach the segments", 30*time.Second, func() bool {
				return slices.Equal(preview(atRisk), []string{unhappy}) &&
					slices.Equal(preview(map[string]any{"min_satisfaction": 4.5}), []string{content}) // average CSAT at least 4.5
			})
			if got := preview(map[string]any{"loyalty_levels": []string{"unknown"}}); !slices.Equal(got, []string{silent}) {
				t.Errorf("unknown: %v, want the customer who never answered", got)
			}
			if got := preview(map[string]any{"max_satisfaction": 5}); !slices.Equal(got, sorted(unhappy, content)) {
				t.Errorf("average CSAT at most 5: %v, want both who answered (never the silent one)", got)
			}
			if got := preview(map[string]any{}); len(got) != 3 {
				t.Errorf("a segment without the new filters: %v, want every customer", got)
			}

			// The answer's sync ran once, under the id derived from it.
			tc := s.service.App.Deps().Temporal
			d, err := tc.DescribeWorkflowExecution(context.Background(), wfc.LoyaltyAnswerSyncWorkflowID(unhappy, first), "")
			if err != nil || d.GetWorkflowExecutionInfo().GetCloseTime() == nil {
				t.Fatalf("the answer's LoyaltySync: %v %v", d, err)
			}

			// A second answer moves the content customer to at risk (its
			// latest CSAT is 1).
			answer(content, 1)
			stacktest.Eventually(t, "the second answer moves the content customer", 30*time.Second, func() bool {
				return slices.Equal(preview(atRisk), sorted(unhappy, content))
			})

			// The campaign: at-risk customers only, nobody held out.
			id := market(http.StatusCreated, "POST", "/v1/campaigns", mktMo, map[string]any{"name": "Save the at-risk", "objective": "Call them",
				"type": "cross_sell", "channels": []string{"phone_call"}, "segment": atRisk, "holdout": 0, "budget": 100, "expected_cost": 50,
				"expected_revenue": 500, "starts_on": "2026-01-05", "ends_on": "2099-03-31"})["id"].(string)
			if seg := market(http.StatusOK, "GET", "/v1/campaigns/"+id, mktMo, nil)["segment"].(map[string]any); len(seg) != 1 {
				t.Errorf("stored segment %v", seg)
			}
			market(http.StatusOK, "POST", "/v1/campaigns/"+id+"/approve", mgrMona, nil)
			market(http.StatusOK, "POST", "/v1/campaigns/"+id+"/launch", mktMo, nil)
			stacktest.Eventually(t, "the launch finishes", 60*time.Second, func() bool {
				l, _ := market(http.StatusOK, "GET", "/v1/campaigns/"+id, mktMo, nil)["launch"].(map[string]any)
				return l != nil
			})
			var enrolled []string
			for _, it := range market(http.StatusOK, "GET", "/v1/campaigns/"+id+"/enrolments", mktMo, nil)["items"].([]any) {
				enrolled = append(enrolled, it.(map[string]any)["customer_id"].(string))
			}
			slices.Sort(enrolled)
			if !slices.Equal(enrolled, sorted(unhappy, content)) {
				t.Fatalf("the launch enrolled %v, want exactly the at-risk customers %v", enrolled, sorted(unhappy, content))
			}

			// The daily reconciliation, run now: it reads both customers who
			// answered and finds nothing newer to copy than what the answers'
			// syncs copied (an as_of later than theirs rewrites the same).
			run, err := tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: wfc.LoyaltySyncWorkflowID("test-" + b.Name),
				TaskQueue: wfc.TaskQueue}, wfc.WorkflowLoyaltySync, &servicev1.LoyaltySyncInput{})
			if err != nil {
				t.Fatal(err)
			}
			var res servicev1.LoyaltySyncResult
			if err := run.Get(context.Background(), &res); err != nil {
				t.Fatal(err)
			}
			if res.GetRead() != 2 || res.GetRecorded()+res.GetStale() != 2 {
				t.Errorf("reconciliation %v, want the two customers who answered", &res)
			}
			if got := preview(atRisk); !slices.Equal(got, sorted(unhappy, content)) {
				t.Errorf("after the reconciliation: %v", got)
			}
			if b.Name == "postgres" {
				// Recorded for the workflows' replay test (UPDATE_HISTORIES=1).
				testenv.SaveHistory(t, tc, wfc.LoyaltyAnswerSyncWorkflowID(unhappy, first), "../../workflows/loyalty/testdata/answer-sync.json")
				testenv.SaveHistory(t, tc, wfc.LoyaltySyncWorkflowID("test-"+b.Name), "../../workflows/loyalty/testdata/reconciliation.json")
			}
		})
	}
}
