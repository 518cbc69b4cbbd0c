package customer_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
)

// planTouchPageWF plans one page as the campaign launch does: one
// customer.PlanTouches activity, five minutes per attempt.
func planTouchPageWF(ctx workflow.Context, in *marketingv1.PlanTouchesInput) (*marketingv1.PlanTouchesResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: customerc.TaskQueue, StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{NonRetryableErrorTypes: []string{"invalid", "not_found"}}})
	var out marketingv1.PlanTouchesResult
	err := workflow.ExecuteActivity(ctx, customerc.ActivityPlanTouches, in).Get(ctx, &out)
	return &out, err
}

// BenchmarkVisitTouchPage plans a page of 500 touches of a one-touch
// campaign through customer.PlanTouches, as the campaign launch does, on
// the Temporal dev server, the workflow worker and PostgreSQL: once as
// calls (plans only) and once as visits (plans with their visit requests,
// which the service then answers in its background, each through its
// customer-day's Visit workflow; one customer in ten has its due day held
// by the service department already, so its touch joins). It reports the
// page calls' times, how long the service takes to answer the page's 500
// visit requests and at what rate, and checks that every visit touch has
// its visit and no customer-day two.
//
//	go test ./services/customer -run '^$' -bench BenchmarkVisitTouchPage -benchtime 1x
func BenchmarkVisitTouchPage(b *testing.B) {
	b.Setenv("VISIT_DECISION_WAIT", "120s")
	s, hostPort, ns := visitStack(b, testenv.Postgres, true)
	tc, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	const queue, page = "visit-touch-bench", 500
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflow(planTouchPageWF)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	ctx := context.Background()
	sweep, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfc.CareSweepWorkflowID("visit-touch-bench"), TaskQueue: wfc.TaskQueue},
		wfc.WorkflowCareSweep, &followupv1.CareSweepInput{Lookahead: durationpb.New(time.Hour), Reason: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if err := sweep.Get(ctx, nil); err != nil {
		b.Fatal(err)
	}
	day := weekdayAhead(3)
	due, _ := time.Parse(time.RFC3339, day+"T18:00:00Z")
	run := func(name string, in *marketingv1.PlanTouchesInput) time.Duration {
		b.Helper()
		t0 := time.Now()
		r, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: name, TaskQueue: queue}, planTouchPageWF, in)
		if err != nil {
			b.Fatal(err)
		}
		var out marketingv1.PlanTouchesResult
		if err := r.Get(ctx, &out); err != nil || len(out.GetActionIds()) != len(in.GetTouches()) {
			b.Fatalf("%s: %v (%d plans)", name, err, len(out.GetActionIds()))
		}
		return time.Since(t0)
	}
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		customers := make([]string, page)
		for i := range customers {
			customers[i] = s.create(admin, company(map[string]any{"owner_id": repAna, "team": "north"}))
			if i%10 == 0 {
				s.vmust(b, 201, "POST", "/v1/customers/"+customers[i]+"/visits", mgrMia, map[string]any{"day": day, "department": "service", "purpose": "maintenance"})
			}
		}
		pageOf := func(campaign, action string) *marketingv1.PlanTouchesInput {
			in := &marketingv1.PlanTouchesInput{}
			for _, c := range customers {
				in.Touches = append(in.Touches, &marketingv1.Touch{TouchId: campaign + "/" + c + "/0", CampaignId: campaign, CampaignName: "Bench drive",
					CustomerId: c, Action: action, AssigneeId: repAna, Team: "north", DueAt: timestamppb.New(due), PlannedAt: timestamppb.Now()})
			}
			return in
		}
		calls := pageOf(fmt.Sprintf("bench-calls-%d", n), "call")
		visits := pageOf(fmt.Sprintf("bench-visits-%d", n), "visit")
		gdb := s.app.Deps().DB
		b.StartTimer()
		callTime := run(fmt.Sprintf("bench-calls-%d-%d", n, time.Now().UnixNano()), calls)
		t0 := time.Now()
		visitTime := run(fmt.Sprintf("bench-visits-%d-%d", n, time.Now().UnixNano()), visits)
		planIDs := make([]string, len(visits.GetTouches()))
		for i, t := range visits.GetTouches() {
			planIDs[i] = actdomain.TouchPlanID(t.GetTouchId())
		}
		for pendingRequests(b, gdb, planIDs) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		answerTime := time.Since(t0)
		again := run(fmt.Sprintf("bench-visits-again-%d-%d", n, time.Now().UnixNano()), visits)
		b.StopTimer()

		b.ReportMetric(callTime.Seconds(), "s/call-page")
		b.ReportMetric(visitTime.Seconds(), "s/visit-page")
		b.ReportMetric(again.Seconds(), "s/visit-page-again")
		b.ReportMetric(answerTime.Seconds(), "s/visits-answered")
		b.ReportMetric(page/answerTime.Seconds(), "visits/s")
		b.Logf("page of %d: calls %v, visits %v, the same page again %v; the %d visit requests answered %v after the page began (%.1f/s; 100,000 at this rate: %v)",
			page, callTime.Round(time.Millisecond), visitTime.Round(time.Millisecond), again.Round(time.Millisecond), len(planIDs),
			answerTime.Round(time.Millisecond), page/answerTime.Seconds(), (time.Duration(100000/page) * answerTime).Round(time.Second))
		var stats struct{ Visits, Days, Participants, Noted int64 }
		gdb.Raw("SELECT COUNT(*) AS visits, COUNT(DISTINCT customer_id || day) AS days FROM visits WHERE customer_id IN ? AND status = 'booked'", customers).Scan(&stats)
		gdb.Raw("SELECT COUNT(*) FROM visit_participants p JOIN visits v ON v.id = p.visit_id WHERE v.customer_id IN ?", customers).Scan(&stats.Participants)
		gdb.Raw("SELECT COUNT(*) FROM action_links WHERE subject_type = 'visit' AND customer_id IN ?", customers).Scan(&stats.Noted)
		if stats.Visits != page || stats.Days != page || stats.Participants != page+page/10 || stats.Noted != page {
			b.Fatalf("visits %+v, want %d visits on %d days, %d participants, %d plans noted", stats, page, page, page+page/10, page)
		}
	}
}
