package policies

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Weekdays in the order a Chinese or European week is read, as the
// service spells them.
var Weekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// Blank rows the calendar form offers for new entries.
const (
	blankRanges      = 1
	minRanges        = 2
	blankHolidays    = 3
	blankWorkingDays = 2
	makeupRanges     = 2
	// maxRows bounds how many rows of a kind a form post is read for (the
	// service takes at most 1,000 holidays and make-up days).
	maxRows = 1100
)

// CalForm is the calendar change form as the user filled it; each input
// carries the name the service gives it in a field error.
type CalForm struct {
	TimeZone    string
	Days        []DayRow
	Holidays    []HolidayRow
	WorkingDays []MakeupRow
	Regions     string
	Teams       string
	Default     bool
	Reason      string
}

// DayRow is one weekday's working hours.
type DayRow struct {
	Day    string // "monday"
	Field  string // "week.monday"
	Ranges []RangeRow
}

// RangeRow is one working-time range of the form.
type RangeRow struct {
	I          int
	Start, End string
	Field      string // "week.monday[0]"
}

// HolidayRow is one holiday (a date or an inclusive range of dates).
type HolidayRow struct {
	I                int
	Name, Start, End string
	Field            string // "holidays[0]"
}

// MakeupRow is one make-up working day: the hours of a weekday, or its own.
type MakeupRow struct {
	I                   int
	Date, Name, HoursOf string
	Ranges              []RangeRow
	Field               string // "working_days[0]"
}

func (w week) day(name string) []clockRange {
	switch name {
	case "monday":
		return w.Monday
	case "tuesday":
		return w.Tuesday
	case "wednesday":
		return w.Wednesday
	case "thursday":
		return w.Thursday
	case "friday":
		return w.Friday
	case "saturday":
		return w.Saturday
	case "sunday":
		return w.Sunday
	}
	return nil
}

func (w *week) set(name string, rs []clockRange) {
	switch name {
	case "monday":
		w.Monday = rs
	case "tuesday":
		w.Tuesday = rs
	case "wednesday":
		w.Wednesday = rs
	case "thursday":
		w.Thursday = rs
	case "friday":
		w.Friday = rs
	case "saturday":
		w.Saturday = rs
	case "sunday":
		w.Sunday = rs
	}
}

func rangeRows(field string, rs []clockRange, atLeast int) []RangeRow {
	out := make([]RangeRow, 0, max(len(rs)+blankRanges, atLeast))
	for i, r := range rs {
		out = append(out, RangeRow{I: i, Start: r.Start, End: r.End, Field: fmt.Sprintf("%s[%d]", field, i)})
	}
	for i := len(rs); i < max(len(rs)+blankRanges, atLeast); i++ {
		out = append(out, RangeRow{I: i, Field: fmt.Sprintf("%s[%d]", field, i)})
	}
	return out
}

// CalFormOf is the form filled with a stored calendar.
func CalFormOf(c calendarView) *CalForm {
	f := &CalForm{TimeZone: c.TimeZone, Regions: strings.Join(c.Regions, ", "), Teams: strings.Join(c.Teams, ", "), Default: c.Default}
	for _, d := range Weekdays {
		f.Days = append(f.Days, DayRow{Day: d, Field: "week." + d, Ranges: rangeRows("week."+d, c.Week.day(d), minRanges)})
	}
	for _, h := range c.Holidays {
		f.addHoliday(h.Name, h.Start, h.End)
	}
	for _, w := range c.WorkingDays {
		f.addMakeup(w.Date, w.Name, w.HoursOf, w.Ranges)
	}
	f.pad()
	return f
}

func (f *CalForm) addHoliday(name, start, end string) {
	i := len(f.Holidays)
	f.Holidays = append(f.Holidays, HolidayRow{I: i, Name: name, Start: start, End: end, Field: fmt.Sprintf("holidays[%d]", i)})
}

func (f *CalForm) addMakeup(date, name, hoursOf string, rs []clockRange) {
	i := len(f.WorkingDays)
	field := fmt.Sprintf("working_days[%d]", i)
	f.WorkingDays = append(f.WorkingDays, MakeupRow{I: i, Date: date, Name: name, HoursOf: hoursOf, Field: field,
		Ranges: rangeRows(field+".ranges", rs, makeupRanges)})
}

