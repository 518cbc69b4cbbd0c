package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Every pair of states: nil where ChangeState moves the case, else the
// refusal. Resolved → open is Reopen's (TestReopenWindow).
var moves = map[string]map[string]error{
	domain.StateNew: {
		domain.StateNew: domain.ErrStateUnchanged, domain.StateOpen: nil, domain.StatePendingCustomer: domain.ErrOpenFirst,
		domain.StatePendingInternal: nil, domain.StateResolved: nil, domain.StateClosed: domain.ErrResolveFirst,
	},
	domain.StateOpen: {
		domain.StateNew: domain.ErrTransition, domain.StateOpen: domain.ErrStateUnchanged, domain.StatePendingCustomer: nil,
		domain.StatePendingInternal: nil, domain.StateResolved: nil, domain.StateClosed: domain.ErrResolveFirst,
	},
	domain.StatePendingCustomer: {
		domain.StateNew: domain.ErrTransition, domain.StateOpen: nil, domain.StatePendingCustomer: domain.ErrStateUnchanged,
		domain.StatePendingInternal: nil, domain.StateResolved: nil, domain.StateClosed: domain.ErrResolveFirst,
	},
	domain.StatePendingInternal: {
		domain.StateNew: domain.ErrTransition, domain.StateOpen: nil, domain.StatePendingCustomer: nil,
		domain.StatePendingInternal: domain.ErrStateUnchanged, domain.StateResolved: nil, domain.StateClosed: domain.ErrResolveFirst,
	},
	domain.StateResolved: {
		domain.StateNew: domain.ErrUseReopen, domain.StateOpen: domain.ErrUseReopen, domain.StatePendingCustomer: domain.ErrUseReopen,
		domain.StatePendingInternal: domain.ErrUseReopen, domain.StateResolved: domain.ErrStateUnchanged, domain.StateClosed: nil,
	},
	domain.StateClosed: {
		domain.StateNew: domain.ErrCaseClosed, domain.StateOpen: domain.ErrCaseClosed, domain.StatePendingCustomer: domain.ErrCaseClosed,
		domain.StatePendingInternal: domain.ErrCaseClosed, domain.StateResolved: domain.ErrCaseClosed, domain.StateClosed: domain.ErrCaseClosed,
	},
}

// effectsOf are the SLA effects of the allowed moves.
func effectsOf(from, to string) domain.Effects {
	return domain.Effects{
		Pauses:          to == domain.StatePendingCustomer,
		Resumes:         from == domain.StatePendingCustomer && to != domain.StateResolved,
		MeetsResolution: to == domain.StateResolved,
	}
}

func TestChangeStateEveryPair(t *testing.T) {
	if len(moves) != len(domain.States) {
		t.Fatalf("the table misses states: %d of %d", len(moves), len(domain.States))
	}
	at := t0.Add(2 * time.Hour)
	for _, from := range domain.States {
		for _, to := range domain.States {
			want, listed := moves[from][to]
			if !listed {
				t.Fatalf("%s → %s is not in the table", from, to)
			}
			t.Run(from+"→"+to, func(t *testing.T) {
				before := caseIn(from)
				got, es, eff, err := domain.ChangeState(before, domain.StateChange{To: to, Reason: "done", Actor: "svc-sun"}, at)
				if err := domain.CheckTransition(from, to); !errors.Is(err, want) || (want == nil && err != nil) {
					t.Errorf("CheckTransition: %v, want %v", err, want)
				}
				if want != nil {
					if !errors.Is(err, want) || got != before || es != nil || eff != (domain.Effects{}) {
						t.Fatalf("got %v (%+v, %v, %+v), want %v and nothing changed", err, got, es, eff, want)
					}
					return
				}
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				entry := domain.Entry{CaseID: before.ID, Kind: domain.KindStateChanged, Actor: "svc-sun", At: at, Visibility: domain.Internal,
					From: from, To: to, Reason: "done"}
				if got.State != to || !got.UpdatedAt.Equal(at) || len(es) != 1 || es[0] != entry {
					t.Errorf("case %+v, entries %+v", got, es)
				}
				if eff != effectsOf(from, to) {
					t.Errorf("effects %+v, want %+v", eff, effectsOf(from, to))
				}
				if to == domain.StateResolved && (got.ResolvedAt == nil || !got.ResolvedAt.Equal(at)) {
					t.Errorf("resolved_at %v", got.ResolvedAt)
				}
				if to == domain.StateClosed && (got.ClosedAt == nil || !got.ClosedAt.Equal(at) || got.ResolvedAt != before.ResolvedAt) {
					t.Errorf("closed_at %v, resolved_at %v", got.ClosedAt, got.ResolvedAt)
				}
			})
		}
	}
}

func TestChangeStateReasons(t *testing.T) {
	open := caseIn(domain.StateOpen)
	if got := fields(t, func() error {
		_, _, _, err := domain.ChangeState(open, domain.StateChange{To: domain.StateResolved, Actor: "svc-sun"}, t0)
		return err
	}()); got["reason"] != "required" {
		t.Errorf("resolved without saying what was done: %v", got)
	}
	if _, _, _, err := domain.ChangeState(open, domain.StateChange{To: domain.StatePendingInternal, Actor: "svc-sun"}, t0); err != nil {
		t.Errorf("a pause needs no reason: %v", err)
	}
	long := strings.Repeat("r", domain.MaxReason+1)
	if got := fields(t, func() error {
		_, _, _, err := domain.ChangeState(open, domain.StateChange{To: domain.StatePendingInternal, Reason: long}, t0)
		return err
	}()); got["reason"] != "too_long" {
		t.Errorf("a reason of %d characters: %v", domain.MaxReason+1, got)
	}
	if got := fields(t, func() error {
		_, _, _, err := domain.ChangeState(open, domain.StateChange{To: "archived"}, t0)
		return err
	}()); got["state"] != "invalid" {
		t.Errorf("an unknown state: %v", got)
	}
}

