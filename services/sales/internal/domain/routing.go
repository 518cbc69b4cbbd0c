package domain

import (
	"slices"
	"strings"

	"github.com/closeloop/closeloop/platform/auth"
)

// Routing: who gets a lead. The rules, in order (docs/leads.md):
//
//  1. A named rep (the customer's owner, a manager's choice): the rep's
//     territory becomes the lead's. A manager's choice (Manual) must be an
//     active member of the lead's territory (admins: of any territory,
//     AnyTerritory) with room, unless IgnoreCapacity.
//  2. Otherwise the lead's territory, or the territory matching its region
//     and industry, picks among its active reps with room, by its strategy.
//  3. Otherwise the pool.
//
// The adapter loads the facts (territories, members, loads) and persists the
// Decision; nothing here touches a database.

// TerritoryRule is a live territory as routing sees it.
type TerritoryRule struct {
	ID, Name, Region, Industry, Team, ManagerID, Strategy string
	// LastRep is the rep who got the territory's previous lead (round-robin).
	LastRep string
}

// Member is a rep of a territory with the open leads they hold.
type Member struct {
	RepID    string
	Capacity int
	Active   bool
	Load     int
}

// HasRoom reports whether the rep may take another lead.
func (m Member) HasRoom() bool { return m.Active && m.Load < m.Capacity }

// Membership is a rep's membership of a live territory.
type Membership struct {
	Territory TerritoryRule
	Member    Member
}

// Assignment is who holds a lead: an owner (with the territory, team and
// manager the owner holds it for), or the pool.
type Assignment struct {
	OwnerID, Team, TerritoryID, ManagerID string
	Pooled                                bool
}

// RouteRequest says how to assign a lead.
type RouteRequest struct {
	// OwnerID names the rep; empty lets the territory rules pick.
	OwnerID string
	// Team is the customer's team, recorded when the named owner belongs to
	// no territory and none matches the lead.
	Team    string
	Reason  string
	Exclude []string
	ToPool  bool
	// IgnoreCapacity: the customer's owner takes its leads whatever their load.
	IgnoreCapacity bool
	// Manual: a person named the rep, who must be a member of the lead's
	// territory (AnyTerritory: of any territory) and have room.
	Manual, AnyTerritory bool
}

// RouteFacts is what routing needs to know, loaded by the adapter.
type RouteFacts struct {
	// Region and Industry are the lead's.
	Region, Industry string
	// Current is the lead's territory, when it has one that is still live.
	Current *TerritoryRule
	// Candidates are the live territories with the lead's region or industry.
	Candidates []TerritoryRule
	// Members are the members of Governing(Current, Candidates, …), by rep id.
	Members []Member
	// Owner are the named rep's memberships of live territories, by territory id.
	Owner []Membership
}

// Decision is the outcome of routing.
type Decision struct {
	Assignment
	// Kind is the timeline kind ("assigned" or "pooled"); Why says which rule
	// decided, in people's words.
	Kind, Why string
	// TurnOf is the territory whose round-robin turn moved to OwnerID, and
	// PrevTurn the rep whose turn it was before.
	TurnOf, PrevTurn string
}

// Event is the timeline kind and summary of the decision for a lead that
// prev held ("" none): assigned, reassigned (from another owner) or pooled.
func (d Decision) Event(prev string) (kind, summary string) {
	switch {
	case d.Pooled:
		return d.Kind, "returned to the pool (" + d.Why + ")"
	case prev != "" && prev != d.OwnerID:
		return "reassigned", "reassigned from " + prev + " to " + d.OwnerID + " (" + d.Why + ")"
	}
	return d.Kind, "assigned to " + d.OwnerID + " (" + d.Why + ")"
}

// Visible reports whether a lead or opportunity held by owner for team
// (pooled: in the pool) is in scope s: reps see what they own, managers
// their teams' and the pool no territory covers, analysts and admins all.
func Visible(s auth.Scope, owner, team string, pooled bool) bool {
	switch {
	case s.All:
		return true
	case s.OwnerID != "":
		return s.OwnerID == owner
	default:
		return slices.Contains(s.Teams, team) || (pooled && team == "" && len(s.Teams) > 0)
	}
}

// MatchTerritory finds the territory whose rules take a lead of region and
// industry among candidates: the one with both equal, else the region's
// (no industry), else the industry's (no region).
func MatchTerritory(candidates []TerritoryRule, region, industry string) *TerritoryRule {
	rank := func(t TerritoryRule) int {
		switch {
		case t.Region == region && t.Industry == industry:
			return 0
		case t.Region == region && t.Industry == "":
			return 1
		case t.Region == "" && t.Industry == industry:
			return 2
		}
		return -1
	}
	var best *TerritoryRule
	for i := range candidates {
		r := rank(candidates[i])
		if r < 0 || (best != nil && rank(*best) <= r) {
			continue
		}
		best = &candidates[i]
	}
	if best == nil || (region == "" && best.Region != "") || (industry == "" && best.Industry != "") {
		return nil
	}
	return best
}

