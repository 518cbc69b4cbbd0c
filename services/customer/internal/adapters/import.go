package adapters

import (
	"context"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// Bulk storage for imports: the live customers a batch's keys could
// duplicate, found in one query per kind of key (not one per row), and the
// batch's customers inserted with their contacts, audit entries and stage
// history in multi-row INSERTs — the rows CreateCustomer writes for one
// customer, written for many.

// inList bounds the values of one IN list, well under the bind-parameter
// limits of PostgreSQL (65,535) and SQLite (32,766).
const inList = 5000

// Insert batch sizes: rows per INSERT, each under the bind-parameter limits
// (customers have 27 columns).
const (
	customerBatch = 500
	rowBatch      = 1000
)

// FindDuplicates returns the live customers with one of these normalised
// names or tax ids, and those with a live contact of one of these normalised
// emails, as a domain.ExistingIndex.
func FindDuplicates(tx *gorm.DB, names, taxIDs, emails []string) (*domain.ExistingIndex, error) {
	x := domain.NewExistingIndex()
	// names and taxIDs are at most one per row; split them alike.
	for start := 0; start < max(len(names), len(taxIDs)); start += inList {
		n, t := part(names, start), part(taxIDs, start)
		var rows []dupRow
		q := tx.Model(&CustomerRecord{}).Select("id, owner_id, team, normalized_name, tax_id").Where("deleted_at IS NULL")
		switch {
		case len(n) > 0 && len(t) > 0:
			q = q.Where("normalized_name IN ? OR tax_id IN ?", n, t)
		case len(n) > 0:
			q = q.Where("normalized_name IN ?", n)
		default:
			q = q.Where("tax_id IN ?", t)
		}
		if err := q.Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			x.AddCustomer(r.ID, r.OwnerID, r.Team, r.NormalizedName, deref(r.TaxID))
		}
	}
	for start := 0; start < len(emails); start += inList {
		var rows []struct{ Email, ID, OwnerID, Team string }
		err := tx.Table("contacts AS k").Joins("JOIN customers c ON c.id = k.customer_id").
			Select("k.email, c.id, c.owner_id, c.team").
			Where("k.deleted_at IS NULL AND c.deleted_at IS NULL AND k.email IN ?", part(emails, start)).
			Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			x.AddEmail(r.Email, r.ID, r.OwnerID, r.Team)
		}
	}
	return x, nil
}

func part(s []string, start int) []string {
	if start >= len(s) {
		return nil
	}
	return s[start:min(start+inList, len(s))]
}

// NewCustomer is one customer of a bulk insert with its contacts.
type NewCustomer struct {
	Customer CustomerRecord
	Contacts []ContactRecord
}

// InsertCustomers writes the customers inside tx as CreateCustomer writes
// one: the customer (version 1, created by actor, the care cadence counting
// from now), its contacts, a "create" audit entry for it and a
// "contact_create" one per contact, and the first lifecycle stage in the
// stage history. The caller has ruled out duplicates; when a concurrent
// create took a key since, the unique indexes refuse the batch and
// InsertCustomers returns domain.ErrDuplicate with tx rolled back to before
// the batch (still usable), so the caller can look again and retry.
func (s *Store) InsertCustomers(ctx context.Context, tx *gorm.DB, batch []NewCustomer, actor string) error {
	if len(batch) == 0 {
		return nil
	}
	t := now()
	customers := make([]CustomerRecord, len(batch))
	var contacts []ContactRecord
	audits := make([]AuditRecord, 0, len(batch))
	stages := make([]StageChangeRecord, len(batch))
	for i, nc := range batch {
		c := nc.Customer
		c.CreatedAt, c.UpdatedAt, c.Version, c.CreatedBy = t, t, 1, actor
		if c.CareFrom.IsZero() {
			c.CareFrom = t
		}
		customers[i] = c
		a, _, err := auditEntry(ctx, c.ID, "customer", c.ID, Audit{Action: "create", Actor: actor}, map[string]any{}, c.auditView())
		if err != nil {
			return err
		}
		audits = append(audits, a)
		for _, ct := range nc.Contacts {
			ct.CustomerID = c.ID
			ct.CreatedAt, ct.UpdatedAt = t, t
			contacts = append(contacts, ct)
			a, _, err := auditEntry(ctx, c.ID, "contact", ct.ID, Audit{Action: "contact_create", Actor: actor}, map[string]any{}, ct.auditView())
			if err != nil {
				return err
			}
			audits = append(audits, a)
		}
		stages[i] = StageChangeRecord{ID: NewID(), CustomerID: c.ID, Kind: "lifecycle", FromStage: "", ToStage: c.LifecycleStage, Reason: "created", Actor: actor, At: t}
	}
	// A savepoint keeps tx usable on PostgreSQL when the unique indexes
	// refuse the batch because a concurrent create won a key.
	if err := tx.SavePoint("import_customers").Error; err != nil {
		return err
	}
	if err := tx.CreateInBatches(customers, customerBatch).Error; err != nil {
		if db.IsUniqueViolation(err) {
			if rerr := tx.RollbackTo("import_customers").Error; rerr != nil {
				return rerr
			}
			return domain.ErrDuplicate
		}
		return err
	}
	if len(contacts) > 0 {
		if err := tx.CreateInBatches(contacts, rowBatch).Error; err != nil {
			return err
		}
	}
	if err := tx.CreateInBatches(audits, rowBatch).Error; err != nil {
		return err
	}
	return tx.CreateInBatches(stages, rowBatch).Error
}
