package adapters

import (
	"context"
	"database/sql/driver"
	"strings"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// Bulk storage for imports: the live customers a batch's keys could
// duplicate, found in one query per kind of key (not one per row), and the
// batch's customers inserted with their contacts, audit entries and stage
// history in multi-row INSERTs — the rows CreateCustomer writes for one
// customer, written for many.

// inList bounds the values of one IN list (SQLite), well under its
// bind-parameter limit (32,766).
const inList = 5000

// Insert batch sizes: rows per INSERT, under the bind-parameter limits of
// PostgreSQL (65,535) and SQLite (32,766): customers have 27 columns,
// contacts 15, audit entries 10, stage changes 8.
const (
	customerBatch = 1000
	rowBatch      = 2000
)

// FindDuplicates returns the live customers with one of these normalised
// names or tax ids, and those with a live contact of one of these normalised
// emails, as a domain.ExistingIndex: one query per kind of key, and one for
// the customers of the contacts found.
//
// The queries are single-table lookups on purpose: an import fills the tables
// faster than PostgreSQL's statistics follow, and with statistics saying
// "three contacts, two customers" a join of contacts and customers was planned
// as a nested loop over both tables (3.6 s for one chunk of 10,000 rows,
// measured). A lookup of one table by a list of keys costs one index probe
// per key or one hashed pass over the table, whatever the statistics say. On
// PostgreSQL tx must be a transaction: the keys travel as one array parameter,
// and the lookups are planned for the keys at hand (plan_cache_mode
// force_custom_plan, for this transaction only), since after five runs of a
// prepared statement PostgreSQL may switch to a generic plan that does not
// know them.
func FindDuplicates(tx *gorm.DB, names, taxIDs, emails []string) (*domain.ExistingIndex, error) {
	x := domain.NewExistingIndex()
	pg := db.Dialect(tx) == db.Postgres
	if pg {
		if err := tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
			return nil, err
		}
	}
	live := func(table string) *gorm.DB { return tx.Table(table).Where("deleted_at IS NULL") }
	for _, by := range []struct {
		column string
		keys   []string
	}{{"normalized_name", names}, {"tax_id", taxIDs}} {
		err := anyOf(pg, by.column, by.keys, func(where string, arg any) error {
			var rows []dupRow
			if err := live("customers").Select("id, owner_id, team, normalized_name, tax_id").Where(where, arg).Scan(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				x.AddCustomer(r.ID, r.OwnerID, r.Team, r.NormalizedName, deref(r.TaxID))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	byCustomer := map[string][]string{} // customer id → the emails found on it
	err := anyOf(pg, "email", emails, func(where string, arg any) error {
		var rows []struct{ Email, CustomerID string }
		if err := live("contacts").Select("email, customer_id").Where(where, arg).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			byCustomer[r.CustomerID] = append(byCustomer[r.CustomerID], r.Email)
		}
		return nil
	})
	if err != nil || len(byCustomer) == 0 {
		return x, err
	}
	ids := make([]string, 0, len(byCustomer))
	for id := range byCustomer {
		ids = append(ids, id)
	}
	err = anyOf(pg, "id", ids, func(where string, arg any) error {
		var rows []struct{ ID, OwnerID, Team string }
		if err := live("customers").Select("id, owner_id, team").Where(where, arg).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			for _, e := range byCustomer[r.ID] {
				x.AddEmail(e, r.ID, r.OwnerID, r.Team)
			}
		}
		return nil
	})
	return x, err
}

// anyOf calls query with a condition "column is one of keys" and its
// argument: on PostgreSQL once, with the keys as one array; on SQLite per
// IN list of at most inList keys.
func anyOf(pg bool, column string, keys []string, query func(where string, arg any) error) error {
	if len(keys) == 0 {
		return nil
	}
	if pg {
		return query(column+" = ANY(?::text[])", textArray(keys))
	}
	for start := 0; start < len(keys); start += inList {
		if err := query(column+" IN ?", keys[start:min(start+inList, len(keys))]); err != nil {
			return err
		}
	}
	return nil
}

// textArray is a PostgreSQL text[] parameter, sent as an array literal.
type textArray []string

// Value quotes every element and escapes quotes and backslashes in it:
// the elements a"b and c\d are sent as {"a\"b","c\\d"}.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(arrayEscaper.Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

var arrayEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

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
