package adapters

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// NewID returns a new time-ordered id (UUIDv7): ids made one after another
// in a process sort in that order.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// activeStates are the states of a case still being worked.
var activeStates = []string{domain.StateNew, domain.StateOpen, domain.StatePendingCustomer, domain.StatePendingInternal}

// MaxLimit is the largest page a list returns.
const MaxLimit = 500

// caseRow is a row of cases: domain.Case field for field (the conversions
// below fail to compile otherwise).
type caseRow struct {
	ID               string
	CustomerID       string
	ContactID        string
	Asset            string
	OpportunityID    string
	Type             string
	Priority         string
	Channel          string
	Subject          string
	Description      string
	State            string
	AssigneeID       string
	Team             string
	CustomerOwnerID  string
	CustomerTeam     string
	FollowOnOf       string
	ReopenedCount    int
	Version          int64
	CreatedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	FirstResponseAt  *time.Time
	ResolvedAt       *time.Time
	ClosedAt         *time.Time
	ContactEmail     string
	Language         string
	ClosedByCustomer bool
	ReportedAt       *time.Time
}

func (caseRow) TableName() string { return "cases" }

func (r caseRow) domain() domain.Case {
	c := domain.Case(r)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.FirstResponseAt, c.ResolvedAt, c.ClosedAt, c.ReportedAt = utc(c.FirstResponseAt), utc(c.ResolvedAt), utc(c.ClosedAt), utc(c.ReportedAt)
	return c
}

// entryRow is a row of case_entries: domain.Entry field for field.
type entryRow struct {
	ID               string
	CaseID           string
	Kind             string
	Actor            string
	At               time.Time
	Visibility       string
	Body             string
	Direction        string
	From             string `gorm:"column:from_value"`
	To               string `gorm:"column:to_value"`
	FromTeam, ToTeam string
	Reason           string
	Target           string
	DueAt            *time.Time
}

func (entryRow) TableName() string { return "case_entries" }

func (r entryRow) domain() domain.Entry {
	e := domain.Entry(r)
	e.At, e.DueAt = e.At.UTC(), utc(e.DueAt)
	return e
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Cursor is a keyset position: (created_at, id) in a list of cases, (at, id)
// in a timeline.
type Cursor struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// Page is a page of a list, with the position after its last item when
// more follow.
type Page[T any] struct {
	Items []T
	Next  *Cursor
}

// Cases stores service cases and their timelines.
type Cases struct{ db *gorm.DB }

// NewCases returns the repository over a migrated database.
func NewCases(gdb *gorm.DB) *Cases { return &Cases{db: gdb} }

// In returns the repository working inside tx: an idempotent create
// (platform/idem) stores its key and the case in one transaction.
func (r *Cases) In(tx *gorm.DB) *Cases { return &Cases{db: tx} }

// Create stores a new case (domain.New, domain.FollowOn) with its "created"
// entry, unless a case with its id is stored: a retried create changes
// nothing. It returns the stored case.
func (r *Cases) Create(ctx context.Context, c domain.Case, first domain.Entry) (domain.Case, error) {
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := caseRow(c)
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if err := addEntries(tx, c.ID, []domain.Entry{first}); err != nil {
			return err
		}
		return RecordCaseFacts(tx, c.ID) // the reports' rollup, in the same transaction
	})
	if err != nil {
		return domain.Case{}, err
	}
	return r.Get(ctx, c.ID)
}

// Get returns a case regardless of scope (domain.ErrCaseNotFound when there
// is none); the caller checks the scope (domain.Scope.Check).
func (r *Cases) Get(ctx context.Context, id string) (domain.Case, error) {
	var row caseRow
	err := r.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Case{}, domain.ErrCaseNotFound
	}
	return row.domain(), err
}