func TestReopenWindow(t *testing.T) {
	window := 72 * time.Hour
	resolved := caseIn(domain.StateResolved)
	end := resolved.ResolvedAt.Add(window)
	cases := []struct {
		name   string
		c      domain.Case
		reason string
		window time.Duration
		now    time.Time
		want   error
	}{
		{"just after resolving", resolved, "still broken", window, *resolved.ResolvedAt, nil},
		{"on the last instant of the window", resolved, "still broken", window, end, nil},
		{"just after the window", resolved, "still broken", window, end.Add(time.Microsecond), domain.ErrReopenWindowPassed},
		{"long after the window", resolved, "still broken", window, end.Add(30 * 24 * time.Hour), domain.ErrReopenWindowPassed},
		{"no window at all", resolved, "still broken", 0, *resolved.ResolvedAt, domain.ErrReopenWindowPassed},
		{"a closed case", caseIn(domain.StateClosed), "still broken", window, t0, domain.ErrCaseClosed},
		{"an open case", caseIn(domain.StateOpen), "still broken", window, t0, domain.ErrTransition},
		{"a pending case", caseIn(domain.StatePendingCustomer), "still broken", window, t0, domain.ErrTransition},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, es, eff, err := domain.Reopen(c.c, c.reason, "svc-sun", c.window, c.now)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if c.want != nil {
				if got != c.c || es != nil {
					t.Errorf("a refusal changed the case: %+v", got)
				}
				return
			}
			want := domain.Entry{CaseID: c.c.ID, Kind: domain.KindStateChanged, Actor: "svc-sun", At: c.now, Visibility: domain.Internal,
				From: domain.StateResolved, To: domain.StateOpen, Reason: c.reason}
			if got.State != domain.StateOpen || got.ResolvedAt != nil || got.ReopenedCount != 1 || len(es) != 1 || es[0] != want || eff != (domain.Effects{Reopens: true}) {
				t.Errorf("case %+v, entries %+v, effects %+v", got, es, eff)
			}
		})
	}
	if got := fields(t, func() error { _, _, _, err := domain.Reopen(resolved, " ", "svc-sun", window, t0); return err }()); got["reason"] != "required" {
		t.Errorf("reopened without a reason: %v", got)
	}
	// The message of a refusal after the window says what to do.
	_, _, _, err := domain.Reopen(resolved, "x", "svc-sun", window, end.Add(time.Hour))
	if msg := fmt.Sprint(err); !strings.Contains(msg, "follow-on") {
		t.Errorf("refusal %q does not point to a follow-on case", msg)
	}
	// Reopened twice: counted twice.
	again, _, _, _ := domain.Reopen(resolved, "x", "svc-sun", window, t0.Add(2*time.Hour))
	again, _, _, _ = domain.ChangeState(again, domain.StateChange{To: domain.StateResolved, Reason: "fixed", Actor: "svc-sun"}, t0.Add(3*time.Hour))
	again, _, _, err = domain.Reopen(again, "x", "svc-sun", window, t0.Add(4*time.Hour))
	if err != nil || again.ReopenedCount != 2 {
		t.Errorf("reopened twice: %d, %v", again.ReopenedCount, err)
	}
}

func TestAutoClose(t *testing.T) {
	after := 5 * 24 * time.Hour
	resolved := caseIn(domain.StateResolved)
	due := resolved.ResolvedAt.Add(after)
	cases := []struct {
		name    string
		c       domain.Case
		now     time.Time
		want    error
		closes  bool
		entries int
	}{
		{"just before the period", resolved, due.Add(-time.Microsecond), domain.ErrCloseNotDue, false, 0},
		{"when the period ends", resolved, due, nil, true, 1},
		{"later", resolved, due.Add(time.Hour), nil, true, 1},
		{"already closed: nothing", caseIn(domain.StateClosed), due, nil, false, 0},
		{"reopened since: a stale timer", caseIn(domain.StateOpen), due, domain.ErrResolveFirst, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, es, err := domain.AutoClose(c.c, after, c.now)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if len(es) != c.entries {
				t.Fatalf("entries %+v", es)
			}
			if !c.closes {
				if got != c.c {
					t.Errorf("changed: %+v", got)
				}
				return
			}
			if got.State != domain.StateClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(c.now) || es[0].Actor != domain.WorkflowActor ||
				es[0].From != domain.StateResolved || es[0].To != domain.StateClosed || es[0].Reason != "closed automatically 120h0m0s after resolution" {
				t.Errorf("case %+v, entry %+v", got, es[0])
			}
		})
	}
}

func TestActive(t *testing.T) {
	for _, s := range domain.States {
		want := s != domain.StateResolved && s != domain.StateClosed
		if domain.Active(s) != want {
			t.Errorf("Active(%s) = %v", s, !want)
		}
	}
}
