package ports_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
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
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/app"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
	"github.com/closeloop/closeloop/services/sales/internal/ports"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var backends = testenv.Backends

func openStore(t *testing.T, dsn string) (*gorm.DB, *adapters.Store) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: dsn, MaxOpenConns: 10, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := gdb.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if _, err := migrate.Run(ctx, gdb, "sales", adapters.Migrations, log); err != nil {
		t.Fatal(err)
	}
	return gdb, adapters.NewStore(gdb)
}

func customer(i int) string { return fmt.Sprintf("0190a000-0000-7000-8000-%012d", i) }

// TestCustomerOutcomesActivity runs sales.CustomerOutcomes, registered
// under its contract name, on each database: per customer asked, the leads
// and opportunities created in (since, until] and the opportunities won in
// it — an old opportunity won in the period included, one won after it
// not — with their revenue in major units and the first win; the bounds of
// the period (exactly at since: out, exactly at until: in); a customer with
// nothing, or with everything outside the period, is left out, as is a
// customer not asked about; until unset is now; malformed input fails
// non-retryable "invalid".
func TestCustomerOutcomesActivity(t *testing.T) {
	var (
		leadsOnly = customer(1) // leads on both sides of both bounds
		selling   = customer(2) // opportunities created, won, lost, open
		nothing   = customer(3) // no sales at all
		before    = customer(4) // everything before since
		notAsked  = customer(5) // sales in the period, not asked about
	)
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb, store := openStore(t, b.DSN(t))
			acts := &ports.Activities{Store: store, App: app.New(store, nil, nil, app.Options{})}
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivityWithOptions(acts.CustomerOutcomes, activity.RegisterOptions{Name: salesc.ActivityCustomerOutcomes})
			outcomes := func(in *marketingv1.CustomerOutcomesInput) (map[string]*marketingv1.CustomerOutcome, error) {
				v, err := env.ExecuteActivity(salesc.ActivityCustomerOutcomes, in)
				if err != nil {
					return nil, err
				}
				var res marketingv1.CustomerOutcomesResult
				if err := v.Get(&res); err != nil {
					t.Fatal(err)
				}
				by := map[string]*marketingv1.CustomerOutcome{}
				for _, o := range res.GetOutcomes() {
					by[o.GetCustomerId()] = o
				}
				if len(by) != len(res.GetOutcomes()) {
					t.Fatalf("a customer listed twice: %v", res.GetOutcomes())
				}
				return by, nil
			}

			now := time.Now().UTC().Truncate(time.Microsecond)
			since := now.Add(-20 * 24 * time.Hour)
			until := since.Add(10 * 24 * time.Hour)
			µs := time.Microsecond
			seq := 0
			lead := func(customerID string, created time.Time) {
				t.Helper()
				seq++
				if err := gdb.Create(&adapters.Lead{ID: customer(1000 + seq), Source: "campaign", CustomerID: customerID, State: domain.LeadNew,
					ReceivedAt: created, CreatedBy: "test", CreatedAt: created, UpdatedAt: created}).Error; err != nil {
					t.Fatal(err)
				}
			}
			opp := func(customerID string, created time.Time, amountMinor int64, currency, close string, closed time.Time) {
				t.Helper()
				seq++
				id := customer(2000 + seq)
				if _, err := store.CreateOpportunity(ctx, &adapters.Opportunity{ID: id, CustomerID: customerID, Name: "Opportunity " + id,
					OwnerID: "rep-ana", Team: "north", Stage: domain.StageIntent, AmountMinor: amountMinor, Currency: currency,
					CreatedBy: "rep-ana", CreatedAt: created}); err != nil {
					t.Fatal(err)
				}
				if close == "" {
					return
				}
				if _, err := store.ApplyOpportunityCommand(ctx, adapters.OppCommand{ID: id, Op: close, Actor: "rep-ana", Reason: "budget",
					EventID: id + ":close", At: closed}); err != nil {
					t.Fatal(err)
				}
			}

			lead(leadsOnly, since)                                                                       // at since: out
			lead(leadsOnly, since.Add(µs))                                                               // in
			lead(leadsOnly, since.Add(72*time.Hour))                                                     // in
			lead(leadsOnly, until)                                                                       // at until: in
			lead(leadsOnly, until.Add(µs))                                                               // after: out (until unset: in)
			lead(leadsOnly, now.Add(time.Hour))                                                          // after now: out even with until unset
			opp(selling, since.Add(time.Hour), 120050, "CNY", domain.OpWon, since.Add(48*time.Hour))     // created in, won in: 1,200.50
			opp(selling, since.Add(-40*time.Hour), 500000, "JPY", domain.OpWon, since.Add(24*time.Hour)) // created before, won in: 500,000 (first win)
			opp(selling, since.Add(-40*time.Hour), 30000, "EUR", domain.OpWon, until)                    // created before, won at until: 300
			opp(selling, since.Add(-40*time.Hour), 90000, "EUR", domain.OpWon, since)                    // won at since: out
			opp(selling, since.Add(2*time.Hour), 70000, "CNY", domain.OpWon, until.Add(time.Hour))       // created in, won after
			opp(selling, since.Add(3*time.Hour), 10000, "CNY", domain.OpLost, since.Add(4*time.Hour))    // created in, lost
			opp(selling, until, 10000, "CNY", "", time.Time{})                                           // created at until, open
			lead(before, since.Add(-time.Hour))
			opp(before, since.Add(-3*time.Hour), 10000, "CNY", domain.OpWon, since.Add(-2*time.Hour))
			lead(notAsked, since.Add(time.Hour))
			opp(notAsked, since.Add(time.Hour), 10000, "CNY", domain.OpWon, since.Add(2*time.Hour))

			// A thousand customers asked, a customer twice: one query per kind.
			ids := []string{leadsOnly, selling, nothing, before, selling}
			for i := len(ids); i < domain.MaxOutcomeCustomers; i++ {
				ids = append(ids, customer(100000+i))
			}
			got, err := outcomes(&marketingv1.CustomerOutcomesInput{CustomerIds: ids, Since: timestamppb.New(since), Until: timestamppb.New(until)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[nothing] != nil || got[before] != nil || got[notAsked] != nil {
				t.Fatalf("only the customers asked with outcomes in the period: %v", got)
			}
			if o := got[leadsOnly]; o.GetLeads() != 3 || o.GetOpportunities() != 0 || o.GetWon() != 0 || o.GetWonRevenue() != 0 || o.GetFirstWonAt() != nil {
				t.Errorf("leads after since up to until: %v", o)
			}
			o := got[selling]
			if o.GetLeads() != 0 || o.GetOpportunities() != 4 || o.GetWon() != 3 {
				t.Errorf("opportunities created in the period 4 and won in it 3: %v", o)
			}
			if math.Abs(o.GetWonRevenue()-(1200.50+500000+300)) > 1e-6 {
				t.Errorf("revenue of the wins in their currencies' units: %v, want 501500.50", o.GetWonRevenue())
			}
			if !o.GetFirstWonAt().AsTime().Equal(since.Add(24 * time.Hour)) {
				t.Errorf("first win at %v, want %v", o.GetFirstWonAt().AsTime(), since.Add(24*time.Hour))
			}

			// Until unset: up to now, the future excluded.
			got, err = outcomes(&marketingv1.CustomerOutcomesInput{CustomerIds: []string{leadsOnly, selling, nothing}, Since: timestamppb.New(until)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[leadsOnly].GetLeads() != 1 || got[selling].GetOpportunities() != 0 || got[selling].GetWon() != 1 ||
				got[selling].GetWonRevenue() != 700 || !got[selling].GetFirstWonAt().AsTime().Equal(until.Add(time.Hour)) {
				t.Errorf("after until, to now: %v", got)
			}
			// No customers, or none with outcomes: an empty answer.
			for _, in := range []*marketingv1.CustomerOutcomesInput{{}, {CustomerIds: []string{nothing}, Since: timestamppb.New(since)}} {
				if got, err := outcomes(in); err != nil || len(got) != 0 {
					t.Errorf("%v: %v, %v, want none", in, got, err)
				}
			}

			tooMany := append(ids, customer(999999))
			for _, tc := range []struct {
				name string
				in   *marketingv1.CustomerOutcomesInput
			}{
				{"1,001 customers", &marketingv1.CustomerOutcomesInput{CustomerIds: tooMany, Since: timestamppb.New(since)}},
				{"not a customer id", &marketingv1.CustomerOutcomesInput{CustomerIds: []string{selling, "acme"}, Since: timestamppb.New(since)}},
				{"until before since", &marketingv1.CustomerOutcomesInput{CustomerIds: []string{selling}, Since: timestamppb.New(until), Until: timestamppb.New(since)}},
			} {
				_, err := outcomes(tc.in)
				var ae *temporal.ApplicationError
				if !errors.As(err, &ae) || ae.Type() != "invalid" || !ae.NonRetryable() {
					t.Errorf("%s: %v, want non-retryable invalid", tc.name, err)
				}
			}
		})
	}
}
