package adapters

import (
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// DuplicateSuspectRecord is a pair of live customers that a change of the
// duplicate-key rules found to be the same company. Nothing is merged or
// deleted automatically: the later customer keeps a key of its own (so the
// unique indexes hold) and someone who may see both decides.
type DuplicateSuspectRecord struct {
	ID            string `gorm:"primaryKey"`
	CustomerID    string // the later customer
	DuplicateOf   string // the earlier one, which keeps the key
	MatchedOn     string // name | tax_id
	OriginalValue string // the later customer's key before the migration
	FoundBy       string // the migration
	FoundAt       time.Time
}

func (DuplicateSuspectRecord) TableName() string { return "duplicate_suspects" }

type keyRow struct {
	ID             string
	Name           string
	NormalizedName string
	TaxID          *string
	DeletedAt      *time.Time
}

// RecomputeKeys is the data part of a migration that changes the duplicate
// keys (domain.NormalizeName, domain.NormalizeTaxID): it recomputes
// normalized_name from name and tax_id from the stored tax id for every
// customer. Live customers are taken oldest first; when a new key is already
// held by an earlier live customer, the later one keeps a key of its own —
// its new name key followed by " ~" and its id, or no tax id — and the pair is
// recorded in duplicate_suspects and in its audit trail. The migration never
// fails because of existing duplicates.
func RecomputeKeys(version string) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error {
		var rows []keyRow
		if err := tx.Model(&CustomerRecord{}).Select("id, name, normalized_name, tax_id, deleted_at").
			Order("created_at, id").Scan(&rows).Error; err != nil {
			return err
		}
		names, taxes := map[string]string{}, map[string]string{}
		type change struct {
			id, name string
			tax      *string
		}
		var changes []change
		var suspects []DuplicateSuspectRecord
		at := now()
		for _, r := range rows {
			name := domain.NormalizeName(r.Name)
			var tax *string
			if r.TaxID != nil {
				if t := domain.NormalizeTaxID(*r.TaxID); t != "" {
					tax = &t
				}
			}
			if r.DeletedAt == nil {
				if first, taken := names[name]; taken {
					suspects = append(suspects, suspect(r.ID, first, "name", r.NormalizedName, version, at))
					name = truncateRunes(name, 150) + " ~" + r.ID
				}
				names[name] = r.ID
				if tax != nil {
					if first, taken := taxes[*tax]; taken {
						suspects = append(suspects, suspect(r.ID, first, "tax_id", *r.TaxID, version, at))
						tax = nil
					} else {
						taxes[*tax] = r.ID
					}
				}
			}
			if name != r.NormalizedName || deref(tax) != deref(r.TaxID) {
				changes = append(changes, change{r.ID, name, tax})
			}
		}
		// Two passes, so that no intermediate state breaks a unique index
		// when two customers' keys swap or chain.
		for _, c := range changes {
			if err := tx.Model(&CustomerRecord{}).Where("id = ?", c.id).
				UpdateColumns(map[string]any{"normalized_name": "~" + c.id, "tax_id": nil}).Error; err != nil {
				return err
			}
		}
		for _, c := range changes {
			if err := tx.Model(&CustomerRecord{}).Where("id = ?", c.id).
				UpdateColumns(map[string]any{"normalized_name": c.name, "tax_id": c.tax}).Error; err != nil {
				return err
			}
		}
		for _, s := range suspects {
			if err := tx.Create(&s).Error; err != nil {
				return err
			}
			changed := []FieldChange{} // the name stays; only its key differs
			if s.MatchedOn == "tax_id" {
				changed = append(changed, FieldChange{Field: "tax_id", Before: s.OriginalValue, After: ""})
			}
			raw, _ := json.Marshal(changed)
			if err := tx.Create(&AuditRecord{ID: NewID(), CustomerID: s.CustomerID, EntityType: "customer", EntityID: s.CustomerID,
				Action: "duplicate_suspected", Actor: s.FoundBy, Reason: "same " + s.MatchedOn + " as customer " + s.DuplicateOf + " under the new duplicate rules",
				Changes: string(raw), At: at}).Error; err != nil {
				return err
			}
		}
		return nil
	}
}

func suspect(id, of, on, original, version string, at time.Time) DuplicateSuspectRecord {
	return DuplicateSuspectRecord{ID: NewID(), CustomerID: id, DuplicateOf: of, MatchedOn: on, OriginalValue: original, FoundBy: version, FoundAt: at}
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
