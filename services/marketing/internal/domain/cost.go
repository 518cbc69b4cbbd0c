package domain

import (
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// CostEntry is money spent on a campaign: the actual cost an evaluation sets
// against the campaign's incremental revenue is the sum of its entries
// (ActualCost). Entries are added, never changed.
type CostEntry struct {
	ID         string
	CampaignID string
	// Amount is more than 0 and at most MaxAmount.
	Amount float64
	Note   string
	// SpentOn is a date: midnight UTC of the calendar day.
	SpentOn   time.Time
	By        string
	CreatedAt time.Time
}

// CostDraft is a cost entry as someone records it.
type CostDraft struct {
	// ID is the new entry's id (the caller makes it).
	ID     string
	Amount float64
	Note   string
	// SpentOn is read as the calendar date it falls on in its own location.
	SpentOn time.Time
}

// CostAllowed reports whether costs are recorded on a campaign in state s:
// approved (money is committed before launch), running and completed (bills
// arrive late). A draft has spent nothing; a cancelled campaign is closed.
func CostAllowed(s State) bool {
	return s == StateApproved || s == StateRunning || s == StateCompleted
}

// NewCostEntry is a cost of c recorded by actor, or a refusal:
// ErrCostNotAllowed in a state that takes no costs, else every bad field at
// once (422). Whether actor may record costs of c is Marketing.CanAddCost's
// question.
func NewCostEntry(c Campaign, in CostDraft, actor Actor, now time.Time) (CostEntry, error) {
	if !CostAllowed(c.State) {
		return CostEntry{}, ErrCostNotAllowed
	}
	var v apperr.Validation
	v.Check(in.ID != "", "id", "required", "the cost entry needs an id")
	v.Check(ValidRef(in.ID), "id", "invalid", "an id of at most 36 characters, without spaces")
	v.Check(inRange(in.Amount, 0, MaxAmount) && in.Amount > 0, "amount", "out_of_range", "an amount more than 0 and at most 1e12")
	text(&v, "note", in.Note, MaxNote, false)
	v.Check(!in.SpentOn.IsZero(), "spent_on", "required", "is required")
	user(&v, "by", actor.ID, true)
	if err := v.Err(); err != nil {
		return CostEntry{}, err
	}
	return CostEntry{ID: in.ID, CampaignID: c.ID, Amount: in.Amount, Note: in.Note, SpentOn: DateOf(in.SpentOn), By: actor.ID, CreatedAt: instant(now)}, nil
}

// ActualCost is the sum of entries' amounts: a campaign's actual cost.
func ActualCost(entries []CostEntry) float64 {
	var sum float64
	for _, e := range entries {
		sum += e.Amount
	}
	return sum
}
