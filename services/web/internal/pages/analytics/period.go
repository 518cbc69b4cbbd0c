package analytics

import "time"

// Buckets are the on-time statistics' period lengths the page offers.
var Buckets = []string{"week", "month"}

// Periods is how many weeks or months the on-time statistics cover.
const Periods = 12

// Range is the stretch the on-time statistics cover, as the follow-up
// service's from and to dates (midnight in tz; to exclusive): the last
// Periods weeks (ISO weeks from Monday) or calendar months in the user's
// time zone, the current one — still running — included.
func Range(now time.Time, tz *time.Location, bucket string) (from, to time.Time) {
	local := now.In(tz)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, tz)
	if bucket == "month" {
		to = time.Date(local.Year(), local.Month()+1, 1, 0, 0, 0, 0, tz)
		return to.AddDate(0, -Periods, 0), to
	}
	sinceMonday := (int(day.Weekday()) + 6) % 7
	to = day.AddDate(0, 0, 7-sinceMonday)
	return to.AddDate(0, 0, -7*Periods), to
}
