package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

var (
	t0  = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	due = t0.Add(24 * time.Hour)
)

func ptr[T any](v T) *T { return &v }

func code(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func fields(err error) string {
	var e *apperr.Error
	if !errors.As(err, &e) {
		return ""
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+":"+f.Code)
	}
	return strings.Join(out, ",")
}

func opened(t *testing.T) domain.FollowUp {
	t.Helper()
	f, err := domain.Open(domain.Opening{ID: "f1", Kind: "callback", Team: "north", OpenedBy: "rep-ana", AnchorAt: t0, DueAt: due,
		Policy: "followup.callback_deadline", PolicyVersion: 3, EscalationPolicy: "followup.callback_escalation_ladder", EscalationPolicyVersion: 2}, t0)
	if err != nil {
		t.Fatal(err)
	}
	f.Pending = nil // as loaded
	return f
}

func TestOpen(t *testing.T) {
	cases := []struct {
		name       string
		in         domain.Opening
		wantErr    string
		wantTitle  string
		wantDetail string
	}{
		{"needs an id", domain.Opening{AnchorAt: t0, DueAt: due}, "invalid", "", ""},
		{"needs a due time", domain.Opening{ID: "f", AnchorAt: t0}, "invalid", "", ""},
		{"needs an anchor", domain.Opening{ID: "f", DueAt: due}, "invalid", "", ""},
		{"without a policy", domain.Opening{ID: "f", AnchorAt: t0, DueAt: due, Title: "call back", OpenedBy: "rep-ana"}, "", "call back",
			"due 2026-03-03T09:00:00Z"},
		{"with its policy", domain.Opening{ID: "f", AnchorAt: t0, DueAt: due, Policy: "p", PolicyVersion: 4}, "", "", "due 2026-03-03T09:00:00Z by p v4"},
		{"title cut to 300 runes", domain.Opening{ID: "f", AnchorAt: t0, DueAt: due, Title: strings.Repeat("é", 301)}, "", strings.Repeat("é", 300),
			"due 2026-03-03T09:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := domain.Open(c.in, t0)
			if code(err) != c.wantErr {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if f.State != domain.StateOpen || f.Title != c.wantTitle || !f.CreatedAt.Equal(t0) || !f.UpdatedAt.Equal(t0) || f.Closed() {
				t.Errorf("opened %+v", f)
			}
			if len(f.Pending) != 1 || f.Pending[0] != (domain.Event{FollowUpID: "f", Action: "opened", Actor: c.in.OpenedBy, Detail: c.wantDetail, At: t0}) {
				t.Errorf("history %+v", f.Pending)
			}
		})
	}
}

func TestChangeDeadline(t *testing.T) {
	later := due.Add(2 * time.Hour)
	next := later.Add(time.Hour)
	ch := domain.DeadlineChange{DueAt: later, NextStepAt: &next, PolicyVersion: 4, EscalationPolicyVersion: 3, Calendar: "standard", CalendarVersion: 2, Reason: "policy v4"}
	cases := []struct {
		name    string
		closed  bool
		applies bool
	}{
		{"open: applied", false, true},
		{"closed: a late retry changes nothing", true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := opened(t)
			f.EscalationLevel = 1
			if c.closed {
				f.ClosedAt = &t0
			}
			before := f
			at := t0.Add(time.Hour)
			f.ChangeDeadline(ch, at)
			if !c.applies {
				if len(f.Pending) != 0 || !f.DueAt.Equal(before.DueAt) || f.PolicyVersion != before.PolicyVersion {
					t.Fatalf("changed a closed follow-up: %+v", f)
				}
				return
			}
			if !f.DueAt.Equal(later) || f.NextStepAt != &next || f.PolicyVersion != 4 || f.EscalationPolicyVersion != 3 || f.Calendar != "standard" ||
				f.CalendarVersion != 2 || !f.UpdatedAt.Equal(at) {
				t.Errorf("after: %+v", f)
			}
			want := domain.Event{FollowUpID: "f1", Action: "deadline_changed", Level: 1, Actor: "workflow",
				Detail: "due 2026-03-03T09:00:00Z → 2026-03-03T11:00:00Z (policy v4)", At: at}
			if len(f.Pending) != 1 || f.Pending[0] != want {
				t.Errorf("history %+v", f.Pending)
			}
		})
	}
}

