package calendar_test

import (
	"fmt"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
)

// Eight business hours before the National Day golden week: the deadline
// skips October 1–7 and lands on the make-up Saturday, October 10.
func ExampleCalendar_Add() {
	loc, err := time.LoadLocation("Asia/Shanghai") // outside workflow code
	if err != nil {
		panic(err)
	}
	cal, err := calendar.New(calendar.China2026(loc))
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 10, 9, 14, 0, 0, 0, loc) // Friday 14:00
	due := cal.Add(start, 8*time.Hour)
	fmt.Println(due.Format("Mon 2006-01-02 15:04"))
	fmt.Println(cal.Between(start, due))
	fmt.Println(cal.NextWorkingInstant(time.Date(2026, 10, 1, 9, 0, 0, 0, loc)).Format("Mon 2006-01-02 15:04"))
	// Output:
	// Sat 2026-10-10 14:30
	// 8h0m0s
	// Thu 2026-10-08 09:00
}

func ExampleNew() {
	_, err := calendar.New(calendar.Spec{
		Name:     "support desk",
		TimeZone: "UTC",
		Location: time.UTC,
		Week: calendar.Week{
			Monday: []calendar.Range{{Start: calendar.At(9, 0), End: calendar.At(12, 0)}, {Start: calendar.At(13, 30), End: calendar.At(12, 0)}},
		},
		WorkingDays: []calendar.WorkingDay{{Date: calendar.DateOf(2026, 2, 30), HoursOf: "funday"}},
	})
	for _, f := range err.(*calendar.ValidationError).Fields {
		fmt.Printf("%s (%s): %s\n", f.Field, f.Code, f.Message)
	}
	// Output:
	// week.monday[1] (end_before_start): end 12:00 is not after start 13:30
	// working_days[0].date (invalid): 2026-02-30 is not a calendar date
	// working_days[0].hours_of (invalid): "funday" is not a weekday (monday … sunday)
}
