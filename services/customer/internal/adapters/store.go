package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// Store is the customer service's storage.
type Store struct {
	db *gorm.DB
}

// NewStore wraps a migrated database.
func NewStore(gdb *gorm.DB) *Store { return &Store{db: gdb} }

// DB exposes the handle for transactions that span the store and idempotency keys.
func (s *Store) DB() *gorm.DB { return s.db }

// NewID returns a time-ordered UUIDv7.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Scoped restricts q to rows (customers, follow-ups) the scope may see:
// owner_id and team columns, qualified by prefix ("" or "c.").
func Scoped(q *gorm.DB, s auth.Scope, prefix string) *gorm.DB {
	switch {
	case s.All:
		return q
	case s.OwnerID != "":
		return q.Where(prefix+"owner_id = ?", s.OwnerID)
	case len(s.Teams) > 0:
		return q.Where(prefix+"team IN ?", s.Teams)
	default:
		return q.Where("1 = 0")
	}
}

// InScope reports whether a customer with this owner and team is visible to s.
func InScope(s auth.Scope, ownerID, team string) bool {
	if s.All {
		return true
	}
	if s.OwnerID != "" {
		return s.OwnerID == ownerID
	}
	for _, t := range s.Teams {
		if t == team {
			return true
		}
	}
	return false
}

// Audit describes why a change happens; the store records what changed.
type Audit struct {
	Action string
	Actor  string
	Reason string
}

func writeAudit(ctx context.Context, tx *gorm.DB, customerID, entityType, entityID string, a Audit, before, after map[string]any) error {
	rec, ok, err := auditEntry(ctx, customerID, entityType, entityID, a, before, after)
	if err != nil || !ok {
		return err
	}
	return tx.Create(&rec).Error
}

// auditEntry is the audit row of a change from before to after; ok is false
// for an update that changed nothing (no row).
// ChangedFor reports whether the customer's audit trail holds a change
// made for reason (a claim's, which names the lead that asked).
func (s *Store) ChangedFor(tx *gorm.DB, customerID, reason string) (bool, error) {
	var n int64
	err := tx.Model(&AuditRecord{}).Where("customer_id = ? AND entity_type = ? AND action = ? AND reason = ?", customerID, "customer", "update", reason).
		Count(&n).Error
	return n > 0, err
}

func auditEntry(ctx context.Context, customerID, entityType, entityID string, a Audit, before, after map[string]any) (AuditRecord, bool, error) {
	changes := diff(before, after)
	if len(changes) == 0 && a.Action == "update" {
		return AuditRecord{}, false, nil
	}
	raw, err := json.Marshal(changes)
	if err != nil {
		return AuditRecord{}, false, err
	}
	return AuditRecord{
		ID: NewID(), CustomerID: customerID, EntityType: entityType, EntityID: entityID, Action: a.Action,
		Actor: a.Actor, Reason: a.Reason, Changes: string(raw), TraceID: traceID(ctx), At: now(),
	}, true, nil
}

func traceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}

