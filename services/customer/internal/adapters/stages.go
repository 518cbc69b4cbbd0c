package adapters

import (
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// AddStageChange appends a change to the stage history inside tx, with a
// new id and the current instant unless the change carries them.
func AddStageChange(tx *gorm.DB, sc *StageChangeRecord) error {
	if sc.ID == "" {
		sc.ID = NewID()
	}
	if sc.At.IsZero() {
		sc.At = now()
	}
	return tx.Create(sc).Error
}

// ApplyLifecycle stores a lifecycle change decided for c inside tx: the
// stage history entry sc (from c's stage to sc.ToStage), the new stage, and
// what the record keeps of a loss (domain.LostAfter's decision). The caller
// saves c (UpdateCustomer does).
func ApplyLifecycle(tx *gorm.DB, c *CustomerRecord, sc *StageChangeRecord, lost domain.Lost) error {
	sc.CustomerID, sc.Kind, sc.FromStage = c.ID, "lifecycle", c.LifecycleStage
	if err := AddStageChange(tx, sc); err != nil {
		return err
	}
	c.LifecycleStage = sc.ToStage
	c.LostAt, c.LostReason, c.LostCompetitor = lost.At, lost.Reason, lost.Competitor
	return nil
}