// Governing is the territory whose rules pick a rep for the lead: its own
// while it is live, else the matching one.
func Governing(current *TerritoryRule, candidates []TerritoryRule, region, industry string) *TerritoryRule {
	if current != nil {
		return current
	}
	return MatchTerritory(candidates, region, industry)
}

// Route decides who gets a lead currently held as cur.
func Route(cur Assignment, req RouteRequest, f RouteFacts) (Decision, error) {
	d := Decision{Assignment: cur}
	switch {
	case req.ToPool:
		d.OwnerID, d.Pooled = "", true
		d.Kind, d.Why = "pooled", nonEmpty(req.Reason, "returned to the pool")
		return d, nil
	case req.OwnerID != "":
		return routeToRep(d, req, f)
	}
	t := Governing(f.Current, f.Candidates, f.Region, f.Industry)
	if t == nil {
		d.Assignment = Assignment{Pooled: true}
		d.Kind, d.Why = "pooled", "no territory covers region "+quote(f.Region)+" and industry "+quote(f.Industry)
		return d, nil
	}
	d.TerritoryID, d.Team, d.ManagerID = t.ID, t.Team, t.ManagerID
	var free []Member
	for _, m := range f.Members {
		if m.HasRoom() && !slices.Contains(req.Exclude, m.RepID) {
			free = append(free, m)
		}
	}
	if len(free) == 0 {
		d.OwnerID, d.Pooled = "", true
		d.Kind, d.Why = "pooled", "every rep of territory "+t.Name+" is at capacity or excluded"
		return d, nil
	}
	pick := PickRep(t.Strategy, t.LastRep, free)
	d.OwnerID, d.Pooled, d.TurnOf, d.PrevTurn, d.Kind = pick.RepID, false, t.ID, t.LastRep, "assigned"
	d.Why = "territory " + t.Name + ", round-robin"
	if t.Strategy == LeastLoaded {
		d.Why = "territory " + t.Name + ", least loaded"
	}
	return d, nil
}

// PickRep chooses among reps with room (ordered by rep id): least_loaded
// takes the fewest open leads (ties: the first), round_robin the first rep
// after last (wrapping around).
func PickRep(strategy, last string, free []Member) Member {
	pick := free[0]
	if strategy == LeastLoaded {
		for _, m := range free[1:] {
			if m.Load < pick.Load {
				pick = m
			}
		}
		return pick
	}
	for _, m := range free {
		if m.RepID > last {
			return m
		}
	}
	return pick
}

func routeToRep(d Decision, req RouteRequest, f RouteFacts) (Decision, error) {
	var own *Membership
	for i := range f.Owner { // the lead's own territory first, else the first by id
		if f.Current != nil && f.Owner[i].Territory.ID == f.Current.ID {
			own = &f.Owner[i]
			break
		}
		if own == nil {
			own = &f.Owner[i]
		}
	}
	if req.Manual {
		if !req.AnyTerritory && (own == nil || (d.TerritoryID != "" && own.Territory.ID != d.TerritoryID)) {
			return Decision{}, ErrRepNotInTerritory
		}
		if own == nil || !own.Member.Active {
			return Decision{}, ErrRepNotInTerritory.Withf("the rep is not an active member of any territory")
		}
		if !req.IgnoreCapacity && own.Member.Load >= own.Member.Capacity {
			return Decision{}, ErrRepAtCapacity.With("capacity", own.Member.Capacity).With("open_leads", own.Member.Load)
		}
	}
	d.OwnerID, d.Pooled = req.OwnerID, false
	t := (*TerritoryRule)(nil)
	if own != nil {
		t = &own.Territory
	} else { // an owner outside every territory: the lead's own territory's team and manager
		t = MatchTerritory(f.Candidates, f.Region, f.Industry)
	}
	switch {
	case t != nil:
		d.TerritoryID, d.Team, d.ManagerID = t.ID, t.Team, t.ManagerID
	case req.Team != "":
		d.TerritoryID, d.Team, d.ManagerID = "", req.Team, ""
	}
	d.Kind, d.Why = "assigned", nonEmpty(req.Reason, "manual")
	return d, nil
}

func nonEmpty(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func quote(s string) string {
	if s == "" {
		return "(none)"
	}
	return `"` + s + `"`
}
