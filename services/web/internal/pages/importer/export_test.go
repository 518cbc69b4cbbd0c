package importer

import "time"

// SetBudget shortens how long one confirm request imports (to make a test
// continue an import over several requests); the returned func restores it.
func SetBudget(d time.Duration) (restore func()) {
	old := budget.Swap(int64(d))
	return func() { budget.Store(old) }
}

// SetMaxExport lowers the most rows an export writes; the returned func
// restores it.
func SetMaxExport(n int) (restore func()) {
	old := maxExport.Swap(int64(n))
	return func() { maxExport.Store(old) }
}