func diff(before, after map[string]any) []FieldChange {
	keys := make([]string, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []FieldChange
	for _, k := range keys {
		b, hadBefore := before[k]
		if hadBefore && reflect.DeepEqual(b, after[k]) {
			continue
		}
		if !hadBefore && isZero(after[k]) {
			continue
		}
		out = append(out, FieldChange{Field: k, Before: b, After: after[k]})
	}
	return out
}

func isZero(v any) bool { return v == nil || reflect.ValueOf(v).IsZero() }

// CreateCustomer inserts a customer with its contacts inside tx, refusing
// duplicates (same normalised name or tax id among live customers, or a contact
// email already on file) with a *domain.Duplicate naming the existing one; the
// app decides how much of it the caller may learn. reason, if any, is kept on
// the create's audit entry.
func (s *Store) CreateCustomer(ctx context.Context, tx *gorm.DB, c *CustomerRecord, contacts []ContactRecord, actor, reason string) error {
	if d, err := s.findDuplicate(tx, c, contacts); err != nil {
		return err
	} else if d != nil {
		return d
	}
	if c.ParentID != nil {
		var parent CustomerRecord
		if err := tx.Where("id = ? AND deleted_at IS NULL", *c.ParentID).Take(&parent).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return domain.ErrParentNotFound
			}
			return err
		}
		if depth, err := depthOf(tx, parent.ID); err != nil {
			return err
		} else if depth+1 > domain.MaxDepth {
			return domain.ErrHierarchyTooDeep
		}
	}
	t := now()
	c.CreatedAt, c.UpdatedAt, c.Version, c.CreatedBy = t, t, 1, actor
	if c.CareFrom.IsZero() { // the care cadence counts from creation
		c.CareFrom = t
	}
	// A savepoint keeps the surrounding transaction usable on PostgreSQL when the
	// insert hits a unique index because a concurrent create won the race.
	err := tx.SavePoint("create_customer").Create(c).Error
	if err != nil {
		if db.IsUniqueViolation(err) {
			tx.RollbackTo("create_customer")
			if d, ferr := s.findDuplicate(tx, c, nil); ferr == nil && d != nil {
				return d
			}
			return domain.ErrDuplicate
		}
		return err
	}
	for i := range contacts {
		contacts[i].CustomerID = c.ID
		contacts[i].CreatedAt, contacts[i].UpdatedAt = t, t
		if err := tx.Create(&contacts[i]).Error; err != nil {
			return err
		}
	}
	if err := writeAudit(ctx, tx, c.ID, "customer", c.ID, Audit{Action: "create", Actor: actor, Reason: reason}, map[string]any{}, c.auditView()); err != nil {
		return err
	}
	for _, ct := range contacts {
		if err := writeAudit(ctx, tx, c.ID, "contact", ct.ID, Audit{Action: "contact_create", Actor: actor}, map[string]any{}, ct.auditView()); err != nil {
			return err
		}
	}
	return tx.Create(&StageChangeRecord{ID: NewID(), CustomerID: c.ID, Kind: "lifecycle", FromStage: "", ToStage: c.LifecycleStage, Reason: "created", Actor: actor, At: t}).Error
}

type dupRow struct {
	ID, OwnerID, Team, NormalizedName string
	TaxID                             *string
}

// findDuplicate returns the live customer c would duplicate, or nil.
func (s *Store) findDuplicate(tx *gorm.DB, c *CustomerRecord, contacts []ContactRecord) (*domain.Duplicate, error) {
	var rows []dupRow
	q := tx.Model(&CustomerRecord{}).Select("id, owner_id, team, normalized_name, tax_id").Where("deleted_at IS NULL")
	if c.TaxID != nil {
		q = q.Where("normalized_name = ? OR tax_id = ?", c.NormalizedName, *c.TaxID)
	} else {
		q = q.Where("normalized_name = ?", c.NormalizedName)
	}
	if c.ID != "" {
		q = q.Where("id <> ?", c.ID)
	}
	if err := q.Order("id").Limit(1).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		r := rows[0]
		d := &domain.Duplicate{ID: r.ID, OwnerID: r.OwnerID, Team: r.Team, MatchedOn: "name"}
		if r.NormalizedName != c.NormalizedName {
			d.MatchedOn = "tax_id"
		}
		return d, nil
	}
	var emails []string
	for _, ct := range contacts {
		if ct.Email != nil {
			emails = append(emails, *ct.Email)
		}
	}
	if len(emails) == 0 {
		return nil, nil
	}
	err := tx.Table("contacts AS k").Joins("JOIN customers c ON c.id = k.customer_id").
		Select("c.id, c.owner_id, c.team, c.normalized_name, c.tax_id").
		Where("k.deleted_at IS NULL AND c.deleted_at IS NULL AND k.email IN ?", emails).
		Order("c.id").Limit(1).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &domain.Duplicate{ID: rows[0].ID, OwnerID: rows[0].OwnerID, Team: rows[0].Team, MatchedOn: "contact_email"}, nil
}

