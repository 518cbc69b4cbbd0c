package customer_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/visit"
)

// The marketing workflows' side of the customer service, end to end: test
// workflows on a real Temporal server call the activities the customer
// service's worker runs (customer.SegmentPage, PlanTouches, MarkWinBack,
// WinBackResponses, WinBackReturned, and the Visit workflow's BookVisit and
// LogVisit), and a stand-in for the WinBack workflow waits for the
// winback-response signal the service sends when a marked customer
// responds through its API.

// customerActivity runs one customer activity as a marketing workflow does:
// "invalid" and "not_found" are not retried.
func customerActivity(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: customerc.TaskQueue, StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{NonRetryableErrorTypes: []string{"invalid", "not_found"}, MaximumAttempts: 5}})
}

func segmentPageWF(ctx workflow.Context, in *marketingv1.SegmentPageInput) (*marketingv1.SegmentPageResult, error) {
	var out marketingv1.SegmentPageResult
	err := workflow.ExecuteActivity(customerActivity(ctx), customerc.ActivitySegmentPage, in).Get(ctx, &out)
	return &out, err
}

func planTouchesWF(ctx workflow.Context, in *marketingv1.PlanTouchesInput) (*marketingv1.PlanTouchesResult, error) {
	var out marketingv1.PlanTouchesResult
	err := workflow.ExecuteActivity(customerActivity(ctx), customerc.ActivityPlanTouches, in).Get(ctx, &out)
	return &out, err
}

func markWinBackWF(ctx workflow.Context, in *marketingv1.WinBackMarkInput) error {
	return workflow.ExecuteActivity(customerActivity(ctx), customerc.ActivityMarkWinBack, in).Get(ctx, nil)
}

func winBackResponsesWF(ctx workflow.Context, in *marketingv1.WinBackResponsesInput) (*marketingv1.WinBackResponsesResult, error) {
	var out marketingv1.WinBackResponsesResult
	err := workflow.ExecuteActivity(customerActivity(ctx), customerc.ActivityWinBackResponses, in).Get(ctx, &out)
	return &out, err
}

func winBackReturnedWF(ctx workflow.Context, in *marketingv1.WinBackEndInput) error {
	return workflow.ExecuteActivity(customerActivity(ctx), customerc.ActivityWinBackReturned, in).Get(ctx, nil)
}

// visitLoggedWF books a visit that has taken place and logs it, as the
// Visit workflow's activities do.
func visitLoggedWF(ctx workflow.Context, book *visit.BookInput, log *visit.LogInput) error {
	ctx = customerActivity(ctx)
	if err := workflow.ExecuteActivity(ctx, customerc.ActivityBookVisit, book).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteActivity(ctx, customerc.ActivityLogVisit, log).Get(ctx, nil)
}

// awaitResponse stands in for WinBack:<customer>:<campaign>: it returns
// the first winback-response signal.
func awaitResponse(ctx workflow.Context) (*marketingv1.WinBackResponse, error) {
	var r marketingv1.WinBackResponse
	if ok, _ := workflow.GetSignalChannel(ctx, wfc.SignalWinBackResponse).ReceiveWithTimeout(ctx, 2*time.Minute, &r); !ok {
		return nil, errors.New("no winback-response signal")
	}
	return &r, nil
}

type marketingDriver struct {
	t     *testing.T
	tc    client.Client
	queue string
}

func (d marketingDriver) run(id string, wf any, out any, args ...any) error {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := d.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id + "-" + uuid.NewString(), TaskQueue: d.queue}, wf, args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return r.Get(ctx, out)
}

// must runs a workflow that must succeed.
func (d marketingDriver) must(wf any, out any, args ...any) {
	d.t.Helper()
	if err := d.run("call", wf, out, args...); err != nil {
		d.t.Fatalf("%v", err)
	}
}

// refused runs a workflow whose activity must fail with the error type.
func (d marketingDriver) refused(errType string, wf any, args ...any) {
	d.t.Helper()
	err := d.run("refused", wf, nil, args...)
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != errType {
		d.t.Fatalf("want a non-retryable %q, got %v", errType, err)
	}
}

// await starts the stand-in WinBack workflow of the customer and campaign
// and returns a function that waits for its signal.
func (d marketingDriver) await(customerID, campaignID string) func() *marketingv1.WinBackResponse {
	d.t.Helper()
	ctx := context.Background()
	r, err := d.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfc.WinBackWorkflowID(customerID, campaignID), TaskQueue: d.queue}, awaitResponse)
	if err != nil {
		d.t.Fatal(err)
	}
	return func() *marketingv1.WinBackResponse {
		d.t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		var out marketingv1.WinBackResponse
		if err := r.Get(ctx, &out); err != nil {
			d.t.Fatalf("waiting for the response signal of %s: %v", customerID, err)
		}
		return &out
	}
}

