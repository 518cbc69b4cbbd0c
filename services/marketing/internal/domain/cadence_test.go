package domain_test

import (
	"maps"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

func TestValidateCadence(t *testing.T) {
	day := 24 * time.Hour
	step := func(after time.Duration, action string) domain.Step { return domain.Step{After: after, Action: action} }
	twelve := make([]domain.Step, 12)
	for i := range twelve {
		twelve[i] = step(time.Duration(i)*day, domain.StepCall)
	}
	cases := []struct {
		name  string
		steps []domain.Step
		want  map[string]string
	}{
		{"call, visit, offer", []domain.Step{step(0, "call"), step(7*day, "visit"), step(21*day, "offer")}, nil},
		{"twelve steps", twelve, nil},
		{"thirteen steps", append(twelve[:12:12], step(30*day, "call")), map[string]string{"steps": "too_many"}},
		{"no step", nil, map[string]string{"steps": "required"}},
		{"negative offset", []domain.Step{step(-time.Hour, "call")}, map[string]string{"steps[0].after": "out_of_range"}},
		{"two at one offset", []domain.Step{step(0, "call"), step(day, "visit"), step(day, "offer")}, map[string]string{"steps[2].after": "not_increasing"}},
		{"going back", []domain.Step{step(2*day, "call"), step(day, "visit")}, map[string]string{"steps[1].after": "not_increasing"}},
		{"unknown action", []domain.Step{step(0, "call"), step(day, "sms")}, map[string]string{"steps[1].action": "invalid"}},
		{"every bad step at once", []domain.Step{step(day, "fax"), step(day, "call"), step(-day, "visit")}, map[string]string{
			"steps[0].action": "invalid", "steps[1].after": "not_increasing", "steps[2].after": "out_of_range"}},
	}
	for _, tc := range cases {
		if got := fields(t, domain.ValidateCadence(tc.steps)); !maps.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNextStep(t *testing.T) {
	day := 24 * time.Hour
	old := []domain.Step{{0, "call"}, {7 * day, "visit"}, {14 * day, "offer"}}
	cases := []struct {
		name  string
		done  int
		steps []domain.Step
		want  int
		more  bool
	}{
		{"not touched yet", 0, old, 0, true},
		{"after the visit", 2, old, 2, true},
		{"every step done", 3, old, 3, false},
		{"an empty cadence", 0, nil, 0, false},
		{"a negative count is none", -1, old, 0, true},
		// The visit moved from day 7 to day 10 after a customer had the call
		// and, on day 7, the visit: matched by offset the day-10 visit would
		// still be ahead of them; counted, the next touch is the offer.
		{"edited mid-flight: counted, not matched by offset", 2, []domain.Step{{0, "call"}, {10 * day, "visit"}, {20 * day, "offer"}}, 2, true},
		// Shortened below what was done: nothing left, nothing repeated.
		{"edited to fewer steps than done", 2, []domain.Step{{0, "call"}}, 2, false},
	}
	for _, tc := range cases {
		got, more := domain.NextStep(tc.done, tc.steps)
		if got != tc.want || more != tc.more {
			t.Errorf("%s: %d, %v; want %d, %v", tc.name, got, more, tc.want, tc.more)
		}
	}
}
