package calendar

import "time"

// China2026 returns the 2026 public-holiday schedule of mainland China with its
// make-up working days (调休), on standard office hours: Monday to Friday
// 09:00–12:00 and 13:30–18:00, Asia/Shanghai. loc must be that zone, loaded by
// the caller (time.LoadLocation("Asia/Shanghai")); New refuses anything else.
//
// Source: 国务院办公厅关于2026年部分节假日安排的通知 (General Office of the State
// Council, 4 November 2025, published by Xinhua). Every date below is copied
// from that notice; make-up days work the normal weekday hours.
func China2026(loc *time.Location) Spec {
	day := func(m time.Month, d int) Date { return DateOf(2026, m, d) }
	return Spec{
		Name:     "China mainland 2026",
		TimeZone: "Asia/Shanghai",
		Location: loc,
		Week:     Weekdays(Range{At(9, 0), At(12, 0)}, Range{At(13, 30), At(18, 0)}),
		Holidays: []Holiday{
			{Name: "元旦 New Year's Day", Start: day(time.January, 1), End: day(time.January, 3)},             // Thu–Sat
			{Name: "春节 Spring Festival", Start: day(time.February, 15), End: day(time.February, 23)},        // Sun (腊月二十八)–Mon (正月初七)
			{Name: "清明节 Qingming Festival", Start: day(time.April, 4), End: day(time.April, 6)},             // Sat–Mon
			{Name: "劳动节 Labour Day", Start: day(time.May, 1), End: day(time.May, 5)},                        // Fri–Tue
			{Name: "端午节 Dragon Boat Festival", Start: day(time.June, 19), End: day(time.June, 21)},          // Fri–Sun
			{Name: "中秋节 Mid-Autumn Festival", Start: day(time.September, 25), End: day(time.September, 27)}, // Fri–Sun
			{Name: "国庆节 National Day", Start: day(time.October, 1), End: day(time.October, 7)},              // Thu–Wed
		},
		WorkingDays: []WorkingDay{
			{Date: day(time.January, 4), Name: "元旦调休 New Year's Day make-up day", HoursOf: Monday},    // Sunday
			{Date: day(time.February, 14), Name: "春节调休 Spring Festival make-up day", HoursOf: Monday}, // Saturday
			{Date: day(time.February, 28), Name: "春节调休 Spring Festival make-up day", HoursOf: Monday}, // Saturday
			{Date: day(time.May, 9), Name: "劳动节调休 Labour Day make-up day", HoursOf: Monday},           // Saturday
			{Date: day(time.September, 20), Name: "国庆节调休 National Day make-up day", HoursOf: Monday},  // Sunday
			{Date: day(time.October, 10), Name: "国庆节调休 National Day make-up day", HoursOf: Monday},    // Saturday
		},
	}
}
