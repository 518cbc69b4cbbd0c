package adapters

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// ValueTotals sums the value scores of all live customers.
func (s *Store) ValueTotals(ctx context.Context) (total float64, count int64, err error) {
	var r struct {
		Total float64
		N     int64
	}
	err = s.db.WithContext(ctx).Model(&CustomerRecord{}).Where("deleted_at IS NULL").
		Select("COALESCE(SUM(value_score), 0) AS total, COUNT(*) AS n").Scan(&r).Error
	return r.Total, r.N, err
}

// ABCPosition is a keyset position in (value_score DESC, id DESC) order.
type ABCPosition struct {
	Value float64
	ID    string
	Set   bool
}

// ABCPage is the outcome of classifying one page.
type ABCPage struct {
	Scanned         int
	Changed         int
	CumulativeAfter float64
	Next            ABCPosition
	Done            bool
	Counts          map[string]int64
}

type abcRow struct {
	ID         string
	ValueScore float64
	ValueClass string
}

// ClassifyPage classifies the next page of live customers in value order and
// stores the class changes with one audit entry each, in one transaction. It is
// idempotent: re-running a page after a crash finds nothing left to change.
func (s *Store) ClassifyPage(ctx context.Context, runID string, t domain.Thresholds, total, cumBefore float64, after ABCPosition, limit int, actor string) (ABCPage, error) {
	page := ABCPage{Counts: map[string]int64{}}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&CustomerRecord{}).Select("id, value_score, value_class").Where("deleted_at IS NULL")
		if after.Set {
			q = q.Where("(value_score, id) < (?, ?)", after.Value, after.ID)
		}
		var rows []abcRow
		if err := q.Order("value_score DESC, id DESC").Limit(limit).Scan(&rows).Error; err != nil {
			return err
		}
		cum := cumBefore
		byClass := map[domain.ValueClass][]string{}
		var audits []AuditRecord
		at := now()
		for _, r := range rows {
			class := domain.Classify(cum, r.ValueScore, total, t)
			cum += r.ValueScore
			page.Counts[string(class)]++
			if string(class) == r.ValueClass {
				continue
			}
			byClass[class] = append(byClass[class], r.ID)
			changes, _ := json.Marshal([]FieldChange{{Field: "value_class", Before: r.ValueClass, After: string(class)}})
			audits = append(audits, AuditRecord{
				ID: NewID(), CustomerID: r.ID, EntityType: "customer", EntityID: r.ID, Action: "reclassify",
				Actor: actor, Reason: "ABC reclassification run " + runID, Changes: string(changes), TraceID: traceID(ctx), At: at,
			})
		}
		for class, ids := range byClass {
			for start := 0; start < len(ids); start += 500 {
				end := min(start+500, len(ids))
				// UpdateColumns leaves updated_at alone: it records the last edit by a
				// person, and touching it (it is indexed) would defeat HOT updates.
				if err := tx.Model(&CustomerRecord{}).Where("id IN ?", ids[start:end]).
					UpdateColumns(map[string]any{"value_class": string(class), "classified_at": at, "version": gorm.Expr("version + 1")}).Error; err != nil {
					return err
				}
			}
		}
		if len(audits) > 0 {
			if err := tx.CreateInBatches(audits, 500).Error; err != nil {
				return err
			}
		}
		page.Scanned = len(rows)
		page.Changed = len(audits)
		page.CumulativeAfter = cum
		page.Done = len(rows) < limit
		if len(rows) > 0 {
			last := rows[len(rows)-1]
			page.Next = ABCPosition{Value: last.ValueScore, ID: last.ID, Set: true}
		} else {
			page.Next = after
		}
		return nil
	})
	return page, err
}

// WalkValues calls fn for every live customer in value order (value_score
// DESC, id DESC) with its score and current class, page by page inside one
// read-only transaction, so a dry run sees one consistent population. It
// writes nothing.
func (s *Store) WalkValues(ctx context.Context, pageSize int, fn func(score float64, class string)) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var after *abcRow
		for {
			q := tx.Model(&CustomerRecord{}).Select("id, value_score, value_class").Where("deleted_at IS NULL")
			if after != nil {
				q = q.Where("(value_score, id) < (?, ?)", after.ValueScore, after.ID)
			}
			var rows []abcRow
			if err := q.Order("value_score DESC, id DESC").Limit(pageSize).Scan(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				fn(r.ValueScore, r.ValueClass)
			}
			if len(rows) < pageSize {
				return nil
			}
			after = &rows[len(rows)-1]
		}
	})
}
