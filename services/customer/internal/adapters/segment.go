package adapters

import (
	"context"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// SegmentPage returns up to p.Limit+1 live customers of the segment p
// plans, after p.AfterID in id order, and — with p.WithCount — how many
// customers the whole segment holds. It translates the plan into one query
// and decides nothing: what the filter means is domain.PlanSegment's.
//
// The page is a range scan in id order from the cursor: along
// ix_customers_stage_id when the plan names one lifecycle stage, else along
// the primary key, the other conditions filtered on the way; a walk through
// every page reads each live customer once.
func (s *Store) SegmentPage(ctx context.Context, p domain.SegmentPlan) ([]CustomerRecord, int64, error) {
	db := s.db.WithContext(ctx)
	var total int64
	if p.WithCount {
		if err := segment(db.Model(&CustomerRecord{}), p).Count(&total).Error; err != nil {
			return nil, 0, err
		}
	}
	var rows []CustomerRecord
	if err := SegmentQuery(db, p).Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	return rows, total, nil
}

// SegmentQuery is the query of a segment page on q: the plan's live
// customers after its cursor, in id order, one more than its limit (so the
// caller can tell a page is not the last).
func SegmentQuery(q *gorm.DB, p domain.SegmentPlan) *gorm.DB {
	q = segment(q, p)
	if p.AfterID != "" {
		q = q.Where("id > ?", p.AfterID)
	}
	return q.Order("id").Limit(p.Limit + 1)
}

// segment restricts q to the live customers the plan selects.
func segment(q *gorm.DB, p domain.SegmentPlan) *gorm.DB {
	q = q.Where("deleted_at IS NULL")
	for _, in := range []struct {
		col  string
		vals []string
	}{
		{"value_class", p.ValueClasses}, {"lifecycle_stage", p.LifecycleStages}, {"relationship_stage", p.RelationshipStages},
		{"region", p.Regions}, {"industry", p.Industries}, {"owner_id", p.OwnerIDs}, {"team", p.Teams}, {"id", p.IDs},
	} {
		switch len(in.vals) {
		case 0:
		case 1: // "=" lets the planner range-scan (lifecycle_stage, id)
			q = q.Where(in.col+" = ?", in.vals[0])
		default:
			q = q.Where(in.col+" IN ?", in.vals)
		}
	}
	var contact []string
	var args []any
	if p.LastContactAtMost != nil {
		contact, args = append(contact, "last_contact_at <= ?"), append(args, *p.LastContactAtMost)
	}
	if p.LastContactAfter != nil {
		contact, args = append(contact, "last_contact_at > ?"), append(args, *p.LastContactAfter)
	}
	if len(contact) > 0 || !p.NeverContacted {
		known := "last_contact_at IS NOT NULL"
		for _, c := range contact {
			known += " AND " + c
		}
		if p.NeverContacted {
			q = q.Where("(last_contact_at IS NULL OR ("+known+"))", args...)
		} else {
			q = q.Where(known, args...)
		}
	}
	if p.LostAtMost != nil {
		q = q.Where("lost_at <= ?", *p.LostAtMost)
	}
	return standing(q, p)
}

// standingOf is the subquery of a customer's stored standing.
const standingOf = "SELECT 1 FROM customer_standings st WHERE st.customer_id = customers.id"

// standing restricts q to the customers whose stored standing the plan's
// loyalty and satisfaction filters keep.
func standing(q *gorm.DB, p domain.SegmentPlan) *gorm.DB {
	if len(p.Levels) > 0 {
		if p.WithoutStanding {
			q = q.Where("(NOT EXISTS ("+standingOf+") OR EXISTS ("+standingOf+" AND st.loyalty_level IN ?))", p.Levels)
		} else {
			q = q.Where("EXISTS ("+standingOf+" AND st.loyalty_level IN ?)", p.Levels)
		}
	}
	if p.SatisfactionAtLeast != nil || p.SatisfactionAtMost != nil {
		cond, args := standingOf+" AND st.csat_average IS NOT NULL", []any{}
		if p.SatisfactionAtLeast != nil {
			cond, args = cond+" AND st.csat_average >= ?", append(args, *p.SatisfactionAtLeast)
		}
		if p.SatisfactionAtMost != nil {
			cond, args = cond+" AND st.csat_average <= ?", append(args, *p.SatisfactionAtMost)
		}
		q = q.Where("EXISTS ("+cond+")", args...)
	}
	return q
}
