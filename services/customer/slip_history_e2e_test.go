package customer_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
)

// recordSlipEvents stands in for the InfoSlip workflow: it calls
// customer.RecordSlipEvent on the customer task queue for each event (no
// retry of "invalid" and "not_found").
func recordSlipEvents(ctx workflow.Context, events []*customerv1.SlipEventInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: customerc.TaskQueue, StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{NonRetryableErrorTypes: []string{"invalid", "not_found"}}})
	for _, e := range events {
		if err := workflow.ExecuteActivity(ctx, customerc.ActivityRecordSlipEvent, e).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// TestSlipEventsOnTheCustomersHistory runs on a real Temporal server and each
// database: a workflow records an information routing slip's changes
// through the customer service's worker, one of them twice. The customer's
// history and timeline show each once, newest first, in the department of
// whoever made the change, linked to the slip (slip_id, slip_event); the
// department filter finds each department's part and a change of no known
// department only unfiltered. Nobody completes or cancels such an item
// (422 recorded_by_slip), and a slip is no contact. A malformed event fails
// the activity as "invalid".
func TestSlipEventsOnTheCustomersHistory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s, hostPort, ns := visitStack(t, b.DSN, false)
			c1 := s.create(repAna, company(nil))
			const slip1 = "0190a000-0000-7000-8000-00000000511b"
			sentAt := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
			event := func(id, ev, dept, summary string, at time.Time) *customerv1.SlipEventInput {
				return &customerv1.SlipEventInput{Id: id, CustomerId: c1, SlipId: slip1, Event: ev, Actor: "rep-ana",
					Department: dept, Subject: "Competitor offers 10% off", Summary: summary, At: timestamppb.New(at)}
			}
			sent := event("slip-entry-1", "sent", "sales", "to service", sentAt)
			acked := event("slip-entry-2", "acknowledged", "service", "service acknowledged", sentAt.Add(time.Hour))
			closed := event("slip-entry-3", "closed", "", "closed without objection", sentAt.Add(2*time.Hour))
			closed.Actor = "workflow"

			tc, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
			if err != nil {
				t.Fatal(err)
			}
			defer tc.Close()
			queue := "slip-history-test"
			w := worker.New(tc, queue, worker.Options{})
			w.RegisterWorkflow(recordSlipEvents)
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			run := func(id string, events ...*customerv1.SlipEventInput) error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				r, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, recordSlipEvents, events)
				if err != nil {
					t.Fatal(err)
				}
				return r.Get(ctx, nil)
			}
			if err := run("slip-history-"+b.Name, sent, acked, acked, closed); err != nil {
				t.Fatalf("recording the slip's events: %v", err)
			}
			err = run("slip-history-bad-"+b.Name, event("slip-entry-4", "escalated", "service", "", sentAt))
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) || ae.Type() != "invalid" {
				t.Fatalf("an unknown event: %v", err)
			}

			items := func(path string) []map[string]any {
				r := s.call("GET", path, repAna, nil)
				if r.status != http.StatusOK {
					t.Fatalf("%s: %d %s", path, r.status, r.body)
				}
				var out []map[string]any
				for _, it := range r.json(t)["items"].([]any) {
					out = append(out, it.(map[string]any))
				}
				return out
			}
			h := items("/v1/customers/" + c1 + "/history")
			if len(h) != 3 {
				t.Fatalf("history %v", h)
			}
			for i, want := range []map[string]any{
				{"slip_event": "closed", "department": "", "actor_id": "workflow", "title": "Slip closed: Competitor offers 10% off"},
				{"slip_event": "acknowledged", "department": "service", "summary": "service acknowledged"},
				{"slip_event": "sent", "department": "sales", "occurred_at": sentAt.Format(time.RFC3339)},
			} {
				want["slip_id"], want["category"], want["kind"] = slip1, "info_slip", "log"
				for k, v := range want {
					if h[i][k] != v {
						t.Errorf("item %d %s = %v, want %v", i, k, h[i][k], v)
					}
				}
				if _, ok := h[i]["case_id"]; ok {
					t.Errorf("item %d names a case: %v", i, h[i])
				}
			}
			for dept, want := range map[string]string{"sales": "sent", "service": "acknowledged"} {
				if d := items("/v1/customers/" + c1 + "/history?department=" + dept); len(d) != 1 || d[0]["slip_event"] != want {
					t.Errorf("%s's part: %v", dept, d)
				}
			}
			tl := items("/v1/customers/" + c1 + "/timeline?source=action")
			if len(tl) != 3 || tl[1]["department"] != "service" {
				t.Fatalf("timeline %v", tl)
			}
			if a := tl[1]["action"].(map[string]any); a["slip_id"] != slip1 || a["slip_event"] != "acknowledged" {
				t.Errorf("the timeline's slip item: %v", a)
			}

			itemID := h[1]["id"].(string)
			for _, user := range []string{repAna, admin} {
				if r := s.call("POST", "/v1/actions/"+itemID+"/complete", user, map[string]any{"summary": "done"}); r.status != 422 || r.code(t) != "recorded_by_slip" {
					t.Errorf("complete as %s: %d %s", user, r.status, r.body)
				}
				if r := s.call("POST", "/v1/actions/"+itemID+"/cancel", user, nil); r.status != 422 || r.code(t) != "recorded_by_slip" {
					t.Errorf("cancel as %s: %d %s", user, r.status, r.body)
				}
			}
			if cu := s.call("GET", "/v1/customers/"+c1, repAna, nil).json(t); cu["last_contact_at"] != nil {
				t.Errorf("a slip's events are no contact: last_contact_at %v", cu["last_contact_at"])
			}
		})
	}
}
