package customer_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/services/internal/stacktest"
)

// TestVisitTouches: a campaign's visit touch goes through the one visit per
// customer and day, end to end on the real Temporal dev server, the
// workflow worker and each database. The touches are planned by a test
// workflow calling customer.PlanTouches as the marketing workflows do; the
// service answers their visit requests in its background.
//
//   - Before any care sweep the customer service knows no calendar: the
//     touch's plan keeps its visit request, and no visit is booked; once a
//     sweep has passed the calendars, the visit is booked.
//   - A free due day: the touch books it for its assignee, department
//     marketing; the plan and the customer's history name the visit.
//   - A due day the service department holds: the touch joins that visit —
//     one visit that day, its booker told — never a second one.
//   - The same touches planned again book nothing more and note nothing
//     twice; a touch whose visit was booked but not noted (the service
//     stopped in between) finds its visit, even when the day it would ask
//     for now is another.
//   - A deleted customer gets its plan and no visit; a plan cancelled
//     before its request is answered gets no visit.
//   - A person's request and a touch for one free customer-day at the same
//     moment: one visit; either the person booked and the touch joined, or
//     the touch booked and the person was offered another day.
func TestVisitTouches(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s, hostPort, ns := visitStack(t, b.DSN, true)
			tc, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
			if err != nil {
				t.Fatal(err)
			}
			defer tc.Close()
			d := marketingDriver{t: t, tc: tc, queue: "visit-touch-test"}
			w := worker.New(tc, d.queue, worker.Options{})
			w.RegisterWorkflow(planTouchesWF)
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			gdb := s.app.Deps().DB

			// The shipped default calendar: Monday to Friday, UTC. The
			// touches count as made at noon the day before day and are due
			// at 18:00 on day: day is the only day whose 10:00 visit fits.
			day := weekdayAhead(3)
			due, _ := time.Parse(time.RFC3339, day+"T18:00:00Z")
			made := due.Add(-30 * time.Hour)
			touch := func(campaign, customer string) *marketingv1.Touch {
				return &marketingv1.Touch{TouchId: campaign + "/" + customer + "/0", CampaignId: campaign, CampaignName: "Spring visits",
					CustomerId: customer, Action: "visit", AssigneeId: repAna, Team: "north", DueAt: timestamppb.New(due), PlannedAt: timestamppb.New(made)}
			}
			plan := func(touches ...*marketingv1.Touch) []string {
				t.Helper()
				var out marketingv1.PlanTouchesResult
				d.must(planTouchesWF, &out, &marketingv1.PlanTouchesInput{Touches: touches})
				return out.GetActionIds()
			}
			answered := func(ids ...string) {
				t.Helper()
				stacktest.Eventually(t, "the visit requests are answered", time.Minute, func() bool { return pendingRequests(t, gdb, ids) == 0 })
			}
			stored := func(action string) (summary, nextStep string) {
				t.Helper()
				var row struct{ Summary, NextStep string }
				if err := gdb.Raw("SELECT summary, next_step FROM actions WHERE id = ?", action).Scan(&row).Error; err != nil {
					t.Fatal(err)
				}
				return row.Summary, row.NextStep
			}
			visitsOf := func(customer string) []map[string]any {
				t.Helper()
				return items(s.vmust(t, 200, "GET", "/v1/customers/"+customer+"/visits", admin, nil))
			}
			participants := func(visit string) []any {
				t.Helper()
				return s.vmust(t, 200, "GET", "/v1/visits/"+visit, admin, nil)["participants"].([]any)
			}
			customer := func() string {
				return s.create(mgrMia, company(map[string]any{"owner_id": repAna, "team": "north"}))
			}

			// No calendar known yet: the requests wait, nothing is booked.
			// One of the plans is cancelled by its assignee meanwhile.
			early, dropped := customer(), customer()
			waiting := plan(touch("camp-0", early), touch("camp-0", dropped))
			droppedPlan := waiting[1]
			s.vmust(t, 200, "POST", "/v1/actions/"+droppedPlan+"/cancel", repAna, nil)
			time.Sleep(2 * time.Second)
			// The live plan's request waits; the cancelled plan's may be
			// dropped already (a pass drops it without a calendar, so
			// whether one ran in these two seconds is timing).
			if n := pendingRequests(t, gdb, waiting[:1]); n != 1 || len(visitsOf(early)) != 0 || len(visitsOf(dropped)) != 0 {
				t.Fatalf("touches before any care sweep: %d requests of the live plan, visits %v %v", n, visitsOf(early), visitsOf(dropped))
			}
			// The care sweep passes the calendars on; the request is answered.
			run, err := tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: wfc.CareSweepWorkflowID("visit-touch-test"), TaskQueue: wfc.TaskQueue},
				wfc.WorkflowCareSweep, &followupv1.CareSweepInput{Lookahead: durationpb.New(time.Hour), Reason: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if err := run.Get(context.Background(), nil); err != nil {
				t.Fatalf("care sweep: %v", err)
			}
			answered(waiting...)
			if vs := visitsOf(early); len(vs) != 1 || vs[0]["day"] != day || vs[0]["booked_by"] != repAna {
				t.Fatalf("the waiting touch: %v", vs)
			}
			if summary, next := stored(droppedPlan); len(visitsOf(dropped)) != 0 || next != "" || strings.Contains(summary, "isit booked") {
				t.Fatalf("the cancelled touch: %v, %q %q", visitsOf(dropped), summary, next)
			}

			free, held, gone := customer(), customer(), customer()
			// The service department holds day at held.
			booked := s.vmust(t, 201, "POST", "/v1/customers/"+held+"/visits", mgrMia, map[string]any{"day": day, "department": "service",
				"purpose": "check the installation", "start_time": "14:30"})
			heldVisit := booked["visit"].(map[string]any)["id"].(string)
			if r := s.call("DELETE", "/v1/customers/"+gone, mgrMia, nil); r.status != 204 {
				t.Fatalf("delete: %d %s", r.status, r.body)
			}
			touches := []*marketingv1.Touch{touch("camp-1", free), touch("camp-1", held), touch("camp-1", gone)}
			ids := plan(touches...)
			answered(ids...)

			// The free day is booked for the assignee, department marketing.
			vs := visitsOf(free)
			if len(vs) != 1 || vs[0]["day"] != day || vs[0]["booked_by"] != repAna || vs[0]["department"] != "marketing" ||
				vs[0]["team"] != "north" || vs[0]["purpose"] != "Spring visits: visit" || !sameInstant(vs[0]["start_at"], day+"T10:00:00Z") {
				t.Fatalf("free day: %v", vs)
			}
			freeVisit := vs[0]["id"].(string)
			p := s.vmust(t, 200, "GET", "/v1/actions/"+ids[0], repAna, nil)
			want := "Visit booked for " + day + " 10:00–11:00 UTC (visit " + freeVisit + ")."
			if !strings.HasSuffix(p["summary"].(string), want) || p["next_step"] != nil || p["status"] != "planned" ||
				p["customer_ids"].([]any)[0] != free || len(p["customer_ids"].([]any)) != 1 {
				t.Fatalf("plan of the free day: %v, want %q", p, want)
			}
			history := items(s.vmust(t, 200, "GET", "/v1/customers/"+free+"/history?department=marketing", repAna, nil))
			if len(history) != 1 || !strings.Contains(history[0]["summary"].(string), freeVisit) {
				t.Fatalf("history %v", history)
			}

			// The held day is joined: one visit, two departments in it.
			vs = visitsOf(held)
			if len(vs) != 1 || vs[0]["id"] != heldVisit || vs[0]["booked_by"] != mgrMia || vs[0]["department"] != "service" {
				t.Fatalf("held day: %v", vs)
			}
			joined := s.vmust(t, 200, "GET", "/v1/visits/"+heldVisit, admin, nil)
			parts := joined["participants"].([]any)
			if len(parts) != 2 || parts[1].(map[string]any)["user_id"] != repAna || parts[1].(map[string]any)["department"] != "marketing" ||
				parts[1].(map[string]any)["role"] != "joined" {
				t.Fatalf("participants %v", parts)
			}
			told := false
			for _, e := range joined["events"].([]any) {
				e := e.(map[string]any)
				told = told || (e["kind"] == "joined" && e["recipient"] == mgrMia)
			}
			if !told {
				t.Errorf("the booker was not told who joins: %v", joined["events"])
			}
			summary, _ := stored(ids[1])
			want = "Visit joined: " + mgrMia + " (service) holds " + day + " 14:30–15:30 UTC, one visit per customer and day, so the touch joins that visit (visit " + heldVisit + ")."
			if !strings.HasSuffix(summary, want) {
				t.Fatalf("plan of the held day: %q, want %q", summary, want)
			}

			// A deleted customer: its plan (which nobody sees through the
			// API any more), no visit.
			if summary, next := stored(ids[2]); next != actdomain.NoVisitNextStep || !strings.HasSuffix(summary, "No visit booked: the customer is deleted.") {
				t.Fatalf("plan of the deleted customer: %q, %q", summary, next)
			}

			// Planned again: the same plans, nothing booked or noted twice.
			var summaries []string
			for _, id := range ids {
				summary, _ := stored(id)
				summaries = append(summaries, summary)
			}
			again := plan(touches...)
			answered(again...)
			for i := range ids {
				if summary, _ := stored(ids[i]); again[i] != ids[i] || summary != summaries[i] {
					t.Fatalf("planned again: %v, was %v; %q", again, ids, summary)
				}
			}
			if vs := visitsOf(free); len(vs) != 1 || len(participants(freeVisit)) != 1 {
				t.Fatalf("free day planned again: %v", vs)
			}
			if len(visitsOf(held)) != 1 || len(participants(heldVisit)) != 2 {
				t.Fatal("held day planned again changed the visit")
			}

			// Booked but not noted (the service stopped in between), and the
			// day rule would now pick another day (the plan's due time moved
			// two weeks on here, standing in for a calendar changed or a
			// start passed between the attempts): the request, answered
			// again, finds the visit it booked.
			later := due.AddDate(0, 0, 14)
			if err := gdb.Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("DELETE FROM action_links WHERE action_id = ? AND subject_type = ?", ids[0], actdomain.SubjectVisit).Error; err != nil {
					return err
				}
				if err := tx.Exec("INSERT INTO action_links (action_id, subject_type, subject_id, customer_id, occurred_at) VALUES (?, ?, ?, ?, ?)",
					ids[0], actdomain.SubjectVisitRequest, time.Now().UTC().Format("2006-01-02T15:04:05Z"), free, later).Error; err != nil {
					return err
				}
				return tx.Exec("UPDATE actions SET summary = ?, planned_for = ?, occurred_at = ? WHERE id = ?",
					strings.TrimSuffix(summaries[0], " Visit booked for "+day+" 10:00–11:00 UTC (visit "+freeVisit+")."), later, later, ids[0]).Error
			}); err != nil {
				t.Fatal(err)
			}
			plan(touch("camp-1", free)) // wakes the requests up
			answered(ids[0])
			if vs := visitsOf(free); len(vs) != 1 || vs[0]["id"] != freeVisit {
				t.Fatalf("a request answered again booked again: %v", vs)
			}
			if got, _ := stored(ids[0]); !strings.HasSuffix(got, "Visit booked for "+day+" 10:00–11:00 UTC (visit "+freeVisit+").") {
				t.Fatalf("the plan answered again: %s", got)
			}

			raced := customer()

			// A person and a touch race for one free day: one visit.
			var wg sync.WaitGroup
			var person vresp
			var personErr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				person, personErr = s.vcall("POST", "/v1/customers/"+raced+"/visits", mgrMia, map[string]any{"day": day, "department": "sales", "purpose": "price talk"})
			}()
			racedPlan := plan(touch("camp-2", raced))[0]
			wg.Wait()
			if personErr != nil {
				t.Fatal(personErr)
			}
			answered(racedPlan)
			vs = visitsOf(raced)
			summary, _ = stored(racedPlan)
			switch {
			case len(vs) != 1:
				t.Fatalf("raced day: %d visits %v", len(vs), vs)
			case person.body["outcome"] == "booked" && vs[0]["booked_by"] == mgrMia:
				t.Logf("raced: the person booked, the touch joined")
				if !strings.Contains(summary, "Visit joined: "+mgrMia+" (sales)") {
					t.Fatalf("the person booked; the touch: %q", summary)
				}
			case person.body["outcome"] == "offered" && vs[0]["booked_by"] == repAna:
				t.Logf("raced: the touch booked, the person was offered %v", person.body["offered_day"])
				if !strings.Contains(summary, "Visit booked for "+day) || person.body["offered_day"] != nextWeekday(day) {
					t.Fatalf("the touch booked; the person: %v, the plan %q", person.body, summary)
				}
			default:
				t.Fatalf("raced: person %d %v, visits %v, plan %q", person.status, person.body, vs, summary)
			}
		})
	}
}

// pendingRequests counts the visit requests of the plans not answered yet.
func pendingRequests(t testing.TB, gdb *gorm.DB, ids []string) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw("SELECT COUNT(*) FROM action_links WHERE subject_type = ? AND action_id IN ?", actdomain.SubjectVisitRequest, ids).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
