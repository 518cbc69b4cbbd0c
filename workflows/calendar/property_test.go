package calendar

import (
	"math/rand/v2"
	"testing"
	"time"
)

// testCalendars are the calendars the property and reference tests run on:
// zones with DST at 02:00 (New York), at midnight (Santiago), by half an hour
// (Lord Howe Island), without DST (Shanghai, UTC); ranges that touch across
// midnight; holidays and make-up days next to clock changes.
func testCalendars(t testing.TB) []Spec {
	r := func(h1, m1, h2, m2 int) Range { return Range{At(h1, m1), At(h2, m2)} }
	ny := Weekdays(r(9, 0, 12, 0), r(13, 0, 17, 0))
	ny.Sunday = []Range{r(0, 30, 1, 45), r(2, 15, 3, 0)}
	scl := Weekdays(r(0, 0, 1, 0), r(9, 0, 17, 0), r(22, 0, 24, 0))
	scl.Saturday = []Range{r(22, 0, 24, 0)}
	scl.Sunday = []Range{r(0, 0, 1, 0)}
	lhi := Weekdays(r(1, 0, 3, 0), r(9, 0, 17, 0))
	lhi.Saturday, lhi.Sunday = []Range{r(1, 0, 3, 0)}, []Range{r(1, 0, 3, 0)}
	all := []Range{r(0, 0, 24, 0)}
	return []Spec{
		China2026(load(t, "Asia/Shanghai")),
		{
			Name: "new york", TimeZone: "America/New_York", Location: load(t, "America/New_York"), Week: ny,
			Holidays: []Holiday{
				{Start: DateOf(2026, 3, 9), End: DateOf(2026, 3, 10)},
				{Start: DateOf(2026, 11, 2)},
				{Start: DateOf(2026, 12, 24), End: DateOf(2027, 1, 1)},
			},
			WorkingDays: []WorkingDay{
				{Date: DateOf(2026, 3, 7), Ranges: []Range{r(1, 0, 3, 0), r(23, 0, 24, 0)}},
				{Date: DateOf(2026, 10, 31), HoursOf: Sunday},
			},
		},
		{
			Name: "santiago", TimeZone: "America/Santiago", Location: load(t, "America/Santiago"), Week: scl,
			Holidays:    []Holiday{{Start: DateOf(2026, 4, 3)}, {Start: DateOf(2026, 9, 18), End: DateOf(2026, 9, 19)}},
			WorkingDays: []WorkingDay{{Date: DateOf(2026, 4, 4), HoursOf: Friday}, {Date: DateOf(2026, 9, 5), HoursOf: Monday}},
		},
		{Name: "lord howe", TimeZone: "Australia/Lord_Howe", Location: load(t, "Australia/Lord_Howe"), Week: lhi},
		{
			Name: "round the clock", TimeZone: "UTC", Location: time.UTC,
			Week:     Week{all, all, all, all, all, all, all},
			Holidays: []Holiday{{Start: DateOf(2026, 5, 1), End: DateOf(2026, 5, 3)}},
		},
	}
}

// refWorking is IsWorkingTime written straight from the spec and the standard
// library's wall clock, with linear scans and no shared code.
func refWorking(s Spec, t time.Time) bool {
	l := t.In(s.Location)
	d := Date{l.Year(), l.Month(), l.Day()}
	minute := Clock(l.Hour()*60 + l.Minute())
	var ranges []Range
	found := false
	for _, w := range s.WorkingDays {
		if w.Date == d {
			ranges, found = w.Ranges, true
			if w.HoursOf != "" {
				wd, _ := w.HoursOf.timeWeekday()
				ranges = s.Week.On(wd)
			}
		}
	}
	if !found {
		for _, h := range s.Holidays {
			end := h.End
			if end.IsZero() {
				end = h.Start
			}
			if !before(d, h.Start) && !before(end, d) {
				return false
			}
		}
		ranges = s.Week.On(l.Weekday())
	}
	for _, r := range ranges {
		if r.Start <= minute && minute < r.End {
			return true
		}
	}
	return false
}

func before(a, b Date) bool {
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Month != b.Month {
		return a.Month < b.Month
	}
	return a.Day < b.Day
}

// transitions returns the instants at which loc changes offset in [from, to).
func transitions(loc *time.Location, from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; t.Before(to); {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		out = append(out, end)
		t = end
	}
	return out
}

