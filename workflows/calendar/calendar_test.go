package calendar

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests load zones; the package itself never does
)

func load(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func mustNew(t testing.TB, s Spec) *Calendar {
	t.Helper()
	c, err := New(s)
	if err != nil {
		t.Fatalf("New(%s): %v", s.Name, err)
	}
	return c
}

// at parses "2006-01-02 15:04[:05[.999999999]]" as wall-clock time in loc.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04:05.999999999"
	}
	v, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// office is Mon–Fri 09:00–12:00 and 13:30–18:00 in Asia/Shanghai, no holidays.
func office(t testing.TB) *Calendar {
	sh := load(t, "Asia/Shanghai")
	return mustNew(t, Spec{
		Name: "office", TimeZone: "Asia/Shanghai", Location: sh,
		Week: Weekdays(Range{At(9, 0), At(12, 0)}, Range{At(13, 30), At(18, 0)}),
	})
}

func china(t testing.TB) (*Calendar, *time.Location) {
	sh := load(t, "Asia/Shanghai")
	return mustNew(t, China2026(sh)), sh
}

// The week of Monday 2026-0309 has no holiday in any calendar used here.
func TestIsWorkingTime(t *testing.T) {
	c := office(t)
	sh := c.Location()
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-03-09 08:59:59.999999999", false}, // just before the first range
		{"2026-03-09 09:00", true},               // start is included
		{"2026-03-09 11:59:59.999999999", true},
		{"2026-03-09 12:00", false}, // end is excluded
		{"2026-03-09 13:00", false}, // lunch
		{"2026-03-09 13:30", true},
		{"2026-03-09 17:59", true},
		{"2026-03-09 18:00", false},
		{"2026-03-09 23:59", false},
		{"2026-03-14 10:00", false}, // Saturday
		{"2026-03-15 10:00", false}, // Sunday
	} {
		if got := c.IsWorkingTime(at(t, sh, tc.at)); got != tc.want {
			t.Errorf("IsWorkingTime(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	// The instant decides, not the location it is expressed in.
	if !c.IsWorkingTime(time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)) { // 09:00 in Shanghai
		t.Error("01:00Z Monday is 09:00 in Shanghai: working")
	}
	if c.IsWorkingTime(time.Date(2026, 3, 9, 4, 0, 0, 0, time.UTC)) { // 12:00 in Shanghai
		t.Error("04:00Z Monday is 12:00 in Shanghai: not working")
	}
}

func TestNextWorkingInstant(t *testing.T) {
	c := office(t)
	sh := c.Location()
	for _, tc := range []struct{ from, want string }{
		{"2026-03-09 08:00", "2026-03-09 09:00"},
		{"2026-03-09 10:15", "2026-03-09 10:15"},
		{"2026-03-09 12:00", "2026-03-09 13:30"},
		{"2026-03-09 18:00", "2026-03-10 09:00"},
		{"2026-03-13 18:30", "2026-03-16 09:00"}, // Friday evening to Monday
		{"2026-03-14 12:00", "2026-03-16 09:00"}, // Saturday
	} {
		if got, want := c.NextWorkingInstant(at(t, sh, tc.from)), at(t, sh, tc.want); !got.Equal(want) {
			t.Errorf("NextWorkingInstant(%s) = %s, want %s", tc.from, got, want)
		}
	}
	// A working t comes back unchanged, location included.
	u := at(t, sh, "2026-03-09 10:15").UTC()
	if got := c.NextWorkingInstant(u); got != u {
		t.Errorf("NextWorkingInstant(%v) = %v, want it unchanged", u, got)
	}
}

func TestAdd(t *testing.T) {
	c := office(t)
	sh := c.Location()
	for _, tc := range []struct {
		from string
		d    time.Duration
		want string
	}{
		{"2026-03-09 09:00", 0, "2026-03-09 09:00"},
		{"2026-03-09 08:00", 0, "2026-03-09 09:00"}, // d = 0 is NextWorkingInstant
		{"2026-03-09 12:10", 0, "2026-03-09 13:30"},
		{"2026-03-09 09:00", 3 * time.Hour, "2026-03-09 12:00"}, // lands on the end of the range, not 13:30
		{"2026-03-09 09:00", 3*time.Hour + 1, "2026-03-09 13:30:00.000000001"},
		{"2026-03-09 11:00", 2 * time.Hour, "2026-03-09 14:30"},
		{"2026-03-09 12:30", time.Hour, "2026-03-09 14:30"}, // from inside lunch
		{"2026-03-09 09:00", hm(7, 30), "2026-03-09 18:00"},
		{"2026-03-09 09:00", hm(7, 31), "2026-03-10 09:01"},
		{"2026-03-13 17:00", 2 * time.Hour, "2026-03-16 10:00"}, // over the weekend
		{"2026-03-14 10:00", time.Hour, "2026-03-16 10:00"},     // from Saturday
		{"2026-03-09 09:00", 5 * hm(7, 30), "2026-03-13 18:00"},
		{"2026-03-09 09:00", 10 * hm(7, 30), "2026-03-20 18:00"},
		{"2026-03-09 09:00", 52 * 5 * hm(7, 30), "2027-03-05 18:00"}, // a year of weeks, skipped in whole weeks
		{"2026-03-09 10:00:00.5", 1500 * time.Millisecond, "2026-03-09 10:00:02"},
		// Backwards.
		{"2026-03-16 10:00", -time.Hour, "2026-03-16 09:00"},
		{"2026-03-16 10:00", -2 * time.Hour, "2026-03-13 17:00"},
		{"2026-03-16 09:00", -1, "2026-03-13 17:59:59.999999999"},
		{"2026-03-09 14:00", -30 * time.Minute, "2026-03-09 13:30"}, // lands on the start of the range
		{"2026-03-09 14:00", -31 * time.Minute, "2026-03-09 11:59"},
		{"2026-03-14 12:00", -time.Hour, "2026-03-13 17:00"}, // from Saturday
		{"2026-03-09 12:45", -time.Hour, "2026-03-09 11:00"}, // from lunch
		{"2027-03-05 18:00", -52 * 5 * hm(7, 30), "2026-03-09 09:00"},
	} {
		from := at(t, sh, tc.from)
		got := c.Add(from, tc.d)
		if want := at(t, sh, tc.want); !got.Equal(want) {
			t.Errorf("Add(%s, %v) = %s, want %s", tc.from, tc.d, got.In(sh), want)
		}
		if b := c.Between(from, got); b != tc.d {
			t.Errorf("Between(%s, Add(%s, %v)) = %v", tc.from, tc.from, tc.d, b)
		}
	}
	// The result keeps the location of t.
	from := at(t, sh, "2026-03-09 09:00").UTC()
	if got := c.Add(from, time.Hour); got.Location() != time.UTC {
		t.Errorf("Add of a UTC time returned location %v", got.Location())
	}
}

func TestBetween(t *testing.T) {
	c := office(t)
	sh := c.Location()
	for _, tc := range []struct {
		a, b string
		want time.Duration
	}{
		{"2026-03-09 09:00", "2026-03-09 18:00", hm(7, 30)},
		{"2026-03-09 08:00", "2026-03-09 10:00", time.Hour},
		{"2026-03-09 11:00", "2026-03-09 14:00", hm(1, 30)},
		{"2026-03-09 12:00", "2026-03-09 13:30", 0},
		{"2026-03-13 17:00", "2026-03-16 10:00", 2 * time.Hour},
		{"2026-03-14 00:00", "2026-03-16 00:00", 0},
		{"2026-03-09 09:00", "2026-03-16 09:00", 5 * hm(7, 30)},
		{"2026-03-09 11:59:59.5", "2026-03-09 13:30:00.25", 750 * time.Millisecond},
		{"2026-03-09 09:00", "2027-03-08 09:00", 52 * 5 * hm(7, 30)},
		{"2026-03-09 10:00", "2026-03-09 10:00", 0},
		{"2026-03-16 10:00", "2026-03-13 17:00", -2 * time.Hour}, // reversed is negative
	} {
		if got := c.Between(at(t, sh, tc.a), at(t, sh, tc.b)); got != tc.want {
			t.Errorf("Between(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestChina2026Fixture(t *testing.T) {
	s := China2026(load(t, "Asia/Shanghai"))
	// The notice gives each period's length and the weekdays of its ends and of
	// each make-up day; check the dates against them.
	wantLen := []int{3, 9, 3, 5, 3, 3, 7}
	wantEnds := [][2]time.Weekday{
		{time.Thursday, time.Saturday}, {time.Sunday, time.Monday}, {time.Saturday, time.Monday},
		{time.Friday, time.Tuesday}, {time.Friday, time.Sunday}, {time.Friday, time.Sunday},
		{time.Thursday, time.Wednesday},
	}
	for i, h := range s.Holidays {
		if n := int(h.End.dayNumber()-h.Start.dayNumber()) + 1; n != wantLen[i] {
			t.Errorf("%s lasts %d days, want %d", h.Name, n, wantLen[i])
		}
		if a, b := weekdayOf(h.Start.dayNumber()), weekdayOf(h.End.dayNumber()); a != wantEnds[i][0] || b != wantEnds[i][1] {
			t.Errorf("%s runs %v–%v, want %v–%v", h.Name, a, b, wantEnds[i][0], wantEnds[i][1])
		}
	}
	wantMakeup := []time.Weekday{time.Sunday, time.Saturday, time.Saturday, time.Saturday, time.Sunday, time.Saturday}
	for i, w := range s.WorkingDays {
		if wd := weekdayOf(w.Date.dayNumber()); wd != wantMakeup[i] {
			t.Errorf("%s (%s) is a %v, want %v", w.Name, w.Date, wd, wantMakeup[i])
		}
	}
}

func TestChina2026(t *testing.T) {
	c, sh := china(t)
	for _, tc := range []struct {
		from string
		d    time.Duration
		want string
	}{
		// National Day golden week (Oct 1–7), make-up days Sunday Sep 20 and
		// Saturday Oct 10. From Wednesday Sep 30 16:00: 2h that day, Oct 8 and 9
		// give 7.5h each (17h), the make-up Saturday's morning the last 3h.
		{"2026-09-30 16:00", 20 * time.Hour, "2026-10-10 12:00"},
		{"2026-09-30 16:00", 21 * time.Hour, "2026-10-10 14:30"},
		{"2026-09-30 16:00", hm(24, 30), "2026-10-10 18:00"},
		{"2026-09-30 16:00", hm(24, 31), "2026-10-12 09:01"},     // Sunday Oct 11 is off again
		{"2026-09-18 17:00", 2 * time.Hour, "2026-09-20 10:00"},  // Friday to the make-up Sunday
		{"2026-09-29 10:00", 40 * time.Hour, "2026-10-12 14:00"}, // the benchmark's case
		{"2026-10-01 09:00", 0, "2026-10-08 09:00"},
		// Spring Festival (Feb 15–23), make-up Saturdays Feb 14 and Feb 28.
		{"2026-02-13 17:00", 2 * time.Hour, "2026-02-14 10:00"},
		{"2026-02-14 17:00", 2 * time.Hour, "2026-02-24 10:00"},
		{"2026-02-27 17:00", 2 * time.Hour, "2026-02-28 10:00"},
		{"2026-02-24 10:00", -2 * time.Hour, "2026-02-14 17:00"},
		// New Year: Jan 1–3 off, Sunday Jan 4 works.
		{"2025-12-31 17:00", 2 * time.Hour, "2026-01-04 10:00"},
		{"2026-01-01 00:00", 0, "2026-01-04 09:00"},
		// Labour Day: May 1–5 off, Saturday May 9 works.
		{"2026-04-30 17:00", 2 * time.Hour, "2026-05-06 10:00"},
		{"2026-05-08 17:00", 2 * time.Hour, "2026-05-09 10:00"},
	} {
		from := at(t, sh, tc.from)
		got := c.Add(from, tc.d)
		if want := at(t, sh, tc.want); !got.Equal(want) {
			t.Errorf("Add(%s, %v) = %s, want %s", tc.from, tc.d, got.In(sh).Format("2006-01-02 15:04 Mon"), tc.want)
		}
		if b := c.Between(from, got); b != tc.d {
			t.Errorf("Between(%s, %s) = %v, want %v", tc.from, tc.want, b, tc.d)
		}
	}
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-09-19 10:00", false}, // Saturday
		{"2026-09-20 10:00", true},  // make-up Sunday
		{"2026-10-01 10:00", false}, // National Day, a Thursday
		{"2026-10-07 10:00", false}, // Wednesday, still the holiday
		{"2026-10-08 10:00", true},
		{"2026-10-10 10:00", true},  // make-up Saturday
		{"2026-10-10 12:30", false}, // its lunch break
		{"2026-10-11 10:00", false}, // Sunday
		{"2026-02-23 10:00", false}, // Monday, last day of Spring Festival
		{"2026-02-24 10:00", true},
	} {
		if got := c.IsWorkingTime(at(t, sh, tc.at)); got != tc.want {
			t.Errorf("IsWorkingTime(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
	// Feb 13 (Fri) 7.5h + Feb 14 (make-up Sat) 7.5h + Feb 24–27 4×7.5h + Feb 28 (make-up Sat) 7.5h.
	if got := c.Between(at(t, sh, "2026-02-13 09:00"), at(t, sh, "2026-02-28 18:00")); got != 7*hm(7, 30) {
		t.Errorf("Between over Spring Festival = %v, want 52h30m", got)
	}
	// 2026 has 261 weekdays; the holidays take 19 of them and the make-up
	// days add 6: 248 working days of 7.5 hours.
	if got := c.Between(at(t, sh, "2026-01-01 00:00"), at(t, sh, "2027-01-01 00:00")); got != 248*hm(7, 30) {
		t.Errorf("business time in 2026 = %v, want %v (248 days)", got, 248*hm(7, 30))
	}
}

func TestSpecJSON(t *testing.T) {
	sh := load(t, "Asia/Shanghai")
	spec := China2026(sh)
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{
		`"time_zone":"Asia/Shanghai"`,
		`"monday":[{"start":"09:00","end":"12:00"},{"start":"13:30","end":"18:00"}]`,
		`{"name":"春节 Spring Festival","start":"2026-02-15","end":"2026-02-23"}`,
		`{"date":"2026-02-14","name":"春节调休 Spring Festival make-up day","hours_of":"monday"}`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %s:\n%s", want, js)
		}
	}
	if strings.Contains(js, "Location") || strings.Contains(js, "saturday") {
		t.Errorf("JSON carries the location or empty weekdays:\n%s", js)
	}
	var back Spec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	back.Location = sh
	if !reflect.DeepEqual(back, spec) {
		t.Errorf("round trip changed the spec:\n got %+v\nwant %+v", back, spec)
	}

	// A single-day holiday needs no end, and writes none.
	var h Holiday
	if err := json.Unmarshal([]byte(`{"name":"company day","start":"2026-06-01"}`), &h); err != nil {
		t.Fatal(err)
	}
	if h.Start != DateOf(2026, 6, 1) || !h.End.IsZero() {
		t.Errorf("decoded %+v", h)
	}
	if b, _ := json.Marshal(h); string(b) != `{"name":"company day","start":"2026-06-01"}` {
		t.Errorf("encoded %s", b)
	}

	// Badly formed text fails to decode; well-formed but impossible values
	// decode, so that New can name the field.
	for _, bad := range []string{`"9:00"`, `"09:60"`, `"0900"`, `"09:0a"`} {
		var c Clock
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("clock %s decoded as %v", bad, c)
		}
	}
	for _, bad := range []string{`"2026-2-14"`, `"2026/02/14"`, `"26-02-14"`, `"2026-02-1x"`} {
		var d Date
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("date %s decoded as %v", bad, d)
		}
	}
	in := `{"name":"x","time_zone":"Asia/Shanghai",
		"week":{"monday":[{"start":"09:00","end":"25:00"}]},
		"holidays":[{"start":"2026-02-30"}]}`
	var s Spec
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	s.Location = sh
	_, err = New(s)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("New: %v, want a *ValidationError", err)
	}
	got := fieldsOf(ve)
	want := []string{"week.monday[0].end out_of_range", "holidays[0].start invalid"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %q, want %q", got, want)
	}
}

func TestDateArithmetic(t *testing.T) {
	// Every day from 1899 to 2201 against the standard library.
	start := time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 303*366; i++ {
		tm := start.AddDate(0, 0, i)
		d := Date{tm.Year(), tm.Month(), tm.Day()}
		n := d.dayNumber()
		if n != floorDiv(tm.Unix(), secsPerDay) {
			t.Fatalf("%s: day number %d, want %d", d, n, tm.Unix()/secsPerDay)
		}
		if back := civilFromDays(n); back != d {
			t.Fatalf("civilFromDays(%d) = %s, want %s", n, back, d)
		}
		if weekdayOf(n) != tm.Weekday() {
			t.Fatalf("%s: weekday %v, want %v", d, weekdayOf(n), tm.Weekday())
		}
		if !d.exists() {
			t.Fatalf("%s reported as not a date", d)
		}
	}
	for _, d := range []Date{{2026, 2, 29}, {1900, 2, 29}, {2026, 4, 31}, {2026, 13, 1}, {2026, 0, 1}, {2026, 1, 0}} {
		if d.exists() {
			t.Errorf("%v reported as a date", d)
		}
	}
	if !(Date{2000, 2, 29}).exists() {
		t.Error("2000-02-29 is a date")
	}
}
