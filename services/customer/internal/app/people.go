package app

import (
	"context"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// The people directory (domain/people.go): any signed-in colleague looks up
// one person, or lists the people of a team, from the same user directory
// that GET /v1/users pages for admins and managers — showing only what an
// org chart shows.

// PersonView is a person as the people directory shows them to any
// colleague: never more than this.
type PersonView struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Teams   []string `json:"teams"`
	Roles   []string `json:"roles"`
	Enabled bool     `json:"enabled"`
}

func personView(u domain.User) PersonView {
	v := PersonView{ID: u.ID, Name: u.Name, Teams: u.Teams, Roles: make([]string, 0, len(u.Roles)), Enabled: !u.Disabled}
	for _, r := range u.Roles {
		v.Roles = append(v.Roles, string(r))
	}
	if v.Teams == nil {
		v.Teams = []string{}
	}
	return v
}

// signedIn is the caller when there is one: the people directory needs no
// permission, only a verified token (401 without).
func signedIn(ctx context.Context) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return p, apperr.Unauthenticated("unauthenticated", "a bearer token is required")
	}
	return p, nil
}

// GetPerson looks up one person by id (the token's sub), enabled or not;
// an id the directory does not know is not found.
func (a *App) GetPerson(ctx context.Context, id string) (PersonView, error) {
	if _, err := signedIn(ctx); err != nil {
		return PersonView{}, err
	}
	if !domain.KnownPersonID(id) {
		return PersonView{}, domain.ErrPersonNotFound
	}
	u, err := a.store.GetUser(ctx, id)
	if err != nil {
		return PersonView{}, err
	}
	if u == nil {
		return PersonView{}, domain.ErrPersonNotFound
	}
	return personView(u.Domain()), nil
}

// ListPeople pages through the people of one team by id. The store narrows
// the rows; q.Lists decides who is listed, so a page may hold fewer than
// q.Limit people while next_cursor says more rows follow.
func (a *App) ListPeople(ctx context.Context, q domain.PeopleQuery) (Page[PersonView], error) {
	if _, err := signedIn(ctx); err != nil {
		return Page[PersonView]{}, err
	}
	if err := q.Validate(); err != nil {
		return Page[PersonView]{}, err
	}
	rows, more, err := a.store.ListUsers(ctx, adapters.UserQuery{Team: q.Team, Role: q.Role, EnabledOnly: !q.IncludeDisabled,
		After: q.After, Limit: q.Limit})
	if err != nil {
		return Page[PersonView]{}, err
	}
	out := Page[PersonView]{Items: make([]PersonView, 0, len(rows))}
	for _, r := range rows {
		if u := r.Domain(); q.Lists(u) {
			out.Items = append(out.Items, personView(u))
		}
	}
	if more {
		out.NextCursor = rows[len(rows)-1].ID
	}
	return out, nil
}
