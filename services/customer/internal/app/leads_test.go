package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/app"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newApp(t *testing.T, dsn string) *app.App {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: dsn, MaxOpenConns: 20, MaxIdleConns: 5, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, log); err != nil {
		t.Fatal(err)
	}
	return app.New(adapters.NewStore(gdb), nil, domain.Thresholds{AShare: 0.8, BShare: 0.95})
}

// onBothDatabases runs test with an app on PostgreSQL and on SQLite.
func onBothDatabases(t *testing.T, test func(*testing.T, *app.App)) {
	testenv.OnEachBackend(t, func(t *testing.T, dsn string) { test(t, newApp(t, dsn)) })
}

// TestLeadCustomers covers the two activities the Lead workflow runs in the
// customer service, on each database: finding or creating a lead's company
// (duplicate detection by name, tax id and contact email; retries idempotent)
// and claiming its owner (one winner among concurrent claims; a customer
// created for a lead follows the lead to its new rep).
func TestLeadCustomers(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, a *app.App) {
		ctx := context.Background()
		id1 := uuid.NewString()
		c, err := a.EnsureLeadCustomer(ctx, app.LeadCompany{NewID: id1, Name: "Harbour Cranes Ltd.", TaxID: "91-310-000", Region: "north",
			Industry: "steel", ContactName: "Li Wei", ContactEmail: "li@harbour.example", Actor: "rep-ana"})
		if err != nil || c.ID != id1 || !c.Created || c.OwnerID != "" {
			t.Fatalf("create: %+v %v", c, err)
		}
		// A retry of the same call finds what the first one created.
		if again, err := a.EnsureLeadCustomer(ctx, app.LeadCompany{NewID: id1, Name: "Harbour Cranes Ltd.", Region: "north", Industry: "steel"}); err != nil || again.ID != id1 {
			t.Fatalf("retry: %+v %v", again, err)
		}
		// Another lead naming the same company — by name, by tax id, by
		// contact email — finds the same customer and creates nothing.
		for _, in := range []app.LeadCompany{
			{Name: "HARBOUR CRANES LTD", Region: "north", Industry: "steel"},
			{Name: "Harbour Cranes (Shanghai)", TaxID: "91-310-000", Region: "north", Industry: "steel"},
			{Name: "Harbour Cranes Holding", ContactName: "Li", ContactEmail: "li@harbour.example", Region: "north", Industry: "steel"},
			// The system path still learns the existing id, also through a disguise.
			{Name: "Hаrbour Crаnes​ Ltd", Region: "north", Industry: "steel"},
			{Name: "Harbour Cranes Asia", TaxID: "９１-３１０-０００", Region: "north", Industry: "steel"},
		} {
			in.NewID = uuid.NewString()
			got, err := a.EnsureLeadCustomer(ctx, in)
			if err != nil || got.ID != id1 || got.Created {
				t.Fatalf("duplicate %+v: %+v %v", in, got, err)
			}
		}
		// Bad company data is refused without retries (a business error).
		_, err = a.EnsureLeadCustomer(ctx, app.LeadCompany{NewID: uuid.NewString(), Name: "", Region: "north", Industry: "steel"})
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.KindRule {
			t.Fatalf("empty name: %v", err)
		}

		// Concurrent claims: exactly one wins.
		reps := []string{"rep-a", "rep-b", "rep-c", "rep-d", "rep-e", "rep-f", "rep-g", "rep-h"}
		results := make([]app.LeadCustomer, len(reps))
		errs := make([]error, len(reps))
		var wg sync.WaitGroup
		for i, r := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = a.ClaimCustomerOwner(ctx, id1, r, "north", "", "workflow", "lead assigned")
			}()
		}
		wg.Wait()
		winners, owner := 0, ""
		for i := range reps {
			if errs[i] != nil {
				t.Fatalf("claim %s: %v", reps[i], errs[i])
			}
			if results[i].Claimed {
				winners++
				owner = reps[i]
			}
		}
		if winners != 1 {
			t.Fatalf("%d claims won", winners)
		}
		for i := range reps {
			if results[i].OwnerID != owner {
				t.Fatalf("claim %s answered owner %s, the winner is %s", reps[i], results[i].OwnerID, owner)
			}
		}
		// A read (no candidate) changes nothing; replacing someone who is
		// not the owner changes nothing; replacing the owner moves it.
		if r, _ := a.ClaimCustomerOwner(ctx, id1, "", "", "", "workflow", ""); r.OwnerID != owner || r.Claimed {
			t.Fatalf("read: %+v", r)
		}
		if r, _ := a.ClaimCustomerOwner(ctx, id1, "rep-z", "north", "rep-nobody", "workflow", ""); r.OwnerID != owner || r.Claimed {
			t.Fatalf("replace a non-owner: %+v", r)
		}
		if r, err := a.ClaimCustomerOwner(ctx, id1, "rep-z", "north", owner, "workflow", "lead reassigned"); err != nil || r.OwnerID != "rep-z" || !r.Claimed {
			t.Fatalf("replace the owner: %+v %v", r, err)
		}
		if _, err := a.ClaimCustomerOwner(ctx, uuid.NewString(), "rep-z", "north", "", "workflow", ""); !errors.Is(err, domain.ErrCustomerNotFound) {
			t.Fatalf("unknown customer: %v", err)
		}
	})
}

