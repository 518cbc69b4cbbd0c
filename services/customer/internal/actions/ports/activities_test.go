package ports_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	"github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/actions/app"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/services/customer/internal/actions/ports"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var backends = testenv.Backends

const (
	live     = "0190a000-0000-7000-8000-0000000000c1"
	deleted  = "0190a000-0000-7000-8000-0000000000c2"
	stranger = "0190a000-0000-7000-8000-0000000000c9"
	case1    = "0190a000-0000-7000-8000-0000000000a1"
)

func openDB(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: dsn, MaxOpenConns: 10, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, log); err != nil {
		t.Fatal(err)
	}
	return gdb
}

func addCustomer(t *testing.T, gdb *gorm.DB, id string, deletedAt *time.Time) {
	t.Helper()
	now := time.Now().UTC()
	if err := gdb.Exec(`INSERT INTO customers (id, name, normalized_name, region, industry, owner_id, team, lifecycle_stage,
		created_by, created_at, updated_at, deleted_at) VALUES (?, ?, ?, 'north', 'steel', 'rep-ana', 'north', 'transacting', 'test', ?, ?, ?)`,
		id, "Customer "+id, "customer "+id, now, now, deletedAt).Error; err != nil {
		t.Fatal(err)
	}
}

// TestRecordCaseEventActivity runs customer.RecordCaseEvent, registered
// under its contract name, on each database: the same id twice is one
// history item (the first recording stands); a deleted customer still gets
// its case's items; a malformed payload fails as non-retryable "invalid"
// and an unknown customer as non-retryable "not_found", storing nothing.
func TestRecordCaseEventActivity(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := openDB(t, b.DSN(t))
			gone := time.Now().UTC().Add(-time.Hour)
			addCustomer(t, gdb, live, nil)
			addCustomer(t, gdb, deleted, &gone)
			store := adapters.NewStore(gdb)
			svc := app.New(store, adapters.Customers{Store: custadapters.NewStore(gdb)}, nil, nil, adapters.NewID)
			acts := &ports.Activities{Svc: svc}

			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivityWithOptions(acts.RecordCaseEvent, activity.RegisterOptions{Name: customerc.ActivityRecordCaseEvent})
			record := func(in *customerv1.CaseEventInput) error {
				_, err := env.ExecuteActivity(customerc.ActivityRecordCaseEvent, in)
				return err
			}
			at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
			in := func(id, customer, event, summary string) *customerv1.CaseEventInput {
				return &customerv1.CaseEventInput{Id: id, CustomerId: customer, CaseId: case1, Event: event, Actor: "workflow",
					Team: "service-north", Subject: "Leak", Summary: summary, At: timestamppb.New(at)}
			}
			history := func(customer string) []domain.Action {
				rows, err := store.History(ctx, domain.HistoryQuery{CustomerID: customer, Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				return rows
			}

			for _, summary := range []string{"priority P3 → P1", "a retry that says otherwise"} {
				if err := record(in("entry-7", live, "priority_changed", summary)); err != nil {
					t.Fatal(err)
				}
			}
			h := history(live)
			if len(h) != 1 || h[0].ID != domain.CaseEventID("entry-7") || h[0].Summary != "priority P3 → P1" ||
				h[0].Title != "Priority changed: Leak" || h[0].Case == nil || h[0].Case.ID != case1 || !h[0].OccurredAt.Equal(at) {
				t.Fatalf("the same id twice: %+v", h)
			}
			if err := record(in("entry-8", deleted, "closed", "")); err != nil || len(history(deleted)) != 1 {
				t.Fatalf("a deleted customer's case closes: %v", err)
			}

			noAt := in("entry-9", live, "resolved", "")
			noAt.At = nil
			for _, tc := range []struct {
				name, errType string
				in            *customerv1.CaseEventInput
			}{
				{"an unknown event", "invalid", in("entry-9", live, "escalated", "")},
				{"no time", "invalid", noAt},
				{"not a customer id", "invalid", in("entry-9", "acme", "resolved", "")},
				{"an unknown customer", "not_found", in("entry-9", stranger, "resolved", "")},
			} {
				err := record(tc.in)
				var ae *temporal.ApplicationError
				if !errors.As(err, &ae) || ae.Type() != tc.errType || !ae.NonRetryable() {
					t.Errorf("%s: %v, want non-retryable %q", tc.name, err, tc.errType)
				}
			}
			if n := len(history(live)) + len(history(stranger)); n != 1 {
				t.Fatalf("refused events stored items: %d on the histories", n)
			}
		})
	}
}