// GetCustomer loads a customer visible to scope. Deleted customers are found
// only with includeDeleted. Invisible and missing customers are both not found.
func (s *Store) GetCustomer(ctx context.Context, id string, scope auth.Scope, includeDeleted bool) (CustomerRecord, error) {
	var c CustomerRecord
	q := Scoped(s.db.WithContext(ctx).Where("id = ?", id), scope, "")
	if !includeDeleted {
		q = q.Where("deleted_at IS NULL")
	}
	if err := q.Take(&c).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return c, domain.ErrCustomerNotFound
		}
		return c, err
	}
	return c, nil
}

// UpdateFunc changes c inside tx and says why. Returning an error rolls back.
type UpdateFunc func(tx *gorm.DB, c *CustomerRecord) (Audit, error)

// UpdateCustomer locks the customer, applies fn, saves it with a new version and
// writes the audit entry with the field-level difference — all in one transaction.
func (s *Store) UpdateCustomer(ctx context.Context, id string, scope auth.Scope, includeDeleted bool, fn UpdateFunc) (CustomerRecord, error) {
	var out CustomerRecord
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c CustomerRecord
		q := Scoped(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id), scope, "")
		if !includeDeleted {
			q = q.Where("deleted_at IS NULL")
		}
		if err := q.Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return domain.ErrCustomerNotFound
			}
			return err
		}
		before := c.auditView()
		a, err := fn(tx, &c)
		if err != nil {
			return err
		}
		if len(diff(before, c.auditView())) == 0 {
			out = c
			return nil
		}
		c.Version++
		c.UpdatedAt = now()
		if err := tx.SavePoint("update_customer").Save(&c).Error; err != nil {
			if db.IsUniqueViolation(err) {
				tx.RollbackTo("update_customer")
				if d, ferr := s.findDuplicate(tx, &c, nil); ferr == nil && d != nil {
					return d
				}
				return domain.ErrDuplicate
			}
			return err
		}
		out = c
		return writeAudit(ctx, tx, c.ID, "customer", c.ID, a, before, c.auditView())
	})
	return out, err
}

// CheckUnique refuses an update that would duplicate another live customer
// with a *domain.Duplicate.
func (s *Store) CheckUnique(tx *gorm.DB, c *CustomerRecord) error {
	if d, err := s.findDuplicate(tx, c, nil); err != nil {
		return err
	} else if d != nil {
		return d
	}
	return nil
}

// RecordStageChange appends to the stage history inside tx.
func RecordStageChange(tx *gorm.DB, customerID, kind, from, to, reason, actor string) error {
	return tx.Create(&StageChangeRecord{ID: NewID(), CustomerID: customerID, Kind: kind, FromStage: from, ToStage: to, Reason: reason, Actor: actor, At: now()}).Error
}

// CheckMove refuses moving id under newParent when that makes a cycle or too deep a tree.
func CheckMove(tx *gorm.DB, id, newParent string) error {
	if id == newParent {
		return domain.ErrHierarchyCycle
	}
	var parent CustomerRecord
	if err := tx.Where("id = ? AND deleted_at IS NULL", newParent).Take(&parent).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return domain.ErrParentNotFound
		}
		return err
	}
	ancestors, err := ancestorIDs(tx, newParent)
	if err != nil {
		return err
	}
	for _, a := range ancestors {
		if a == id {
			return domain.ErrHierarchyCycle
		}
	}
	height, err := heightOf(tx, id)
	if err != nil {
		return err
	}
	if len(ancestors)+1+height > domain.MaxDepth {
		return domain.ErrHierarchyTooDeep
	}
	return nil
}

