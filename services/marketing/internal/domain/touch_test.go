package domain_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestTouchAction(t *testing.T) {
	for ch, want := range map[string]string{"phone_call": "call", "visit": "visit", "event": "event", "email": "email"} {
		if got := domain.TouchAction([]string{ch, "phone_call"}); got != want {
			t.Errorf("%s: %s, want %s", ch, got, want)
		}
	}
}

func TestTouchIDIsStable(t *testing.T) {
	a := domain.TouchID("c1", "k1", 0)
	if a != domain.TouchID("c1", "k1", 0) || a == domain.TouchID("c1", "k1", 1) || a == domain.TouchID("c2", "k1", 0) {
		t.Fatal("a touch id names one campaign, customer and step")
	}
}

func TestLimits(t *testing.T) {
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	limits := domain.Limits{{MaxTouches: 1, Window: 3 * day}, {MaxTouches: 2, Window: 14 * day}}
	cases := []struct {
		name     string
		previous []time.Time
		want     time.Time
		ok       bool
	}{
		{"no touch before", nil, at, true},
		{"one four days ago", []time.Time{at.Add(-4 * day)}, at, true},
		{"one a day ago: the 3-day limit", []time.Time{at.Add(-day)}, at.Add(2 * day), false},
		{"two within 14 days: the 14-day limit", []time.Time{at.Add(-10 * day), at.Add(-5 * day)}, at.Add(4 * day), false},
		{"both limits: the later wins", []time.Time{at.Add(-13 * day), at.Add(-day)}, at.Add(2 * day), false},
	}
	for _, tc := range cases {
		got, ok := limits.NextAllowed(tc.previous, at)
		if !got.Equal(tc.want) || ok != tc.ok {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if limits.Longest() != 14*day {
		t.Error("longest window")
	}
}