// TestAgainstReference checks IsWorkingTime, Between and Add minute by minute
// against refWorking, over random windows and windows around every clock
// change of 2026. All these zones have whole-minute offsets, so working time is
// a union of whole UTC minutes.
func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lo := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, s := range testCalendars(t) {
		c := mustNew(t, s)
		t.Run(s.Name, func(t *testing.T) {
			for range 120 {
				from := lo.Add(time.Duration(rng.Int64N(int64(hi.Sub(lo)/time.Minute))) * time.Minute)
				checkWindow(t, rng, c, s, from, 60+rng.IntN(8*24*60))
			}
			for _, tr := range transitions(s.Location, lo, hi) {
				for range 8 {
					from := tr.Add(time.Duration(rng.Int64N(6*24*60)-4*24*60) * time.Minute)
					checkWindow(t, rng, c, s, from, 60+rng.IntN(8*24*60))
				}
			}
		})
	}
}

// Time.ZoneBounds reports an end before the instant on the last UTC day of a
// leap year in zones whose DST comes from the TZ rule (golang/go#81583); the
// walk must not believe it. These windows span New Year of leap years after
// the zones' last listed changes.
func TestLeapYearEndZoneBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	specs := testCalendars(t)
	specs = append(specs, Spec{
		Name: "warsaw", TimeZone: "Europe/Warsaw", Location: load(t, "Europe/Warsaw"),
		Week: Week{Monday: []Range{{At(0, 0), At(24, 0)}}, Sunday: []Range{{At(23, 0), At(24, 0)}}, Wednesday: []Range{{At(0, 30), At(1, 30)}}},
	})
	for _, s := range specs {
		c := mustNew(t, s)
		for _, y := range []int{2036, 2040, 2044, 2096} {
			for range 6 {
				from := time.Date(y, 12, 28, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(3*24*60)) * time.Minute)
				checkWindow(t, rng, c, s, from, 60+rng.IntN(6*24*60))
			}
		}
	}
}

// checkWindow compares the calendar with refWorking over n minutes from from.
func checkWindow(t *testing.T, rng *rand.Rand, c *Calendar, s Spec, from time.Time, n int) {
	t.Helper()
	work := make([]bool, n)
	var idx []int // the working minutes
	for j := range work {
		m := from.Add(time.Duration(j) * time.Minute)
		work[j] = refWorking(s, m)
		if work[j] {
			idx = append(idx, j)
		}
		// IsWorkingTime anywhere inside the minute.
		if got := c.IsWorkingTime(m.Add(time.Duration(rng.Int64N(int64(time.Minute))))); got != work[j] {
			t.Fatalf("%s: IsWorkingTime(%s) = %v, reference %v", s.Name, m.In(s.Location).Format(time.RFC3339), got, work[j])
		}
	}
	minute := func(j int) time.Time { return from.Add(time.Duration(j) * time.Minute) }
	to := minute(n)
	if got, want := c.Between(from, to), time.Duration(len(idx))*time.Minute; got != want {
		t.Fatalf("%s: Between(%s, %s) = %v, reference %v", s.Name, from.In(s.Location), to.In(s.Location), got, want)
	}
	if len(idx) == 0 {
		return
	}
	// Add(from, k minutes) ends the k-th working minute; k = 0 is the first's start.
	for _, k := range []int{0, 1, len(idx), rng.IntN(len(idx) + 1)} {
		want := minute(idx[0])
		if k > 0 {
			want = minute(idx[k-1] + 1)
		}
		if got := c.Add(from, time.Duration(k)*time.Minute); !got.Equal(want) {
			t.Fatalf("%s: Add(%s, %dm) = %s, reference %s", s.Name, from.In(s.Location), k, got.In(s.Location), want.In(s.Location))
		}
		// Backwards from the end of the window: the start of the k-th working
		// minute counted from the end.
		if k > 0 {
			want := minute(idx[len(idx)-k])
			if got := c.Add(to, -time.Duration(k)*time.Minute); !got.Equal(want) {
				t.Fatalf("%s: Add(%s, -%dm) = %s, reference %s", s.Name, to.In(s.Location), k, got.In(s.Location), want.In(s.Location))
			}
		}
	}
}