// ancestorIDs returns the chain from id (inclusive) up to its root.
func ancestorIDs(tx *gorm.DB, id string) ([]string, error) {
	var ids []string
	err := tx.Raw(`WITH RECURSIVE up(id, parent_id, lvl) AS (
			SELECT id, parent_id, 0 FROM customers WHERE id = ?
			UNION ALL
			SELECT c.id, c.parent_id, up.lvl + 1 FROM customers c JOIN up ON c.id = up.parent_id WHERE up.lvl < ?
		) SELECT id FROM up ORDER BY lvl`, id, domain.MaxDepth*2).Scan(&ids).Error
	return ids, err
}

func depthOf(tx *gorm.DB, id string) (int, error) {
	ids, err := ancestorIDs(tx, id)
	return len(ids), err
}

// heightOf is the number of levels in id's subtree, counting id.
func heightOf(tx *gorm.DB, id string) (int, error) {
	var h int
	err := tx.Raw(`WITH RECURSIVE down(id, lvl) AS (
			SELECT id, 1 FROM customers WHERE id = ?
			UNION ALL
			SELECT c.id, down.lvl + 1 FROM customers c JOIN down ON c.parent_id = down.id
			WHERE c.deleted_at IS NULL AND down.lvl < ?
		) SELECT COALESCE(MAX(lvl), 1) FROM down`, id, domain.MaxDepth*2).Scan(&h).Error
	return h, err
}

// HasLiveChildren reports whether id has subsidiaries that are not deleted.
func HasLiveChildren(tx *gorm.DB, id string) (bool, error) {
	var n int64
	err := tx.Model(&CustomerRecord{}).Where("parent_id = ? AND deleted_at IS NULL", id).Count(&n).Error
	return n > 0, err
}

// Ancestors returns the customers above id, nearest first.
func (s *Store) Ancestors(ctx context.Context, id string) ([]CustomerRecord, error) {
	ids, err := ancestorIDs(s.db.WithContext(ctx), id)
	if err != nil || len(ids) <= 1 {
		return nil, err
	}
	var rows []CustomerRecord
	if err := s.db.WithContext(ctx).Where("id IN ?", ids[1:]).Find(&rows).Error; err != nil {
		return nil, err
	}
	byID := map[string]CustomerRecord{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]CustomerRecord, 0, len(rows))
	for _, id := range ids[1:] {
		out = append(out, byID[id])
	}
	return out, nil
}

// Subtree returns id's live descendants down to maxDepth levels, with their depth.
func (s *Store) Subtree(ctx context.Context, id string, maxDepth int) ([]CustomerRecord, map[string]int, error) {
	type row struct {
		ID  string
		Lvl int
	}
	var found []row
	err := s.db.WithContext(ctx).Raw(`WITH RECURSIVE down(id, lvl) AS (
			SELECT id, 0 FROM customers WHERE id = ?
			UNION ALL
			SELECT c.id, down.lvl + 1 FROM customers c JOIN down ON c.parent_id = down.id
			WHERE c.deleted_at IS NULL AND down.lvl < ?
		) SELECT id, lvl FROM down WHERE lvl > 0`, id, maxDepth).Scan(&found).Error
	if err != nil || len(found) == 0 {
		return nil, nil, err
	}
	ids := make([]string, len(found))
	depth := make(map[string]int, len(found))
	for i, f := range found {
		ids[i] = f.ID
		depth[f.ID] = f.Lvl
	}
	var rows []CustomerRecord
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		var chunk []CustomerRecord
		if err := s.db.WithContext(ctx).Where("id IN ?", ids[start:end]).Order("name, id").Find(&chunk).Error; err != nil {
			return nil, nil, err
		}
		rows = append(rows, chunk...)
	}
	return rows, depth, nil
}

