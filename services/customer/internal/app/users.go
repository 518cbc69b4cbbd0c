package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// The user directory: who may own customers. Tokens say who a caller is, but
// an owner_id names someone else, who may never have signed in. Every
// verified token refreshes its user (name, roles, teams, last seen); an admin
// registers people ahead of their first sign-in and disables those who left.
// The identity provider stays the authority on roles and teams: a user's next
// token overwrites what an admin registered.

// seenEvery bounds how often one process refreshes a user's last_seen_at
// when nothing in the token changed: one write per user per interval, not one
// per request.
const seenEvery = 5 * time.Minute

type seenEntry struct {
	claims string
	at     time.Time
}

type seenCache struct{ m sync.Map }

// Seen records the caller of a verified request in the directory.
func (a *App) Seen(ctx context.Context, p auth.Principal) error {
	roles := make([]string, 0, len(p.Roles))
	for _, r := range p.Roles {
		roles = append(roles, string(r))
	}
	teams := fitList(p.Teams, 2000)
	claims := p.Name + "\x00" + strings.Join(roles, ",") + "\x00" + strings.Join(teams, ",")
	t := time.Now()
	if v, ok := a.seen.m.Load(p.Subject); ok {
		if e := v.(seenEntry); e.claims == claims && t.Sub(e.at) < seenEvery {
			return nil
		}
	}
	if len(p.Subject) > 200 {
		return nil // cannot own customers (owner_id is at most 200 characters)
	}
	if err := a.store.SeenUser(ctx, p.Subject, truncate(p.Name, 200), roles, teams, t.UTC().Truncate(time.Microsecond)); err != nil {
		return err
	}
	a.seen.m.Store(p.Subject, seenEntry{claims: claims, at: t})
	return nil
}

