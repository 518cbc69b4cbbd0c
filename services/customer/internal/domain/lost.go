package domain

import (
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// MaxCompetitorLen bounds the name of the competitor a lost customer went to.
const MaxCompetitorLen = 100

// Lost is what a customer's record keeps of its loss while it is lost: when
// it became lost, why, and to which competitor (if known). A customer in any
// other stage keeps none: the stage history keeps every loss.
type Lost struct {
	At         *time.Time
	Reason     string
	Competitor string
}

// CheckLifecycleChange checks the words of a requested lifecycle change: a
// known stage, a reason, and a competitor — optional, one line of at most
// MaxCompetitorLen characters, and only on a change to lost.
func CheckLifecycleChange(v *apperr.Validation, to, reason, competitor string) {
	v.Check(LifecycleStage(to).Valid(), "to", "invalid", "must be lead, prospect, transacting, service or lost")
	v.Check(strings.TrimSpace(reason) != "", "reason", "required", "say why the stage changes")
	v.Check(len(reason) <= MaxTextLen, "reason", "too_long", "must be at most 2000 characters")
	switch {
	case competitor == "":
	case LifecycleStage(to) != StageLost:
		v.Add("competitor", "not_allowed", "only a change to lost names a competitor")
	case strings.TrimSpace(competitor) == "":
		v.Add("competitor", "invalid", "must not be blank")
	case strings.ContainsAny(competitor, "\n\r\t"):
		v.Add("competitor", "invalid", "must be one line without tabs")
	default:
		checkText(v, "competitor", competitor, MaxCompetitorLen, false)
	}
}

// LostAfter is what the record keeps of a loss once the customer's
// lifecycle stage is to, changed at `at` for reason (to which competitor):
// the loss when to is lost, nothing otherwise — a customer that leaves lost
// (won back) is no longer lost.
func LostAfter(to LifecycleStage, reason, competitor string, at time.Time) Lost {
	if to != StageLost {
		return Lost{}
	}
	at = at.UTC()
	return Lost{At: &at, Reason: strings.TrimSpace(reason), Competitor: strings.TrimSpace(competitor)}
}