// ListQuery filters, sorts and pages customers.
type ListQuery struct {
	Scope    auth.Scope
	Region   string
	Industry string
	OwnerID  string
	Team     string
	Stage    string
	Class    string
	ParentID string
	IDs      []string // only these customers (when not empty)
	Text     string   // already normalised
	TaxID    string   // already normalised
	Deleted  bool     // list deleted customers instead of live ones
	Sort     string   // name, created_at, updated_at, value_score
	Desc     bool
	After    *Cursor
	Limit    int
}

// Cursor is a keyset position.
type Cursor struct {
	Sort string  `json:"s"`
	Desc bool    `json:"d"`
	Str  string  `json:"v,omitempty"`
	Num  float64 `json:"n,omitempty"`
	ID   string  `json:"i"`
}

// SortColumns are the allowed sort keys.
var SortColumns = map[string]bool{"name": true, "created_at": true, "updated_at": true, "value_score": true}

// ListCustomers returns up to q.Limit customers and the cursor of the next page.
func (s *Store) ListCustomers(ctx context.Context, q ListQuery) ([]CustomerRecord, *Cursor, error) {
	if !SortColumns[q.Sort] {
		return nil, nil, fmt.Errorf("unsupported sort %q", q.Sort)
	}
	tx := Scoped(s.db.WithContext(ctx).Model(&CustomerRecord{}), q.Scope, "")
	if q.Deleted {
		tx = tx.Where("deleted_at IS NOT NULL")
	} else {
		tx = tx.Where("deleted_at IS NULL")
	}
	for col, v := range map[string]string{"region": q.Region, "industry": q.Industry, "owner_id": q.OwnerID, "team": q.Team, "lifecycle_stage": q.Stage, "value_class": q.Class, "parent_id": q.ParentID} {
		if v != "" {
			tx = tx.Where(col+" = ?", v)
		}
	}
	if len(q.IDs) > 0 {
		tx = tx.Where("id IN ?", q.IDs)
	}
	if q.Text != "" || q.TaxID != "" {
		tx = tx.Where("normalized_name LIKE ? OR tax_id = ?", "%"+q.Text+"%", q.TaxID)
	}
	dir, cmp := "ASC", ">"
	if q.Desc {
		dir, cmp = "DESC", "<"
	}
	if q.After != nil {
		var v any = q.After.Str
		switch q.Sort {
		case "value_score":
			v = q.After.Num
		case "created_at", "updated_at":
			t, err := time.Parse(time.RFC3339Nano, q.After.Str)
			if err != nil {
				return nil, nil, apperr.Invalid("invalid_cursor", "the cursor is not one this API returned")
			}
			v = t
		}
		// A row-value comparison, unlike the equivalent OR, is an index range scan.
		tx = tx.Where(fmt.Sprintf("(%s, id) %s (?, ?)", q.Sort, cmp), v, q.After.ID)
	}
	orderBy := q.Sort
	if q.Text != "" && len(q.Text) >= 3 && db.Dialect(s.db) == db.Postgres {
		// A selective text search is fastest through the trigram index and a
		// top-N sort; walking the sort column's index and filtering (what the
		// planner tends to pick under LIMIT) reads most of the table when the
		// matches sort late. Ordering by an expression rules that plan out.
		orderBy = "COALESCE(" + q.Sort + ", " + q.Sort + ")"
	}
	var rows []CustomerRecord
	if err := tx.Order(orderBy + " " + dir + ", id " + dir).Limit(q.Limit + 1).Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	if len(rows) <= q.Limit {
		return rows, nil, nil
	}
	rows = rows[:q.Limit]
	last := rows[len(rows)-1]
	next := &Cursor{Sort: q.Sort, Desc: q.Desc, ID: last.ID}
	switch q.Sort {
	case "name":
		next.Str = last.Name
	case "created_at":
		next.Str = last.CreatedAt.UTC().Format(time.RFC3339Nano)
	case "updated_at":
		next.Str = last.UpdatedAt.UTC().Format(time.RFC3339Nano)
	case "value_score":
		next.Num = last.ValueScore
	}
	return rows, next, nil
}
