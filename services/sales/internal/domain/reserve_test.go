package domain_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

func TestAReservationHoldsTheRoutedRepAndNobodyForThePool(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	d, err := domain.Route(domain.Assignment{}, domain.RouteRequest{}, domain.RouteFacts{Region: "north", Industry: "glass",
		Candidates: []domain.TerritoryRule{{ID: "t-n", Name: "North", Region: "north", Team: "north", ManagerID: "mgr-mia",
			Strategy: domain.RoundRobin, LastRep: "rep-ana"}},
		Members: []domain.Member{{RepID: "rep-ana", Capacity: 5, Active: true}, {RepID: "rep-ben", Capacity: 5, Active: true}}})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := domain.Reserve("lead-1", d, at)
	if !ok || r.OwnerID != "rep-ben" || r.TerritoryID != "t-n" || r.Team != "north" || r.ManagerID != "mgr-mia" || r.PrevTurn != "rep-ana" {
		t.Fatalf("reservation %+v (%v), want rep-ben of t-n, the turn before with rep-ana", r, ok)
	}
	if got := r.Decision(); got.OwnerID != "rep-ben" || got.Kind != "assigned" || got.Why != d.Why || got.Pooled {
		t.Errorf("decision %+v, want the routing's", got)
	}
	if _, ok := domain.Reserve("lead-2", domain.Decision{Assignment: domain.Assignment{Pooled: true}, Kind: "pooled"}, at); ok {
		t.Error("a pooled decision reserved someone")
	}
	if got := domain.HeldSince(at); !got.Equal(at.Add(-domain.ReservationHold)) {
		t.Errorf("held since %v", got)
	}
}

func TestAReleasedReservationGivesTheTurnBackOnlyWhenNobodyTookOneSince(t *testing.T) {
	r := domain.Reservation{LeadID: "lead-1", Assignment: domain.Assignment{OwnerID: "rep-ben", TerritoryID: "t-n"}, PrevTurn: "rep-ana"}
	for _, c := range []struct {
		name, owner, turn, want string
		back                    bool
	}{
		{"the customer's owner got the lead", "rep-cy", "rep-ben", "rep-ana", true},
		{"the reserved rep got it", "rep-ben", "rep-ben", "", false},
		{"another lead took a turn since", "rep-cy", "rep-dan", "", false},
		{"pooled", "", "rep-ben", "rep-ana", true},
	} {
		prev, back := r.TurnBack(c.owner, c.turn)
		if prev != c.want || back != c.back {
			t.Errorf("%s: %q %v, want %q %v", c.name, prev, back, c.want, c.back)
		}
	}
	if _, back := (domain.Reservation{Assignment: domain.Assignment{OwnerID: "rep-ben"}}).TurnBack("rep-cy", "rep-ben"); back {
		t.Error("a reservation of no territory moved a turn")
	}
	if r.Takes("") || !r.Takes("rep-ben") || r.Takes("rep-cy") {
		t.Error("Takes")
	}
}
