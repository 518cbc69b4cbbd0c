package adapters_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
)

// The bulk insert writes what a create writes, the bulk lookup finds live
// customers by every key kind (keys with quotes and backslashes included:
// they travel as one PostgreSQL array), and a batch refused by a unique index
// leaves the transaction usable.
func TestBulkInsertAndLookup(t *testing.T) {
	for _, b := range testenv.Backends {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			gdb, err := db.Open(ctx, db.Config{URL: b.DSN(t), MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := migrate.Run(ctx, gdb, "customer", schema.Migrations, log); err != nil {
				t.Fatal(err)
			}
			store := adapters.NewStore(gdb)
			nc := func(name, tax, email string) adapters.NewCustomer {
				c := adapters.NewCustomer{Customer: adapters.CustomerRecord{ID: adapters.NewID(), Name: name, NormalizedName: name, Region: "north",
					Industry: "steel", OwnerID: "rep-ana", Team: "north", LifecycleStage: "lead"}}
				if tax != "" {
					c.Customer.TaxID = &tax
				}
				if email != "" {
					c.Contacts = []adapters.ContactRecord{{ID: adapters.NewID(), Name: "Li", Email: &email}}
				}
				return c
			}
			batch := []adapters.NewCustomer{nc(`quote"d`, `T\1`, "a@x.example"), nc("plain", "", ""), nc("gone", "T2", "b@x.example")}
			err = gdb.Transaction(func(tx *gorm.DB) error { return store.InsertCustomers(ctx, tx, batch, "importer") })
			if err != nil {
				t.Fatal(err)
			}
			if err := gdb.Exec("UPDATE customers SET deleted_at = ? WHERE id = ?", time.Now(), batch[2].Customer.ID).Error; err != nil {
				t.Fatal(err)
			}

			// What a create writes: the customer, its contact, audit and stage history.
			var got adapters.CustomerRecord
			if err := gdb.Where("id = ?", batch[0].Customer.ID).Take(&got).Error; err != nil {
				t.Fatal(err)
			}
			if got.Version != 1 || got.CreatedBy != "importer" || got.CreatedAt.IsZero() || !got.CareFrom.Equal(got.CreatedAt) {
				t.Fatalf("inserted customer: %+v", got)
			}
			var audits []adapters.AuditRecord
			gdb.Where("customer_id = ?", batch[0].Customer.ID).Order("entity_type DESC").Find(&audits)
			if len(audits) != 2 || audits[0].Action != "create" || audits[1].Action != "contact_create" || audits[0].Actor != "importer" || audits[0].Changes == "[]" {
				t.Fatalf("audit: %+v", audits)
			}
			var stages, contacts int64
			gdb.Model(&adapters.StageChangeRecord{}).Where("customer_id = ? AND to_stage = 'lead' AND reason = 'created'", batch[0].Customer.ID).Count(&stages)
			gdb.Model(&adapters.ContactRecord{}).Where("customer_id = ?", batch[0].Customer.ID).Count(&contacts)
			if stages != 1 || contacts != 1 {
				t.Fatalf("stage history %d, contacts %d", stages, contacts)
			}

			// Every key kind finds live customers only.
			x, err := adapters.FindDuplicates(gdb, []string{`quote"d`, "plain", "gone", "nobody"}, []string{`T\1`, "T2"}, []string{"a@x.example", "b@x.example"})
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				keys   domain.DuplicateKeys
				id, on string
			}{
				{domain.DuplicateKeys{Name: `quote"d`}, batch[0].Customer.ID, "name"},
				{domain.DuplicateKeys{Name: "other", TaxID: `T\1`}, batch[0].Customer.ID, "tax_id"},
				{domain.DuplicateKeys{Name: "other", Emails: []string{"a@x.example"}}, batch[0].Customer.ID, "contact_email"},
				{domain.DuplicateKeys{Name: "plain"}, batch[1].Customer.ID, "name"},
				{domain.DuplicateKeys{Name: "gone", TaxID: "T2", Emails: []string{"b@x.example"}}, "", ""},
			} {
				d := x.Match(tc.keys)
				if (tc.id == "") != (d == nil) || d != nil && (d.ID != tc.id || d.MatchedOn != tc.on) {
					t.Errorf("%+v: got %+v, want %s on %s", tc.keys, d, tc.id, tc.on)
				}
			}

			// A batch the unique index refuses: ErrDuplicate, and the
			// transaction goes on (the caller looks again and retries).
			err = gdb.Transaction(func(tx *gorm.DB) error {
				err := store.InsertCustomers(ctx, tx, []adapters.NewCustomer{nc("fresh", "", ""), nc("plain", "", "")}, "importer")
				if !errors.Is(err, domain.ErrDuplicate) {
					t.Fatalf("a taken name: %v", err)
				}
				return store.InsertCustomers(ctx, tx, []adapters.NewCustomer{nc("fresh", "", "")}, "importer")
			})
			if err != nil {
				t.Fatalf("the transaction after a refused batch: %v", err)
			}
			var fresh int64
			gdb.Model(&adapters.CustomerRecord{}).Where("normalized_name = 'fresh'").Count(&fresh)
			if fresh != 1 {
				t.Fatalf("%d customers named fresh", fresh)
			}
		})
	}
}