// checkProperties asserts what Add and Between promise, for one t and d. It
// reports a description of the first broken property, or "".
func checkProperties(c *Calendar, t time.Time, d time.Duration) string {
	u := c.Add(t, d)
	switch {
	case u.IsZero():
		return "Add returned the zero time"
	case u.Location() != t.Location():
		return "Add changed the location"
	case c.Between(t, u) != d:
		return "Between(t, Add(t, d)) != d"
	case c.Between(u, t) != -d:
		return "Between(Add(t, d), t) != -d"
	}
	nwi := c.NextWorkingInstant(t)
	switch {
	case d > 0:
		switch {
		case !u.After(t):
			return "Add(t, d>0) is not after t"
		case !c.IsWorkingTime(u.Add(-1)):
			return "the nanosecond before Add(t, d>0) is not working time"
		case c.Between(t, u.Add(-1)) != d-1:
			return "Add(t, d>0) is not the earliest instant"
		case !c.Add(u, -d).Equal(nwi):
			return "Add(Add(t, d), -d) != NextWorkingInstant(t)"
		}
	case d == 0:
		switch {
		case !u.Equal(nwi) || u.Before(t) || !c.IsWorkingTime(u) || c.Between(t, u) != 0:
			return "Add(t, 0) is not the next working instant"
		case c.IsWorkingTime(t) && u != t:
			return "Add(t, 0) moved a working t"
		}
	case d < 0:
		switch {
		case !u.Before(t):
			return "Add(t, d<0) is not before t"
		case !c.IsWorkingTime(u):
			return "Add(t, d<0) is not working time"
		case c.Between(u.Add(1), t) != -d-1:
			return "Add(t, d<0) is not the latest instant"
		}
		if back := c.Add(u, -d); back.After(t) || c.Between(back, t) != 0 {
			return "Add(Add(t, d), -d) is after t or leaves working time before t"
		}
	}
	// Composition and monotonicity, splitting d into two parts of its sign.
	a := d / 3
	if b := d - a; b != 0 && !c.Add(c.Add(t, a), b).Equal(u) {
		return "Add(Add(t, a), b) != Add(t, a+b)"
	}
	if d >= 0 && c.Add(t, a).After(u) || d < 0 && c.Add(t, a).Before(u) {
		return "Add is not monotonic in d"
	}
	// Between is additive at any point between t and u.
	m := t.Add(u.Sub(t) / 3)
	if c.Between(t, m)+c.Between(m, u) != c.Between(t, u) {
		return "Between is not additive"
	}
	return ""
}

func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	lo := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range testCalendars(t) {
		c := mustNew(t, s)
		for range 3000 {
			from := lo.Add(time.Duration(rng.Int64N(int64(2 * 366 * 24 * time.Hour)))).In(s.Location)
			var d time.Duration
			switch rng.IntN(4) {
			case 0:
				d = 0
			case 1: // short, at nanosecond resolution
				d = time.Duration(rng.Int64N(int64(48*time.Hour))) - 24*time.Hour
			case 2: // whole minutes
				d = time.Duration(rng.Int64N(2*3000)-3000) * time.Minute
			default: // long
				d = time.Duration(rng.Int64N(int64(6000*time.Hour))) - 3000*time.Hour
			}
			if msg := checkProperties(c, from, d); msg != "" {
				t.Fatalf("%s: t=%s d=%v: %s", s.Name, from.Format(time.RFC3339Nano), d, msg)
			}
		}
	}
}