// fitList keeps the leading items whose ",a,b," form fits in max bytes.
func fitList(xs []string, max int) []string {
	n := 1
	for i, x := range xs {
		if n += len(x) + 1; n > max {
			return xs[:i]
		}
	}
	return xs
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// UserView is a directory entry as the API shows it.
type UserView struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Roles       []string   `json:"roles"`
	Teams       []string   `json:"teams"`
	Source      string     `json:"source"`
	Disabled    bool       `json:"disabled"`
	DisabledAt  *time.Time `json:"disabled_at,omitempty"`
	DisabledBy  string     `json:"disabled_by,omitempty"`
	FirstSeenAt *time.Time `json:"first_seen_at,omitempty"`
	LastSeenAt  *time.Time `json:"last_seen_at,omitempty"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func userView(u adapters.UserRecord) UserView {
	v := UserView{ID: u.ID, Name: u.Name, Roles: u.RolesList(), Teams: u.TeamsList(), Source: u.Source, Disabled: u.DisabledAt != nil,
		DisabledAt: u.DisabledAt, FirstSeenAt: u.FirstSeenAt, LastSeenAt: u.LastSeenAt, UpdatedAt: u.UpdatedAt}
	if u.DisabledBy != nil {
		v.DisabledBy = *u.DisabledBy
	}
	return v
}

// ListUsers pages through the directory: admins see everyone, managers the
// users of their teams (the reps they may assign customers to).
func (a *App) ListUsers(ctx context.Context, team, role, cursor string, limit int) (Page[UserView], error) {
	p, err := auth.Authorize(ctx, auth.PermUsersRead)
	if err != nil {
		return Page[UserView]{}, err
	}
	var v apperr.Validation
	if role != "" {
		v.Check(auth.Role(role).Known(), "role", "invalid", "must be rep, manager, analyst or admin")
	}
	v.Check(len(team) <= 100 && !strings.Contains(team, ","), "team", "invalid", "must be a team name")
	v.Check(len(cursor) <= 200, "cursor", "invalid", "is not a cursor this API returned")
	if err := v.Err(); err != nil {
		return Page[UserView]{}, err
	}
	q := adapters.UserQuery{Team: team, Role: role, After: cursor, Limit: limit}
	if !p.Has(auth.RoleAdmin) {
		q.Teams = slices.Clone(p.Teams)
		if q.Teams == nil {
			q.Teams = []string{}
		}
	}
	rows, more, err := a.store.ListUsers(ctx, q)
	if err != nil {
		return Page[UserView]{}, err
	}
	out := Page[UserView]{Items: make([]UserView, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, userView(r))
	}
	if more {
		out.NextCursor = rows[len(rows)-1].ID
	}
	return out, nil
}

// RegisterUser is the admin's registration of a person ahead of (or besides)
// their sign-in.
type RegisterUser struct {
	Name  string
	Roles []string
	Teams []string
}

// PutUser registers a user or changes what the directory holds about them
// (admins). Their next token overwrites name, roles and teams.
func (a *App) PutUser(ctx context.Context, id string, in RegisterUser) (UserView, error) {
	if _, err := auth.Authorize(ctx, auth.PermUsersWrite); err != nil {
		return UserView{}, err
	}
	var v apperr.Validation
	checkUserID(&v, id)
	v.Check(len(in.Name) <= 200 && !strings.ContainsFunc(in.Name, isControl), "name", "invalid", "at most 200 characters, no control characters")
	v.Check(len(in.Roles) > 0, "roles", "required", "name at least one role")
	for i, r := range in.Roles {
		v.Check(auth.Role(r).Known(), "roles["+itoa(i)+"]", "invalid", "must be rep, manager, analyst or admin")
	}
	for i, t := range in.Teams {
		v.Check(t != "" && len(t) <= 100 && !strings.ContainsFunc(t, func(r rune) bool { return r == ',' || isControl(r) }),
			"teams["+itoa(i)+"]", "invalid", "a team name of 1 to 100 characters, without commas")
	}
	v.Check(len(strings.Join(in.Teams, ",")) < 1990, "teams", "too_long", "too many teams")
	if err := v.Err(); err != nil {
		return UserView{}, err
	}
	u, err := a.store.UpdateUser(ctx, id, true, func(u *adapters.UserRecord, _ bool) error {
		u.Name = strings.TrimSpace(in.Name)
		u.SetLists(in.Roles, in.Teams)
		return nil
	})
	if err != nil {
		return UserView{}, err
	}
	a.seen.m.Delete(id)
	return userView(u), nil
}

// SetUserDisabled disables (or enables again) a user (admins). A disabled
// user cannot be given customers; the customers they own keep them until a
// manager reassigns them. Disabling does not sign anyone out: that is the
// identity provider's job.
func (a *App) SetUserDisabled(ctx context.Context, id string, disabled bool) (UserView, error) {
	p, err := auth.Authorize(ctx, auth.PermUsersWrite)
	if err != nil {
		return UserView{}, err
	}
	var v apperr.Validation
	checkUserID(&v, id)
	if err := v.Err(); err != nil {
		return UserView{}, err
	}
	u, err := a.store.UpdateUser(ctx, id, false, func(u *adapters.UserRecord, _ bool) error {
		switch {
		case disabled && u.DisabledAt == nil:
			t := nowUTC()
			u.DisabledAt, u.DisabledBy = &t, &p.Subject
		case !disabled:
			u.DisabledAt, u.DisabledBy = nil, nil
		}
		return nil
	})
	if err != nil {
		return UserView{}, err
	}
	return userView(u), nil
}

func checkUserID(v *apperr.Validation, id string) {
	v.Check(id != "" && len(id) <= 200 && strings.TrimSpace(id) == id && !strings.ContainsFunc(id, isControl), "id", "invalid", "a user id (the token's sub) of 1 to 200 characters")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// checkOwner applies domain.CheckOwner with the directory entry of owner
// (looked up only when someone else is named).
func checkOwner(ctx context.Context, find func(context.Context, string) (*adapters.UserRecord, error), p auth.Principal, owner, team string) error {
	var u *domain.User
	if owner != p.Subject {
		rec, err := find(ctx, owner)
		if err != nil {
			return err
		}
		if rec != nil {
			du := rec.Domain()
			u = &du
		}
	}
	return domain.CheckOwner(p, owner, u, team)
}

// refuseDuplicate turns a *domain.Duplicate from the store into the 409 the
// caller may see: the existing id only when it is in the caller's scope.
func refuseDuplicate(p auth.Principal, err error) error {
	var d *domain.Duplicate
	if errors.As(err, &d) {
		return d.Refusal(adapters.InScope(p.Scope(), d.OwnerID, d.Team))
	}
	return err
}
