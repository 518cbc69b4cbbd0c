package domain

import "time"

// Precedence between running campaigns. A customer is enrolled in at most one
// running campaign at a time (its holdout counts: a customer held out of a
// campaign is its control, and touching them in another campaign would spoil
// the measurement). When a campaign wants a customer another running
// campaign holds, the documented precedence decides who keeps them:
//
//  1. the type, highest first: winback, visit_drive, event, cross_sell,
//     mailing, other — a lost customer won back is worth more than any
//     offer, a rep's visit more than an invitation, an invitation with a date
//     more than a mail;
//  2. between campaigns of one type, the one launched earlier keeps the
//     customer;
//  3. launched at the same instant, the smaller id (so that the order is
//     total and the outcome never depends on which campaign asked first).
//
// Only a campaign of a strictly higher type supersedes another: the
// customer's current enrolment ends as "superseded" and the new one begins.
// Between campaigns of one type the customer stays where they are — a
// win-back cadence is never restarted from its first touch by another
// win-back — and the new campaign skips the customer ("in_campaign"). The
// full order (Before) still ranks campaigns of one type, for whoever lists
// them.
var typeRank = map[Type]int{TypeWinback: 6, TypeVisitDrive: 5, TypeEvent: 4, TypeCrossSell: 3, TypeMailing: 2, TypeOther: 1}

// Precedence is t's rank among the types: higher comes first; 0 for an
// unknown type.
func Precedence(t Type) int { return typeRank[t] }

// CampaignRef is what precedence needs of a running campaign.
type CampaignRef struct {
	ID         string
	Type       Type
	LaunchedAt time.Time
}

// Before reports whether r comes before o in the precedence order: it keeps
// a customer they both want.
func (r CampaignRef) Before(o CampaignRef) bool {
	if pr, po := Precedence(r.Type), Precedence(o.Type); pr != po {
		return pr > po
	}
	if !r.LaunchedAt.Equal(o.LaunchedAt) {
		return r.LaunchedAt.Before(o.LaunchedAt)
	}
	return r.ID < o.ID
}

// Outcome is what becomes of a customer a campaign wants.
type Outcome string

// Outcomes of Decide.
const (
	// Enrol: the customer is in no running campaign; enrol them.
	Enrol Outcome = "enrol"
	// Skip: another running campaign keeps the customer (or this one already
	// has them); leave them.
	Skip Outcome = "skip"
	// Supersede: end the customer's current enrolment as superseded, then
	// enrol them.
	Supersede Outcome = "supersede"
)

// Reasons a Decision gives.
const (
	// ReasonInCampaign: skipped, the customer is in Decision.CampaignID,
	// which comes first.
	ReasonInCampaign = "in_campaign"
	// ReasonAlreadyEnrolled: skipped, the customer is in this campaign already.
	ReasonAlreadyEnrolled = "already_enrolled"
	// ReasonSuperseded: how the current enrolment (in Decision.CampaignID) ends.
	ReasonSuperseded = "superseded"
)

// Decision is what Decide says of one customer.
type Decision struct {
	Outcome Outcome
	// Reason is "" for Enrol, ReasonInCampaign or ReasonAlreadyEnrolled for
	// Skip, ReasonSuperseded for Supersede.
	Reason string
	// CampaignID is the other campaign: the one that keeps the customer
	// (Skip) or loses them (Supersede); "" for Enrol.
	CampaignID string
}

// Decide says whether campaign newCampaign enrols a customer whose current
// running enrolment is in campaign current (nil: none), by the precedence
// above.
func Decide(newCampaign CampaignRef, current *CampaignRef) Decision {
	switch {
	case current == nil:
		return Decision{Outcome: Enrol}
	case current.ID == newCampaign.ID:
		return Decision{Outcome: Skip, Reason: ReasonAlreadyEnrolled, CampaignID: current.ID}
	case Precedence(newCampaign.Type) > Precedence(current.Type):
		return Decision{Outcome: Supersede, Reason: ReasonSuperseded, CampaignID: current.ID}
	}
	return Decision{Outcome: Skip, Reason: ReasonInCampaign, CampaignID: current.ID}
}
