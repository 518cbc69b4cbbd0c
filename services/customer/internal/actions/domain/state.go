package domain

import (
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Completion is what was done on a planned action.
type Completion struct {
	Summary, Outcome, NextStep string
	DoneAt                     *time.Time // default now
}

// Changeable is nil for an action people may complete or cancel (subject
// to its state and who they are); an item a workflow recorded is refused:
// ErrRecordedByCase for a service case's, ErrRecordedBySlip for an
// information routing slip's, ErrRecordedByCampaign for a campaign's.
func (a Action) Changeable() error {
	switch {
	case a.FromCase():
		return ErrRecordedByCase
	case a.FromSlip():
		return ErrRecordedBySlip
	case a.FromCampaign():
		return ErrRecordedByCampaign
	}
	return nil
}

// Complete turns a planned action into a log of what was done: only a
// planned action (else not_planned), with a summary, done at most a minute
// ahead of now. A service case's or a slip's item is refused
// (recorded_by_case, recorded_by_slip).
func (a *Action) Complete(c Completion, now time.Time) error {
	if err := a.Changeable(); err != nil {
		return err
	}
	if a.Status != StatusPlanned {
		return apperr.Rule("not_planned", "the action is already "+a.Status)
	}
	var v apperr.Validation
	checkText(&v, "summary", c.Summary, maxText, true)
	checkText(&v, "outcome", c.Outcome, maxText, false)
	checkText(&v, "next_step", c.NextStep, maxText, false)
	t := now
	if c.DoneAt != nil {
		t = c.DoneAt.UTC()
		v.Check(!t.After(now.Add(time.Minute)), "done_at", "in_future", "a log records what was done")
	}
	if err := v.Err(); err != nil {
		return err
	}
	a.Kind, a.Status = KindLog, StatusDone
	a.Summary, a.Outcome, a.NextStep = strings.TrimSpace(c.Summary), c.Outcome, c.NextStep
	a.DoneAt, a.OccurredAt, a.UpdatedAt = &t, t, now
	return nil
}

// Cancel drops a planned action; any other is refused (not_planned), a
// service case's or a slip's item first of all (recorded_by_case,
// recorded_by_slip).
func (a *Action) Cancel(now time.Time) error {
	if err := a.Changeable(); err != nil {
		return err
	}
	if a.Status != StatusPlanned {
		return apperr.Rule("not_planned", "only a planned action can be cancelled; it is "+a.Status)
	}
	a.Status, a.UpdatedAt = StatusCancelled, now
	return nil
}
