package domain_test

import (
	"errors"
	"testing"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

var (
	northSteel = domain.TerritoryRule{ID: "t-ns", Name: "North steel", Region: "north", Industry: "steel", Team: "north", ManagerID: "mgr-mia", Strategy: domain.RoundRobin}
	north      = domain.TerritoryRule{ID: "t-n", Name: "North", Region: "north", Team: "north", ManagerID: "mgr-mia", Strategy: domain.RoundRobin}
	steel      = domain.TerritoryRule{ID: "t-s", Name: "Steel", Industry: "steel", Team: "steel", ManagerID: "mgr-sam", Strategy: domain.LeastLoaded}
	southGlass = domain.TerritoryRule{ID: "t-sg", Name: "South glass", Region: "south", Industry: "glass", Team: "south", Strategy: domain.RoundRobin}
)

func TestMatchTerritoryPrefersTheMostSpecific(t *testing.T) {
	all := []domain.TerritoryRule{steel, north, northSteel, southGlass}
	for _, c := range []struct {
		region, industry, want string
	}{
		{"north", "steel", "t-ns"},
		{"north", "glass", "t-n"},
		{"west", "steel", "t-s"},
		{"west", "glass", ""},
		{"North", "steel", "t-s"}, // names match exactly
		{"south", "steel", "t-s"},
	} {
		got := domain.MatchTerritory(all, c.region, c.industry)
		id := ""
		if got != nil {
			id = got.ID
		}
		if id != c.want {
			t.Errorf("%s/%s: %q, want %q", c.region, c.industry, id, c.want)
		}
	}
	if got := domain.MatchTerritory([]domain.TerritoryRule{north}, "", "steel"); got != nil {
		t.Errorf("a lead without region matched region territory %v", got)
	}
}

func members(ms ...domain.Member) []domain.Member { return ms }

func TestRouteByTerritoryRules(t *testing.T) {
	ana := domain.Member{RepID: "rep-ana", Capacity: 2, Active: true, Load: 1}
	cy := domain.Member{RepID: "rep-cy", Capacity: 2, Active: true, Load: 0}
	dan := domain.Member{RepID: "rep-dan", Capacity: 2, Active: true, Load: 2}
	facts := func(last string, ms ...domain.Member) domain.RouteFacts {
		t := northSteel
		t.LastRep = last
		return domain.RouteFacts{Region: "north", Industry: "steel", Candidates: []domain.TerritoryRule{t}, Members: members(ms...)}
	}
	// Round-robin: the first rep after the previous one, skipping the full.
	for _, c := range []struct{ last, want string }{{"", "rep-ana"}, {"rep-ana", "rep-cy"}, {"rep-cy", "rep-ana"}} {
		d, err := domain.Route(domain.Assignment{}, domain.RouteRequest{}, facts(c.last, ana, cy, dan))
		if err != nil || d.OwnerID != c.want || d.TurnOf != "t-ns" || d.Team != "north" || d.ManagerID != "mgr-mia" || d.Pooled || d.Kind != "assigned" {
			t.Errorf("after %q: %+v %v, want %s", c.last, d, err, c.want)
		}
	}
	// Least loaded.
	ls := northSteel
	ls.Strategy = domain.LeastLoaded
	d, _ := domain.Route(domain.Assignment{}, domain.RouteRequest{}, domain.RouteFacts{Region: "north", Industry: "steel", Current: &ls, Members: members(ana, cy, dan)})
	if d.OwnerID != "rep-cy" || d.Why != "territory North steel, least loaded" {
		t.Errorf("least loaded: %+v", d)
	}
	// Excluded, inactive and full reps get nothing; nobody left: the pool,
	// keeping the territory.
	off := cy
	off.Active = false
	d, _ = domain.Route(domain.Assignment{OwnerID: "rep-ana"}, domain.RouteRequest{Exclude: []string{"rep-ana"}}, facts("", ana, off, dan))
	if !d.Pooled || d.OwnerID != "" || d.TerritoryID != "t-ns" || d.Kind != "pooled" || d.TurnOf != "" {
		t.Errorf("nobody with room: %+v", d)
	}
	// No territory: the pool, without territory.
	d, _ = domain.Route(domain.Assignment{}, domain.RouteRequest{}, domain.RouteFacts{Region: "west", Industry: "glass"})
	if !d.Pooled || d.TerritoryID != "" || d.Why != `no territory covers region "west" and industry "glass"` {
		t.Errorf("no territory: %+v", d)
	}
	// To the pool on request.
	d, _ = domain.Route(domain.Assignment{OwnerID: "rep-ana", TerritoryID: "t-ns", Team: "north"}, domain.RouteRequest{ToPool: true, Reason: "wrong"}, facts(""))
	if !d.Pooled || d.OwnerID != "" || d.TerritoryID != "t-ns" || d.Why != "wrong" {
		t.Errorf("to pool: %+v", d)
	}
}

func TestRouteToANamedRep(t *testing.T) {
	cur := domain.Assignment{OwnerID: "rep-ana", TerritoryID: "t-ns", Team: "north"}
	cyNS := domain.Membership{Territory: northSteel, Member: domain.Member{RepID: "rep-cy", Capacity: 2, Active: true, Load: 1}}
	cyN := domain.Membership{Territory: north, Member: domain.Member{RepID: "rep-cy", Capacity: 2, Active: true, Load: 1}}
	f := domain.RouteFacts{Region: "north", Industry: "steel", Current: &northSteel, Candidates: []domain.TerritoryRule{northSteel}}

	f.Owner = []domain.Membership{cyN, cyNS}
	d, err := domain.Route(cur, domain.RouteRequest{OwnerID: "rep-cy", Manual: true, Reason: "leave"}, f)
	if err != nil || d.OwnerID != "rep-cy" || d.TerritoryID != "t-ns" || d.Why != "leave" {
		t.Fatalf("manual to a member: %+v %v (the lead's own territory wins)", d, err)
	}
	// Not a member of the lead's territory: refused (admins may).
	f.Owner = []domain.Membership{cyN}
	if _, err := domain.Route(cur, domain.RouteRequest{OwnerID: "rep-cy", Manual: true}, f); !errors.Is(err, domain.ErrRepNotInTerritory) {
		t.Fatalf("outside the territory: %v", err)
	}
	if d, err := domain.Route(cur, domain.RouteRequest{OwnerID: "rep-cy", Manual: true, AnyTerritory: true}, f); err != nil || d.TerritoryID != "t-n" {
		t.Fatalf("admin, any territory: %+v %v", d, err)
	}
	// Full: refused unless capacity is ignored (the customer's owner).
	full := cyNS
	full.Member.Load = 2
	f.Owner = []domain.Membership{full}
	if _, err := domain.Route(cur, domain.RouteRequest{OwnerID: "rep-cy", Manual: true}, f); !errors.Is(err, domain.ErrRepAtCapacity) {
		t.Fatalf("full: %v", err)
	}
	if _, err := domain.Route(cur, domain.RouteRequest{OwnerID: "rep-cy", Manual: true, IgnoreCapacity: true}, f); err != nil {
		t.Fatalf("full, capacity ignored: %v", err)
	}
	// Inactive: refused.
	off := cyNS
	off.Member.Active = false
	f.Owner = []domain.Membership{off}
	if _, err := domain.Route(cur, domain.RouteRequest{OwnerID: "rep-cy", Manual: true}, f); !errors.Is(err, domain.ErrRepNotInTerritory) {
		t.Fatalf("inactive: %v", err)
	}
	// The customer's owner outside every territory: the matching
	// territory's team, else the customer's team.
	f.Owner = nil
	if d, _ := domain.Route(domain.Assignment{}, domain.RouteRequest{OwnerID: "rep-zoe", IgnoreCapacity: true}, f); d.OwnerID != "rep-zoe" || d.TerritoryID != "t-ns" {
		t.Fatalf("owner outside territories: %+v", d)
	}
	if d, _ := domain.Route(domain.Assignment{}, domain.RouteRequest{OwnerID: "rep-zoe", Team: "west"}, domain.RouteFacts{Region: "west"}); d.Team != "west" || d.TerritoryID != "" {
		t.Fatalf("owner and lead outside territories: %+v", d)
	}
}

func TestDecisionEventAndVisibility(t *testing.T) {
	d := domain.Decision{Assignment: domain.Assignment{OwnerID: "rep-cy", Team: "north"}, Kind: "assigned", Why: "territory North, round-robin"}
	if k, s := d.Event(""); k != "assigned" || s != "assigned to rep-cy (territory North, round-robin)" {
		t.Errorf("first: %s %s", k, s)
	}
	if k, s := d.Event("rep-ana"); k != "reassigned" || s != "reassigned from rep-ana to rep-cy (territory North, round-robin)" {
		t.Errorf("reassigned: %s %s", k, s)
	}
	p := domain.Decision{Assignment: domain.Assignment{Pooled: true}, Kind: "pooled", Why: "nobody"}
	if k, s := p.Event("rep-ana"); k != "pooled" || s != "returned to the pool (nobody)" {
		t.Errorf("pooled: %s %s", k, s)
	}
	rep, mgr := auth.Scope{OwnerID: "rep-ana"}, auth.Scope{Teams: []string{"north"}}
	for _, c := range []struct {
		s            auth.Scope
		owner, team  string
		pooled, want bool
	}{
		{rep, "rep-ana", "south", false, true}, {rep, "rep-cy", "north", false, false},
		{mgr, "rep-cy", "north", false, true}, {mgr, "rep-bo", "south", false, false},
		{mgr, "", "", true, true}, {mgr, "", "south", true, false}, {rep, "", "", true, false},
		{auth.Scope{All: true}, "x", "y", false, true}, {auth.Scope{}, "x", "", true, false},
	} {
		if got := domain.Visible(c.s, c.owner, c.team, c.pooled); got != c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
}
