package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

func TestCheckLifecycleChange(t *testing.T) {
	for name, tc := range map[string]struct {
		to, reason, competitor string
		want                   []string
	}{
		"lost to a competitor":       {"lost", "price", "Rival Steel", nil},
		"lost without a competitor":  {"lost", "price", "", nil},
		"a competitor when not lost": {"prospect", "call back", "Rival Steel", []string{"competitor:not_allowed"}},
		"a blank competitor":         {"lost", "price", "   ", []string{"competitor:invalid"}},
		"two lines":                  {"lost", "price", "Rival\nSteel", []string{"competitor:invalid"}},
		"too long":                   {"lost", "price", strings.Repeat("x", 101), []string{"competitor:too_long"}},
		"100 characters":             {"lost", "price", strings.Repeat("钢", 100), nil},
		"no reason":                  {"lost", " ", "", []string{"reason:required"}},
		"unknown stage":              {"won", "x", "", []string{"to:invalid"}},
	} {
		t.Run(name, func(t *testing.T) {
			var v apperr.Validation
			CheckLifecycleChange(&v, tc.to, tc.reason, tc.competitor)
			if tc.want == nil {
				if err := v.Err(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := fields(t, v.Err()); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("fields %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLostAfter(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	l := LostAfter(StageLost, " price ", " Rival Steel ", at)
	if l.At == nil || !l.At.Equal(at) || l.Reason != "price" || l.Competitor != "Rival Steel" {
		t.Fatalf("lost: %+v", l)
	}
	for _, s := range []LifecycleStage{StageLead, StageProspect, StageTransacting, StageService} {
		if l := LostAfter(s, "won back", "", at); l != (Lost{}) {
			t.Errorf("%s keeps a loss: %+v", s, l)
		}
	}
}
