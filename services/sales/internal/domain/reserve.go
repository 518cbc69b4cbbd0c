package domain

import "time"

// Reservation: a new lead is routed before its customer is found, so that
// finding the customer and claiming it for the lead's rep are one call to
// the customer service. Between the two the rep is reserved for the lead:
// the reservation counts against the rep's capacity (two leads routed at
// once never overfill a rep) and has moved the territory's round-robin turn
// (two leads routed at once never take the same turn). The lead's first
// assignment takes the reservation — the rep got the lead — or releases it:
// the customer had an owner already, who gets the lead instead, and the
// turn goes back to whoever had it, unless another lead took a turn since.

// ReservationHold is how long a reservation counts against its rep's
// capacity when no first assignment takes or releases it (the lead's
// workflow was terminated between the two).
const ReservationHold = time.Hour

// Reservation is a rep held for a new lead until its first assignment.
type Reservation struct {
	LeadID string
	Assignment
	// Why is the routing's reason, in people's words.
	Why string
	// PrevTurn is the territory's round-robin turn before the routing moved
	// it to the reserved rep.
	PrevTurn string
	At       time.Time
}

// Reserve is the reservation the routing decision d makes for a new lead;
// ok is false when d gives the lead nobody (the pool), which holds no one.
func Reserve(leadID string, d Decision, at time.Time) (r Reservation, ok bool) {
	if d.Pooled || d.OwnerID == "" {
		return Reservation{}, false
	}
	return Reservation{LeadID: leadID, Assignment: d.Assignment, Why: d.Why, PrevTurn: d.PrevTurn, At: at}, true
}

// HeldSince is the earliest instant of a reservation that still counts
// against its rep's capacity at now.
func HeldSince(now time.Time) time.Time { return now.Add(-ReservationHold) }

// Takes says whether a first assignment to owner is the one the
// reservation was made for: the lead gets the routing's territory, team,
// manager and reason.
func (r Reservation) Takes(owner string) bool { return owner != "" && owner == r.OwnerID }

// Decision is the assignment the reservation stands for.
func (r Reservation) Decision() Decision {
	return Decision{Assignment: r.Assignment, Kind: "assigned", Why: r.Why}
}

// TurnBack says, when the lead's first assignment went to owner and the
// territory's turn is now turn, which rep the turn goes back to: when the
// reserved rep did not get the lead and no lead has taken a turn since.
func (r Reservation) TurnBack(owner, turn string) (prev string, ok bool) {
	if r.TerritoryID == "" || r.Takes(owner) || turn != r.OwnerID {
		return "", false
	}
	return r.PrevTurn, true
}
