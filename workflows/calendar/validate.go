package calendar

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits that New enforces.
const (
	MaxRangesPerDay = 10   // working ranges in one weekday or make-up day
	MaxHolidays     = 1000 // entries in Spec.Holidays
	MaxWorkingDays  = 1000 // entries in Spec.WorkingDays
	MaxNameLength   = 200  // characters in a calendar, holiday or working-day name
	MinYear         = 1900 // earliest year of a holiday or working day
	MaxYear         = 2200 // latest year of a holiday or working day
	// MaxClosedDays is the longest run of consecutive days without working
	// hours that holidays may create, counting the non-working weekdays that
	// join them (a holiday Monday–Friday plus both weekends is 9 days).
	MaxClosedDays = 366
)

// Codes of FieldError, stable for clients.
const (
	CodeRequired       = "required"          // the field is empty
	CodeInvalid        = "invalid"           // not a date, weekday or zone that exists
	CodeOutOfRange     = "out_of_range"      // a time outside 00:00–24:00, a year outside MinYear–MaxYear
	CodeEndBeforeStart = "end_before_start"  // a range's end is not after its start
	CodeOverlap        = "overlap"           // a range starts before the previous one ends
	CodeTooMany        = "too_many"          // more entries than the limit
	CodeTooLong        = "too_long"          // a name or a closure longer than the limit
	CodeConflict       = "conflict"          // fields that contradict each other
	CodeNoWorkingHours = "no_working_hours"  // nothing to work in
	CodeMismatch       = "location_mismatch" // Location is not the zone TimeZone names
)

// FieldError is one problem in a Spec. Field is a path in the JSON form, such
// as "week.monday[1]" or "working_days[0].date". The shape matches the API's
// field errors, so the HTTP layer can copy it into a 422 response.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ValidationError lists every problem New found, in the order of the spec.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("calendar: invalid spec: ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

type validator struct{ errs []FieldError }

