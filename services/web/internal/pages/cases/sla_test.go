package cases

import (
	"slices"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
)

func TestTargetsAsOfNow(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	ms := func(d time.Duration) *int { v := int(d / time.Millisecond); return &v }

	cases := []struct {
		what   string
		v      serviceapi.SLAView
		status string
		left   time.Duration
		stale  bool
	}{
		{"an elapsed-time target counts down to now", serviceapi.SLAView{Target: s("first_response"), State: s("running"),
			DueAt: at(3 * time.Hour), RemainingMs: ms(4 * time.Hour), AsOf: at(-time.Hour)}, StatusRunning, 3 * time.Hour, false},
		{"a business target keeps the service's time left, said as of when it was counted", serviceapi.SLAView{Target: s("resolution"),
			State: s("running"), Business: b(true), DueAt: at(48 * time.Hour), RemainingMs: ms(200 * time.Minute), AsOf: at(-time.Hour)},
			StatusRunning, 200 * time.Minute, true},
		{"a fresh business count is not said as of", serviceapi.SLAView{Target: s("resolution"), State: s("running"), Business: b(true),
			DueAt: at(48 * time.Hour), RemainingMs: ms(200 * time.Minute), AsOf: at(-time.Minute)}, StatusRunning, 200 * time.Minute, false},
		{"at risk as the service says", serviceapi.SLAView{State: s("running"), AtRisk: b(true), DueAt: at(time.Hour), AsOf: &now},
			StatusAtRisk, time.Hour, false},
		{"at risk once past the warning point, just after it", serviceapi.SLAView{State: s("running"), WarnAt: at(-time.Nanosecond),
			DueAt: at(time.Hour), AsOf: &now}, StatusAtRisk, time.Hour, false},
		{"not at risk just before the warning point", serviceapi.SLAView{State: s("running"), WarnAt: at(time.Nanosecond),
			DueAt: at(time.Hour), AsOf: &now}, StatusRunning, time.Hour, false},
		{"a running target past its deadline is missed", serviceapi.SLAView{State: s("running"), DueAt: at(0), AsOf: at(-time.Hour)},
			StatusBreached, 0, false},
		{"paused keeps its budget", serviceapi.SLAView{State: s("paused"), Business: b(true), RemainingMs: ms(90 * time.Minute),
			AsOf: at(-5 * time.Hour)}, StatusPaused, 90 * time.Minute, false},
		{"met", serviceapi.SLAView{State: s("met"), MetAt: at(-time.Hour)}, StatusMet, 0, false},
	}
	for _, c := range cases {
		got := targetOf(c.v, now)
		if got.Status != c.status || got.Left != c.left || got.Stale != c.stale {
			t.Errorf("%s: %s left %v stale %v, want %s %v %v", c.what, got.Status, got.Left, got.Stale, c.status, c.left, c.stale)
		}
	}
}

func TestWorstTarget(t *testing.T) {
	now := time.Now()
	due := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	ts := []Target{{Name: "first_response", Status: StatusMet}, {Name: "resolution", Status: StatusRunning, Due: due(time.Hour)}}
	if w, _ := Worst(ts); w.Name != "resolution" {
		t.Fatalf("a running target is worse than a met one: %+v", w)
	}
	ts = append(ts, Target{Name: "x", Status: StatusRunning, Due: due(time.Minute)})
	if w, _ := Worst(ts); w.Name != "x" {
		t.Fatalf("of two running, the one due first: %+v", w)
	}
	ts = append(ts, Target{Name: "y", Status: StatusAtRisk, Due: due(2 * time.Hour)}, Target{Name: "z", Status: StatusBreached})
	if w, _ := Worst(ts); w.Name != "z" {
		t.Fatalf("a missed target is the worst: %+v", w)
	}
	if _, ok := Worst(nil); ok {
		t.Fatal("no targets, no worst")
	}
	got := Targets(&[]serviceapi.SLAView{{Target: ptr("resolution")}, {Target: ptr("first_response")}}, now)
	if got[0].Name != "first_response" {
		t.Fatalf("first response comes first: %+v", got)
	}
}

func TestMovesAreTheWorkflowsRules(t *testing.T) {
	for state, want := range map[string][]string{
		"new":              {"open", "pending_internal", "resolved"},
		"open":             {"pending_customer", "pending_internal", "resolved"},
		"pending_customer": {"open", "pending_internal", "resolved"},
		"resolved":         {"closed"},
		"closed":           nil,
	} {
		if got := Moves(state); !slices.Equal(got, want) {
			t.Errorf("moves from %s: %v, want %v", state, got, want)
		}
	}
}