// TestRecordSlipEventActivity runs customer.RecordSlipEvent, registered
// under its contract name, on each database: the same id twice is one history item (the first recording
// stands), carrying its slip and in the department of whoever made the
// change, which the department filter finds; a change of no known
// department is listed only unfiltered; a deleted customer still gets its
// slips' items; a malformed payload fails as non-retryable "invalid" and
// an unknown customer as non-retryable "not_found", storing nothing.
func TestRecordSlipEventActivity(t *testing.T) {
	const slip1 = "0190a000-0000-7000-8000-0000000000b7"
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := openDB(t, b.DSN(t))
			gone := time.Now().UTC().Add(-time.Hour)
			addCustomer(t, gdb, live, nil)
			addCustomer(t, gdb, deleted, &gone)
			store := adapters.NewStore(gdb)
			svc := app.New(store, adapters.Customers{Store: custadapters.NewStore(gdb)}, nil, nil, adapters.NewID)

			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestActivityEnvironment()
			acts := &ports.Activities{Svc: svc}
			env.RegisterActivityWithOptions(acts.RecordSlipEvent, activity.RegisterOptions{Name: customerc.ActivityRecordSlipEvent})
			record := func(in *customerv1.SlipEventInput) error {
				_, err := env.ExecuteActivity(customerc.ActivityRecordSlipEvent, in)
				return err
			}
			at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
			in := func(id, customer, event, department, summary string) *customerv1.SlipEventInput {
				return &customerv1.SlipEventInput{Id: id, CustomerId: customer, SlipId: slip1, Event: event, Actor: "rep-ana",
					Department: department, Subject: "Competitor offer", Summary: summary, At: timestamppb.New(at)}
			}
			history := func(customer, department string) []domain.Action {
				rows, err := store.History(ctx, domain.HistoryQuery{CustomerID: customer, Department: department, Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				return rows
			}

			for _, summary := range []string{"to service and marketing", "a retry that says otherwise"} {
				if err := record(in("slip-entry-1", live, "sent", "sales", summary)); err != nil {
					t.Fatal(err)
				}
			}
			h := history(live, "sales")
			if len(h) != 1 || h[0].ID != domain.SlipEventID("slip-entry-1") || h[0].Summary != "to service and marketing" ||
				h[0].Title != "Slip sent: Competitor offer" || h[0].Category != domain.CategoryInfoSlip || h[0].Slip == nil ||
				h[0].Slip.ID != slip1 || h[0].Slip.Event != "sent" || h[0].Case != nil || !h[0].OccurredAt.Equal(at) {
				t.Fatalf("the same id twice: %+v", h)
			}
			// The workflow closing the slip itself, later: no department.
			closed := in("slip-entry-2", live, "closed", "", "closed without objection")
			closed.At = timestamppb.New(at.Add(30 * time.Second))
			if err := record(closed); err != nil {
				t.Fatal(err)
			}
			if all, svcItems := history(live, ""), history(live, "service"); len(all) != 2 || all[0].Department != "" || len(svcItems) != 0 {
				t.Fatalf("a change of no department: %+v; service lists %+v", all, svcItems)
			}
			if err := record(in("slip-entry-3", deleted, "withdrawn", "sales", "")); err != nil || len(history(deleted, "")) != 1 {
				t.Fatalf("a deleted customer's slip is withdrawn: %v", err)
			}

			noAt := in("slip-entry-9", live, "done", "service", "")
			noAt.At = nil
			for _, tc := range []struct {
				name, errType string
				in            *customerv1.SlipEventInput
			}{
				{"an unknown event", "invalid", in("slip-entry-9", live, "escalated", "service", "")},
				{"an unknown department", "invalid", in("slip-entry-9", live, "done", "finance", "")},
				{"no time", "invalid", noAt},
				{"not a customer id", "invalid", in("slip-entry-9", "acme", "done", "service", "")},
				{"an unknown customer", "not_found", in("slip-entry-9", stranger, "done", "service", "")},
			} {
				err := record(tc.in)
				var ae *temporal.ApplicationError
				if !errors.As(err, &ae) || ae.Type() != tc.errType || !ae.NonRetryable() {
					t.Errorf("%s: %v, want non-retryable %q", tc.name, err, tc.errType)
				}
			}
			if n := len(history(live, "")) + len(history(stranger, "")); n != 2 {
				t.Fatalf("refused events stored items: %d on the histories", n)
			}
		})
	}
}