// Update applies a change to a case in one transaction: it loads the case
// with a row lock, lets fn change it (fn calls the domain's functions and
// returns their entries, or a refusal, which stores nothing), saves it under
// the version it was loaded at (one more), and appends the entries. A change
// that changes nothing and adds no entry stores nothing.
//
// A change whose entry ids the caller set (a workflow's retried activity)
// and that are already stored was applied before: Update stores nothing and
// returns the stored case. Set the first entry's id; the others get it with
// a suffix (so they sort after it, in order).
//
// The customer's owner and team are not written here (RefreshCustomerOwner),
// nor is anything of the case's identity (id, customer, creation).
func (r *Cases) Update(ctx context.Context, id string, fn func(*domain.Case) ([]domain.Entry, error)) (domain.Case, error) {
	var out domain.Case
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row caseRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return domain.ErrCaseNotFound
		}
		if err != nil {
			return err
		}
		before := row.domain()
		c := before
		entries, err := fn(&c)
		if err != nil {
			return err
		}
		out = before
		if applied, err := seen(tx, entries); err != nil || applied {
			return err
		}
		if len(entries) == 0 && c == before {
			return nil
		}
		if c.ID != before.ID {
			return fmt.Errorf("update of case %s changed its id to %q", id, c.ID)
		}
		c.Version = before.Version + 1
		res := tx.Model(&caseRow{}).Where("id = ? AND version = ?", id, before.Version).Updates(map[string]any{
			"contact_id": c.ContactID, "asset": c.Asset, "opportunity_id": c.OpportunityID, "type": c.Type, "priority": c.Priority,
			"channel": c.Channel, "subject": c.Subject, "description": c.Description, "state": c.State, "assignee_id": c.AssigneeID,
			"team": c.Team, "reopened_count": c.ReopenedCount, "version": c.Version, "updated_at": c.UpdatedAt,
			"first_response_at": c.FirstResponseAt, "resolved_at": c.ResolvedAt, "closed_at": c.ClosedAt,
			"closed_by_customer": c.ClosedByCustomer,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return domain.ErrVersionConflict
		}
		if err := addEntries(tx, id, entries); err != nil {
			return err
		}
		if err := RecordCaseFacts(tx, id); err != nil {
			return err
		}
		c.CustomerID, c.CustomerOwnerID, c.CustomerTeam, c.FollowOnOf = before.CustomerID, before.CustomerOwnerID, before.CustomerTeam, before.FollowOnOf
		c.CreatedBy, c.CreatedAt = before.CreatedBy, before.CreatedAt
		out = c
		return nil
	})
	if err != nil {
		return domain.Case{}, err
	}
	return out, nil
}

// seen reports whether any of the caller-set entry ids is stored.
func seen(tx *gorm.DB, es []domain.Entry) (bool, error) {
	var ids []string
	for _, e := range es {
		if e.ID != "" {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return false, nil
	}
	var n int64
	err := tx.Model(&entryRow{}).Where("id IN ?", ids).Count(&n).Error
	return n > 0, err
}

// addEntries appends entries to case id's timeline, making the ids the
// caller left empty.
func addEntries(tx *gorm.DB, id string, es []domain.Entry) error {
	if len(es) == 0 {
		return nil
	}
	rows := make([]entryRow, len(es))
	for i, e := range es {
		switch {
		case e.ID != "":
		case es[0].ID != "":
			e.ID = fmt.Sprintf("%s/%d", es[0].ID, i)
		default:
			e.ID = NewID()
		}
		e.CaseID = id
		rows[i] = entryRow(e)
	}
	return tx.Create(&rows).Error
}

// RefreshCustomerOwner records a customer's new owner and team on every case
// of the customer (closed ones too: the history follows the customer). It
// is a copy of the customer service's fact, not a change of the cases: no
// version, no timeline entry. It returns how many cases it changed.
func (r *Cases) RefreshCustomerOwner(ctx context.Context, customerID, ownerID, team string) (int64, error) {
	res := r.db.WithContext(ctx).Model(&caseRow{}).
		Where("customer_id = ? AND (customer_owner_id <> ? OR customer_team <> ?)", customerID, ownerID, team).
		Updates(map[string]any{"customer_owner_id": ownerID, "customer_team": team})
	return res.RowsAffected, res.Error
}

// List returns a page of the cases scope sees that f selects, newest first
// (created_at, id descending), after the position after (nil: from the
// newest). The filter is checked by the caller (domain.Filter.Check).
func (r *Cases) List(ctx context.Context, scope domain.Scope, f domain.Filter, after *Cursor, limit int) (Page[domain.Case], error) {
	q := Scoped(r.db.WithContext(ctx).Model(&caseRow{}), scope)
	if len(f.States) > 0 {
		q = q.Where("state IN ?", f.States)
	}
	for col, v := range map[string]string{"team": f.Team, "assignee_id": f.AssigneeID, "customer_id": f.CustomerID, "priority": f.Priority, "type": f.Type} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	if f.Unassigned {
		q = q.Where("assignee_id = ''")
	}
	switch f.SLA { // still worked, and a target at risk or breached without being met
	case domain.SLAAtRisk:
		q = q.Where("state IN ? AND EXISTS (SELECT 1 FROM case_sla s WHERE s.case_id = cases.id AND s.state = 'running' AND s.warned_at IS NOT NULL)", activeStates)
	case domain.SLABreached:
		q = q.Where("state IN ? AND EXISTS (SELECT 1 FROM case_sla s WHERE s.case_id = cases.id AND s.state = 'breached' AND s.met_at IS NULL)", activeStates)
	}
	if after != nil {
		q = q.Where("(created_at, id) < (?, ?)", after.At.UTC(), after.ID)
	}
	limit = clamp(limit)
	var rows []caseRow
	if err := q.Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[domain.Case]{}, err
	}
	var p Page[domain.Case]
	for i, row := range rows {
		if i == limit {
			last := p.Items[limit-1]
			p.Next = &Cursor{At: last.CreatedAt, ID: last.ID}
			break
		}
		p.Items = append(p.Items, row.domain())
	}
	return p, nil
}