// pad adds the blank rows for new holidays and make-up days.
func (f *CalForm) pad() {
	for range blankHolidays {
		f.addHoliday("", "", "")
	}
	for range blankWorkingDays {
		f.addMakeup("", "", "", nil)
	}
}

// ranges reads the start and end arrays of one row; pairs left blank are
// dropped, the rest kept as typed (the service judges them).
func ranges(c *gin.Context, prefix string) []clockRange {
	starts, ends := c.PostFormArray(prefix+".start"), c.PostFormArray(prefix+".end")
	var out []clockRange
	for i := range max(len(starts), len(ends)) {
		s, e := at(starts, i), at(ends, i)
		if s == "" && e == "" {
			continue
		}
		out = append(out, clockRange{Start: s, End: e})
	}
	return out
}

// CalFormFrom reads a posted calendar form. Rows left blank are dropped and
// the rest renumbered as the service will number them.
func CalFormFrom(c *gin.Context) *CalForm {
	f := &CalForm{TimeZone: strings.TrimSpace(c.PostForm("time_zone")), Regions: c.PostForm("regions"), Teams: c.PostForm("teams"),
		Default: c.PostForm("default") == "on" || c.PostForm("default") == "true", Reason: strings.TrimSpace(c.PostForm("reason"))}
	for _, d := range Weekdays {
		f.Days = append(f.Days, DayRow{Day: d, Field: "week." + d, Ranges: rangeRows("week."+d, ranges(c, "wk."+d), minRanges)})
	}
	for i := 0; i < maxRows; i++ {
		p := "h" + strconv.Itoa(i)
		start, ok := c.GetPostForm(p + ".start")
		if !ok {
			break
		}
		name, end := strings.TrimSpace(c.PostForm(p+".name")), strings.TrimSpace(c.PostForm(p+".end"))
		if start = strings.TrimSpace(start); name == "" && start == "" && end == "" {
			continue
		}
		f.addHoliday(name, start, end)
	}
	for i := 0; i < maxRows; i++ {
		p := "w" + strconv.Itoa(i)
		date, ok := c.GetPostForm(p + ".date")
		if !ok {
			break
		}
		name, hoursOf, rs := strings.TrimSpace(c.PostForm(p+".name")), c.PostForm(p+".hours_of"), ranges(c, p)
		if date = strings.TrimSpace(date); date == "" && name == "" && len(rs) == 0 {
			continue
		}
		f.addMakeup(date, name, hoursOf, rs)
	}
	f.pad()
	return f
}

// list splits "east, north west" into names.
func list(s string) []string {
	out := []string{}
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\n' || r == '\t' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Input is the change the form describes, as the service reads it.
func (f *CalForm) Input() calendarInput {
	in := calendarInput{TimeZone: f.TimeZone, Holidays: []holiday{}, WorkingDays: []workingDay{},
		Regions: list(f.Regions), Teams: list(f.Teams), Default: f.Default, Reason: f.Reason}
	for _, d := range f.Days {
		in.Week.set(d.Day, filled(d.Ranges))
	}
	for _, h := range f.Holidays {
		if h.Name == "" && h.Start == "" && h.End == "" {
			continue
		}
		in.Holidays = append(in.Holidays, holiday{Name: h.Name, Start: h.Start, End: h.End})
	}
	for _, w := range f.WorkingDays {
		rs := filled(w.Ranges)
		if w.Date == "" && w.Name == "" && len(rs) == 0 {
			continue
		}
		in.WorkingDays = append(in.WorkingDays, workingDay{Date: w.Date, Name: w.Name, HoursOf: w.HoursOf, Ranges: rs})
	}
	return in
}

func filled(rows []RangeRow) []clockRange {
	var out []clockRange
	for _, r := range rows {
		if r.Start != "" || r.End != "" {
			out = append(out, clockRange{Start: r.Start, End: r.End})
		}
	}
	return out
}

// On is the working hours of weekday day ("monday").
func (w week) On(day string) []clockRange { return w.day(day) }