// A retried activity — the service died after storing the change and
// before reporting it done — finds the change made (its times as the
// database keeps them, to the microsecond) and records nothing more; a
// change that differs in anything is recorded.
func TestChangeDeadlineRetriedIsRecordedOnce(t *testing.T) {
	later := due.Add(2*time.Hour + 1500*time.Nanosecond)
	next := later.Add(time.Hour)
	ch := domain.DeadlineChange{DueAt: later, NextStepAt: &next, PolicyVersion: 4, EscalationPolicyVersion: 3, Calendar: "standard", CalendarVersion: 2, Reason: "policy v4"}
	stored := func(tm time.Time) *time.Time { tm = tm.Truncate(time.Microsecond); return &tm }
	f := opened(t)
	f.ChangeDeadline(ch, t0.Add(time.Hour))
	f.DueAt, f.NextStepAt = *stored(f.DueAt), stored(*f.NextStepAt)
	f.ChangeDeadline(ch, t0.Add(2*time.Hour))
	if len(f.Pending) != 1 {
		t.Fatalf("the retried change recorded %d events: %+v", len(f.Pending), f.Pending)
	}
	differs := map[string]func(*domain.DeadlineChange){
		"due":        func(c *domain.DeadlineChange) { c.DueAt = c.DueAt.Add(time.Minute) },
		"next step":  func(c *domain.DeadlineChange) { c.NextStepAt = nil },
		"policy":     func(c *domain.DeadlineChange) { c.PolicyVersion++ },
		"escalation": func(c *domain.DeadlineChange) { c.EscalationPolicyVersion++ },
		"calendar":   func(c *domain.DeadlineChange) { c.Calendar = "cn-mainland" },
		"calendar v": func(c *domain.DeadlineChange) { c.CalendarVersion++ },
	}
	for name, change := range differs {
		t.Run(name, func(t *testing.T) {
			g := f
			g.Pending = nil
			c := ch
			change(&c)
			g.ChangeDeadline(c, t0.Add(3*time.Hour))
			if len(g.Pending) != 1 || g.Pending[0].Action != "deadline_changed" {
				t.Fatalf("a different change (%s) recorded %+v", name, g.Pending)
			}
		})
	}
}