// TestMarketingActivitiesAndWinBack runs on each database.
func TestMarketingActivitiesAndWinBack(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s, hostPort, ns := visitStack(t, b.DSN, false)
			tc, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
			if err != nil {
				t.Fatal(err)
			}
			defer tc.Close()
			d := marketingDriver{t: t, tc: tc, queue: "marketing-test"}
			w := worker.New(tc, d.queue, worker.Options{})
			for _, wf := range []any{segmentPageWF, planTouchesWF, markWinBackWF, winBackResponsesWF, winBackReturnedWF, visitLoggedWF, awaitResponse} {
				w.RegisterWorkflow(wf)
			}
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Stop()

			// Lost to a competitor: the customer shows when, why and to whom.
			lost := s.create(repAna, company(map[string]any{"lifecycle_stage": "prospect"}))
			if r := s.call("POST", "/v1/customers/"+lost+"/lifecycle", repAna, map[string]any{"to": "transacting", "reason": "first order", "competitor": "Rival"}); r.status != 422 ||
				r.code(t) != "validation_failed" || !strings.Contains(string(r.body), `{"field":"competitor","code":"not_allowed"`) {
				t.Fatalf("a competitor on a change that is not to lost: %d %s", r.status, r.body)
			}
			r := s.call("POST", "/v1/customers/"+lost+"/lifecycle", repAna, map[string]any{"to": "lost", "reason": "price", "competitor": "Rival Steel"})
			if r.status != http.StatusOK {
				t.Fatalf("to lost: %d %s", r.status, r.body)
			}
			v := r.json(t)
			if v["lost_reason"] != "price" || v["lost_competitor"] != "Rival Steel" || v["lost_at"] == nil {
				t.Fatalf("the lost customer: %v", v)
			}
			lostAt, _ := time.Parse(time.RFC3339Nano, v["lost_at"].(string))
			stages := s.call("GET", "/v1/customers/"+lost+"/stage-history", repAna, nil).json(t)["items"].([]any)
			last := stages[len(stages)-1].(map[string]any)
			if last["to"] != "lost" || last["competitor"] != "Rival Steel" || last["reason"] != "price" || last["at"] != v["lost_at"] {
				t.Fatalf("stage history %v", stages)
			}
			other := s.create(repAna, company(map[string]any{"lifecycle_stage": "prospect"}))
			if r := s.call("POST", "/v1/customers/"+other+"/lifecycle", repAna, map[string]any{"to": "lost", "reason": "moved away"}); r.status != http.StatusOK {
				t.Fatalf("to lost: %d %s", r.status, r.body)
			}
			prospect := s.create(repAna, company(map[string]any{"lifecycle_stage": "prospect"}))

			// The lost segment, a page at a time, with its count.
			asOf := timestamppb.Now()
			lostSegment := &marketingv1.SegmentFilter{LifecycleStages: []string{"lost"}, LostBefore: asOf, MinDaysSinceContact: -1, MaxDaysSinceContact: -1}
			var seen []*marketingv1.CustomerFacts
			after := ""
			for {
				var page marketingv1.SegmentPageResult
				d.must(segmentPageWF, &page, &marketingv1.SegmentPageInput{Filter: lostSegment, AfterId: after, Limit: 1, AsOf: asOf, WithCount: true})
				if page.GetTotal() != 2 || len(page.GetCustomers()) != 1 {
					t.Fatalf("page %v", &page)
				}
				seen = append(seen, page.GetCustomers()...)
				if after = page.GetNextAfterId(); after == "" {
					break
				}
			}
			if len(seen) != 2 || seen[0].GetCustomerId() > seen[1].GetCustomerId() {
				t.Fatalf("segment %v", seen)
			}
			for _, f := range seen {
				if f.GetCustomerId() == lost && (f.GetLostReason() != "price" || f.GetLostCompetitor() != "Rival Steel" || !f.GetLostAt().AsTime().Equal(lostAt) ||
					f.GetOwnerId() != repAna || f.GetTeam() != "north" || f.GetLifecycleStage() != "lost") {
					t.Fatalf("facts %v", f)
				}
			}
			d.refused("invalid", segmentPageWF, &marketingv1.SegmentPageInput{Filter: &marketingv1.SegmentFilter{ValueClasses: []string{"D"},
				MinDaysSinceContact: -1, MaxDaysSinceContact: -1}})
			d.refused("invalid", segmentPageWF, &marketingv1.SegmentPageInput{Filter: lostSegment, Limit: -1})
			d.refused("invalid", segmentPageWF, &marketingv1.SegmentPageInput{Filter: &marketingv1.SegmentFilter{MinDaysSinceContact: 30, MaxDaysSinceContact: -1}})

			// Touches become plans on the owner's list, once per touch.
			due := timestamppb.New(time.Now().Add(48 * time.Hour))
			touches := &marketingv1.PlanTouchesInput{Touches: []*marketingv1.Touch{
				{TouchId: "camp-1/" + lost + "/0", CampaignId: "camp-1", CampaignName: "Spring win-back", CustomerId: lost, Action: "call", AssigneeId: repAna, DueAt: due},
				{TouchId: "camp-1/" + prospect + "/0", CampaignId: "camp-1", CampaignName: "Spring win-back", CustomerId: prospect, Action: "offer", AssigneeId: repAna, DueAt: due},
			}}
			var planned, again marketingv1.PlanTouchesResult
			d.must(planTouchesWF, &planned, touches)
			d.must(planTouchesWF, &again, touches)
			if len(planned.GetActionIds()) != 2 || planned.GetActionIds()[0] != again.GetActionIds()[0] || planned.GetActionIds()[1] != again.GetActionIds()[1] {
				t.Fatalf("plans %v, again %v", planned.GetActionIds(), again.GetActionIds())
			}
			plan := s.call("GET", "/v1/actions/"+planned.GetActionIds()[0], repAna, nil).json(t)
			if plan["kind"] != "plan" || plan["category"] != "phone_call" || plan["department"] != "marketing" || plan["actor_id"] != repAna ||
				plan["campaign_id"] != "camp-1" || plan["title"] != "Spring win-back: call" {
				t.Fatalf("touch plan %v", plan)
			}
			d.refused("not_found", planTouchesWF, &marketingv1.PlanTouchesInput{Touches: []*marketingv1.Touch{{TouchId: "x", CampaignId: "camp-1",
				CustomerId: "0190a000-0000-7000-8000-00000000dead", Action: "call", AssigneeId: repAna, DueAt: due}}})
			d.refused("invalid", planTouchesWF, &marketingv1.PlanTouchesInput{Touches: []*marketingv1.Touch{{TouchId: "x", CustomerId: lost, Action: "fax"}}})

			// A marked customer's logged call signals its win-back at once,
			// and is the first response since the enrolment.
			since := timestamppb.Now()
			d.must(markWinBackWF, nil, &marketingv1.WinBackMarkInput{CustomerId: lost, CampaignId: "camp-1"})
			d.must(markWinBackWF, nil, &marketingv1.WinBackMarkInput{CustomerId: lost, CampaignId: "camp-1"})
			d.refused("not_found", markWinBackWF, &marketingv1.WinBackMarkInput{CustomerId: "0190a000-0000-7000-8000-00000000dead", CampaignId: "camp-1"})
			d.refused("invalid", markWinBackWF, &marketingv1.WinBackMarkInput{CustomerId: lost})
			var none marketingv1.WinBackResponsesResult
			d.must(winBackResponsesWF, &none, &marketingv1.WinBackResponsesInput{CustomerId: lost, Since: since})
			if none.GetResponse() != nil {
				t.Fatalf("a response before any: %v", &none)
			}
			response := d.await(lost, "camp-1")
			r = s.call("POST", "/v1/actions", repAna, map[string]any{"kind": "log", "category": "phone_call", "department": "sales",
				"title": "Called back", "summary": "interested again", "customer_ids": []string{lost}})
			if r.status != http.StatusCreated {
				t.Fatalf("log a call: %d %s", r.status, r.body)
			}
			call := r.json(t)["action"].(map[string]any)["id"].(string)
			if got := response(); got.GetKind() != "call" || got.GetRef() != call || got.GetBy() != repAna || got.GetAt() == nil {
				t.Fatalf("signal %v", got)
			}
			var first marketingv1.WinBackResponsesResult
			d.must(winBackResponsesWF, &first, &marketingv1.WinBackResponsesInput{CustomerId: lost, Since: since})
			if first.GetResponse().GetKind() != "call" || first.GetResponse().GetRef() != call {
				t.Fatalf("first response %v", &first)
			}
			d.refused("invalid", winBackResponsesWF, &marketingv1.WinBackResponsesInput{CustomerId: lost})

			// Returned: back on the prospect list, once, by the win-back.
			end := &marketingv1.WinBackEndInput{CampaignId: "camp-1", CustomerId: lost, Outcome: "responded", LeadId: "lead-7",
				Response: first.GetResponse(), At: timestamppb.Now()}
			d.must(winBackReturnedWF, nil, end)
			d.must(winBackReturnedWF, nil, end)
			back := s.call("GET", "/v1/customers/"+lost, repAna, nil).json(t)
			if back["lifecycle_stage"] != "prospect" || back["lost_at"] != nil || back["lost_reason"] != nil || back["lost_competitor"] != nil {
				t.Fatalf("returned customer %v", back)
			}
			stages = s.call("GET", "/v1/customers/"+lost+"/stage-history", repAna, nil).json(t)["items"].([]any)
			if last := stages[len(stages)-1].(map[string]any); len(stages) != 3 || last["from"] != "lost" || last["to"] != "prospect" ||
				last["actor"] != "winback" || last["reason"] != "win-back: responded (call)" {
				t.Fatalf("stage history %v", stages)
			}
			items := s.call("GET", "/v1/customers/"+lost+"/history?department=marketing&kind=log", repAna, nil).json(t)["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["category"] != "campaign" || items[0].(map[string]any)["campaign_id"] != "camp-1" {
				t.Fatalf("history %v", items)
			}
			item := items[0].(map[string]any)["id"].(string)
			if r := s.call("POST", "/v1/actions/"+item+"/cancel", mgrMia, nil); r.status != 422 || r.code(t) != "recorded_by_campaign" {
				t.Fatalf("cancel the campaign's item: %d %s", r.status, r.body)
			}
			var mark *string
			if err := s.app.Deps().DB.Raw("SELECT winback_campaign_id FROM customers WHERE id = ?", lost).Scan(&mark).Error; err != nil || mark != nil {
				t.Fatalf("the mark stays: %v %v", mark, err)
			}

			// A person moving a marked customer out of lost signals it.
			d.must(markWinBackWF, nil, &marketingv1.WinBackMarkInput{CustomerId: other, CampaignId: "camp-1"})
			response = d.await(other, "camp-1")
			if r := s.call("POST", "/v1/customers/"+other+"/lifecycle", mgrMia, map[string]any{"to": "prospect", "reason": "asked for a quote"}); r.status != http.StatusOK {
				t.Fatalf("out of lost: %d %s", r.status, r.body)
			}
			stages = s.call("GET", "/v1/customers/"+other+"/stage-history", repAna, nil).json(t)["items"].([]any)
			if got := response(); got.GetKind() != "stage" || got.GetBy() != mgrMia || got.GetRef() != stages[len(stages)-1].(map[string]any)["id"] {
				t.Fatalf("signal %v, stage history %v", got, stages)
			}
			// It was no longer lost: returning it only clears the mark.
			d.must(winBackReturnedWF, nil, &marketingv1.WinBackEndInput{CampaignId: "camp-1", CustomerId: other, Outcome: "responded"})
			if n := len(s.call("GET", "/v1/customers/"+other+"/stage-history", repAna, nil).json(t)["items"].([]any)); n != len(stages) {
				t.Fatalf("a customer no longer lost was moved again: %d changes", n)
			}

			// A visit's log signals it too.
			d.must(markWinBackWF, nil, &marketingv1.WinBackMarkInput{CustomerId: prospect, CampaignId: "camp-2"})
			response = d.await(prospect, "camp-2")
			yesterday := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Hour)
			visitID := uuid.NewString()
			day := yesterday.Format(visit.DayLayout)
			d.must(visitLoggedWF, nil, &visit.BookInput{VisitId: visitID, WorkflowId: wfc.VisitWorkflowID(prospect, day), RequestId: "req-1", CustomerId: prospect,
				Day: day, StartAt: yesterday.Format(time.RFC3339), EndAt: yesterday.Add(time.Hour).Format(time.RFC3339), BookedBy: repAna, Team: "north",
				Department: "sales", Purpose: "tasting", At: yesterday.Add(-time.Hour).Format(time.RFC3339)},
				&visit.LogInput{VisitId: visitID, Actor: repBo, Summary: "they will order", At: time.Now().UTC().Format(time.RFC3339)})
			if got := response(); got.GetKind() != "visit" || got.GetRef() != visitID || got.GetBy() != repBo {
				t.Fatalf("signal %v", got)
			}

			// A workflow that has ended is not the API's failure.
			if r := s.call("POST", "/v1/actions", repAna, map[string]any{"kind": "log", "category": "visit_reception", "department": "sales",
				"title": "Visited", "summary": "again", "customer_ids": []string{prospect}}); r.status != http.StatusCreated {
				t.Fatalf("log a visit after the win-back ended: %d %s", r.status, r.body)
			}
		})
	}
}
