package customer_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
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

// recordCaseEvents stands in for the ServiceCase workflow: it calls
// customer.RecordCaseEvent on the customer task queue for each event, as a
// case workflow does (no retry of "invalid" and "not_found").
func recordCaseEvents(ctx workflow.Context, events []*customerv1.CaseEventInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: customerc.TaskQueue, StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{NonRetryableErrorTypes: []string{"invalid", "not_found"}}})
	for _, e := range events {
		if err := workflow.ExecuteActivity(ctx, customerc.ActivityRecordCaseEvent, e).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// TestCaseEventsOnTheCustomersHistory runs on a real Temporal server and each
// database: a workflow records a service case's changes through the customer
// service's worker, one of them twice; the customer's history shows each
// once, newest first, as logs of the service department linked to the case,
// to whoever sees the customer (its rep and her manager, not another rep),
// and the kind and department filters treat them like any service log.
// Nobody records, completes or cancels such an item through /v1/actions,
// and being filed or resolved is no contact: the customer's last contact
// stays unset. An unknown customer fails the activity as "not_found".
func TestCaseEventsOnTheCustomersHistory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			s, hostPort, ns := visitStack(t, b.DSN, false)
			c1 := s.create(repAna, company(nil))
			const case1 = "0190a000-0000-7000-8000-00000000ca5e"
			filedAt := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
			resolvedAt := filedAt.Add(90 * time.Minute)
			event := func(id, customer, ev, summary string, at time.Time) *customerv1.CaseEventInput {
				return &customerv1.CaseEventInput{Id: id, CustomerId: customer, CaseId: case1, Event: ev, Actor: "agent-li",
					Team: "service-north", Subject: "Crane hydraulics leak", Summary: summary, At: timestamppb.New(at)}
			}
			filed := event("entry-1", c1, "filed", "reported by phone", filedAt)
			resolved := event("entry-2", c1, "resolved", "seal replaced", resolvedAt)

			tc, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
			if err != nil {
				t.Fatal(err)
			}
			defer tc.Close()
			queue := "case-history-test"
			w := worker.New(tc, queue, worker.Options{})
			w.RegisterWorkflow(recordCaseEvents)
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			run := func(id string, events ...*customerv1.CaseEventInput) error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				r, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, recordCaseEvents, events)
				if err != nil {
					t.Fatal(err)
				}
				return r.Get(ctx, nil)
			}
			// The resolution is recorded twice, as a retried activity would.
			if err := run("case-history-"+b.Name, filed, resolved, resolved); err != nil {
				t.Fatalf("recording the case's events: %v", err)
			}
			err = run("case-history-unknown-"+b.Name, event("entry-3", "0190a000-0000-7000-8000-00000000dead", "filed", "", filedAt))
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) || ae.Type() != "not_found" {
				t.Fatalf("an unknown customer: %v", err)
			}

			history := func(user, q string) []map[string]any {
				r := s.call("GET", "/v1/customers/"+c1+"/history"+q, user, nil)
				if r.status != http.StatusOK {
					t.Fatalf("history%s as %s: %d %s", q, user, r.status, r.body)
				}
				var out []map[string]any
				for _, it := range r.json(t)["items"].([]any) {
					out = append(out, it.(map[string]any))
				}
				return out
			}
			h := history(repAna, "")
			if len(h) != 2 {
				t.Fatalf("history %v", h)
			}
			want := map[string]any{"kind": "log", "status": "done", "category": "service_case", "department": "service", "actor_id": "agent-li",
				"title": "Case resolved: Crane hydraulics leak", "summary": "seal replaced", "case_id": case1, "case_event": "resolved",
				"case_team": "service-north", "occurred_at": resolvedAt.Format(time.RFC3339)}
			for k, v := range want {
				if h[0][k] != v {
					t.Errorf("newest item %s = %v, want %v", k, h[0][k], v)
				}
			}
			if h[1]["case_event"] != "filed" || h[1]["case_id"] != case1 {
				t.Errorf("older item %v", h[1])
			}
			itemID := h[0]["id"].(string)

			// The customer's manager sees them too; another rep does not.
			if m := history(mgrMia, "?department=service"); len(m) != 2 {
				t.Errorf("the manager's service history: %v", m)
			}
			if r := s.call("GET", "/v1/customers/"+c1+"/history", repBo, nil); r.status != http.StatusNotFound {
				t.Errorf("another rep: %d", r.status)
			}
			if n := len(history(repAna, "?department=sales")) + len(history(repAna, "?kind=plan")); n != 0 {
				t.Errorf("sales or plan filters list %d case items", n)
			}
			if l := history(repAna, "?kind=log&department=service"); len(l) != 2 {
				t.Errorf("service logs: %v", l)
			}

			// Read as an action, never recorded or changed as one.
			if r := s.call("GET", "/v1/actions/"+itemID, repAna, nil); r.status != http.StatusOK || r.json(t)["case_id"] != case1 {
				t.Errorf("get the item: %d %s", r.status, r.body)
			}
			for _, user := range []string{repAna, mgrMia, admin} {
				if r := s.call("POST", "/v1/actions/"+itemID+"/complete", user, map[string]any{"summary": "closed it myself"}); r.status != 422 || r.code(t) != "recorded_by_case" {
					t.Errorf("complete as %s: %d %s", user, r.status, r.body)
				}
				if r := s.call("POST", "/v1/actions/"+itemID+"/cancel", user, nil); r.status != 422 || r.code(t) != "recorded_by_case" {
					t.Errorf("cancel as %s: %d %s", user, r.status, r.body)
				}
			}
			r := s.call("POST", "/v1/actions", repAna, map[string]any{"kind": "log", "category": "service_case", "department": "service",
				"title": "Case resolved", "summary": "x", "customer_ids": []string{c1}})
			if r.status != 422 || !strings.Contains(string(r.body), `"field":"category"`) {
				t.Errorf("record a service_case action: %d %s", r.status, r.body)
			}
			if h2 := history(repAna, ""); len(h2) != 2 || h2[0]["summary"] != "seal replaced" || h2[0]["updated_at"] != h[0]["updated_at"] {
				t.Errorf("the history changed: %v", h2)
			}
			if cu := s.call("GET", "/v1/customers/"+c1, repAna, nil).json(t); cu["last_contact_at"] != nil {
				t.Errorf("a case's events are no contact: last_contact_at %v", cu["last_contact_at"])
			}
		})
	}
}
