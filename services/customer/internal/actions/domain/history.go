package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// HistoryCursor is a position in a customer's history (newest first).
type HistoryCursor struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// HistoryQuery asks for a page of one customer's contact history: every
// action linked to it, to one of its contacts, or through one of its leads or
// opportunities filed under it, newest first.
type HistoryQuery struct {
	CustomerID string
	Kind       string // "" (any), plan or log
	Department string // "" (any) or one of Departments
	After      *HistoryCursor
	Limit      int
}

// Validate checks the filters.
func (q HistoryQuery) Validate() error {
	var v apperr.Validation
	v.Check(q.Kind == "" || q.Kind == KindPlan || q.Kind == KindLog, "kind", "invalid", "plan or log")
	v.Check(q.Department == "" || slices.Contains(Departments, q.Department), "department", "invalid", "one of "+strings.Join(Departments, ", "))
	return v.Err()
}
