// The managers' on-time statistics.

package app

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// OnTimeCounts are the counts of follow-ups closed in a period (or a whole
// range): all closed ones and those closed by their due time, with the
// share; and the same split into done and cancelled.
type OnTimeCounts struct {
	Closed       int64 `json:"closed"`
	ClosedOnTime int64 `json:"closed_on_time"`
	// OnTimeShare is closed_on_time / closed, from 0 to 1; null when
	// nothing was closed.
	OnTimeShare *float64 `json:"on_time_share"`
	Done        int64    `json:"done"`
	DoneOnTime  int64    `json:"done_on_time"`
	Cancelled   int64    `json:"cancelled"`
}

func onTimeCounts(c domain.OnTime) OnTimeCounts {
	return OnTimeCounts{Closed: c.Closed, ClosedOnTime: c.ClosedOnTime, OnTimeShare: c.Share(), Done: c.Done, DoneOnTime: c.DoneOnTime, Cancelled: c.Cancelled}
}

// StatsPeriod is one period of the statistics: a week (label 2026-W14, ISO
// week) or a month (2026-04), cut to the range asked for: [start, end), in
// the time zone asked for.
type StatsPeriod struct {
	Label string    `json:"label"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// OnTimePeriod is one team's counts in one period.
type OnTimePeriod struct {
	Label        string    `json:"label"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Closed       int64     `json:"closed"`
	ClosedOnTime int64     `json:"closed_on_time"`
	OnTimeShare  *float64  `json:"on_time_share"`
	Done         int64     `json:"done"`
	DoneOnTime   int64     `json:"done_on_time"`
	Cancelled    int64     `json:"cancelled"`
}

// OnTimeTeam is one team's statistics: the counts over the whole range and
// per period (every period of the range, in order, zeros included).
type OnTimeTeam struct {
	Team    string         `json:"team"`
	Total   OnTimeCounts   `json:"total"`
	Periods []OnTimePeriod `json:"periods"`
}

// OnTimeStats is the body of GET /v1/follow-ups/stats/on-time.
type OnTimeStats struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Bucket string    `json:"bucket"`
	TZ     string    `json:"tz"`
	// Periods are the range's periods, in order.
	Periods []StatsPeriod `json:"periods"`
	// Teams are the teams in scope with a follow-up closed in the range, by name.
	Teams []OnTimeTeam `json:"teams"`
	// Total counts every team's follow-ups over the whole range.
	Total OnTimeCounts `json:"total"`
}

// OnTimeStats counts the follow-ups in the caller's scope closed in the
// range, per team and period: how many closed, how many by their due time.
// The scope is the overdue views' (managers their teams, reps their own,
// analysts and admins all); team narrows it.
func (s *FollowUps) OnTimeStats(ctx context.Context, in domain.StatsInput) (OnTimeStats, error) {
	p, err := auth.Authorize(ctx, auth.PermFollowupsRead)
	if err != nil {
		return OnTimeStats{}, err
	}
	q, err := domain.ParseStatsQuery(in)
	if err != nil {
		return OnTimeStats{}, err
	}
	periods := q.Periods()
	groups, err := s.store.OnTimeGroups(ctx, p.Scope(), q.Team, periods)
	if err != nil {
		return OnTimeStats{}, err
	}
	out := OnTimeStats{From: q.From.In(q.Loc), To: q.To.In(q.Loc), Bucket: q.Bucket, TZ: q.Loc.String(),
		Periods: make([]StatsPeriod, len(periods)), Teams: []OnTimeTeam{}}
	for i, pr := range periods {
		out.Periods[i] = StatsPeriod{Label: pr.Label, Start: pr.Start, End: pr.End}
	}
	byTeam := map[string][]domain.OnTime{}
	for _, g := range groups {
		if g.Period < 0 || g.Period >= len(periods) {
			continue
		}
		if byTeam[g.Team] == nil {
			byTeam[g.Team] = make([]domain.OnTime, len(periods))
		}
		byTeam[g.Team][g.Period].Add(g.OnTime)
	}
	var total domain.OnTime
	for team, counts := range byTeam {
		t := OnTimeTeam{Team: team, Periods: make([]OnTimePeriod, len(periods))}
		var sum domain.OnTime
		for i, c := range counts {
			sum.Add(c)
			v := onTimeCounts(c)
			t.Periods[i] = OnTimePeriod{Label: periods[i].Label, Start: periods[i].Start, End: periods[i].End, Closed: v.Closed, ClosedOnTime: v.ClosedOnTime,
				OnTimeShare: v.OnTimeShare, Done: v.Done, DoneOnTime: v.DoneOnTime, Cancelled: v.Cancelled}
		}
		t.Total = onTimeCounts(sum)
		total.Add(sum)
		out.Teams = append(out.Teams, t)
	}
	slices.SortFunc(out.Teams, func(a, b OnTimeTeam) int { return cmp.Compare(a.Team, b.Team) })
	out.Total = onTimeCounts(total)
	return out, nil
}
