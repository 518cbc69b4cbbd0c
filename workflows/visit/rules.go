package visit

import (
	"fmt"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
)

// DayLayout is how a day is written: 2026-10-08.
const DayLayout = "2006-01-02"

// Refusal is a rule a request breaks. Its Code is the API's error code; the
// customer service maps it to an HTTP status, so the same words reach the
// caller whether the API or the workflow's update validator refused.
type Refusal struct {
	Code    string
	Field   string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// Refusal codes.
const (
	CodeInvalid          = "invalid"
	CodeInThePast        = "in_the_past"
	CodeNonWorkingDay    = "non_working_day"
	CodeVisitOver        = "visit_over"
	CodeVisitStarted     = "visit_started"
	CodeVisitNotHappened = "visit_not_happened"
	CodeVisitClosed      = "visit_closed"
	CodeNotBooked        = "not_booked"
	CodeAlreadyLogged    = "already_logged"
	CodeDayTaken         = "day_taken"
)

// ParseDay reads a day in loc: its midnight.
func ParseDay(day string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(DayLayout, day, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("a day is written YYYY-MM-DD")
	}
	return t, nil
}

// DayBounds returns the first instant of the day and of the next day in loc.
func DayBounds(day string, loc *time.Location) (start, end time.Time, err error) {
	start, err = ParseDay(day, loc)
	if err != nil {
		return start, end, err
	}
	return start, time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, loc), nil
}

// WorkingDay reports whether the calendar has working time on day.
func WorkingDay(cal *calendar.Calendar, day string) (bool, error) {
	start, end, err := DayBounds(day, cal.Location())
	if err != nil {
		return false, err
	}
	w := cal.NextWorkingInstant(start)
	return !w.IsZero() && w.Before(end), nil
}

// AddDays returns the day n days after day.
func AddDays(day string, n int) string {
	t, err := time.Parse(DayLayout, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, n).Format(DayLayout)
}

// Today is the day instant t falls on in loc.
func Today(t time.Time, loc *time.Location) string { return t.In(loc).Format(DayLayout) }

// NextFreeDay returns the first working day after day, within the days
// [AddDays(day,1), AddDays(day,span)], that is not in booked; "" if none.
func NextFreeDay(cal *calendar.Calendar, day string, span int, booked map[string]bool) string {
	for i := 1; i <= span; i++ {
		d := AddDays(day, i)
		if booked[d] {
			continue
		}
		if ok, err := WorkingDay(cal, d); err == nil && ok {
			return d
		}
	}
	return ""
}

// CheckRequest checks a request against the day's state at instant now:
// what the workflow's validator refuses.
func CheckRequest(s *State, r *Request, now time.Time) *Refusal {
	switch {
	case r.CustomerID != s.CustomerID || r.Day != s.Day:
		return &Refusal{CodeInvalid, "day", "the request is for another customer-day"}
	case !ValidDepartment(r.Department):
		return &Refusal{CodeInvalid, "department", "department must be sales, service or marketing"}
	case r.RequesterID == "":
		return &Refusal{CodeInvalid, "requester_id", "a request needs its requester"}
	case s.Status == StatusDone:
		return &Refusal{CodeVisitClosed, "day", "the visit of that day has taken place and is logged"}
	case s.Status == StatusBooked && !now.Before(s.EndAt):
		return &Refusal{CodeVisitOver, "day", "the visit of that day is over"}
	case s.Status == "" && !now.Before(r.StartAt):
		return &Refusal{CodeInThePast, "start_time", "the visit would start in the past"}
	case s.Status == "" && !r.EndAt.After(r.StartAt):
		return &Refusal{CodeInvalid, "duration_minutes", "a visit ends after it starts"}
	}
	return nil
}

// CheckCancel says whether the booked visit may be cancelled at now.
func CheckCancel(s *State, c *Cancel, now time.Time) *Refusal {
	switch {
	case s.Status != StatusBooked || (c.VisitID != "" && c.VisitID != s.VisitID):
		return &Refusal{CodeNotBooked, "", "no booked visit to cancel (already cancelled or logged)"}
	case !now.Before(s.StartAt):
		return &Refusal{CodeVisitStarted, "", "the visit has started; log it instead"}
	}
	return nil
}

// CheckLog says whether the visit may be logged at now.
func CheckLog(s *State, l *Log, now time.Time) *Refusal {
	switch {
	case s.Status == StatusDone && (l.VisitID == "" || l.VisitID == s.VisitID):
		return &Refusal{CodeAlreadyLogged, "", "the visit is already logged"}
	case s.Status != StatusBooked || (l.VisitID != "" && l.VisitID != s.VisitID):
		return &Refusal{CodeVisitNotHappened, "", "a log for a visit that did not happen: the visit was cancelled"}
	case now.Before(s.StartAt):
		return &Refusal{CodeVisitNotHappened, "", "a log for a visit that did not happen: it starts at " + s.StartAt.Format(time.RFC3339)}
	case l.Summary == "":
		return &Refusal{CodeInvalid, "summary", "say what the visit achieved"}
	}
	return nil
}
