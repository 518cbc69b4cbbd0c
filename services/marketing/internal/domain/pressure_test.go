package domain_test

import (
	"maps"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestPressureValidate(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		p    domain.Pressure
		want map[string]string
	}{
		{domain.Pressure{MaxTouches: 1, Window: day}, nil},
		{domain.Pressure{MaxTouches: 100, Window: 365 * day}, nil},
		{domain.Pressure{MaxTouches: 0, Window: day}, map[string]string{"max_touches": "out_of_range"}},
		{domain.Pressure{MaxTouches: 101, Window: day}, map[string]string{"max_touches": "out_of_range"}},
		{domain.Pressure{MaxTouches: 3, Window: day - time.Second}, map[string]string{"window": "out_of_range"}},
		{domain.Pressure{MaxTouches: 3, Window: 366 * day}, map[string]string{"window": "out_of_range"}},
		{domain.Pressure{}, map[string]string{"max_touches": "out_of_range", "window": "out_of_range"}},
	}
	for _, tc := range cases {
		if got := fields(t, tc.p.Validate()); !maps.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestNextAllowed(t *testing.T) {
	day := 24 * time.Hour
	at := time.Date(2026, 5, 30, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return at.Add(-d) }
	three := domain.Pressure{MaxTouches: 3, Window: 30 * day}
	cases := []struct {
		name     string
		p        domain.Pressure
		previous []time.Time
		want     time.Time
		allowed  bool
	}{
		{"never touched", three, nil, at, true},
		{"two in the window", three, []time.Time{ago(1 * day), ago(10 * day)}, at, true},
		{"three in the window: the oldest must leave", three, []time.Time{ago(1 * day), ago(20 * day), ago(10 * day)}, ago(20 * day).Add(30 * day), false},
		{"one exactly a window ago is out", three, []time.Time{ago(1 * day), ago(2 * day), ago(30 * day)}, at, true},
		{"one a window less a nanosecond ago is in", three, []time.Time{ago(1 * day), ago(2 * day), ago(30*day - 1)}, at.Add(1), false},
		{"a touch at at itself counts", three, []time.Time{at, ago(2 * day), ago(3 * day)}, ago(3 * day).Add(30 * day), false},
		{"touches after at do not count", three, []time.Time{at.Add(time.Hour), at.Add(2 * time.Hour), ago(3 * day)}, at, true},
		{"five in the window: three must leave", three,
			[]time.Time{ago(1 * day), ago(5 * day), ago(9 * day), ago(13 * day), ago(17 * day)}, ago(9 * day).Add(30 * day), false},
		{"two at one instant", three, []time.Time{ago(4 * day), ago(4 * day), ago(1 * day)}, ago(4 * day).Add(30 * day), false},
		{"once a week", domain.Pressure{MaxTouches: 1, Window: 7 * day}, []time.Time{ago(2 * day)}, ago(2 * day).Add(7 * day), false},
		{"the zero pressure sets no limit", domain.Pressure{}, []time.Time{ago(1), ago(2), ago(3)}, at, true},
	}
	for _, tc := range cases {
		got, ok := tc.p.NextAllowed(tc.previous, at)
		if !got.Equal(tc.want) || ok != tc.allowed {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.allowed)
		}
		// At the instant it names, a touch is allowed.
		if again, ok := tc.p.NextAllowed(tc.previous, got); !ok || !again.Equal(got) {
			t.Errorf("%s: not allowed at %v after all", tc.name, got)
		}
		// Just before it, not.
		if !tc.allowed {
			if _, ok := tc.p.NextAllowed(tc.previous, got.Add(-1)); ok {
				t.Errorf("%s: allowed before %v", tc.name, got)
			}
		}
	}
}
