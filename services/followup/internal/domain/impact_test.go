package domain_test

import (
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

func elapsedTimer(d time.Duration) *policy.Timer {
	return &policy.Timer{Duration: policy.Duration(d), Clock: policy.ClockCalendar}
}

func TestImpactOfATimer(t *testing.T) {
	at := t0.Add(48 * time.Hour)
	def := policy.Definition{Name: "deadline", Shape: policy.ShapeTimer}
	cand := domain.Candidate{Def: def, Value: policy.Value{Timer: elapsedTimer(36 * time.Hour)}} // due at anchor+36h: 12h ago
	for _, c := range []struct {
		name string
		f    domain.FollowUp
		want domain.Impact
	}{
		{"overdue now and under the candidate, due earlier",
			domain.FollowUp{Policy: "deadline", AnchorAt: t0, DueAt: t0.Add(40 * time.Hour)},
			domain.Impact{Open: 1, OverdueNow: 1, OverdueCandidate: 1, DueEarlier: 1}},
		{"newly overdue",
			domain.FollowUp{Policy: "deadline", AnchorAt: t0, DueAt: t0.Add(50 * time.Hour)},
			domain.Impact{Open: 1, OverdueCandidate: 1, NewlyOverdue: 1, DueEarlier: 1}},
		{"no longer overdue, due within the hour",
			domain.FollowUp{Policy: "deadline", AnchorAt: t0.Add(12*time.Hour + 30*time.Minute), DueAt: t0.Add(47 * time.Hour)},
			domain.Impact{Open: 1, OverdueNow: 1, NoLongerOverdue: 1, DueLater: 1, DueWithin1h: 1, DueWithin24h: 1, DueWithin7d: 1,
				NextDueAt: ptr(at.Add(30 * time.Minute))}},
		{"unchanged, due in two days",
			domain.FollowUp{Policy: "deadline", AnchorAt: t0.Add(60 * time.Hour), DueAt: t0.Add(96 * time.Hour)},
			domain.Impact{Open: 1, DueWithin7d: 1, NextDueAt: ptr(t0.Add(96 * time.Hour))}},
		{"escalated by the policy only: its due time stays",
			domain.FollowUp{Policy: "other", EscalationPolicy: "deadline", AnchorAt: t0, DueAt: t0.Add(50 * time.Hour)},
			domain.Impact{Open: 1, DueWithin1h: 0, DueWithin24h: 1, DueWithin7d: 1, NextDueAt: ptr(t0.Add(50 * time.Hour))}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := domain.NewImpact("north")
			if !got.AddFollowUp(cand, c.f, at, domain.CalendarSet{}) {
				t.Fatal("skipped")
			}
			c.want.Team, c.want.EscalateNow = "north", map[string]int{}
			if !sameImpact(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func sameImpact(a, b domain.Impact) bool {
	eqT := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	if len(a.EscalateNow) != len(b.EscalateNow) {
		return false
	}
	for k, v := range a.EscalateNow {
		if b.EscalateNow[k] != v {
			return false
		}
	}
	na, nb := a, b
	na.EscalateNow, nb.EscalateNow, na.NextDueAt, nb.NextDueAt, na.NextEscalationAt, nb.NextEscalationAt = nil, nil, nil, nil, nil, nil
	return eqT(a.NextDueAt, b.NextDueAt) && eqT(a.NextEscalationAt, b.NextEscalationAt) && sameCounts(na, nb)
}

func sameCounts(a, b domain.Impact) bool {
	return a.Team == b.Team && a.Open == b.Open && a.OverdueNow == b.OverdueNow && a.OverdueCandidate == b.OverdueCandidate &&
		a.NewlyOverdue == b.NewlyOverdue && a.NoLongerOverdue == b.NoLongerOverdue && a.DueEarlier == b.DueEarlier && a.DueLater == b.DueLater &&
		a.DueWithin1h == b.DueWithin1h && a.DueWithin24h == b.DueWithin24h && a.DueWithin7d == b.DueWithin7d
}

func TestImpactSkipsWhatItCannotCompute(t *testing.T) {
	at := t0.Add(time.Hour)
	table := domain.Candidate{Def: policy.Definition{Name: "table", Shape: policy.ShapeTable},
		Value: policy.Value{Table: map[string]policy.Timer{"A": *elapsedTimer(time.Hour)}}}
	business := domain.Candidate{Def: policy.Definition{Name: "biz", Shape: policy.ShapeTimer},
		Value: policy.Value{Timer: &policy.Timer{Duration: policy.Duration(8 * time.Hour), Clock: policy.ClockBusiness, Calendar: "gone"}}}
	for _, c := range []struct {
		name string
		cand domain.Candidate
		f    domain.FollowUp
	}{
		{"a table without the follow-up's key", table, domain.FollowUp{Policy: "table", PolicyKey: "B", AnchorAt: t0, DueAt: at}},
		{"a business calendar that no longer exists", business, domain.FollowUp{Policy: "biz", AnchorAt: t0, DueAt: at}},
	} {
		got := domain.NewImpact("")
		if got.AddFollowUp(c.cand, c.f, at, domain.CalendarSet{}) || got.Open != 0 {
			t.Errorf("%s: counted %+v", c.name, got)
		}
	}
}

func TestImpactOfALadder(t *testing.T) {
	week := calendar.Weekdays(calendar.Range{Start: calendar.At(9, 0), End: calendar.At(17, 0)})
	cal, err := calendar.New(calendar.Spec{Name: "standard", TimeZone: "UTC", Week: week, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	cals := domain.CalendarSet{Calendars: map[string]*calendar.Calendar{"standard": cal},
		Assignments: []domain.Assignment{{Scope: "default", Calendar: "standard"}}}
	ladder := domain.Candidate{Def: policy.Definition{Name: "ladder", Shape: policy.ShapeLadder}, Value: policy.Value{Ladder: &policy.Ladder{
		Clock: policy.ClockBusiness, Steps: []policy.Step{
			{After: policy.Duration(time.Hour), Action: "remind"},
			{After: policy.Duration(4 * time.Hour), Action: "escalate_manager"},
			{After: policy.Duration(16 * time.Hour), Action: "reassign"},
		}}}}
	// Due Monday 2 March 09:00; at 14:00 the first two steps are due.
	at := t0.Add(5 * time.Hour)
	for _, c := range []struct {
		name   string
		level  int
		now    map[string]int
		nextAt time.Time
	}{
		{"none taken yet", 0, map[string]int{"remind": 1, "escalate_manager": 1}, t0.Add(24*time.Hour + 8*time.Hour)},
		{"the reminder taken", 1, map[string]int{"escalate_manager": 1}, t0.Add(24*time.Hour + 8*time.Hour)},
		{"both taken", 2, map[string]int{}, t0.Add(24*time.Hour + 8*time.Hour)},
	} {
		got := domain.NewImpact("north")
		f := domain.FollowUp{Policy: "deadline", EscalationPolicy: "ladder", EscalationLevel: c.level, Team: "north", AnchorAt: t0.Add(-time.Hour), DueAt: t0}
		if !got.AddFollowUp(ladder, f, at, cals) {
			t.Fatalf("%s: skipped", c.name)
		}
		want := domain.Impact{Team: "north", Open: 1, OverdueNow: 1, OverdueCandidate: 1, EscalateNow: c.now, NextEscalationAt: &c.nextAt}
		if !sameImpact(got, want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", c.name, got, want)
		}
	}
}

func TestImpactAdd(t *testing.T) {
	early, late := t0, t0.Add(time.Hour)
	total := domain.NewImpact("")
	total.Add(domain.Impact{Open: 2, OverdueNow: 1, DueWithin7d: 1, EscalateNow: map[string]int{"remind": 1}, NextDueAt: &late})
	total.Add(domain.Impact{Open: 1, DueLater: 1, EscalateNow: map[string]int{"remind": 2, "reassign": 1}, NextDueAt: &early, NextEscalationAt: &late})
	want := domain.Impact{Open: 3, OverdueNow: 1, DueLater: 1, DueWithin7d: 1, EscalateNow: map[string]int{"remind": 3, "reassign": 1},
		NextDueAt: &early, NextEscalationAt: &late}
	if !sameImpact(total, want) {
		t.Errorf("got  %+v\nwant %+v", total, want)
	}
}
