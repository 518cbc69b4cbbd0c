// The managers' on-time statistics: closed follow-ups counted per team and
// period in one grouped query.

package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// OnTimeGroup counts one team's follow-ups closed in one period.
type OnTimeGroup struct {
	Team   string
	Period int // index into the periods asked for
	domain.OnTime
}

// OnTimeGroups counts the follow-ups in scope (and of team, when set) closed
// within the periods — consecutive, [Start, End) each — per team and period:
// closed, closed by their due time, done, done by their due time, cancelled.
//
// One query: the range is a scan of a partial index of closed rows —
// (closed_at, team, due_at, state) for everything, (team, closed_at, due_at,
// state) for a manager's teams, both covering, and (owner_id, closed_at) for
// a rep — and each row's period is a CASE over the periods' ends, which the
// domain computed in the caller's time zone (domain.StatsQuery.Periods), so
// PostgreSQL and SQLite bucket alike.
func (r *FollowUps) OnTimeGroups(ctx context.Context, scope auth.Scope, team string, periods []domain.Period) ([]OnTimeGroup, error) {
	if len(periods) == 0 {
		return nil, nil
	}
	var sb strings.Builder
	args := make([]any, 0, len(periods)+1)
	sb.WriteString("CASE")
	for i, p := range periods[:len(periods)-1] {
		sb.WriteString(" WHEN closed_at < ? THEN " + strconv.Itoa(i))
		args = append(args, p.End.UTC())
	}
	sb.WriteString(" ELSE " + strconv.Itoa(len(periods)-1) + " END AS period")
	from, to := periods[0].Start.UTC(), periods[len(periods)-1].End.UTC()
	q := r.db.WithContext(ctx).Model(&followUpRow{}).
		Where("closed_at IS NOT NULL AND closed_at >= ? AND closed_at < ?", from, to)
	q = Scoped(q, scope, "")
	if team != "" {
		q = q.Where("team = ?", team)
	}
	var rows []struct {
		Team                        string
		Period                      int
		Closed, ClosedOnTime        int64
		Done, DoneOnTime, Cancelled int64
	}
	err := q.Select(`team, `+sb.String()+`,
			COUNT(*) AS closed,
			SUM(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END) AS closed_on_time,
			SUM(CASE WHEN state = ? THEN 1 ELSE 0 END) AS done,
			SUM(CASE WHEN state = ? AND closed_at <= due_at THEN 1 ELSE 0 END) AS done_on_time,
			SUM(CASE WHEN state = ? THEN 1 ELSE 0 END) AS cancelled`,
		append(args, domain.StateDone, domain.StateDone, domain.StateCancelled)...).
		Group("team, period").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]OnTimeGroup, len(rows))
	for i, g := range rows {
		out[i] = OnTimeGroup{Team: g.Team, Period: g.Period, OnTime: domain.OnTime{Closed: g.Closed, ClosedOnTime: g.ClosedOnTime,
			Done: g.Done, DoneOnTime: g.DoneOnTime, Cancelled: g.Cancelled}}
	}
	return out, nil
}