// TestLeadCustomersClaimedForTheRoutedRep covers a routed lead's one call:
// the customer it names found or created and claimed for the lead's rep
// (created owned; found without an owner: claimed; found owned: kept), and
// Claimed answered alike by a retry — also when the first attempt's claim
// committed and its answer was lost — but not for another lead of the rep.
func TestLeadCustomersClaimedForTheRoutedRep(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, a *app.App) {
		ctx := context.Background()
		fresh := app.LeadCompany{NewID: uuid.NewString(), Name: "Quayside Pumps", Region: "north", Industry: "steel", Actor: "rep-ana",
			ClaimOwner: "rep-ana", ClaimTeam: "north", ClaimReason: "lead L1 assigned"}
		for _, try := range []string{"first", "retry"} {
			c, err := a.EnsureLeadCustomer(ctx, fresh)
			if err != nil || c.ID != fresh.NewID || !c.Created || !c.Claimed || c.OwnerID != "rep-ana" || c.Team != "north" {
				t.Fatalf("%s: %+v %v, want created owned by rep-ana and claimed", try, c, err)
			}
		}
		other := app.LeadCompany{NewID: uuid.NewString(), Name: "QUAYSIDE PUMPS", Region: "north", Industry: "steel",
			ClaimOwner: "rep-ben", ClaimTeam: "north", ClaimReason: "lead L2 assigned"}
		if c, err := a.EnsureLeadCustomer(ctx, other); err != nil || c.ID != fresh.NewID || c.Created || c.Claimed || c.OwnerID != "rep-ana" {
			t.Fatalf("owned: %+v %v, want rep-ana's kept, not claimed", c, err)
		}

		// An unowned customer a lead finds is claimed for the lead's rep; a
		// retry says so too; another lead routed to the same rep finds it
		// hers but did not claim it.
		unowned := app.LeadCompany{NewID: uuid.NewString(), Name: "Dockside Valves", Region: "north", Industry: "steel"}
		if _, err := a.EnsureLeadCustomer(ctx, unowned); err != nil {
			t.Fatal(err)
		}
		lead3 := app.LeadCompany{NewID: uuid.NewString(), Name: "Dockside Valves", Region: "north", Industry: "steel",
			ClaimOwner: "rep-cy", ClaimTeam: "north", ClaimReason: "lead L3 assigned"}
		for _, try := range []string{"first", "retry"} {
			c, err := a.EnsureLeadCustomer(ctx, lead3)
			if err != nil || c.ID != unowned.NewID || c.Created || !c.Claimed || c.OwnerID != "rep-cy" {
				t.Fatalf("%s: %+v %v, want the found customer claimed for rep-cy", try, c, err)
			}
		}
		lead4 := lead3
		lead4.NewID, lead4.ClaimReason = uuid.NewString(), "lead L4 assigned"
		if c, err := a.EnsureLeadCustomer(ctx, lead4); err != nil || c.Claimed || c.OwnerID != "rep-cy" {
			t.Fatalf("another lead of rep-cy: %+v %v, want rep-cy's, not claimed by it", c, err)
		}
	})
}
