// Package calendar counts business time: working hours per weekday, holidays and
// make-up working days (调休) in one time zone. Follow-up deadlines such as "answer
// within 8 business hours" are computed with it inside Temporal workflow code.
//
// # Determinism
//
// Everything here is a pure function of its arguments: no clock (the package
// never calls time.Now), no I/O, no goroutines, no randomness, and no map whose
// iteration order could reach a result. Time zones come from the
// *time.Location the caller puts in Spec.Location; the package never loads one.
// Load it once, outside workflow code (for example when the policy is read in an
// activity or at worker start), with time.LoadLocation(spec.TimeZone).
//
// # The model
//
// A Calendar is built from a Spec, plain data that can be stored as JSON and
// versioned:
//
//   - Week: working ranges per weekday, such as 09:00–12:00 and 13:30–18:00.
//     A range is half-open: it includes its start and excludes its end.
//   - Holidays: inclusive date ranges with no working time at all.
//   - WorkingDays: dates that are working days whatever the week says (the
//     make-up Saturdays and Sundays of Chinese holiday schedules), with the hours
//     of a named weekday or their own ranges. They replace that date's hours.
//
// # Wall clocks and daylight saving time
//
// Working ranges are read off a wall clock in the calendar's time zone. The
// rule is: an instant is working time when the calendar's wall clock at that
// instant shows a date and a time of day that fall inside one of that date's
// working ranges. Business time is the real (elapsed) time during which that
// holds. Consequently:
//
//   - When clocks jump forward inside a range (America/New_York on 2026-03-08,
//     02:00 → 03:00), the skipped wall-clock times never occur, so a 01:00–03:00
//     range holds one real hour that day.
//   - When clocks fall back inside a range (2026-11-01, 02:00 → 01:00), the
//     repeated wall-clock times occur twice and count twice, so 01:00–03:00 holds
//     three real hours that day.
//   - Ranges away from the transition (ordinary 09:00–17:00 hours) are unaffected:
//     Friday 16:00 plus 2 business hours is Monday 10:00 whichever offset Monday
//     has.
//
// # Counting
//
// Between(a, b) is the business time in [a, b). Add(t, d) with d > 0 is the
// earliest instant u such that Between(t, u) == d: it can be the end of a range
// (09:00 plus 3 business hours is 12:00, not 13:30). Add(t, 0) is
// NextWorkingInstant(t): t itself when t is working time, else the start of the
// next working range. Add(t, d) with d < 0 counts backwards: it is the latest
// instant u such that Between(u, t) == -d, which is always working time (it can
// be the start of a range). So Between(t, Add(t, d)) == d for every d (but
// math.MinInt64, which counts as one nanosecond less).
// Results carry t's location, like time.Time.Add.
//
// Validation guarantees that the calendar is never closed for more than
// MaxClosedDays consecutive days, so every search ends quickly. As a safety net
// Add stops after four times that many days without working time and returns
// the zero time.Time; that cannot happen for a Calendar returned by New.
// Business durations saturate at the limits of time.Duration (about 292 years).
//
// # Cost
//
// The walk steps over working ranges and days, and over whole weeks that hold
// no holiday, make-up day or clock change; it never steps minute by minute.
// Adding 40 business hours across a week-long holiday takes about 0.2µs.
package calendar

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Clock is a wall-clock time of day with minute precision, in minutes since
// midnight: 0 is 00:00 and 1440 is 24:00 (valid only as the end of a range).
// In JSON it is the string "HH:MM".
type Clock int

// At returns the Clock hour:minute. It does not validate; New does.
func At(hour, minute int) Clock { return Clock(hour*60 + minute) }

// maxClockText is the largest Clock that "HH:MM" can spell (99:59). JSON accepts
// anything up to it so that New, not the decoder, reports "25:00" with its field.
const maxClockText = 99*60 + 59

// String formats c as "HH:MM".
func (c Clock) String() string {
	if c < 0 || c > maxClockText {
		return fmt.Sprintf("Clock(%d)", int(c))
	}
	return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60)
}