// FuzzAddBetween checks the properties of Add and Between for any instant from
// 1990 to 2060 and any business duration up to ±20,000 hours, on every test
// calendar. Its seed corpus (the f.Add calls, around holidays and clock
// changes) runs with every `go test`.
func FuzzAddBetween(f *testing.F) {
	ns := func(s string) int64 { return at(f, time.UTC, s).UnixNano() }
	f.Add(uint8(0), ns("2026-09-29 02:00"), int64(40*time.Hour))
	f.Add(uint8(0), ns("2026-02-13 09:00"), int64(2*time.Hour))
	f.Add(uint8(0), ns("2026-02-24 02:00"), int64(-2*time.Hour))
	f.Add(uint8(0), ns("2026-10-10 04:00:00.5"), int64(-90*time.Hour-1))
	f.Add(uint8(1), ns("2026-03-08 05:30"), int64(time.Hour+1))
	f.Add(uint8(1), ns("2026-11-01 05:45"), int64(30*time.Minute))
	f.Add(uint8(1), ns("2026-11-02 14:00"), int64(-3*time.Hour-1))
	f.Add(uint8(1), ns("2026-12-23 21:00"), int64(0))
	f.Add(uint8(2), ns("2026-04-04 02:30"), int64(3*time.Hour))
	f.Add(uint8(2), ns("2026-09-06 03:59:59.999999999"), int64(-5*time.Hour))
	f.Add(uint8(3), ns("2026-04-04 14:45"), int64(45*time.Minute))
	f.Add(uint8(3), ns("2026-10-03 15:10"), int64(-80*time.Minute))
	f.Add(uint8(4), ns("2026-04-30 23:59:59"), int64(1))
	f.Add(uint8(4), ns("2026-05-04 00:00"), int64(-1))
	f.Add(uint8(1), ns("2031-07-04 12:00"), int64(19999*time.Hour))
	f.Add(uint8(3), ns("1995-01-01 00:00"), int64(-19999*time.Hour))
	specs := testCalendars(f)
	cals := make([]*Calendar, len(specs))
	for i, s := range specs {
		cals[i] = mustNew(f, s)
	}
	lo := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	span := time.Date(2060, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano() - lo
	const maxD = int64(20000 * time.Hour)
	f.Fuzz(func(t *testing.T, which uint8, tNanos, dNanos int64) {
		c := cals[int(which)%len(cals)]
		from := time.Unix(0, lo+mod(tNanos-lo, span)).In(c.Location())
		d := time.Duration(mod(dNanos+maxD, 2*maxD+1) - maxD)
		if msg := checkProperties(c, from, d); msg != "" {
			t.Fatalf("%s: t=%s d=%v: %s", c.Name(), from.Format(time.RFC3339Nano), d, msg)
		}
	})
}

func mod(a, m int64) int64 {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

// TestLongSpans checks the whole-week shortcut against day-by-day sums: no
// Between over less than a week takes the shortcut.
func TestLongSpans(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	daily := func(c *Calendar, a, b time.Time) time.Duration {
		var sum time.Duration
		for a.Before(b) {
			next := a.Add(24 * time.Hour)
			if next.After(b) {
				next = b
			}
			sum += c.Between(a, next)
			a = next
		}
		return sum
	}
	for _, s := range testCalendars(t) {
		c := mustNew(t, s)
		for range 6 {
			a := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(4 * 365 * 24 * time.Hour))))
			b := a.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
			if got, want := c.Between(a, b), daily(c, a, b); got != want {
				t.Fatalf("%s: Between(%s, %s) = %v, day by day %v", s.Name, a, b, got, want)
			}
			d := time.Duration(rng.Int64N(int64(4000 * time.Hour)))
			u := c.Add(a, d)
			if got := daily(c, a, u); got != d || !c.IsWorkingTime(u.Add(-1)) {
				t.Fatalf("%s: Add(%s, %v) = %s, which is %v day by day", s.Name, a, d, u, got)
			}
			v := c.Add(b, -d)
			if got := daily(c, v, b); got != d || !c.IsWorkingTime(v) {
				t.Fatalf("%s: Add(%s, -%v) = %s, which is %v day by day", s.Name, b, d, v, got)
			}
		}
	}
}

func TestExtremes(t *testing.T) {
	c, _ := china(t)
	t0 := time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)
	// Saturating durations and far-away instants neither panic nor hang.
	far := c.Add(t0, time.Duration(1<<62))
	if far.Before(t0.AddDate(100, 0, 0)) || !c.IsWorkingTime(far.Add(-1)) {
		t.Errorf("Add(t, 2^62ns) = %s", far)
	}
	past := c.Add(t0, time.Duration(-1<<63))
	if past.After(t0.AddDate(-100, 0, 0)) || !c.IsWorkingTime(past) {
		t.Errorf("Add(t, MinInt64) = %s", past)
	}
	if got := c.Between(time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); got != time.Duration(1<<63-1) {
		t.Errorf("Between over 10,000 years = %v, want the saturated maximum", got)
	}
	if got := c.Between(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}); got != -time.Duration(1<<63-1) {
		t.Errorf("reversed Between over 10,000 years = %v", got)
	}
	if got := c.NextWorkingInstant(time.Time{}); got.Year() != 1 || !c.IsWorkingTime(got) {
		t.Errorf("NextWorkingInstant(zero time) = %s", got)
	}
}

// A Calendar that New would refuse (no working time at all) must still not
// hang: the search gives up after searchLimitDays and returns the zero time.
func TestSearchLimit(t *testing.T) {
	c := &Calendar{name: "broken", loc: time.UTC, firstSpecial: noDayAfter, lastSpecial: noDayBefore}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range []time.Duration{0, time.Hour, -time.Hour} {
		if got := c.Add(t0, d); !got.IsZero() {
			t.Errorf("Add(t, %v) = %s, want the zero time", d, got)
		}
	}
	if got := c.Between(t0, t0.AddDate(10, 0, 0)); got != 0 {
		t.Errorf("Between = %v", got)
	}
}
