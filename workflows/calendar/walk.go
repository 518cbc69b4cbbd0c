package calendar

import (
	"math"
	"time"
)

// searchLimitDays bounds every search for working time. Validation keeps
// closures to MaxClosedDays; the rest is slack for weekends around them and for
// ranges that a clock change swallows.
const searchLimitDays = 4 * MaxClosedDays

// period is a stretch of time with one UTC offset, in unix seconds [start, end).
// start is math.MinInt64 and end math.MaxInt64 when the zone has no change on
// that side.
type period struct{ start, end, off int64 }

func (c *Calendar) periodAt(sec int64) period {
	t := time.Unix(sec, 0).In(c.loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	p := period{start: math.MinInt64, end: math.MaxInt64, off: int64(off)}
	if !s.IsZero() {
		p.start = s.Unix()
	}
	if !e.IsZero() {
		p.end = e.Unix()
	}
	// ZoneBounds can report bounds that do not contain t: on the last UTC day of
	// a leap year served by the zone's TZ rule (after its last listed change) it
	// returns an end before t (golang/go#81583). Then find the change by asking
	// for offsets, which are reliable.
	if p.start > sec {
		p.start = c.probeStart(sec, p.off)
	}
	if p.end <= sec {
		p.end = c.probeEnd(sec, p.off)
	}
	return p
}

func (c *Calendar) offsetAt(sec int64) int64 {
	_, off := time.Unix(sec, 0).In(c.loc).Zone()
	return int64(off)
}

// probeEnd returns the first second after sec whose offset differs from off,
// looking one day ahead, or sec plus one day if the offset is the same then
// (a period shorter than the zone's is harmless: the walk just asks again).
// It assumes no zone changes its offset twice within a day and back.
func (c *Calendar) probeEnd(sec, off int64) int64 {
	lo, hi := sec, sec+secsPerDay
	if c.offsetAt(hi) == off {
		return hi
	}
	for hi-lo > 1 { // offset at lo is off, at hi it is not
		if m := lo + (hi-lo)/2; c.offsetAt(m) == off {
			lo = m
		} else {
			hi = m
		}
	}
	return hi
}

// probeStart is probeEnd looking backwards: the first second of the stretch
// with offset off that contains sec, at most one day back.
func (c *Calendar) probeStart(sec, off int64) int64 {
	lo, hi := sec-secsPerDay, sec
	if c.offsetAt(lo) == off {
		return lo
	}
	for hi-lo > 1 { // offset at hi is off, at lo it is not
		if m := lo + (hi-lo)/2; c.offsetAt(m) == off {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}

// The walkers below visit working time as intervals of unix seconds. Within a
// zone period the offset is fixed, so a local day's ranges map to instants by
// subtracting it; each period is walked day by day and its ranges are clipped
// to the period. When clocks fall back, the repeated local day is walked again
// in the next period, clipped to that period: that is the wall-clock rule of
// the package documentation.

// forward walks working intervals in increasing order.
type forward struct {
	c     *Calendar
	p     period
	day   int64 // local day number being walked
	spans []span
	i     int // next span of the day
}

func (c *Calendar) forwardFrom(sec int64) forward {
	it := forward{c: c, p: c.periodAt(sec)}
	it.day = floorDiv(sec+it.p.off, secsPerDay)
	it.spans = c.spansOn(it.day)
	return it
}

// next returns the day's next working interval [s, e), or ok false when the day
// has none left.
func (it *forward) next() (s, e int64, ok bool) {
	base := it.day*secsPerDay - it.p.off
	for it.i < len(it.spans) {
		sp := it.spans[it.i]
		it.i++
		s, e = max(base+sp.start, it.p.start), min(base+sp.end, it.p.end)
		if s < e {
			return s, e, true
		}
	}
	return 0, 0, false
}

// setDay makes day the current day, moving to the next zone period when day
// starts at or after the end of this one.
func (it *forward) setDay(day int64) {
	it.day = day
	if day*secsPerDay-it.p.off >= it.p.end {
		end := it.p.end
		it.p = it.c.periodAt(end)
		it.p.start = end // the new period starts where the old one ended, whatever ZoneBounds said
		it.day = floorDiv(it.p.start+it.p.off, secsPerDay)
	}
	it.spans, it.i = it.c.spansOn(it.day), 0
}

func (it *forward) advance() { it.setDay(it.day + 1) }

// dayStart is the first instant of the current day in the current period.
func (it *forward) dayStart() int64 { return max(it.day*secsPerDay-it.p.off, it.p.start) }

// plainWeeks returns how many whole weeks from the start of the current,
// unwalked day lie inside the current period and hold no holiday or make-up
// day. Each of them holds exactly weekSecs of working time.
func (it *forward) plainWeeks() int64 {
	if it.i != 0 || it.day*secsPerDay-it.p.off < it.p.start {
		return 0
	}
	k := int64(math.MaxInt64)
	if it.p.end != math.MaxInt64 {
		k = (floorDiv(it.p.end+it.p.off, secsPerDay) - it.day) / 7
	}
	if ns := it.c.nextSpecial(it.day); ns != noDayAfter {
		k = min(k, (ns-it.day)/7)
	}
	return max(k, 0)
}

// backward walks working intervals in decreasing order.
type backward struct {
	c     *Calendar
	p     period
	day   int64
	spans []span
	i     int // spans[:i] are not yet walked
}

func (c *Calendar) backwardFrom(sec int64) backward {
	it := backward{c: c, p: c.periodAt(sec)}
	it.day = floorDiv(sec+it.p.off, secsPerDay)
	it.spans = c.spansOn(it.day)
	it.i = len(it.spans)
	return it
}

func (it *backward) prev() (s, e int64, ok bool) {
	base := it.day*secsPerDay - it.p.off
	for it.i > 0 {
		it.i--
		sp := it.spans[it.i]
		s, e = max(base+sp.start, it.p.start), min(base+sp.end, it.p.end)
		if s < e {
			return s, e, true
		}
	}
	return 0, 0, false
}

// setDay makes day the current day, moving to the previous zone period when
// day ends at or before the start of this one.
func (it *backward) setDay(day int64) {
	it.day = day
	if (day+1)*secsPerDay-it.p.off <= it.p.start {
		start := it.p.start
		it.p = it.c.periodAt(start - 1)
		it.p.end = start // the new period ends where the old one started, whatever ZoneBounds said
		it.day = floorDiv(it.p.end-1+it.p.off, secsPerDay)
	}
	it.spans = it.c.spansOn(it.day)
	it.i = len(it.spans)
}

func (it *backward) retreat() { it.setDay(it.day - 1) }

// plainWeeks returns how many whole weeks ending with the current, unwalked
// day lie inside the current period and hold no holiday or make-up day.
func (it *backward) plainWeeks() int64 {
	if it.i != len(it.spans) || (it.day+1)*secsPerDay-it.p.off > it.p.end {
		return 0
	}
	k := int64(math.MaxInt64)
	if it.p.start != math.MinInt64 {
		k = (it.day - ceilDiv(it.p.start+it.p.off, secsPerDay) + 1) / 7
	}
	if ps := it.c.prevSpecial(it.day); ps != noDayBefore {
		k = min(k, (it.day-ps)/7)
	}
	return max(k, 0)
}

// IsWorkingTime reports whether t is working time: whether the calendar's wall
// clock at t shows a time inside one of that date's working ranges.
func (c *Calendar) IsWorkingTime(t time.Time) bool {
	_, off := t.In(c.loc).Zone()
	local := t.Unix() + int64(off)
	day := floorDiv(local, secsPerDay)
	sod := local - day*secsPerDay
	for _, s := range c.spansOn(day) {
		if s.start <= sod && sod < s.end {
			return true
		}
	}
	return false
}

// NextWorkingInstant returns t when t is working time, else the start of the
// next working range. It is Add(t, 0).
func (c *Calendar) NextWorkingInstant(t time.Time) time.Time { return c.Add(t, 0) }

// Add returns t plus d of business time.
//
//   - d > 0: the earliest instant u with Between(t, u) == d. It is working time
//     or the end of a working range (09:00 + 3h with a 09:00–12:00 range is
//     12:00).
//   - d == 0: NextWorkingInstant(t).
//   - d < 0: the latest instant u with Between(u, t) == -d, counting backwards;
//     u is always working time (it may be the start of a range).
//
// The result has t's location. Add(Add(t, a), b) == Add(t, a+b) when a >= 0 and
// b > 0, or a <= 0 and b < 0. Should there be no working time within
// searchLimitDays (about four years; impossible for a Calendar from New), Add
// returns the zero Time.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if d < 0 {
		return c.subtract(t, d)
	}
	tsec, tns := t.Unix(), int64(t.Nanosecond())
	rem := int64(d)
	week := c.weekSecs * 1e9
	it := c.forwardFrom(tsec)
	for idle := 0; ; {
		s, e, ok := it.next()
		if !ok {
			if idle++; idle > searchLimitDays {
				return time.Time{}
			}
			it.advance()
			if week > 0 && rem > week {
				if n := min(it.plainWeeks(), (rem-1)/week); n > 0 {
					rem -= n * week
					it.setDay(it.day + 7*n)
					idle = 0
				}
			}
			continue
		}
		if e <= tsec {
			continue // ends before t
		}
		idle = 0
		startNS := int64(0)
		if s <= tsec { // t is inside this interval
			if rem == 0 {
				return t
			}
			s, startNS = tsec, tns
		}
		if avail := (e-s)*1e9 - startNS; rem <= avail {
			return time.Unix(s, startNS+rem).In(t.Location())
		} else {
			rem -= avail
		}
	}
}

func (c *Calendar) subtract(t time.Time, d time.Duration) time.Time {
	rem := int64(math.MaxInt64) // -math.MinInt64 does not fit; one nanosecond less does
	if d != math.MinInt64 {
		rem = -int64(d)
	}
	tsec, tns := t.Unix(), int64(t.Nanosecond())
	week := c.weekSecs * 1e9
	it := c.backwardFrom(tsec)
	for idle := 0; ; {
		s, e, ok := it.prev()
		if !ok {
			if idle++; idle > searchLimitDays {
				return time.Time{}
			}
			it.retreat()
			if week > 0 && rem > week {
				if n := min(it.plainWeeks(), (rem-1)/week); n > 0 {
					rem -= n * week
					it.setDay(it.day - 7*n)
					idle = 0
				}
			}
			continue
		}
		if s > tsec || (s == tsec && tns == 0) {
			continue // starts at or after t
		}
		idle = 0
		// The interval's part before t is [s, end); end is t or e.
		end, endNS := e, int64(0)
		if e > tsec {
			end, endNS = tsec, tns
		}
		if avail := (end-s)*1e9 + endNS; rem <= avail {
			return time.Unix(end, endNS-rem).In(t.Location())
		} else {
			rem -= avail
		}
	}
}

// Between returns the business time in [a, b), or minus the business time in
// [b, a) when b is before a. It saturates at the limits of time.Duration.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	switch a.Compare(b) {
	case 0:
		return 0
	case 1:
		return -c.Between(b, a)
	}
	asec, ans := a.Unix(), int64(a.Nanosecond())
	bsec, bns := b.Unix(), int64(b.Nanosecond())
	var total int64
	add := func(x int64) bool {
		if total > math.MaxInt64-x {
			total = math.MaxInt64
			return false
		}
		total += x
		return true
	}
	it := c.forwardFrom(asec)
	for {
		s, e, ok := it.next()
		if !ok {
			it.advance()
			if start := it.dayStart(); start > bsec || (start == bsec && bns == 0) {
				return time.Duration(total)
			}
			if c.weekSecs > 0 {
				if k := it.plainWeeks(); k > 0 {
					n := min(k, (floorDiv(bsec+it.p.off, secsPerDay)-it.day)/7)
					if n > 0 {
						if n > math.MaxInt64/(c.weekSecs*1e9) || !add(n*c.weekSecs*1e9) {
							return math.MaxInt64
						}
						it.setDay(it.day + 7*n)
					}
				}
			}
			continue
		}
		if e <= asec {
			continue
		}
		if s > bsec || (s == bsec && bns == 0) {
			return time.Duration(total)
		}
		// [max(s, a), min(e, b))
		startNS := int64(0)
		if s <= asec {
			s, startNS = asec, ans
		}
		endNS := int64(0)
		if e > bsec {
			e, endNS = bsec, bns
		}
		if !add((e-s)*1e9 + endNS - startNS) {
			return math.MaxInt64
		}
	}
}
