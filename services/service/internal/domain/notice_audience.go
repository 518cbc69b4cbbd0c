package domain

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
)

// Who notices reach, and who may do what with them:
//
//   - managers and admins write, publish and revoke notices; reps and
//     analysts read the ones addressed to them;
//   - a notice is addressed to everyone, or to the union of departments
//     (their teams, configured in DEPARTMENTS: Org), roles and teams. A
//     person is in it when any of their roles, their teams or their teams'
//     departments is named;
//   - an admin addresses anyone. A manager addresses everyone (a bulletin to
//     the whole company is theirs to send), any role, and the departments
//     and teams they belong to — not another manager's team or department
//     by name: that is that manager's to address;
//   - a notice is seen by its readers (from its ValidFrom), by its publisher,
//     by the managers of the publisher's teams and by admins; a draft by its
//     publisher and admins only. Anyone else is told it does not exist (404);
//   - the publisher, the managers of the publisher's teams and admins revoke
//     it and see who has and has not read or acknowledged it.

// MaxAudienceTeams is how many teams one notice names at most.
const MaxAudienceTeams = 50

// Audience is who a notice is addressed to: Everyone, or at least one of
// the lists (their union).
type Audience struct {
	Everyone    bool
	Departments []string
	Roles       []string
	Teams       []string
}

// Reader is a person as the audience rule sees them: their id and name,
// their roles and teams (from the user directory, or from their token).
type Reader struct {
	ID, Name string
	Roles    []string
	Teams    []string
}

// ReaderOf is the caller as a reader.
func ReaderOf(p auth.Principal) Reader {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return Reader{ID: p.Subject, Name: p.Name, Roles: roles, Teams: slices.Clone(p.Teams)}
}

// ValidReader reports whether r can be stored as a reader: an id of the
// token's shape (at most 200 characters, no control characters).
func ValidReader(r Reader) bool {
	return r.ID != "" && utf8.ValidString(r.ID) && len(r.ID) <= MaxUser && strings.IndexFunc(r.ID, unicode.IsControl) < 0 &&
		utf8.ValidString(r.Name) && utf8.RuneCountInString(r.Name) <= MaxUser
}

// Includes reports whether r is in the audience: everyone, or any of r's
// roles, teams, or their teams' departments named.
func (a Audience) Includes(r Reader, org Org) bool {
	if a.Everyone {
		return true
	}
	for _, role := range r.Roles {
		if slices.Contains(a.Roles, role) {
			return true
		}
	}
	for _, t := range r.Teams {
		if slices.Contains(a.Teams, t) || (org.DepartmentOf(t) != "" && slices.Contains(a.Departments, org.DepartmentOf(t))) {
			return true
		}
	}
	return false
}

// Addresses reports whether r should have a receipt of n at now: n is
// published (not revoked), has not ended, and r is in its audience —
// whether or not it has started (a scheduled notice is listed from its
// ValidFrom). It decides which notices a person who joined an audience
// after a publication gets.
func (n Notice) Addresses(r Reader, org Org, now time.Time) bool {
	return n.State == NoticePublished && now.Before(n.ValidUntil) && n.Audience.Includes(r, org)
}

func (a Audience) clean() Audience {
	return Audience{Everyone: a.Everyone, Departments: noticeList(a.Departments), Roles: noticeList(a.Roles), Teams: noticeList(a.Teams)}
}

// check validates the audience p addresses: everyone or some lists (not
// both), departments of org, known roles, teams of a name's shape, and —
// for a manager — only their own departments and teams by name.
func (a Audience) check(v *apperr.Validation, p auth.Principal, org Org) {
	lists := len(a.Departments) + len(a.Roles) + len(a.Teams)
	switch {
	case a.Everyone && lists > 0:
		v.Add("audience", "conflict", "address everyone, or departments, roles and teams: not both")
	case !a.Everyone && lists == 0:
		v.Add("audience", "required", "address everyone, or at least one department, role or team")
	}
	admin := p.Has(auth.RoleAdmin)
	mine := org.DepartmentsOf(p.Teams)
	for _, d := range a.Departments {
		if !v.Check(org.Has(d), "audience.departments", "unknown", "no department "+noticeQuote(d)+": one of "+strings.Join(org.Departments(), ", ")) {
			break
		}
		if !v.Check(admin || slices.Contains(mine, d), "audience.departments", "not_yours",
			"a manager addresses their own departments by name ("+strings.Join(mine, ", ")+"), or everyone; "+noticeQuote(d)+" is not theirs") {
			break
		}
	}
	for _, r := range a.Roles {
		if !v.Check(auth.Role(r).Known(), "audience.roles", "unknown", "no role "+noticeQuote(r)+": one of rep, manager, analyst, admin") {
			break
		}
	}
	if !v.Check(len(a.Teams) <= MaxAudienceTeams, "audience.teams", "too_many", "at most 50 teams: address their department instead") {
		return
	}
	for _, t := range a.Teams {
		if !v.Check(utf8.ValidString(t) && utf8.RuneCountInString(t) <= MaxTeam && strings.IndexFunc(t, unicode.IsControl) < 0,
			"audience.teams", "invalid", "team names of at most 100 characters") {
			break
		}
		if !v.Check(admin || slices.Contains(p.Teams, t), "audience.teams", "not_yours",
			"a manager addresses their own teams by name, or everyone; "+noticeQuote(t)+" is not theirs") {
			break
		}
	}
}

func noticeQuote(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:40]) + "…"
	}
	return "\"" + s + "\""
}

// CanPublishNotices reports whether p writes and publishes notices:
// managers and admins.
func CanPublishNotices(p auth.Principal) bool {
	return p.Has(auth.RoleManager) || p.Has(auth.RoleAdmin)
}

// MayOverseeNotice reports whether p answers for n: its publisher, a
// manager of one of the publisher's teams, or an admin. They revoke it and
// see its receipts.
func MayOverseeNotice(p auth.Principal, n Notice) bool {
	if p.Has(auth.RoleAdmin) || (p.Subject != "" && p.Subject == n.PublisherID) {
		return true
	}
	if !p.Has(auth.RoleManager) {
		return false
	}
	for _, t := range p.Teams {
		if slices.Contains(n.PublisherTeams, t) {
			return true
		}
	}
	return false
}

// SeesNotice reports whether p sees n at now; reader says whether p is one
// of its readers (has a receipt). A draft is seen by its publisher and
// admins; a published or revoked notice also by the managers of the
// publisher's teams, and by its readers from its ValidFrom on.
func SeesNotice(p auth.Principal, n Notice, reader bool, now time.Time) bool {
	if p.Has(auth.RoleAdmin) || (p.Subject != "" && p.Subject == n.PublisherID) {
		return true
	}
	if n.State == NoticeDraft {
		return false
	}
	if MayOverseeNotice(p, n) {
		return true
	}
	return reader && n.ValidFrom != nil && !now.Before(*n.ValidFrom)
}
