package sales_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/workflows/lead"
)

// TestRoutingReservesTheRepUntilTheFirstAssignment checks the store's side
// of routing a new lead before its customer is found (RouteLead, then the
// first AssignLead): the reserved rep counts the lead against their
// capacity and has the round-robin turn, so leads routed together never
// overfill a rep nor share a turn; a repeated routing returns the first's
// rep; the first assignment takes the reservation (the routing's territory
// and reason) or releases it, giving the turn back unless another lead took
// one since.
func TestRoutingReservesTheRepUntilTheFirstAssignment(t *testing.T) {
	ctx := context.Background()
	h := newWFHarness(t, cst(time.March, 2, 10, 0))
	s := h.store
	tid := uuid.NewString()
	if err := s.CreateTerritory(ctx, &adapters.Territory{ID: tid, Name: "North steel", Region: "north", Industry: "steel", Team: "north",
		ManagerID: "mgr-mia", Strategy: "round_robin", CreatedBy: "admin"},
		[]adapters.TerritoryRep{{RepID: "rep-cy", Capacity: 1, Active: true}, {RepID: "rep-di", Capacity: 1, Active: true}}); err != nil {
		t.Fatal(err)
	}
	route := func(id string) (string, bool) {
		t.Helper()
		r, ok, err := s.RouteLead(ctx, adapters.RouteInput{LeadID: id, Region: "north", Industry: "steel"})
		if err != nil {
			t.Fatalf("route %s: %v", id, err)
		}
		if ok && (r.TerritoryID != tid || r.Team != "north" || r.ManagerID != "mgr-mia") {
			t.Errorf("route %s: %+v, want north steel's", id, r)
		}
		return r.OwnerID, ok
	}
	turn := func() string {
		t.Helper()
		tr, err := s.GetTerritory(ctx, tid)
		if err != nil {
			t.Fatal(err)
		}
		return tr.LastRep
	}
	first := func(id, owner string, routed bool) adapters.Lead {
		t.Helper()
		l, err := s.AssignLead(ctx, adapters.AssignInput{LeadID: id, Seq: 1, At: h.start, OwnerID: owner, IgnoreCapacity: true, Routed: routed,
			Reason: "territory rules", Actor: "workflow", Lead: &adapters.Lead{ID: id, Source: "web", CompanyName: "Co " + id[:8], Region: "north",
				Industry: "steel", ReceivedAt: h.start, CreatedBy: "rep-ana"}})
		if err != nil {
			t.Fatalf("assign %s: %v", id, err)
		}
		return l
	}

	l1, l2, l3 := uuid.NewString(), uuid.NewString(), uuid.NewString()
	o1, _ := route(l1)
	if again, _ := route(l1); again != o1 || o1 != "rep-cy" {
		t.Fatalf("routed %q, again %q: want rep-cy both times", o1, again)
	}
	o2, _ := route(l2)
	if o2 != "rep-di" || turn() != "rep-di" {
		t.Fatalf("second lead routed to %q (turn %q), want rep-di's turn", o2, turn())
	}
	if o, ok := route(l3); ok {
		t.Fatalf("third lead routed to %q while both reps are reserved to capacity", o)
	}

	// The first lead's claim won: it takes the reservation.
	if l := first(l1, o1, true); l.OwnerID != "rep-cy" || l.TerritoryID != tid || l.Team != "north" || !strings.Contains(l.AssignmentWhy, "round-robin") {
		t.Fatalf("first lead %+v, want rep-cy's by north steel's round-robin", l)
	}
	// The second lead's customer had an owner: it is released, and the turn
	// goes back to rep-cy, so rep-di is next again.
	if l := first(l2, "rep-eve", false); l.OwnerID != "rep-eve" {
		t.Fatalf("second lead %+v, want the customer's owner's", l)
	}
	if got := turn(); got != "rep-cy" {
		t.Fatalf("turn %q after the release, want it back with rep-cy", got)
	}
	if o, ok := route(l3); !ok || o != "rep-di" {
		t.Fatalf("third lead routed to %q (%v), want rep-di, free again", o, ok)
	}
	reps, err := s.Reps(ctx, tid)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Load != 1 {
			t.Errorf("%s's load %d, want 1 (a lead, or a reservation)", r.RepID, r.Load)
		}
	}
	// A turn another lead took since is not given back.
	if l := first(l3, "rep-eve", false); l.OwnerID != "rep-eve" {
		t.Fatalf("third lead %+v", l)
	}
	if err := s.PutRep(ctx, tid, adapters.TerritoryRep{RepID: "rep-cy", Capacity: 3, Active: true}); err != nil {
		t.Fatal(err)
	}
	l4, l5 := uuid.NewString(), uuid.NewString()
	if o, _ := route(l4); o != "rep-di" {
		t.Fatalf("fourth lead routed to %q, want rep-di", o)
	}
	if o, _ := route(l5); o != "rep-cy" {
		t.Fatalf("fifth lead routed to %q, want rep-cy", o)
	}
	first(l4, "rep-eve", false)
	if got := turn(); got != "rep-cy" {
		t.Fatalf("turn %q after releasing the fourth lead, want rep-cy's, which the fifth took since", got)
	}
}