func (v *validator) add(field, code, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

func validate(s Spec) []FieldError {
	v := &validator{}
	v.name("name", s.Name, true)
	switch {
	case s.TimeZone == "":
		v.add("time_zone", CodeRequired, "name an IANA time zone, such as Asia/Shanghai")
	case s.TimeZone == "Local":
		v.add("time_zone", CodeInvalid, "Local is each machine's own zone; name an IANA time zone, such as Asia/Shanghai")
	}
	switch {
	case s.Location == nil:
		v.add("location", CodeRequired, "load time_zone with time.LoadLocation (outside workflow code) and set Location")
	case s.TimeZone != "" && s.Location.String() != s.TimeZone:
		v.add("location", CodeMismatch, "location is %q but time_zone is %q", s.Location.String(), s.TimeZone)
	}

	weekOK, weekHours := true, 0
	for d := time.Sunday; d <= time.Saturday; d++ {
		wd := (d + 1) % 7 // Monday first, as in the JSON form
		rs := s.Week.On(wd)
		weekOK = v.ranges("week."+string(weekdayNames[wd]), rs) && weekOK
		weekHours += len(rs)
	}
	if weekHours == 0 {
		v.add("week", CodeNoWorkingHours, "no weekday has working hours")
	}

	holidaysOK := true
	if len(s.Holidays) > MaxHolidays {
		v.add("holidays", CodeTooMany, "%d holidays; at most %d", len(s.Holidays), MaxHolidays)
		holidaysOK = false
	} else {
		for i, h := range s.Holidays {
			p := fmt.Sprintf("holidays[%d]", i)
			v.name(p+".name", h.Name, false)
			okS := v.date(p+".start", h.Start, true)
			okE := h.End.IsZero() || v.date(p+".end", h.End, false)
			if okS && okE && h.end().dayNumber() < h.Start.dayNumber() {
				v.add(p+".end", CodeEndBeforeStart, "end %s is before start %s", h.End, h.Start)
				okE = false
			}
			holidaysOK = holidaysOK && okS && okE
		}
	}

	makeupDays := map[int64]int{} // day -> index; only looked up, never iterated
	if len(s.WorkingDays) > MaxWorkingDays {
		v.add("working_days", CodeTooMany, "%d working days; at most %d", len(s.WorkingDays), MaxWorkingDays)
	} else {
		for i, w := range s.WorkingDays {
			p := fmt.Sprintf("working_days[%d]", i)
			v.name(p+".name", w.Name, false)
			if v.date(p+".date", w.Date, true) {
				day := w.Date.dayNumber()
				if j, dup := makeupDays[day]; dup {
					v.add(p+".date", CodeConflict, "%s is also working_days[%d]", w.Date, j)
				} else {
					makeupDays[day] = i
				}
				if holidaysOK {
					for j, h := range s.Holidays {
						if h.Start.dayNumber() <= day && day <= h.end().dayNumber() {
							v.add(p+".date", CodeConflict, "%s is also a holiday (holidays[%d]%s)", w.Date, j, nameSuffix(h.Name))
							break
						}
					}
				}
			}
			switch {
			case w.HoursOf != "" && len(w.Ranges) > 0:
				v.add(p, CodeConflict, "set either hours_of or ranges, not both")
			case w.HoursOf == "" && len(w.Ranges) == 0:
				v.add(p+".hours_of", CodeRequired, "set hours_of (the weekday whose hours apply) or ranges")
			case w.HoursOf != "":
				if wd, ok := w.HoursOf.timeWeekday(); !ok {
					v.add(p+".hours_of", CodeInvalid, "%q is not a weekday (monday … sunday)", string(w.HoursOf))
				} else if weekOK && len(s.Week.On(wd)) == 0 {
					v.add(p+".hours_of", CodeNoWorkingHours, "%s has no working hours in week", w.HoursOf)
				}
			default:
				v.ranges(p+".ranges", w.Ranges)
			}
		}
	}

	if holidaysOK && weekHours > 0 && len(s.Holidays) > 0 {
		v.closures(s, makeupDays)
	}
	return v.errs
}

func nameSuffix(name string) string {
	if name == "" {
		return ""
	}
	return " " + name
}

func (v *validator) name(field, name string, required bool) {
	if required && strings.TrimSpace(name) == "" {
		v.add(field, CodeRequired, "name the calendar")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameLength {
		v.add(field, CodeTooLong, "%d characters; at most %d", n, MaxNameLength)
	}
}

func (v *validator) date(field string, d Date, required bool) bool {
	switch {
	case d.IsZero():
		if required {
			v.add(field, CodeRequired, "give a date as YYYY-MM-DD")
		}
		return false
	case !d.exists():
		v.add(field, CodeInvalid, "%04d-%02d-%02d is not a calendar date", d.Year, int(d.Month), d.Day)
		return false
	case d.Year < MinYear || d.Year > MaxYear:
		v.add(field, CodeOutOfRange, "%s is outside the years %d–%d", d, MinYear, MaxYear)
		return false
	}
	return true
}

// ranges checks one day's working ranges and reports whether they are usable.
func (v *validator) ranges(field string, rs []Range) bool {
	if len(rs) > MaxRangesPerDay {
		v.add(field, CodeTooMany, "%d ranges; at most %d a day", len(rs), MaxRangesPerDay)
		return false
	}
	ok := true
	prevEnd, prevOK := Clock(0), false
	for i, r := range rs {
		p := func() string { return fmt.Sprintf("%s[%d]", field, i) } // only on error: New runs in workflow code
		rOK := true
		if r.Start < 0 || r.Start >= 24*60 {
			v.add(p()+".start", CodeOutOfRange, "start %s is outside 00:00–23:59", r.Start)
			rOK = false
		}
		if r.End <= 0 || r.End > 24*60 {
			v.add(p()+".end", CodeOutOfRange, "end %s is outside 00:01–24:00", r.End)
			rOK = false
		}
		if rOK && r.End <= r.Start {
			v.add(p(), CodeEndBeforeStart, "end %s is not after start %s", r.End, r.Start)
			rOK = false
		}
		if rOK && prevOK && r.Start < prevEnd {
			v.add(p(), CodeOverlap, "starts at %s, before %s[%d] ends at %s; list ranges in order, without overlap", r.Start, field, i-1, prevEnd)
			rOK = false
		}
		if rOK {
			prevEnd, prevOK = r.End, true
		}
		ok = ok && rOK
	}
	return ok
}

// closures refuses holidays that, together with the non-working weekdays
// between and around them, leave more than MaxClosedDays days in a row without
// working hours. That bound is what lets every search in this package end.
func (v *validator) closures(s Spec, makeupDays map[int64]int) {
	type entry struct {
		dayRun
		index int // smallest Holidays index in the run
	}
	es := make([]entry, len(s.Holidays))
	for i, h := range s.Holidays {
		es[i] = entry{dayRun{h.Start.dayNumber(), h.end().dayNumber()}, i}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.first, b.first); c != 0 {
			return c
		}
		return cmp.Compare(a.index, b.index)
	})

	working := func(day int64) bool {
		if _, ok := makeupDays[day]; ok {
			return true
		}
		return len(s.Week.On(weekdayOf(day))) > 0
	}
	for i := 0; i < len(es); {
		first, last, idx := es[i].first, es[i].last, es[i].index
		j := i + 1
		for j < len(es) {
			next := es[j]
			if next.first > last+1 {
				// A gap: it joins the runs only if none of its days is working.
				// The week has working hours, so a gap of 7 or more days never does.
				if next.first-last-1 >= 7 {
					break
				}
				joined := true
				for d := last + 1; d < next.first; d++ {
					if working(d) {
						joined = false
						break
					}
				}
				if !joined {
					break
				}
			}
			last = max(last, next.last)
			idx = min(idx, next.index)
			j++
		}
		for k := 0; k < 6 && !working(first-1); k++ {
			first--
		}
		for k := 0; k < 6 && !working(last+1); k++ {
			last++
		}
		if n := last - first + 1; n > MaxClosedDays {
			v.add(fmt.Sprintf("holidays[%d]", idx), CodeTooLong,
				"with the days around it the calendar has no working hours from %s to %s (%d days); at most %d days in a row",
				civilFromDays(first), civilFromDays(last), n, MaxClosedDays)
		}
		i = j
	}
}
