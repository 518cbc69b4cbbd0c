package adapters

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// The recipient parts of the slip of the outer query (slips).
const slipPart = "EXISTS (SELECT 1 FROM slip_recipients sr WHERE sr.slip_id = slips.id AND "

// List returns a page of the slips scope sees that f selects, newest first
// (created_at, id descending), after the position after (nil: from the
// newest). The roles are the caller's (scope): sent — originated by them;
// received — with a part of theirs; team — with a part of a team they
// manage. The filter is checked by the caller (domain.SlipFilter.Check).
func (r *Slips) List(ctx context.Context, scope domain.SlipScope, f domain.SlipFilter, after *Cursor, limit int) (Page[domain.Slip], error) {
	if (f.Role == domain.SlipRoleSent || f.Role == domain.SlipRoleReceived) && scope.UserID == "" ||
		f.Role == domain.SlipRoleTeam && len(scope.Teams) == 0 {
		return Page[domain.Slip]{}, nil // nobody's slips, no team's
	}
	q := slipScoped(r.db.WithContext(ctx).Model(&slipRow{}), scope)
	part := func(cond string, args ...any) {
		if f.RecipientState != "" {
			cond, args = cond+" AND sr.state = ?", append(args, f.RecipientState)
		}
		q = q.Where(slipPart+cond+")", args...)
	}
	switch f.Role {
	case domain.SlipRoleSent:
		q = q.Where("originator_id = ?", scope.UserID)
		if f.RecipientState != "" {
			part("1 = 1")
		}
	case domain.SlipRoleReceived:
		part("sr.user_id = ?", scope.UserID)
	case domain.SlipRoleTeam:
		part("sr.team IN ?", scope.Teams)
	default:
		if f.RecipientState != "" {
			part("1 = 1")
		}
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.CustomerID != "" {
		q = q.Where("customer_id = ?", f.CustomerID)
	}
	if after != nil {
		q = q.Where("(created_at, id) < (?, ?)", after.At.UTC(), after.ID)
	}
	limit = clamp(limit)
	var rows []slipRow
	if err := q.Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[domain.Slip]{}, err
	}
	var p Page[domain.Slip]
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		p.Next = &Cursor{At: last.CreatedAt.UTC(), ID: last.ID}
	}
	items, err := slipsOf(r.db.WithContext(ctx), rows)
	p.Items = items
	return p, err
}

// slipScoped restricts a query of slips to those scope sees — the SQL of
// domain.SlipScope.Sees: sent or received by the caller, or with the
// originator's team or a recipient's team one the caller manages.
func slipScoped(q *gorm.DB, s domain.SlipScope) *gorm.DB {
	if s.All {
		return q
	}
	var conds []string
	var args []any
	if s.UserID != "" {
		conds = append(conds, "originator_id = ?", slipPart+"sr.user_id = ?)")
		args = append(args, s.UserID, s.UserID)
	}
	var teams []string
	for _, t := range s.Teams {
		if t != "" {
			teams = append(teams, t)
		}
	}
	if len(teams) > 0 {
		conds = append(conds, "EXISTS (SELECT 1 FROM slip_originator_teams st WHERE st.slip_id = slips.id AND st.team IN ?)", slipPart+"sr.team IN ?)")
		args = append(args, teams, teams)
	}
	if len(conds) == 0 {
		return q.Where("1 = 0")
	}
	return q.Where("("+strings.Join(conds, " OR ")+")", args...)
}

// Timeline returns a page of a slip's entries in order (at, id ascending),
// after the position after. It does not check that the slip exists or is in
// the caller's scope: the caller has read the slip first.
func (r *Slips) Timeline(ctx context.Context, id string, after *Cursor, limit int) (Page[domain.SlipEntry], error) {
	q := r.db.WithContext(ctx).Where("slip_id = ?", id)
	if after != nil {
		q = q.Where("(at, id) > (?, ?)", after.At.UTC(), after.ID)
	}
	limit = clamp(limit)
	var rows []slipEntryRow
	if err := q.Order("at, id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[domain.SlipEntry]{}, err
	}
	var p Page[domain.SlipEntry]
	for i, row := range rows {
		if i == limit {
			last := p.Items[limit-1]
			p.Next = &Cursor{At: last.At, ID: last.ID}
			break
		}
		e := domain.SlipEntry(row)
		e.At = e.At.UTC()
		p.Items = append(p.Items, e)
	}
	return p, nil
}
