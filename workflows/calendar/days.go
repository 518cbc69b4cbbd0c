package calendar

import (
	"cmp"
	"slices"
	"time"
)

const secsPerDay = 86400

// floorDiv is a / b rounded towards minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// ceilDiv is a / b rounded towards plus infinity (b > 0).
func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// weekdayOf returns the weekday of a day number; day 0, 1970-01-01, was a Thursday.
func weekdayOf(day int64) time.Weekday {
	return time.Weekday((day%7 + 7 + 4) % 7)
}

// daysFromCivil converts a proleptic Gregorian date to days since 1970-01-01
// (Howard Hinnant's algorithm). The date must be valid.
func daysFromCivil(y int64, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Date{int(y), time.Month(m), int(d)}
}

// dayNumber returns d as days since 1970-01-01. d must be valid.
func (d Date) dayNumber() int64 { return daysFromCivil(int64(d.Year), int64(d.Month), int64(d.Day)) }

// exists reports whether d is a real calendar date.
func (d Date) exists() bool {
	if d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[d.Month]
	if d.Month == time.February && d.Year%4 == 0 && (d.Year%100 != 0 || d.Year%400 == 0) {
		days = 29
	}
	return d.Day <= days
}

// end returns the last day of h (Start when End is zero).
func (h Holiday) end() Date {
	if h.End.IsZero() {
		return h.Start
	}
	return h.End
}

// mergeHolidays turns valid holidays into sorted runs, merging those that
// overlap or touch.
func mergeHolidays(hs []Holiday) []dayRun {
	runs := make([]dayRun, 0, len(hs))
	for _, h := range hs {
		runs = append(runs, dayRun{h.Start.dayNumber(), h.end().dayNumber()})
	}
	return mergeRuns(runs)
}

func mergeRuns(runs []dayRun) []dayRun {
	slices.SortFunc(runs, func(a, b dayRun) int {
		if c := cmp.Compare(a.first, b.first); c != 0 {
			return c
		}
		return cmp.Compare(a.last, b.last)
	})
	out := runs[:0]
	for _, r := range runs {
		if n := len(out); n > 0 && r.first <= out[n-1].last+1 {
			out[n-1].last = max(out[n-1].last, r.last)
			continue
		}
		out = append(out, r)
	}
	return out
}

// spansOn returns the working ranges of local day `day`.
func (c *Calendar) spansOn(day int64) []span {
	if day < c.firstSpecial || day > c.lastSpecial {
		return c.week[weekdayOf(day)]
	}
	if i := c.makeupAtOrAfter(day); i < len(c.makeups) && c.makeups[i].day == day {
		return c.makeups[i].spans
	}
	if i := c.holidayEndingAtOrAfter(day); i < len(c.holidays) && c.holidays[i].first <= day {
		return nil
	}
	return c.week[weekdayOf(day)]
}

// makeupAtOrAfter returns the index of the first make-up day >= day.
func (c *Calendar) makeupAtOrAfter(day int64) int {
	lo, hi := 0, len(c.makeups)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.makeups[m].day < day {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// holidayEndingAtOrAfter returns the index of the first holiday run whose last
// day is >= day.
func (c *Calendar) holidayEndingAtOrAfter(day int64) int {
	lo, hi := 0, len(c.holidays)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.holidays[m].last < day {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

const (
	noDayAfter  = int64(1) << 62
	noDayBefore = -int64(1) << 62
)

// nextSpecial returns the first day >= day that is a holiday or a make-up day,
// or noDayAfter.
func (c *Calendar) nextSpecial(day int64) int64 {
	if day > c.lastSpecial {
		return noDayAfter
	}
	best := noDayAfter
	if i := c.makeupAtOrAfter(day); i < len(c.makeups) {
		best = c.makeups[i].day
	}
	if i := c.holidayEndingAtOrAfter(day); i < len(c.holidays) {
		best = min(best, max(c.holidays[i].first, day))
	}
	return best
}

// prevSpecial returns the last day <= day that is a holiday or a make-up day,
// or noDayBefore.
func (c *Calendar) prevSpecial(day int64) int64 {
	if day < c.firstSpecial {
		return noDayBefore
	}
	best := noDayBefore
	i := c.makeupAtOrAfter(day + 1) // first make-up day > day
	if i > 0 {
		best = c.makeups[i-1].day
	}
	// The runs are disjoint and sorted, so their last days are sorted too: the
	// last run starting <= day is the one before the first ending >= day, or that
	// one itself when it has started.
	j := c.holidayEndingAtOrAfter(day)
	if j < len(c.holidays) && c.holidays[j].first <= day {
		return max(best, day)
	}
	if j > 0 {
		best = max(best, c.holidays[j-1].last)
	}
	return best
}
