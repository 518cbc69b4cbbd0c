package sla_test

import (
	"fmt"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/sla"
)

// A P2 complaint opened on the eve of National Day waits on the customer over
// the holiday; its first-response deadline moves by the working hours on hold
// and lands on the make-up Saturday.
func Example() {
	loc, err := time.LoadLocation("Asia/Shanghai") // outside workflow code
	if err != nil {
		panic(err)
	}
	cal, err := calendar.New(calendar.China2026(loc))
	if err != nil {
		panic(err)
	}
	at := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, loc)
	}
	clock, err := sla.New(sla.FirstResponse, at(9, 30, 15, 0), 4*time.Hour, true, 0.75)
	if err != nil {
		panic(err)
	}
	show := func(now time.Time) {
		fmt.Printf("%s  %-8s due %s\n", now.Format("Mon 01-02 15:04"), clock.State(cal, now), clock.Due(cal, now).Format("Mon 01-02 15:04"))
	}
	show(at(9, 30, 15, 0))
	_ = clock.Pause(at(9, 30, 16, 0)) // pending_customer
	show(at(10, 8, 12, 0))
	_ = clock.Resume(at(10, 9, 17, 0))
	show(at(10, 9, 17, 0))
	next, _ := clock.NextInstant(cal)
	fmt.Println("next timer:", next.Format("Mon 01-02 15:04"))
	// Output:
	// Wed 09-30 15:00  running  due Thu 10-08 10:00
	// Thu 10-08 12:00  paused   due Thu 10-08 16:30
	// Fri 10-09 17:00  running  due Sat 10-10 11:00
	// next timer: Sat 10-10 10:00
}
