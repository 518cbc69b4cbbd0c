// The managers' views of follow-ups: keyset pages of overdue and open
// follow-ups, and the overdue counts per owner and team.

package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Keyset is a position in a list ordered by due time, then id.
type Keyset struct {
	Due time.Time
	ID  string
}

func filtered(q *gorm.DB, f domain.Filter) *gorm.DB {
	if f.Team != "" {
		q = q.Where("team = ?", f.Team)
	}
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Territory != "" {
		q = q.Where("territory = ?", f.Territory)
	}
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if f.DueBefore != nil {
		q = q.Where("due_at < ?", f.DueBefore.UTC())
	}
	return q
}

// Visible restricts a managers' view of follow-ups to what the caller may see
// there (domain.FollowUp.VisibleTo): what Scoped allows, and for a manager
// also the follow-ups their teams asked for once the ladder escalated to
// them (requester_team, requester_escalated_at). For open rows each half is a
// range over a partial index: (team, due_at, id) and, holding only the rows
// escalated to a requester, (requester_team, due_at, id).
func Visible(q *gorm.DB, s auth.Scope) *gorm.DB {
	if s.All || s.OwnerID != "" || len(s.Teams) == 0 {
		return Scoped(q, s, "")
	}
	return q.Where("(team IN ? OR (requester_team IN ? AND requester_escalated_at IS NOT NULL))", s.Teams, s.Teams)
}

// overdue is the open follow-ups visible in scope matching f (its lateness
// bucket included) that are overdue at instant at: ranges over the partial
// indexes of open rows.
func (r *FollowUps) overdue(ctx context.Context, scope auth.Scope, f domain.Filter, at time.Time) *gorm.DB {
	q := r.db.WithContext(ctx).Model(&followUpRow{}).Where("closed_at IS NULL AND due_at < ?", at)
	q = filtered(Visible(q, scope), f)
	if b, ok := domain.BucketNamed(f.Lateness); ok {
		q = q.Where("due_at < ?", at.Add(-b.From))
		if b.To != 0 {
			q = q.Where("due_at >= ?", at.Add(-b.To))
		}
	}
	return q
}

func page(q *gorm.DB, after *Keyset, limit int) ([]domain.FollowUp, error) {
	if after != nil {
		q = q.Where("(due_at, id) > (?, ?)", after.Due, after.ID)
	}
	var rows []followUpRow
	err := q.Order("due_at, id").Limit(limit).Find(&rows).Error
	return followUps(rows), err
}

// Overdue returns up to limit follow-ups visible in scope matching f that
// are overdue at instant at, most late first, after the keyset position.
func (r *FollowUps) Overdue(ctx context.Context, scope auth.Scope, f domain.Filter, at time.Time, after *Keyset, limit int) ([]domain.FollowUp, error) {
	return page(r.overdue(ctx, scope, f, at), after, limit)
}

// List returns up to limit follow-ups visible in scope matching f (open
// ones, escalated ones, closed ones or all, by f.State), soonest due first,
// after the keyset position. A rep's open list due before an instant is a
// range over the partial index of open rows by owner (owner_id, due_at, id).
func (r *FollowUps) List(ctx context.Context, scope auth.Scope, f domain.Filter, after *Keyset, limit int) ([]domain.FollowUp, error) {
	q := filtered(Visible(r.db.WithContext(ctx).Model(&followUpRow{}), scope), f)
	switch f.State {
	case "", "open":
		q = q.Where("closed_at IS NULL")
	case domain.StateEscalated:
		q = q.Where("closed_at IS NULL AND state = ?", domain.StateEscalated)
	case "closed":
		q = q.Where("closed_at IS NOT NULL")
	}
	return page(q, after, limit)
}

// OverdueGroup counts one owner's overdue follow-ups.
type OverdueGroup struct {
	Team, OwnerID      string
	Overdue, Escalated int64
	Oldest             time.Time
	// ByLateness counts them per lateness bucket (domain.Buckets).
	ByLateness map[string]int64
}

// OverdueGroups counts the follow-ups visible in scope matching f that are
// overdue at instant at, per team and owner.
func (r *FollowUps) OverdueGroups(ctx context.Context, scope auth.Scope, f domain.Filter, at time.Time) ([]OverdueGroup, error) {
	var rows []struct {
		Team, OwnerID string
		N, Escalated  int64
		Oldest        db.AggTime
		B1, B2, B3    int64
	}
	b := domain.Buckets
	d1, d3, d7 := at.Add(-b[0].To), at.Add(-b[1].To), at.Add(-b[2].To)
	err := r.overdue(ctx, scope, f, at).
		Select(`team, owner_id, COUNT(*) AS n, SUM(CASE WHEN state = 'escalated' THEN 1 ELSE 0 END) AS escalated, MIN(due_at) AS oldest,
			SUM(CASE WHEN due_at >= ? THEN 1 ELSE 0 END) AS b1,
			SUM(CASE WHEN due_at < ? AND due_at >= ? THEN 1 ELSE 0 END) AS b2,
			SUM(CASE WHEN due_at < ? AND due_at >= ? THEN 1 ELSE 0 END) AS b3`, d1, d1, d3, d3, d7).
		Group("team, owner_id").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]OverdueGroup, len(rows))
	for i, r := range rows {
		out[i] = OverdueGroup{Team: r.Team, OwnerID: r.OwnerID, Overdue: r.N, Escalated: r.Escalated, Oldest: r.Oldest.T,
			ByLateness: map[string]int64{b[0].Name: r.B1, b[1].Name: r.B2, b[2].Name: r.B3, b[3].Name: r.N - r.B1 - r.B2 - r.B3}}
	}
	return out, nil
}
