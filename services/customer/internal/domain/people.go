package domain

import (
	"slices"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

// The people directory: who one's colleagues are.
//
// The user directory (owners.go, GET /v1/users) answers who may own
// customers, to those who assign them: admins and team managers. The people
// directory answers everyone else's question — who is in this team, who
// manages it, is this colleague still here — for work addressed to people
// and departments, such as an information routing slip sent to a named
// colleague or to a department whose manager passes it on. What it shows
// of a person is what an organisation chart shows to everyone in the
// company: name, teams, roles and whether the account is enabled. That is
// why any signed-in caller may read it, whatever their role; it never shows
// more (no sign-in times, no who-disabled-whom, and the directory holds no
// email address or other personal data to show).

// ErrPersonNotFound answers for a person the directory does not know.
var ErrPersonNotFound = apperr.NotFound("person_not_found", "no such person")

// Limits of the people directory's query.
const (
	maxPersonID = 200 // a token's sub (users.id)
	maxTeamName = 100
)

// KnownPersonID reports whether id can name anyone in the directory (a
// token's sub of 1 to 200 characters); any other id is no one.
func KnownPersonID(id string) bool { return id != "" && len(id) <= maxPersonID }

// PeopleQuery asks for the people of one team, optionally of one role,
// enabled only unless IncludeDisabled, a page at a time by id.
type PeopleQuery struct {
	Team            string
	Role            string // "" any
	IncludeDisabled bool
	After           string // the id after which the page starts
	Limit           int
}

// Validate checks the query: a team is required (the directory is read a
// team at a time, as an org chart is), the role must be a known one.
func (q PeopleQuery) Validate() error {
	var v apperr.Validation
	if v.Check(q.Team != "", "team", "required", "name the team whose people to list") {
		v.Check(len(q.Team) <= maxTeamName && !strings.Contains(q.Team, ","), "team", "invalid", "must be a team name")
	}
	if q.Role != "" {
		v.Check(auth.Role(q.Role).Known(), "role", "invalid", "must be rep, manager, analyst or admin")
	}
	v.Check(len(q.After) <= maxPersonID, "cursor", "invalid", "is not a cursor this API returned")
	return v.Err()
}

// Lists reports whether u is one of the people q asks for: a member of
// q.Team (that exact name), holding q.Role when one is asked, and enabled
// unless disabled people are asked for too.
func (q PeopleQuery) Lists(u User) bool {
	return slices.Contains(u.Teams, q.Team) && (q.Role == "" || u.Has(auth.Role(q.Role))) && (q.IncludeDisabled || !u.Disabled)
}
