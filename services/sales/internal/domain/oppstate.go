package domain

import (
	"strconv"
	"time"
)

// OpportunityProgress is the part of an opportunity its funnel commands
// change.
type OpportunityProgress struct {
	Stage, MaxStage        int
	Status                 string
	StageEnteredAt         time.Time
	ClosedAt               *time.Time
	LostReason, Competitor string
}

// OpportunityChange is a stage move, a win or a loss.
type OpportunityChange struct {
	Op                 string
	ToStage            int
	MayGoBack          bool
	Reason, Competitor string
	At                 time.Time
}

// StageMove is a change's entry in the funnel's stage history.
type StageMove struct {
	From, To       int
	ToStatus       string
	SecondsInStage int64
}

// Apply moves or closes the opportunity as c says, or refuses it (forward
// moves may skip stages; going back needs MayGoBack and a reason; lost needs
// a reason). It returns the stage history entry and the timeline event.
func (o *OpportunityProgress) Apply(c OpportunityChange) (StageMove, LeadEvent, error) {
	at := c.At.UTC()
	from := o.Stage
	m := StageMove{From: from, SecondsInStage: int64(max(0, at.Sub(o.StageEnteredAt)/time.Second))}
	var ev LeadEvent
	switch c.Op {
	case OpStage:
		if err := CheckStageChange(o.Status, o.Stage, c.ToStage, c.MayGoBack, c.Reason); err != nil {
			return StageMove{}, LeadEvent{}, err
		}
		o.Stage, o.StageEnteredAt, o.MaxStage = c.ToStage, at, max(o.MaxStage, c.ToStage)
		m.To, m.ToStatus = c.ToStage, OppOpen
		ev.Kind = "stage_changed"
		ev.Summary = "stage " + strconv.Itoa(from) + " → " + strconv.Itoa(c.ToStage) + " (" + StageNames[c.ToStage] + ")"
		if c.Reason != "" {
			ev.Summary += ": " + c.Reason
		}
	case OpWon, OpLost:
		if err := CheckClose(o.Status, c.Op, c.Reason, c.Competitor); err != nil {
			return StageMove{}, LeadEvent{}, err
		}
		o.Status, o.ClosedAt = c.Op, &at
		m.To, m.ToStatus = o.Stage, c.Op
		ev.Kind, ev.Summary = c.Op, c.Op
		if c.Op == OpWon {
			o.MaxStage, m.To = WonStage, WonStage
		} else {
			o.LostReason, o.Competitor = c.Reason, c.Competitor
			ev.Summary = "lost: " + c.Reason
			if c.Competitor != "" {
				ev.Summary += " (to " + c.Competitor + ")"
			}
		}
	default:
		return StageMove{}, LeadEvent{}, fieldErr("op", "invalid", "op must be stage, won or lost")
	}
	ev.Data = []string{"from_stage", strconv.Itoa(from), "to_stage", strconv.Itoa(m.To), "status", o.Status, "reason", c.Reason, "competitor", c.Competitor}
	return m, ev, nil
}

// EffectiveProbability is an opportunity's win probability in percent: 100
// won, 0 lost, else its own (when set) or its stage's default.
func EffectiveProbability(status string, stage, probability int) int {
	switch {
	case status == OppWon:
		return 100
	case status == OppLost:
		return 0
	case probability > 0:
		return probability
	}
	return DefaultProbability[stage]
}
