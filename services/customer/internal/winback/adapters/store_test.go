package adapters_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	actadapters "github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
	visitadapters "github.com/closeloop/closeloop/services/customer/internal/visits/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/winback/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var backends = testenv.Backends

const (
	lostOne  = "0190a000-0000-7000-8000-0000000000c1"
	other    = "0190a000-0000-7000-8000-0000000000c2"
	gone     = "0190a000-0000-7000-8000-0000000000c3"
	stranger = "0190a000-0000-7000-8000-0000000000c9"
)

var (
	t0      = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	authAll = auth.Scope{All: true}
)

func open(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: dsn, MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Minute}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, log); err != nil {
		t.Fatal(err)
	}
	return gdb
}

func addCustomer(t *testing.T, gdb *gorm.DB, id, stage string, deleted bool) {
	t.Helper()
	c := custadapters.CustomerRecord{ID: id, Name: "Customer " + id, NormalizedName: "customer " + id, Region: "north", Industry: "steel",
		OwnerID: "rep-ana", Team: "north", LifecycleStage: stage, CreatedBy: "test", CreatedAt: t0, UpdatedAt: t0, CareFrom: t0, Version: 1}
	if stage == "lost" {
		lost := custdomain.LostAfter(custdomain.StageLost, "price", "Rival Steel", t0)
		c.LostAt, c.LostReason, c.LostCompetitor = lost.At, lost.Reason, lost.Competitor
	}
	if deleted {
		c.DeletedAt = &t0
	}
	if err := gdb.Create(&c).Error; err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, gdb *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := gdb.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMarkAndReturn runs on each database: the mark is set and cleared on
// the customer's row without an audit entry or a new version; a return
// moves a lost customer to prospect in one transaction — stage history
// entry by the win-back, the loss forgotten, an audit entry, the history
// item, the mark cleared — and a second return changes nothing.
func TestMarkAndReturn(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := open(t, b.DSN(t))
			customers := custadapters.NewStore(gdb)
			store := adapters.New(gdb, customers)
			addCustomer(t, gdb, lostOne, "lost", false)
			addCustomer(t, gdb, gone, "lost", true)

			mark := func(id string, m domain.Mark) error {
				m.CustomerID = id
				return store.Update(ctx, id, func(c domain.Customer) (domain.Change, error) { return domain.Change{Mark: m.Apply(c.Mark)}, nil })
			}
			markOf := func(id string) string {
				t.Helper()
				got, err := store.Mark(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			if markOf(lostOne) != "" {
				t.Fatal("a customer starts unmarked")
			}
			for _, step := range []struct {
				m    domain.Mark
				want string
			}{
				{domain.Mark{CampaignID: "camp-1"}, "camp-1"},
				{domain.Mark{CampaignID: "camp-1"}, "camp-1"},
				{domain.Mark{ClearCampaignID: "camp-2"}, "camp-1"},
			} {
				if err := mark(lostOne, step.m); err != nil || markOf(lostOne) != step.want {
					t.Fatalf("%+v: %v, mark %q", step.m, err, markOf(lostOne))
				}
			}
			if n := count(t, gdb, "SELECT COUNT(*) FROM audit_events WHERE customer_id = ?", lostOne); n != 0 {
				t.Fatalf("a mark wrote %d audit entries", n)
			}
			if n := count(t, gdb, "SELECT version FROM customers WHERE id = ?", lostOne); n != 1 {
				t.Fatalf("a mark moved the version to %d", n)
			}
			if err := mark(stranger, domain.Mark{CampaignID: "camp-1"}); !errors.Is(err, custdomain.ErrCustomerNotFound) {
				t.Fatalf("an unknown customer: %v", err)
			}
			refused := errors.New("refused")
			if err := store.Update(ctx, lostOne, func(domain.Customer) (domain.Change, error) { return domain.Change{}, refused }); !errors.Is(err, refused) ||
				markOf(lostOne) != "camp-1" {
				t.Fatalf("a refusal stores nothing: %v", err)
			}

			r := domain.Return{CampaignID: "camp-1", CustomerID: lostOne, Outcome: "responded", Response: domain.Response{Kind: "call", Ref: "a1", By: "rep-ana", At: t0}}
			at := t0.Add(time.Hour)
			ret := func(id string) error {
				r.CustomerID = id
				return store.Update(ctx, id, func(c domain.Customer) (domain.Change, error) { return domain.Returned(c, r, at) })
			}
			for range 2 {
				if err := ret(lostOne); err != nil {
					t.Fatal(err)
				}
			}
			c, err := customers.GetCustomer(ctx, lostOne, authAll, false)
			if err != nil {
				t.Fatal(err)
			}
			if c.LifecycleStage != "prospect" || c.LostAt != nil || c.LostReason != "" || c.LostCompetitor != "" || c.Version != 2 || markOf(lostOne) != "" {
				t.Fatalf("returned customer %+v, mark %q", c, markOf(lostOne))
			}
			var stages []custadapters.StageChangeRecord
			if err := gdb.Where("customer_id = ?", lostOne).Find(&stages).Error; err != nil {
				t.Fatal(err)
			}
			if len(stages) != 1 || stages[0].FromStage != "lost" || stages[0].ToStage != "prospect" || stages[0].Actor != "winback" ||
				stages[0].Reason != "win-back: responded (call)" || !stages[0].At.Equal(at) {
				t.Fatalf("stage history %+v", stages)
			}
			if n := count(t, gdb, "SELECT COUNT(*) FROM audit_events WHERE customer_id = ? AND action = 'lifecycle_change' AND actor = 'winback'", lostOne); n != 1 {
				t.Fatalf("%d audit entries", n)
			}
			items, err := actadapters.NewStore(gdb).History(ctx, actdomain.HistoryQuery{CustomerID: lostOne, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Category != "campaign" || items[0].CampaignID != "camp-1" || items[0].Title != "Back on the prospect list: responded to the win-back (call)" ||
				!items[0].OccurredAt.Equal(at) {
				t.Fatalf("history %+v", items)
			}

			// A deleted customer keeps its stage; its mark still clears.
			if err := mark(gone, domain.Mark{CampaignID: "camp-1"}); err != nil {
				t.Fatal(err)
			}
			if err := ret(gone); err != nil || markOf(gone) != "" {
				t.Fatalf("deleted: %v, mark %q", err, markOf(gone))
			}
			if n := count(t, gdb, "SELECT COUNT(*) FROM customers WHERE id = ? AND lifecycle_stage = 'lost'", gone); n != 1 {
				t.Fatal("a deleted customer was moved")
			}
		})
	}
}

// TestEvents runs on each database: a window reads, after its instant,
// the customer's logged contacts (not plans, not other categories, not
// other customers'), its visits logged (not booked), its lifecycle changes
// out of lost (the win-back's own among them: the domain skips it), at
// most Limit of each, earliest first.
func TestEvents(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb := open(t, b.DSN(t))
			store := adapters.New(gdb, custadapters.NewStore(gdb))
			addCustomer(t, gdb, lostOne, "lost", false)
			addCustomer(t, gdb, other, "lost", false)
			since := t0

			acts := actadapters.NewStore(gdb)
			action := func(id, customer, kind, category string, recorded time.Time) {
				a := actdomain.Action{ID: id, Kind: kind, Status: "done", Category: category, Department: "sales", ActorID: "rep-ana", Title: "x",
					OccurredAt: recorded, CreatedAt: recorded, UpdatedAt: recorded,
					Links: []actdomain.Link{{SubjectType: "customer", SubjectID: customer, CustomerID: customer}}}
				if kind == "plan" {
					a.Status = "planned"
				}
				if err := acts.Create(ctx, a, false); err != nil {
					t.Fatal(err)
				}
			}
			action("0190a000-0000-7000-8000-0000000000a1", lostOne, "log", "phone_call", since.Add(time.Hour))
			action("0190a000-0000-7000-8000-0000000000a2", lostOne, "log", "visit_reception", since.Add(90*time.Minute))
			action("0190a000-0000-7000-8000-0000000000a3", lostOne, "plan", "phone_call", since.Add(time.Minute))
			action("0190a000-0000-7000-8000-0000000000a4", lostOne, "log", "briefing_report", since.Add(time.Minute))
			action("0190a000-0000-7000-8000-0000000000a5", lostOne, "log", "phone_call", since)                // not after since
			action("0190a000-0000-7000-8000-0000000000a6", other, "log", "phone_call", since.Add(time.Minute)) // another customer's

			visit := func(id, status string, logged *time.Time) {
				by := "rep-bo"
				r := visitadapters.Row{ID: id, WorkflowID: "Visit:" + id, CustomerID: lostOne, Day: id[len(id)-2:], StartAt: since, EndAt: since.Add(time.Hour),
					Status: status, BookedBy: by, Team: "north", Department: "sales", Purpose: "x", CreatedAt: since, UpdatedAt: since}
				if logged != nil {
					r.LoggedBy, r.LoggedAt = &by, logged
				}
				if err := gdb.Create(&r).Error; err != nil {
					t.Fatal(err)
				}
			}
			logged := since.Add(2 * time.Hour)
			early := since.Add(-time.Hour)
			visit("0190a000-0000-7000-8000-0000000000b1", "done", &logged)
			visit("0190a000-0000-7000-8000-0000000000b2", "booked", nil)
			visit("0190a000-0000-7000-8000-0000000000b3", "done", &early)

			stage := func(id, from, to, actor string, at time.Time) {
				sc := custadapters.StageChangeRecord{ID: id, CustomerID: lostOne, Kind: "lifecycle", FromStage: from, ToStage: to, Reason: "x", Actor: actor, At: at}
				if err := gdb.Create(&sc).Error; err != nil {
					t.Fatal(err)
				}
			}
			stage("0190a000-0000-7000-8000-0000000000d1", "lost", "prospect", "winback", since.Add(5*time.Minute))
			stage("0190a000-0000-7000-8000-0000000000d2", "lost", "prospect", "mgr-mia", since.Add(3*time.Hour))
			stage("0190a000-0000-7000-8000-0000000000d3", "prospect", "lost", "rep-ana", since.Add(20*time.Minute))

			w := domain.WindowSince(lostOne, since)
			events, err := store.Events(ctx, w)
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, e := range events {
				refs = append(refs, e.Source+":"+e.Ref[len(e.Ref)-2:])
			}
			want := []string{"action:a1", "action:a2", "visit:b1", "stage:d1", "stage:d2"}
			if !reflect.DeepEqual(refs, want) {
				t.Fatalf("events %v, want %v", refs, want)
			}
			if e := events[2]; e.By != "rep-bo" || !e.At.Equal(logged) {
				t.Fatalf("visit event %+v", e)
			}
			if r, ok := domain.FirstResponse(events, since); !ok || r.Kind != "call" || r.Ref != "0190a000-0000-7000-8000-0000000000a1" || !r.At.Equal(since.Add(time.Hour)) {
				t.Fatalf("first response %+v %v", r, ok)
			}
			w.Limit = 1
			if events, err := store.Events(ctx, w); err != nil || len(events) != 3 {
				t.Fatalf("limit 1 per source: %d %v", len(events), err)
			}
			if events, err := store.Events(ctx, domain.WindowSince(lostOne, since.Add(4*time.Hour))); err != nil || len(events) != 0 {
				t.Fatalf("nothing after: %+v %v", events, err)
			}
		})
	}
}
