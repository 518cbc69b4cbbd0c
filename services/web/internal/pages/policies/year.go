package policies

import (
	"strconv"
	"time"
)

// Year is a calendar's year as twelve month tables: which days are
// holidays, make-up working days, or days without working hours. It only
// lays out what the calendar says; counting business time is the service's.
type Year struct {
	Year   int
	Months []Month
	// Counts of the year's days of each kind.
	Holidays, Makeup, Working int
}

// Month is one month table: weeks of seven cells, Monday first.
type Month struct {
	N     int // 1–12
	Weeks [][7]Day
}

// Day is one cell; N is 0 for the cells before the 1st and after the last.
type Day struct {
	N     int
	Date  string // "2026-10-01"
	Kind  string // "off" (holiday), "makeup", "weekend" (no working hours), "" (working day)
	Label string // the holiday's or make-up day's name
}

// YearOf lays out year y of calendar c.
func YearOf(c calendarView, y int) Year {
	off := map[string]string{}
	for _, h := range c.Holidays {
		start, err := time.Parse(time.DateOnly, h.Start)
		if err != nil {
			continue
		}
		end := start
		if h.End != "" {
			if e, err := time.Parse(time.DateOnly, h.End); err == nil && !e.Before(start) {
				end = e
			}
		}
		// Only the days of year y matter; a range over New Year is cut.
		first, last := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC)
		if start.Before(first) {
			start = first
		}
		if end.After(last) {
			end = last
		}
		for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
			if _, ok := off[d.Format(time.DateOnly)]; !ok {
				off[d.Format(time.DateOnly)] = h.Name
			}
		}
	}
	makeup := map[string]string{}
	for _, w := range c.WorkingDays {
		makeup[w.Date] = w.Name
	}
	out := Year{Year: y}
	for m := time.January; m <= time.December; m++ {
		month := Month{N: int(m)}
		var wk [7]Day
		for d := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC); d.Month() == m; d = d.AddDate(0, 0, 1) {
			col := (int(d.Weekday()) + 6) % 7 // Monday first
			key := d.Format(time.DateOnly)
			day := Day{N: d.Day(), Date: key}
			switch name, isMakeup := makeup[key]; {
			case isMakeup:
				day.Kind, day.Label = "makeup", name
				out.Makeup++
			default:
				if name, isOff := off[key]; isOff {
					day.Kind, day.Label = "off", name
					out.Holidays++
				} else if len(c.Week.day(Weekdays[col])) == 0 {
					day.Kind = "weekend"
				}
			}
			if day.Kind == "" || day.Kind == "makeup" {
				out.Working++
			}
			wk[col] = day
			if col == 6 {
				month.Weeks = append(month.Weeks, wk)
				wk = [7]Day{}
			}
		}
		if wk != ([7]Day{}) {
			month.Weeks = append(month.Weeks, wk)
		}
		out.Months = append(out.Months, month)
	}
	return out
}

// yearParam reads ?year=, else the year now in the calendar's zone.
func yearParam(s string, now time.Time, tz string) int {
	if y, err := strconv.Atoi(s); err == nil && y >= 1900 && y <= 2200 {
		return y
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		now = now.In(loc)
	}
	return now.Year()
}
