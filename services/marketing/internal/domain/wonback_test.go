package domain_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestWonBackAt(t *testing.T) {
	enrolled := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	window := 90 * 24 * time.Hour
	end := enrolled.Add(window)
	at := func(t time.Time) *time.Time { return &t }
	cases := []struct {
		name        string
		already     *time.Time
		firstWon    *time.Time
		transacting bool
		now         time.Time
		want        *time.Time
	}{
		{"nothing happened", nil, nil, false, end, nil},
		{"won within the window", nil, at(enrolled.Add(time.Hour)), false, end.Add(time.Hour), at(enrolled.Add(time.Hour))},
		{"won at the window's last instant", nil, at(end), false, end.Add(time.Hour), at(end)},
		{"won a second after the window", nil, at(end.Add(time.Second)), false, end.Add(time.Hour), nil},
		{"won before the enrolment", nil, at(enrolled.Add(-time.Second)), false, end, nil},
		{"transacting again within the window", nil, nil, true, enrolled.Add(24 * time.Hour), at(enrolled.Add(24 * time.Hour))},
		{"transacting again only after the window", nil, nil, true, end.Add(time.Second), nil},
		{"once won back it stays", at(enrolled.Add(time.Minute)), nil, false, end.Add(time.Hour), at(enrolled.Add(time.Minute))},
	}
	for _, tc := range cases {
		got := domain.WonBackAt(enrolled, window, tc.already, tc.firstWon, tc.transacting, tc.now)
		if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