func TestRecordStepLevelsOnlyGoUp(t *testing.T) {
	ran := due.Add(10 * time.Minute)
	next := due.Add(4 * time.Hour)
	at := due.Add(time.Hour)
	cases := []struct {
		name      string
		level     int // current
		closed    bool
		step      domain.Step
		applies   bool
		state     string
		escalated bool
		detail    string
		eventAt   time.Time
	}{
		{"a reminder leaves it open", 0, false, domain.Step{Level: 1, Action: "remind", ScheduledAt: due, RanAt: &ran, NextStepAt: &next},
			true, domain.StateOpen, false, "step remind", ran},
		{"escalating to the managers", 1, false, domain.Step{Level: 2, Action: "escalate_manager", ScheduledAt: due},
			true, domain.StateEscalated, true, "escalated to the managers of team north", at},
		{"a reassignment escalates", 0, false, domain.Step{Level: 1, Action: "reassign", ScheduledAt: due, RanAt: &ran},
			true, domain.StateEscalated, true, "step reassign", ran},
		{"returning to the pool escalates", 0, false, domain.Step{Level: 1, Action: "return_to_pool", ScheduledAt: due},
			true, domain.StateEscalated, true, "step return_to_pool", at},
		{"the same level again (a retry) changes nothing", 2, false, domain.Step{Level: 2, Action: "escalate_manager", ScheduledAt: due}, false, "", false, "", time.Time{}},
		{"a lower level changes nothing", 2, false, domain.Step{Level: 1, Action: "remind", ScheduledAt: due}, false, "", false, "", time.Time{}},
		{"a closed one changes nothing", 0, true, domain.Step{Level: 1, Action: "remind", ScheduledAt: due}, false, "", false, "", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := opened(t)
			f.EscalationLevel = c.level
			if c.closed {
				f.ClosedAt, f.State = &t0, domain.StateDone
			}
			before := f
			f.RecordStep(c.step, at)
			if !c.applies {
				if len(f.Pending) != 0 || f.EscalationLevel != before.EscalationLevel || f.State != before.State {
					t.Fatalf("changed: %+v", f)
				}
				return
			}
			if f.EscalationLevel != c.step.Level || f.LastAction != c.step.Action || f.State != c.state || f.NextStepAt != c.step.NextStepAt || !f.UpdatedAt.Equal(at) {
				t.Errorf("after: %+v", f)
			}
			if (f.EscalatedAt != nil) != c.escalated || (c.escalated && !f.EscalatedAt.Equal(at)) {
				t.Errorf("escalated_at %v", f.EscalatedAt)
			}
			e := f.Pending[0]
			if len(f.Pending) != 1 || e.Action != c.step.Action || e.Level != c.step.Level || e.Actor != "workflow" || e.Detail != c.detail ||
				!e.At.Equal(c.eventAt) || e.ScheduledAt == nil || !e.ScheduledAt.Equal(due) {
				t.Errorf("history %+v", f.Pending)
			}
		})
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	at := due.Add(-time.Hour)
	long := strings.Repeat("ü", 2001) // 2001 runes, 4002 bytes
	cases := []struct {
		name      string
		closed    bool
		in        domain.Closing
		wantErr   string
		applies   bool
		by        string
		closedAt  time.Time
		note      string
		detailLen int
	}{
		{"done by a person", false, domain.Closing{State: domain.StateDone, By: "rep-ana", Note: "called", At: &at}, "", true, "rep-ana", at, "called", 6},
		{"cancelled by the workflow, now", false, domain.Closing{State: domain.StateCancelled}, "", true, "workflow", due, "", 0},
		{"the note and its history entry are cut to 2000 runes", false, domain.Closing{State: domain.StateDone, Note: long}, "", true, "workflow", due,
			strings.Repeat("ü", 2000), 4000},
		{"another state is refused", false, domain.Closing{State: "escalated"}, "invalid", false, "", time.Time{}, "", 0},
		{"an invalid state is refused even when closed", true, domain.Closing{State: ""}, "invalid", false, "", time.Time{}, "", 0},
		{"closing a closed one changes nothing", true, domain.Closing{State: domain.StateCancelled, By: "mgr-mia"}, "", false, "", time.Time{}, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := opened(t)
			f.EscalationLevel = 2
			next := due
			f.NextStepAt = &next
			if c.closed {
				f.ClosedAt, f.State = &t0, domain.StateDone
			}
			before := f
			err := f.Close(c.in, due)
			if code(err) != c.wantErr {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if !c.applies {
				if len(f.Pending) != 0 || f.State != before.State || f.ClosedAt != before.ClosedAt {
					t.Fatalf("changed: %+v", f)
				}
				return
			}
			if f.State != c.in.State || !f.ClosedAt.Equal(c.closedAt) || *f.ClosedBy != c.by || f.CloseNote != c.note || f.NextStepAt != nil || !f.UpdatedAt.Equal(due) {
				t.Errorf("after: %+v", f)
			}
			e := f.Pending[0]
			if len(f.Pending) != 1 || e.Action != c.in.State || e.Level != 2 || e.Actor != c.by || !e.At.Equal(c.closedAt) || len(e.Detail) != c.detailLen {
				t.Errorf("history %+v", e)
			}
			if err := f.CheckOpen(); code(err) != "already_closed" || !strings.Contains(err.Error(), "already "+c.in.State) {
				t.Errorf("CheckOpen after closing: %v", err)
			}
		})
	}
}

func TestCheckNote(t *testing.T) {
	for _, c := range []struct {
		note string
		want string
	}{{"", ""}, {strings.Repeat("中", 2000), ""}, {strings.Repeat("a", 2001), "note:too_long"}} {
		if got := fields(domain.CheckNote(c.note)); got != c.want {
			t.Errorf("%d runes: %q, want %q", len([]rune(c.note)), got, c.want)
		}
	}
}

func TestEventLateBy(t *testing.T) {
	for _, c := range []struct {
		name      string
		at        time.Time
		scheduled *time.Time
		want      string
	}{
		{"not a step", due, nil, ""},
		{"on time", due, &due, "0s"},
		{"late", due.Add(90 * time.Second), &due, "1m30s"},
		{"early counts as on time", due.Add(-time.Minute), &due, "0s"},
	} {
		if got := (domain.Event{At: c.at, ScheduledAt: c.scheduled}).LateBy(); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 3, "abc"}, {"abcd", 3, "abc"}, {"日本語テキスト", 3, "日本語"}, {"", 3, ""}} {
		if got := domain.Truncate(c.in, c.n); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
