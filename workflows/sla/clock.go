package sla

import (
	"fmt"
	"slices"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
)

// Every method that takes a *calendar.Calendar needs one for a business clock
// (it panics without one: that is a programming error, not a business case)
// and ignores it for an elapsed-time clock, which may pass nil.

// counter counts a clock's time: working time of cal, or elapsed time when cal
// is nil.
type counter struct{ cal *calendar.Calendar }

func (c Clock) counter(cal *calendar.Calendar) counter {
	if !c.Business {
		return counter{}
	}
	if cal == nil {
		panic(fmt.Sprintf("sla: the %s clock counts business time and needs a calendar", c.Target))
	}
	return counter{cal}
}

// between is the counted time in [a, b); negative when b is before a.
func (k counter) between(a, b time.Time) time.Duration {
	if k.cal == nil {
		return b.Sub(a)
	}
	return k.cal.Between(a, b)
}

// add is the earliest instant u with between(t, u) == d, for d > 0.
func (k counter) add(t time.Time, d time.Duration) time.Time {
	if k.cal == nil {
		return t.Add(d)
	}
	return k.cal.Add(t, d)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// IsPaused reports whether the clock is on hold.
func (c Clock) IsPaused() bool { return !c.PausedSince.IsZero() }

// IsMet reports whether the target has been met (in time or late).
func (c Clock) IsMet() bool { return !c.MetAt.IsZero() }

// holds returns the holds, the current one ending at now (or at its start, if
// now is before it).
func (c Clock) holds(now time.Time) []Interval {
	if !c.IsPaused() {
		return c.Paused
	}
	return append(slices.Clip(c.Paused), Interval{c.PausedSince, later(now, c.PausedSince)})
}

// reach returns the instant at which the clock has counted amount, the
// current hold (if any) taken to end at now.
func (c Clock) reach(cal *calendar.Calendar, now time.Time, amount time.Duration) time.Time {
	k := c.counter(cal)
	t, rem := c.Anchor, amount
	if rem <= 0 {
		return t
	}
	for _, h := range c.holds(now) {
		start := later(h.Start, t)
		if avail := k.between(t, start); rem <= avail {
			return k.add(t, rem)
		} else {
			rem -= avail
		}
		t = later(h.End, start)
	}
	return k.add(t, rem)
}

// Due returns the deadline: the instant at which the counted time reaches the
// budget. On hold it is the deadline if the hold ended at now, so it moves
// later as the hold goes on (unless the deadline came before the hold).
// For a met target it is the deadline the target had, under the current
// budget.
func (c Clock) Due(cal *calendar.Calendar, now time.Time) time.Time {
	return c.reach(cal, now, c.Budget)
}

// warnAmount is the counted time at the warning point, in whole seconds.
func (c Clock) warnAmount() (time.Duration, bool) {
	if !(c.WarnShare > 0 && c.WarnShare < 1) {
		return 0, false
	}
	d := time.Duration(float64(c.Budget) * c.WarnShare).Truncate(time.Second)
	return d, d > 0
}

// WarnAt returns the warning point, computed like Due; ok is false when the
// clock has no warning point.
func (c Clock) WarnAt(cal *calendar.Calendar, now time.Time) (at time.Time, ok bool) {
	d, ok := c.warnAmount()
	if !ok {
		return time.Time{}, false
	}
	return c.reach(cal, now, d), true
}

// Used returns the time the clock has counted by now (by MetAt, for a met
// target): the time since the anchor less the time on hold, both counted in
// the clock's kind of time.
func (c Clock) Used(cal *calendar.Calendar, now time.Time) time.Duration {
	end := now
	if c.IsMet() && c.MetAt.Before(now) {
		end = c.MetAt
	}
	if !end.After(c.Anchor) {
		return 0
	}
	k := c.counter(cal)
	return k.between(c.Anchor, end) - c.onHold(k, end)
}

// OnHold returns the time on hold that the clock has not counted, from the
// anchor to now.
func (c Clock) OnHold(cal *calendar.Calendar, now time.Time) time.Duration {
	return c.onHold(c.counter(cal), now)
}

func (c Clock) onHold(k counter, end time.Time) time.Duration {
	var total time.Duration
	for _, h := range c.holds(end) {
		s, e := later(h.Start, c.Anchor), h.End
		if e.After(end) {
			e = end
		}
		if s.Before(e) {
			total += k.between(s, e)
		}
	}
	return total
}

// Remaining returns the budget left at now (at MetAt, for a met target):
// Budget minus Used. It is negative when the deadline has passed.
func (c Clock) Remaining(cal *calendar.Calendar, now time.Time) time.Duration {
	return c.Budget - c.Used(cal, now)
}

// State returns where the clock stands at now. A recorded breach wins over
// everything; then a met target; then a deadline reached (breached, even
// before Check records it); then a hold; then the warning point.
func (c Clock) State(cal *calendar.Calendar, now time.Time) State {
	switch {
	case !c.BreachedAt.IsZero():
		return Breached
	case c.IsMet():
		return Met
	case !now.Before(c.Due(cal, now)):
		return Breached
	case c.IsPaused():
		return Paused
	}
	if w, ok := c.WarnAt(cal, now); ok && !now.Before(w) {
		return Warning
	}
	return Running
}

// last returns the clock's latest recorded event; new events may not precede
// it.
func (c Clock) last() time.Time {
	t := later(c.Anchor, c.PausedSince)
	t = later(t, c.MetAt)
	if n := len(c.Paused); n > 0 {
		t = later(t, c.Paused[n-1].End)
	}
	return t
}

// Pause puts the clock on hold at at: the case waits on the customer. It
// refuses a clock that is already paused or met, and an instant before the
// clock's last event. A breached clock can be paused; its breach stays.
func (c *Clock) Pause(at time.Time) error {
	switch {
	case c.IsPaused():
		return ErrPaused
	case c.IsMet():
		return ErrMet
	case at.Before(c.last()):
		return ErrOutOfOrder
	}
	c.PausedSince = at
	return nil
}

// Resume ends the hold at at.
func (c *Clock) Resume(at time.Time) error {
	switch {
	case !c.IsPaused():
		return ErrNotPaused
	case at.Before(c.PausedSince):
		return ErrOutOfOrder
	}
	c.Paused = append(slices.Clip(c.Paused), Interval{c.PausedSince, at}) // never write into a copy's array
	c.PausedSince = time.Time{}
	return nil
}

// Reprioritise replaces the budget (and how it is counted) with the new
// priority's. The deadline is computed again from the anchor; holds keep
// counting as holds; recorded warnings, breaches and MetAt stay as they are.
func (c *Clock) Reprioritise(budget time.Duration, business bool) error {
	if budget < 0 {
		return fmt.Errorf("sla: negative budget %v", budget)
	}
	c.Budget, c.Business = budget, business
	return nil
}

// Check records what has happened by now: the warning point (WarnedAt) and
// the deadline (BreachedAt) once they are reached, each with its own instant,
// not with now. It reports what it has just recorded; a met target records
// nothing.
func (c *Clock) Check(cal *calendar.Calendar, now time.Time) (warned, breached bool) {
	if c.IsMet() {
		return false, false
	}
	if c.WarnedAt.IsZero() {
		if w, ok := c.WarnAt(cal, now); ok && !now.Before(w) {
			c.WarnedAt, warned = w, true
		}
	}
	if c.BreachedAt.IsZero() {
		if d := c.Due(cal, now); !now.Before(d) {
			c.BreachedAt, breached = d, true
		}
	}
	return warned, breached
}

// Meet records that the target was met at at (the first answer; the case
// resolved). A hold still open ends at at. Met at or after the deadline, the
// breach is recorded first and stays.
func (c *Clock) Meet(cal *calendar.Calendar, at time.Time) error {
	switch {
	case c.IsMet():
		return ErrMet
	case at.Before(c.last()):
		return ErrOutOfOrder
	}
	if c.IsPaused() {
		if err := c.Resume(at); err != nil {
			return err
		}
	}
	c.Check(cal, at)
	c.MetAt = at
	return nil
}

// Reopen resumes a met clock at at: the case was reopened. The time since
// MetAt becomes a hold, so the clock goes on with the budget that was left
// when the target was met. A recorded breach stays.
func (c *Clock) Reopen(at time.Time) error {
	switch {
	case !c.IsMet():
		return ErrNotMet
	case at.Before(c.MetAt):
		return ErrOutOfOrder
	}
	c.Paused = append(slices.Clip(c.Paused), Interval{c.MetAt, at})
	c.MetAt = time.Time{}
	return nil
}

// NextInstant returns when the clock next changes by itself, for a workflow
// timer: the warning point if Check has not recorded it, else the deadline
// if Check has not recorded it. After Check(cal, now) the instant is after
// now. ok is false while the clock is paused or met, or once the breach is
// recorded: then only an event (Resume, Reopen, Reprioritise) changes it.
func (c Clock) NextInstant(cal *calendar.Calendar) (at time.Time, ok bool) {
	if c.IsPaused() || c.IsMet() || !c.BreachedAt.IsZero() {
		return time.Time{}, false
	}
	if c.WarnedAt.IsZero() {
		if w, ok := c.WarnAt(cal, c.Anchor); ok {
			return w, true
		}
	}
	return c.Due(cal, c.Anchor), true
}

// EffectiveAnchor is the instant from which the budget, counted without any
// hold, ends exactly at the deadline Due(cal, now): the anchor moved later by
// the counted time on hold before the deadline. A follow-up opened at the
// effective anchor with the same budget, calendar and clock is due when the
// target is — so the follow-up engine, which knows nothing of holds, chases
// the paused deadline.
func (c Clock) EffectiveAnchor(cal *calendar.Calendar, now time.Time) time.Time {
	k := c.counter(cal)
	held := k.between(c.Anchor, c.Due(cal, now)) - c.Budget
	if held <= 0 {
		return c.Anchor
	}
	return k.add(c.Anchor, held)
}
