package winback_test

import (
	"math"
	"strconv"
	"testing"
	"time"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/winback"
)

// TestSpreadPlacesAreFixedAndEven: a customer's place in a campaign's
// spread is the same every time, differs between campaigns, lies in [0, 1)
// and 10,000 customers fill each tenth of the spread about equally.
func TestSpreadPlacesAreFixedAndEven(t *testing.T) {
	if a, b := winback.SpreadPlace("camp-1", "cust-1"), winback.SpreadPlace("camp-1", "cust-1"); a != b {
		t.Fatalf("place changed: %v then %v", a, b)
	}
	if winback.SpreadPlace("camp-1", "cust-1") == winback.SpreadPlace("camp-2", "cust-1") {
		t.Fatal("one place in two campaigns")
	}
	var tenths [10]int
	for i := range 10_000 {
		p := winback.SpreadPlace("camp-1", "cust-"+strconv.Itoa(i))
		if p < 0 || p >= 1 || math.IsNaN(p) {
			t.Fatalf("place %v outside [0, 1)", p)
		}
		tenths[int(p*10)]++
	}
	for i, n := range tenths {
		if n < 900 || n > 1100 {
			t.Errorf("tenth %d of the spread holds %d of 10,000 customers: %v", i, n, tenths)
		}
	}
}

// TestSpreadCountsInWorkingTime: a place in a business-time spread lands in
// working time (past the lunch break and the evening, into the next working
// day); a zero spread or place leaves the instant alone.
func TestSpreadCountsInWorkingTime(t *testing.T) {
	cal := china(t)
	two := policy.Timer{Duration: policy.Duration(2 * time.Hour), Clock: policy.ClockBusiness}
	for _, c := range []struct {
		at    time.Time
		place float64
		want  time.Time
	}{
		{cst(time.March, 2, 10, 0), 0.25, cst(time.March, 2, 10, 30)},
		{cst(time.March, 2, 11, 30), 0.5, cst(time.March, 2, 14, 0)},                           // 30 min before lunch, 30 after
		{cst(time.March, 6, 17, 30), 0.75, cst(time.March, 9, 10, 0)},                          // Friday evening to Monday
		{cst(time.March, 2, 10, 0), 0, cst(time.March, 2, 10, 0)},                              // place 0
		{cst(time.March, 7, 3, 0), 0.999999, cst(time.March, 9, 10, 59).Add(59 * time.Second)}, // a Saturday night: from Monday's opening, to the second
	} {
		got, err := winback.Spread(c.at, two, c.place, cal)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("Spread(%s, 2h business, %v) = %s, %v; want %s", hm(c.at), c.place, hm(got), err, hm(c.want))
		}
	}
	if got, _ := winback.Spread(cst(time.March, 7, 3, 0), policy.Timer{Clock: policy.ClockBusiness}, 0.5, cal); !got.Equal(cst(time.March, 7, 3, 0)) {
		t.Errorf("a zero spread moved the instant to %s", hm(got))
	}
	if got, _ := winback.Spread(cst(time.March, 7, 3, 0), policy.Timer{Duration: policy.Duration(time.Hour), Clock: policy.ClockCalendar}, 0.5, nil); !got.Equal(cst(time.March, 7, 3, 30)) {
		t.Errorf("a calendar-time spread gave %s", hm(got))
	}
}

// TestTouchesSpread: with winback.touch_spread at 2 business hours, Acme's
// touches come at its place in the spread after each step's instant — not a
// second before, each once — and a spread changed while the cadence waits
// moves the next touch. The customer service is asked for a missed response
// once per touch (at the instant, while the terms are re-resolved).
func TestTouchesSpread(t *testing.T) {
	h := newHarness(t, enrolled)
	h.engine.PutPolicy(policy.WinBackTouchSpread, 3, time.Time{}, policy.Value{Timer: &policy.Timer{Duration: policy.Duration(2 * time.Hour), Clock: policy.ClockBusiness}})
	h.engine.PutPolicy(policy.WinBackCadence, 2, time.Time{}, ladder(policy.ClockCalendar,
		time.Duration(0), policy.ActionCall, 14*day, policy.ActionVisit))
	cal := china(t)
	place := winback.SpreadPlace("camp-1", "cust-1")
	first, err := winback.Spread(enrolled, policy.Timer{Duration: policy.Duration(2 * time.Hour), Clock: policy.ClockBusiness}, place, cal)
	if err != nil || !first.After(enrolled) {
		t.Fatalf("test premise: Acme's place %v puts its first touch at %s", place, hm(first))
	}
	// Before the second touch, an analyst halves the spread.
	h.at(touch1.Add(-day), func() {
		h.engine.PutPolicy(policy.WinBackTouchSpread, 4, touch1.Add(-day), policy.Value{Timer: &policy.Timer{Duration: policy.Duration(time.Hour), Clock: policy.ClockBusiness}})
	})
	second, _ := winback.Spread(touch1, policy.Timer{Duration: policy.Duration(time.Hour), Clock: policy.ClockBusiness}, place, cal)
	for _, at := range []time.Time{first, second} {
		h.at(at.Add(-time.Second), func() {
			if n := len(h.touches()); n != map[bool]int{true: 0, false: 1}[at.Equal(first)] {
				t.Errorf("%d touches planned a second before %s", n, hm(at))
			}
		})
	}
	h.env.SetTestTimeout(time.Minute)
	h.at(second.Add(time.Hour), func() { h.respond(second.Add(time.Hour), "call") })
	h.run(input(enrolled))
	want := []string{"0 call@" + hm(first), "1 visit@" + hm(second)}
	if got := h.planned(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("planned %v, want %v", got, want)
	}
	if n := len(h.of(customerc.ActivityWinBackResponses)); n != 2 {
		t.Errorf("asked for a missed response %d times, want once per touch", n)
	}
}