// TestARefusedCompanyPutsTheLeadInThePool runs a lead whose company the
// customer service refuses (it cannot fix itself) on both task queues a
// Lead run can be on: the lead waits in the pool for a person, its timeline
// says why, and — routed first, when the sales service hosts it — the rep
// reserved for it is free again and the territory's turn is back with
// whoever had it.
func TestARefusedCompanyPutsTheLeadInThePool(t *testing.T) {
	for _, queue := range []string{salesc.TaskQueue, wfc.TaskQueue} {
		t.Run(queue, func(t *testing.T) {
			h := newWFHarness(t, cst(time.March, 2, 10, 0))
			h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: queue})
			in := h.leadInput("")
			id := in.GetLead().GetId()
			var disq *outcome
			h.at(cst(time.March, 2, 11, 0), func() {
				if l := h.lead(id); !l.Pooled || l.OwnerID != "" || l.CustomerID != "" {
					t.Errorf("lead %+v, want it pooled without a customer", l)
				}
				disq = h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "mgr-eve", Reason: "no company"})
			})
			h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
			if err := h.env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			expect(t, "disqualify", disq, "")
			kinds := h.timeline("lead", id)
			slices.Sort(kinds) // customer_failed and pooled share their instant
			if got, want := strings.Join(kinds, ","), "created,customer_failed,disqualified,pooled"; got != want {
				t.Errorf("timeline %s, want %s", got, want)
			}
			reps, err := h.store.Reps(context.Background(), h.lead(id).TerritoryID)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reps {
				if r.Load != 0 {
					t.Errorf("%s's load %d, want 0: nothing reserved is left", r.RepID, r.Load)
				}
			}
			// Routed first, rep-ana was reserved and the turn moved to her;
			// released, the next lead is rep-ana's again.
			next := h.leadInput("Next Co")
			if _, _, err := h.store.RouteLead(context.Background(), adapters.RouteInput{LeadID: next.GetLead().GetId(), Region: "east",
				Industry: "software"}); err != nil {
				t.Fatal(err)
			}
			if r, ok, err := h.store.RouteLead(context.Background(), adapters.RouteInput{LeadID: next.GetLead().GetId(), Region: "east",
				Industry: "software"}); err != nil || !ok || r.OwnerID != "rep-ana" {
				t.Errorf("the next lead routed to %q (%v, %v), want rep-ana: the turn given back", r.OwnerID, ok, err)
			}
		})
	}
}

// TestLeadsRoutedTogetherNeverOverfillARep routes 20 new leads at once into
// a territory of two reps with room for three each, on each database: six
// are reserved, three for each rep, and the other fourteen get nobody (the
// pool) — the territory's row lock (PostgreSQL) or the single writer
// (SQLite) serialises the routings, and each counts the reservations made
// before it.
func TestLeadsRoutedTogetherNeverOverfillARep(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			gdb, err := db.Open(ctx, db.Config{URL: b.DSN(t), MaxOpenConns: 20, MaxIdleConns: 5, ConnMaxLifetime: time.Minute, SlowQuery: time.Second},
				slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := migrate.Run(ctx, gdb, "sales", adapters.Migrations, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			s := adapters.NewStore(gdb)
			tid := uuid.NewString()
			if err := s.CreateTerritory(ctx, &adapters.Territory{ID: tid, Name: "North steel", Region: "north", Industry: "steel", Team: "north",
				ManagerID: "mgr-mia", Strategy: "least_loaded", CreatedBy: "admin"},
				[]adapters.TerritoryRep{{RepID: "rep-cy", Capacity: 3, Active: true}, {RepID: "rep-di", Capacity: 3, Active: true}}); err != nil {
				t.Fatal(err)
			}
			var (
				mu  sync.Mutex
				got = map[string]int{}
				wg  sync.WaitGroup
			)
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, ok, err := s.RouteLead(ctx, adapters.RouteInput{LeadID: uuid.NewString(), Region: "north", Industry: "steel"})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					if !ok {
						r.OwnerID = "nobody"
					}
					got[r.OwnerID]++
				}()
			}
			wg.Wait()
			if got["rep-cy"] != 3 || got["rep-di"] != 3 || got["nobody"] != 14 {
				t.Fatalf("routed %v, want three each and fourteen to nobody", got)
			}
		})
	}
}

// TestALeadRoutedFirstMeetingAnOlderCustomerService runs a hosted lead
// against a customer service of the release before, which ignores the
// claim it does not know: the lead is assigned by the territory rules
// after all and claims its customer afterwards, as before — rep-bo, since
// the reservation moved rep-ana's turn — and nothing stays reserved.
func TestALeadRoutedFirstMeetingAnOlderCustomerService(t *testing.T) {
	h := newWFHarness(t, cst(time.March, 2, 10, 0))
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{TaskQueue: salesc.TaskQueue})
	in := h.leadInput("older: Lantern Foods")
	id := in.GetLead().GetId()
	h.at(cst(time.March, 2, 11, 0), func() {
		h.send(wfc.UpdateLeadCommand, &salesv1.LeadCommand{Op: lead.OpDisqualify, Actor: "mgr-eve", Reason: "test over"})
	})
	h.env.ExecuteWorkflow(wfc.WorkflowLead, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	l := h.lead(id)
	if l.OwnerID != "rep-bo" || l.CustomerID == "" || h.cust.owner[l.CustomerID] != "rep-bo" {
		t.Fatalf("lead %+v, its customer %q's: want both rep-bo's", l, h.cust.owner[l.CustomerID])
	}
	reps, err := h.store.Reps(context.Background(), l.TerritoryID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Load != 0 { // the lead is disqualified: it counts no more
			t.Errorf("%s's load %d, want 0: nothing reserved is left", r.RepID, r.Load)
		}
	}
}
