package adapters

import (
	"context"

	"github.com/closeloop/closeloop/platform/auth"
)

// SubjectNames are the names of the leads (their company) and opportunities
// a page of customer timeline events is about, by subject id.
type SubjectNames map[string]string

// CustomerTimeline returns up to limit+1 timeline events of the leads and
// opportunities filed under a customer that scope may see, newest first
// (at, id descending), after the position before when given.
func (s *Store) CustomerTimeline(ctx context.Context, scope auth.Scope, customerID string, limit int, before *Cursor) ([]Event, error) {
	db := s.db.WithContext(ctx)
	leads := ScopedLeads(db.Model(&Lead{}).Select("id").Where("customer_id = ?", customerID), scope, true)
	opps := ScopedLeads(db.Model(&Opportunity{}).Select("id").Where("customer_id = ?", customerID), scope, false)
	q := db.Where("(subject_type = 'lead' AND subject_id IN (?)) OR (subject_type = 'opportunity' AND subject_id IN (?))", leads, opps)
	if before != nil {
		q = q.Where("(at, id) < (?, ?)", before.At, before.ID)
	}
	var out []Event
	return out, q.Order("at DESC, id DESC").Limit(limit + 1).Find(&out).Error
}

// Names returns the company names of leads and the names of opportunities
// among ids.
func (s *Store) Names(ctx context.Context, leadIDs, opportunityIDs []string) (SubjectNames, error) {
	out := SubjectNames{}
	type row struct{ ID, Name string }
	var rows []row
	if len(leadIDs) > 0 {
		if err := s.db.WithContext(ctx).Model(&Lead{}).Select("id, company_name AS name").Where("id IN ?", leadIDs).Find(&rows).Error; err != nil {
			return nil, err
		}
	}
	if len(opportunityIDs) > 0 {
		var more []row
		if err := s.db.WithContext(ctx).Model(&Opportunity{}).Select("id, name").Where("id IN ?", opportunityIDs).Find(&more).Error; err != nil {
			return nil, err
		}
		rows = append(rows, more...)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}