// MarshalText writes "HH:MM".
func (c Clock) MarshalText() ([]byte, error) {
	if c < 0 || c > maxClockText {
		return nil, fmt.Errorf("calendar: clock of %d minutes cannot be written as HH:MM", int(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText reads "HH:MM" (two digits each, minutes 00–59). Whether the
// time lies within 00:00–24:00 is checked by New.
func (c *Clock) UnmarshalText(b []byte) error {
	if len(b) != 5 || b[2] != ':' || !isDigit(b[0]) || !isDigit(b[1]) || b[3] < '0' || b[3] > '5' || !isDigit(b[4]) {
		return fmt.Errorf("calendar: time of day %q is not HH:MM", b)
	}
	*c = Clock((int(b[0]-'0')*10+int(b[1]-'0'))*60 + int(b[3]-'0')*10 + int(b[4]-'0'))
	return nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// Range is the working time [Start, End) of one day, in wall-clock time.
type Range struct {
	Start Clock `json:"start"`
	End   Clock `json:"end"`
}

// String formats r as "HH:MM–HH:MM".
func (r Range) String() string { return r.Start.String() + "–" + r.End.String() }

// Date is a civil date, without time zone. In JSON it is "YYYY-MM-DD"; the zero
// Date is "".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the Date year-month-day. It does not validate; New does.
func DateOf(year int, month time.Month, day int) Date { return Date{year, month, day} }

// IsZero reports whether d is the zero Date (unset).
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as "YYYY-MM-DD".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText writes "YYYY-MM-DD", or "" for the zero Date.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return nil, fmt.Errorf("calendar: date %d-%d-%d cannot be written as YYYY-MM-DD", d.Year, int(d.Month), d.Day)
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads "YYYY-MM-DD" or "". Whether the date exists (2026-02-30
// does not) is checked by New, so that the error names the field.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return fmt.Errorf("calendar: date %q is not YYYY-MM-DD", b)
	}
	n := [8]int{}
	for i, j := range [8]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(b[j]) {
			return fmt.Errorf("calendar: date %q is not YYYY-MM-DD", b)
		}
		n[i] = int(b[j] - '0')
	}
	*d = Date{
		Year:  n[0]*1000 + n[1]*100 + n[2]*10 + n[3],
		Month: time.Month(n[4]*10 + n[5]),
		Day:   n[6]*10 + n[7],
	}
	return nil
}

// Weekday names a day of the week in specs: "monday" … "sunday".
type Weekday string

// The weekdays, as spelled in specs.
const (
	Sunday    Weekday = "sunday"
	Monday    Weekday = "monday"
	Tuesday   Weekday = "tuesday"
	Wednesday Weekday = "wednesday"
	Thursday  Weekday = "thursday"
	Friday    Weekday = "friday"
	Saturday  Weekday = "saturday"
)

// weekdayNames is indexed by time.Weekday.
var weekdayNames = [7]Weekday{Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday}

// timeWeekday returns the time.Weekday that w names.
func (w Weekday) timeWeekday() (time.Weekday, bool) {
	for i, n := range weekdayNames {
		if n == w {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// Week holds the working ranges of each weekday, in order and without overlap.
// A weekday without ranges has no working time.
type Week struct {
	Monday    []Range `json:"monday,omitempty"`
	Tuesday   []Range `json:"tuesday,omitempty"`
	Wednesday []Range `json:"wednesday,omitempty"`
	Thursday  []Range `json:"thursday,omitempty"`
	Friday    []Range `json:"friday,omitempty"`
	Saturday  []Range `json:"saturday,omitempty"`
	Sunday    []Range `json:"sunday,omitempty"`
}

// Weekdays returns a Week in which Monday to Friday have the ranges r and the
// weekend has none.
func Weekdays(r ...Range) Week {
	return Week{Monday: r, Tuesday: r, Wednesday: r, Thursday: r, Friday: r}
}

// On returns the ranges of weekday d.
func (w Week) On(d time.Weekday) []Range {
	switch d {
	case time.Monday:
		return w.Monday
	case time.Tuesday:
		return w.Tuesday
	case time.Wednesday:
		return w.Wednesday
	case time.Thursday:
		return w.Thursday
	case time.Friday:
		return w.Friday
	case time.Saturday:
		return w.Saturday
	case time.Sunday:
		return w.Sunday
	}
	return nil
}

// Holiday closes the dates Start to End inclusive. A zero End means the single
// day Start.
type Holiday struct {
	Name  string `json:"name,omitempty"`
	Start Date   `json:"start"`
	End   Date   `json:"end,omitzero"`
}

// WorkingDay makes Date a working day with the hours of weekday HoursOf, or with
// its own Ranges (set exactly one of the two). It replaces whatever the week
// says about that date; it must not fall on a holiday.
type WorkingDay struct {
	Date    Date    `json:"date"`
	Name    string  `json:"name,omitempty"`
	HoursOf Weekday `json:"hours_of,omitempty"`
	Ranges  []Range `json:"ranges,omitempty"`
}

// Spec is the stored form of a calendar. Location is not stored: the caller
// resolves TimeZone with time.LoadLocation, outside workflow code, and sets it
// before calling New.
type Spec struct {
	Name        string         `json:"name"`
	TimeZone    string         `json:"time_zone"`
	Location    *time.Location `json:"-"`
	Week        Week           `json:"week"`
	Holidays    []Holiday      `json:"holidays,omitempty"`
	WorkingDays []WorkingDay   `json:"working_days,omitempty"`
}

// Calendar is a validated, immutable business calendar. Its methods are pure
// and safe for concurrent use.
type Calendar struct {
	name     string
	loc      *time.Location
	week     [7][]span // indexed by time.Weekday
	weekSecs int64     // working seconds in a week without holidays, make-up days or offset changes
	holidays []dayRun  // merged, sorted, disjoint and not adjacent
	makeups  []makeup  // sorted by day, distinct
	// firstSpecial and lastSpecial bound the days that are holidays or make-up
	// days; outside them only the week matters.
	firstSpecial, lastSpecial int64
}

// span is a working range in seconds since local midnight, [start, end).
type span struct{ start, end int64 }

// dayRun is the days first..last inclusive, as day numbers (days since 1970-01-01).
type dayRun struct{ first, last int64 }

type makeup struct {
	day   int64
	spans []span
}

// New validates spec and builds its Calendar. The error, if any, is a
// *ValidationError listing every problem with its field path.
func New(spec Spec) (*Calendar, error) {
	if errs := validate(spec); len(errs) > 0 {
		return nil, &ValidationError{Fields: errs}
	}
	c := &Calendar{name: spec.Name, loc: spec.Location}
	for d := range c.week {
		c.week[d] = toSpans(spec.Week.On(time.Weekday(d)))
		for _, s := range c.week[d] {
			c.weekSecs += s.end - s.start
		}
	}
	c.holidays = mergeHolidays(spec.Holidays)
	c.makeups = make([]makeup, 0, len(spec.WorkingDays))
	for _, w := range spec.WorkingDays {
		m := makeup{day: w.Date.dayNumber(), spans: toSpans(w.Ranges)}
		if w.HoursOf != "" {
			wd, _ := w.HoursOf.timeWeekday()
			m.spans = c.week[wd]
		}
		c.makeups = append(c.makeups, m)
	}
	slices.SortFunc(c.makeups, func(a, b makeup) int { return cmp.Compare(a.day, b.day) })
	c.firstSpecial, c.lastSpecial = 1<<62, -1<<62
	if len(c.holidays) > 0 {
		c.firstSpecial, c.lastSpecial = c.holidays[0].first, c.holidays[len(c.holidays)-1].last
	}
	if len(c.makeups) > 0 {
		c.firstSpecial = min(c.firstSpecial, c.makeups[0].day)
		c.lastSpecial = max(c.lastSpecial, c.makeups[len(c.makeups)-1].day)
	}
	return c, nil
}

// Name returns the calendar's name.
func (c *Calendar) Name() string { return c.name }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

func toSpans(rs []Range) []span {
	if len(rs) == 0 {
		return nil
	}
	out := make([]span, len(rs))
	for i, r := range rs {
		out[i] = span{int64(r.Start) * 60, int64(r.End) * 60}
	}
	return out
}
