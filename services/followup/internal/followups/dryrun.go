package followups

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Impact is what a candidate policy would do to one team's open follow-ups
// (or, in Totals, to all of them), measured at one instant.
type Impact struct {
	Team string `json:"team,omitempty"`
	// Open follow-ups the policy times or escalates.
	Open int `json:"open"`
	// Overdue now, and overdue at once if the candidate were applied.
	OverdueNow       int `json:"overdue_now"`
	OverdueCandidate int `json:"overdue_candidate"`
	NewlyOverdue     int `json:"newly_overdue"`
	NoLongerOverdue  int `json:"no_longer_overdue"`
	// Due times that move earlier or later.
	DueEarlier int `json:"due_earlier"`
	DueLater   int `json:"due_later"`
	// When the not-yet-overdue ones fall due under the candidate.
	DueWithin1h  int `json:"due_within_1h"`
	DueWithin24h int `json:"due_within_24h"`
	DueWithin7d  int `json:"due_within_7d"`
	// Escalation steps the candidate would carry out at once (steps now due
	// that have not been taken), by action; and the next step's time.
	EscalateNow      map[string]int `json:"escalate_now"`
	NextEscalationAt *time.Time     `json:"next_escalation_at,omitempty"`
	NextDueAt        *time.Time     `json:"next_due_at,omitempty"`
}

// DryRun is the answer of a what-if: nothing was changed.
type DryRun struct {
	Policy   string          `json:"policy"`
	At       time.Time       `json:"at"`
	Active   app.VersionView `json:"active"`
	Changes  []policy.Change `json:"changes"`
	Totals   Impact          `json:"totals"`
	ByTeam   []Impact        `json:"by_team"`
	Skipped  int             `json:"skipped"`
	Messages []string        `json:"messages,omitempty"`
}

// DryRunPolicy reports, without changing anything, what applying the value
// to a policy now would do to the open follow-ups it times or escalates.
func (s *Service) DryRunPolicy(ctx context.Context, name string, raw json.RawMessage) (DryRun, error) {
	c, active, err := s.policies.Candidate(ctx, name, raw)
	if err != nil {
		return DryRun{}, err
	}
	def, cand := c.Def, c.Value
	cur, err := policy.Parse(active.Value)
	if err != nil {
		return DryRun{}, apperr.Internal(err)
	}
	cals, err := s.policies.LoadCalendars(ctx)
	if err != nil {
		return DryRun{}, err
	}
	at := now()
	out := DryRun{Policy: name, At: at, Active: active, Changes: policy.Diff(cur, cand), Totals: Impact{EscalateNow: map[string]int{}}, ByTeam: []Impact{}}
	if out.Changes == nil {
		out.Changes = []policy.Change{}
	}
	teams := map[string]*Impact{}
	after := ""
	for {
		var rows []Row
		q := s.db.WithContext(ctx).Where("closed_at IS NULL AND (policy = ? OR escalation_policy = ?)", name, name)
		if after != "" {
			q = q.Where("id > ?", after)
		}
		if err := q.Order("id").Limit(5000).Find(&rows).Error; err != nil {
			return DryRun{}, err
		}
		for _, r := range rows {
			t := teams[r.Team]
			if t == nil {
				t = &Impact{Team: r.Team, EscalateNow: map[string]int{}}
				teams[r.Team] = t
			}
			if !impact(def, cand, r, at, cals, t) {
				out.Skipped++
			}
		}
		if len(rows) < 5000 {
			break
		}
		after = rows[len(rows)-1].ID
	}
	for _, t := range teams {
		out.ByTeam = append(out.ByTeam, *t)
		add(&out.Totals, *t)
	}
	sort.Slice(out.ByTeam, func(i, j int) bool { return out.ByTeam[i].Team < out.ByTeam[j].Team })
	if out.Skipped > 0 {
		out.Messages = append(out.Messages, "some follow-ups use a calendar that no longer exists and were left out")
	}
	return out, nil
}

func add(dst *Impact, t Impact) {
	dst.Open += t.Open
	dst.OverdueNow += t.OverdueNow
	dst.OverdueCandidate += t.OverdueCandidate
	dst.NewlyOverdue += t.NewlyOverdue
	dst.NoLongerOverdue += t.NoLongerOverdue
	dst.DueEarlier += t.DueEarlier
	dst.DueLater += t.DueLater
	dst.DueWithin1h += t.DueWithin1h
	dst.DueWithin24h += t.DueWithin24h
	dst.DueWithin7d += t.DueWithin7d
	for k, v := range t.EscalateNow {
		dst.EscalateNow[k] += v
	}
	dst.NextEscalationAt = earliest(dst.NextEscalationAt, t.NextEscalationAt)
	dst.NextDueAt = earliest(dst.NextDueAt, t.NextDueAt)
}

func earliest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

// impact adds one follow-up's effect to t; false when it cannot be computed.
func impact(def policy.Definition, cand policy.Value, r Row, at time.Time, cals domain.CalendarSet, t *Impact) bool {
	due := r.DueAt
	if r.Policy == def.Name && def.Shape != policy.ShapeLadder {
		timer, ok := cand.TimerFor(r.PolicyKey)
		if !ok {
			return false
		}
		cal := cals.For(timer.Calendar, r.Team, r.Territory)
		if timer.Clock == policy.ClockBusiness && cal == nil {
			return false
		}
		d, err := timer.Due(r.AnchorAt, cal)
		if err != nil {
			return false
		}
		due = d
	}
	t.Open++
	nowOver, candOver := r.DueAt.Before(at), due.Before(at)
	if nowOver {
		t.OverdueNow++
	}
	if candOver {
		t.OverdueCandidate++
	}
	switch {
	case candOver && !nowOver:
		t.NewlyOverdue++
	case nowOver && !candOver:
		t.NoLongerOverdue++
	}
	switch {
	case due.Before(r.DueAt):
		t.DueEarlier++
	case due.After(r.DueAt):
		t.DueLater++
	}
	if !candOver {
		in := due.Sub(at)
		if in <= time.Hour {
			t.DueWithin1h++
		}
		if in <= 24*time.Hour {
			t.DueWithin24h++
		}
		if in <= 7*24*time.Hour {
			t.DueWithin7d++
		}
		d := due
		t.NextDueAt = earliest(t.NextDueAt, &d)
	}
	if r.EscalationPolicy == def.Name && cand.Ladder != nil {
		l := cand.Ladder
		cal := cals.For(l.Calendar, r.Team, r.Territory)
		if l.Clock == policy.ClockBusiness && cal == nil {
			return true
		}
		reached, err := l.StepsReached(due, at, cal)
		if err != nil {
			return true
		}
		for i := r.EscalationLevel; i < reached; i++ {
			t.EscalateNow[string(l.Steps[i].Action)]++
		}
		if next := max(reached, r.EscalationLevel); next < len(l.Steps) {
			if when, err := l.StepTime(due, next, cal); err == nil {
				t.NextEscalationAt = earliest(t.NextEscalationAt, &when)
			}
		}
	}
	return true
}
