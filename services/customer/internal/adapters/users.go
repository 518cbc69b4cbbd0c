package adapters

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// UserRecord is a row of users, the customer service's user directory: one
// row per person, written from the claims of every verified token (the
// identity provider stays the authority on roles and teams) and by admins
// registering or disabling people ahead of their first sign-in.
//
// Roles and teams are stored as ",a,b," so that one team is found with LIKE
// '%,north,%' on both databases; the directory holds people, not customers,
// so a scan is cheap.
type UserRecord struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	Roles       string
	Teams       string
	Source      string // token | admin | seed
	DisabledAt  *time.Time
	DisabledBy  *string
	FirstSeenAt *time.Time
	LastSeenAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (UserRecord) TableName() string { return "users" }

func joinList(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return "," + strings.Join(xs, ",") + ","
}

func splitList(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// Domain returns the directory entry as the domain sees it.
func (u UserRecord) Domain() domain.User {
	roles := []auth.Role{}
	for _, r := range splitList(u.Roles) {
		roles = append(roles, auth.Role(r))
	}
	return domain.User{ID: u.ID, Name: u.Name, Roles: roles, Teams: splitList(u.Teams), Disabled: u.DisabledAt != nil}
}

// RolesList and TeamsList are the stored lists.
func (u UserRecord) RolesList() []string { return splitList(u.Roles) }
func (u UserRecord) TeamsList() []string { return splitList(u.Teams) }

// SeenUser records the claims of a verified token: creates the user, or
// refreshes name, roles, teams and last_seen_at. A disabled user stays
// disabled (only an admin enables).
func (s *Store) SeenUser(ctx context.Context, id, name string, roles, teams []string, at time.Time) error {
	rec := UserRecord{ID: id, Name: name, Roles: joinList(roles), Teams: joinList(teams), Source: "token",
		FirstSeenAt: &at, LastSeenAt: &at, CreatedAt: at, UpdatedAt: at}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.Assignments(map[string]any{
			"name": gorm.Expr("excluded.name"), "roles": gorm.Expr("excluded.roles"), "teams": gorm.Expr("excluded.teams"),
			"last_seen_at": gorm.Expr("excluded.last_seen_at"), "updated_at": gorm.Expr("excluded.updated_at"),
			"first_seen_at": gorm.Expr("COALESCE(users.first_seen_at, excluded.first_seen_at)"),
		}),
	}).Create(&rec).Error
}

// GetUser loads one user; nil when the directory does not know the id.
func (s *Store) GetUser(ctx context.Context, id string) (*UserRecord, error) {
	return FindUser(s.db.WithContext(ctx), id)
}

// FindUser is GetUser inside a transaction.
func FindUser(tx *gorm.DB, id string) (*UserRecord, error) {
	var u UserRecord
	err := tx.Where("id = ?", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// UserQuery filters the directory.
type UserQuery struct {
	Teams       []string // any of these teams; nil: every user
	Team        string
	Role        string
	EnabledOnly bool   // leave out disabled users
	After       string // id
	Limit       int
}

// listed is the condition "the stored list column holds item": item between
// commas, LIKE's wildcards in it taken literally (a team named "n_rth" or
// "%" matches only itself). SQLite's LIKE ignores the case of ASCII letters,
// PostgreSQL's does not: callers that need the exact name check it on the
// rows (domain.PeopleQuery.Lists).
func listed(column, item string) (string, string) {
	esc := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(item)
	return column + ` LIKE ? ESCAPE '\'`, "%," + esc + ",%"
}

// ListUsers returns up to q.Limit users by id after q.After, and whether more follow.
func (s *Store) ListUsers(ctx context.Context, q UserQuery) ([]UserRecord, bool, error) {
	tx := s.db.WithContext(ctx).Model(&UserRecord{})
	if q.Teams != nil {
		if len(q.Teams) == 0 {
			return nil, false, nil
		}
		or := s.db.Where("1 = 0")
		for _, t := range q.Teams {
			or = or.Or(listed("teams", t))
		}
		tx = tx.Where(or)
	}
	if q.Team != "" {
		tx = tx.Where(listed("teams", q.Team))
	}
	if q.Role != "" {
		tx = tx.Where(listed("roles", q.Role))
	}
	if q.EnabledOnly {
		tx = tx.Where("disabled_at IS NULL")
	}
	if q.After != "" {
		tx = tx.Where("id > ?", q.After)
	}
	var rows []UserRecord
	if err := tx.Order("id").Limit(q.Limit + 1).Find(&rows).Error; err != nil {
		return nil, false, err
	}
	if len(rows) > q.Limit {
		return rows[:q.Limit], true, nil
	}
	return rows, false, nil
}

// UpdateUser locks the user (creating it when create is set and it does not
// exist), applies fn and saves it, in one transaction.
func (s *Store) UpdateUser(ctx context.Context, id string, create bool, fn func(u *UserRecord, existed bool) error) (UserRecord, error) {
	var out UserRecord
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u UserRecord
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&u).Error
		existed := err == nil
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound) && create:
			t := now()
			u = UserRecord{ID: id, Source: "admin", CreatedAt: t}
		case errors.Is(err, gorm.ErrRecordNotFound):
			return domain.ErrUserNotFound
		case err != nil:
			return err
		}
		if err := fn(&u, existed); err != nil {
			return err
		}
		u.UpdatedAt = now()
		if err := tx.Save(&u).Error; err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, err
}

// SetLists stores roles and teams on u.
func (u *UserRecord) SetLists(roles, teams []string) {
	u.Roles, u.Teams = joinList(roles), joinList(teams)
}
