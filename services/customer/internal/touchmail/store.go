package touchmail

import (
	"context"

	"gorm.io/gorm"
)

// store reads the contacts of customers; it decides nothing.
type store struct{ db *gorm.DB }

// contacts returns the live contacts with an email of the live customers
// among ids, by customer, primary first, then by name.
func (s store) contacts(ctx context.Context, ids []string) (map[string][]Contact, error) {
	out := map[string][]Contact{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		CustomerID, Name, Email string
		IsPrimary               bool
	}
	err := s.db.WithContext(ctx).Table("contacts AS ct").
		Select("ct.customer_id, ct.name, ct.email, ct.is_primary").
		Joins("JOIN customers AS c ON c.id = ct.customer_id AND c.deleted_at IS NULL").
		Where("ct.customer_id IN ? AND ct.deleted_at IS NULL AND ct.email IS NOT NULL AND ct.email <> ''", ids).
		Order("ct.customer_id, ct.is_primary DESC, ct.name, ct.id").Scan(&rows).Error
	for _, r := range rows {
		out[r.CustomerID] = append(out[r.CustomerID], Contact{Name: r.Name, Email: r.Email, Primary: r.IsPrimary})
	}
	return out, err
}
