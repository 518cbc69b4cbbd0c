package adapters_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var backends = testenv.Backends

const (
	cust1 = "0190a000-0000-7000-8000-0000000000c1"
	case1 = "0190a000-0000-7000-8000-0000000000a1"
)

func openDB(t testing.TB, dsn string) *gorm.DB {
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

// TestCaseItemsStoredOnceAndListed runs on each database: a case's item is
// stored once however often (and however concurrently) it is recorded, it
// reads back with its case, it is on its customer's history among the
// actions in time order and answers the kind and department filters like
// any log of the service department, and an Update of it is refused by the
// domain and stores nothing.
func TestCaseItemsStoredOnceAndListed(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := adapters.NewStore(openDB(t, b.DSN(t)))
			now := time.Now().UTC().Truncate(time.Microsecond)

			item, err := domain.NewCaseEvent(domain.CaseEvent{Key: "case-entry-1", CustomerID: cust1, CaseID: case1, Event: "filed",
				Actor: "agent-li", Team: "service-north", Subject: "Leak", Summary: "filed by phone", At: now.Add(-time.Hour)}, now)
			if err != nil {
				t.Fatal(err)
			}
			// Twenty concurrent recordings of one event: exactly one stores it.
			var wg sync.WaitGroup
			var mu sync.Mutex
			stored, failed := 0, []error{}
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.CreateOnce(ctx, item)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						failed = append(failed, err)
					}
					if ok {
						stored++
					}
				}()
			}
			wg.Wait()
			if stored != 1 || len(failed) != 0 {
				t.Fatalf("stored %d times, failures %v", stored, failed)
			}
			got, err := s.Get(ctx, item.ID)
			if err != nil || got.Case == nil || *got.Case != *item.Case || got.Category != domain.CategoryServiceCase ||
				len(got.Links) != 1 || got.Links[0].CustomerID != cust1 || !got.OccurredAt.Equal(item.OccurredAt) {
				t.Fatalf("%v %+v", err, got)
			}

			// A person's plan (sales, later) and log (service, earlier) on the same customer.
			link := []domain.Link{{SubjectType: domain.SubjectCustomer, SubjectID: cust1, CustomerID: cust1}}
			plan := domain.Action{ID: adapters.NewID(), Kind: domain.KindPlan, Status: domain.StatusPlanned, Category: "phone_call", Department: "sales",
				ActorID: "rep-ana", Title: "Call", OccurredAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now, Links: link}
			done := now.Add(-2 * time.Hour)
			log := domain.Action{ID: adapters.NewID(), Kind: domain.KindLog, Status: domain.StatusDone, Category: "briefing_report", Department: "service",
				ActorID: "mgr-mia", Title: "Report", Summary: "s", DoneAt: &done, OccurredAt: done, CreatedAt: now, UpdatedAt: now, Links: link}
			for _, a := range []domain.Action{plan, log} {
				if err := s.Create(ctx, a, false); err != nil {
					t.Fatal(err)
				}
			}
			history := func(kind, department string) []string {
				rows, err := s.History(ctx, domain.HistoryQuery{CustomerID: cust1, Kind: kind, Department: department, Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, a := range rows {
					ids = append(ids, a.ID)
					if (a.ID == item.ID) != (a.Case != nil) {
						t.Errorf("%s carries case %+v", a.ID, a.Case)
					}
				}
				return ids
			}
			for _, tc := range []struct {
				kind, department string
				want             []string
			}{
				{"", "", []string{plan.ID, item.ID, log.ID}},
				{domain.KindLog, "", []string{item.ID, log.ID}},
				{domain.KindPlan, "", []string{plan.ID}},
				{"", "service", []string{item.ID, log.ID}},
				{"", "sales", []string{plan.ID}},
			} {
				if got := history(tc.kind, tc.department); !slices.Equal(got, tc.want) {
					t.Errorf("history kind %q department %q: %v, want %v", tc.kind, tc.department, got, tc.want)
				}
			}

			// The store lets the domain refuse: nothing changes.
			_, err = s.Update(ctx, item.ID, func(a *domain.Action) error { return a.Cancel(now) })
			if !errors.Is(err, domain.ErrRecordedByCase) {
				t.Fatalf("cancel: %v", err)
			}
			if after, _ := s.Get(ctx, item.ID); after.Status != domain.StatusDone || !after.UpdatedAt.Equal(got.UpdatedAt) {
				t.Fatalf("a refused change changed the item: %+v", after)
			}
		})
	}
}
