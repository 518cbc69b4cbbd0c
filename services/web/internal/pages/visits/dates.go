package visits

import (
	"fmt"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/view"
)

// dayLayout is how the visit API writes a day (a date of the customer's
// calendar) and how the page's links and forms carry one.
const dayLayout = "2006-01-02"

// civil is a calendar date with no time of day: midnight UTC, so adding
// days never meets a daylight-saving change.
func civil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// today is the user's date (in their time zone) at instant now.
func today(now time.Time, tz *time.Location) time.Time {
	y, m, d := now.In(tz).Date()
	return civil(y, m, d)
}

// parseDay reads a YYYY-MM-DD day; ok is false for anything else.
func parseDay(s string) (time.Time, bool) {
	t, err := time.Parse(dayLayout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// weekStart is the Monday of the week holding day (weeks run Monday to
// Sunday, as in China and ISO 8601).
func weekStart(day time.Time) time.Time {
	back := (int(day.Weekday()) + 6) % 7
	return day.AddDate(0, 0, -back)
}

// DayLabel names a day briefly in the user's language: "Tue 8 Dec",
// "12月8日 周二".
func DayLabel(x *view.Ctx, day time.Time) string {
	return x.T("visits.day", "Wd", x.T(fmt.Sprintf("visits.wd.%d", int(day.Weekday()))),
		"D", day.Day(), "M", int(day.Month()), "Mon", x.T(fmt.Sprintf("visits.mon.%d", int(day.Month()))))
}

// dayLabelOf is DayLabel of a YYYY-MM-DD day, or the text itself when it is
// not one.
func dayLabelOf(x *view.Ctx, s string) string {
	if d, ok := parseDay(s); ok {
		return DayLabel(x, d)
	}
	return s
}