// ForCustomer returns a page of the cases of a customer that scope sees,
// newest first: the after-sales part of the customer's history across
// departments.
func (r *Cases) ForCustomer(ctx context.Context, scope domain.Scope, customerID string, after *Cursor, limit int) (Page[domain.Case], error) {
	return r.List(ctx, scope, domain.Filter{CustomerID: customerID}, after, limit)
}

// Timeline returns a page of a case's entries in order (at, id ascending),
// after the position after; without includeInternal only the public ones
// (what the customer sees). It does not check that the case exists or is in
// the caller's scope: the caller has read the case first.
func (r *Cases) Timeline(ctx context.Context, id string, includeInternal bool, after *Cursor, limit int) (Page[domain.Entry], error) {
	q := r.db.WithContext(ctx).Where("case_id = ?", id)
	if !includeInternal {
		q = q.Where("visibility = ?", domain.Public)
	}
	if after != nil {
		q = q.Where("(at, id) > (?, ?)", after.At.UTC(), after.ID)
	}
	limit = clamp(limit)
	var rows []entryRow
	if err := q.Order("at, id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return Page[domain.Entry]{}, err
	}
	var p Page[domain.Entry]
	for i, row := range rows {
		if i == limit {
			last := p.Items[limit-1]
			p.Next = &Cursor{At: last.At, ID: last.ID}
			break
		}
		p.Items = append(p.Items, row.domain())
	}
	return p, nil
}

func clamp(limit int) int { return min(max(limit, 1), MaxLimit) }

// Scoped restricts a query of cases to those scope sees — the SQL of
// domain.Scope.Sees: the cases it works (assigned to it, of its teams) and
// the cases of the customers it reads (their owner, their team).
func Scoped(q *gorm.DB, s domain.Scope) *gorm.DB {
	if s.All || s.WorkAll || s.Customers.All {
		return q
	}
	var conds []string
	var args []any
	if s.Assignee != "" {
		conds, args = append(conds, "assignee_id = ?"), append(args, s.Assignee)
	}
	if len(s.Teams) > 0 {
		conds, args = append(conds, "team IN ?"), append(args, s.Teams)
	}
	if s.Customers.OwnerID != "" {
		conds, args = append(conds, "customer_owner_id = ?"), append(args, s.Customers.OwnerID)
	}
	if len(s.Customers.Teams) > 0 {
		conds, args = append(conds, "(customer_team <> '' AND customer_team IN ?)"), append(args, s.Customers.Teams)
	}
	if len(conds) == 0 {
		return q.Where("1 = 0")
	}
	return q.Where("("+strings.Join(conds, " OR ")+")", args...)
}
