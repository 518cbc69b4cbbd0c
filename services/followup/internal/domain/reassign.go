package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Reassigning a follow-up: a manager (of the follow-up's team, to a person of
// a team it manages) or an admin gives an open or escalated follow-up to
// another owner, with a reason kept in its history.
//
// Only follow-ups whose owner this service decides can be reassigned here.
// Where the obligation belongs to a subject another service keeps — a lead's
// first contact, an opportunity's stage review, a visit's log, a customer's
// care contact — the owner is that subject's: giving the follow-up to someone
// else here would leave the subject's owner unchanged and the two services
// disagreeing (the customer service would even cancel the care contact as
// soon as it saw the owners differ). OwnerHeldBy refuses those and names the
// endpoint that moves the subject — and with it its follow-up.

// Action names of the history entry a reassignment adds.
const ActionReassigned = "reassigned"

// CareActor is who the customer service's care sweep opens care follow-ups
// as (services/customer/internal/care.Actor): their owner is the customer's.
const CareActor = "system:care"

// Limits of a reassignment's texts.
const (
	MaxReason = 2000 // runes
	maxUserID = 200
	maxTeam   = 100
)

// Reassignment is a person's request to give a follow-up to another owner.
type Reassignment struct {
	OwnerID string
	Team    string // "" = the follow-up's team
	Reason  string
	By      string
	// ByName is By's display name (from their token), for the new owner's
	// message; not stored in the history.
	ByName string
}

// Check validates the request's fields: a new owner and a reason are
// required; ids and team within their column lengths.
func (r Reassignment) Check() error {
	var v apperr.Validation
	if v.Check(strings.TrimSpace(r.OwnerID) != "", "owner_id", "required", "the user id of the new owner") {
		v.Check(len(r.OwnerID) <= maxUserID, "owner_id", "too_long", "at most 200 characters")
	}
	v.Check(len(r.Team) <= maxTeam && !strings.Contains(r.Team, ","), "team", "invalid", "a team name of at most 100 characters")
	if v.Check(strings.TrimSpace(r.Reason) != "", "reason", "required", "why the follow-up changes hands; it is kept in its history") {
		v.Check(len([]rune(r.Reason)) <= MaxReason, "reason", "too_long", "at most 2000 characters")
	}
	return v.Err()
}

// TargetTeam is the team the follow-up will have: the one asked for, else
// its own.
func (r Reassignment) TargetTeam(f *FollowUp) string {
	if r.Team != "" {
		return r.Team
	}
	return f.Team
}

// ErrSameOwner refuses a reassignment that would change nothing.
var ErrSameOwner = apperr.Rule("same_owner", "the follow-up already has this owner and team")

// Reassign gives the follow-up to r.OwnerID in r's team (its own when r names
// none) and records who did it and why. A closed follow-up is refused
// (already_closed), and so is a request that changes neither owner nor team
// (same_owner). The due time, escalation level and state stay: the new owner
// takes the obligation over as it stands.
func (f *FollowUp) Reassign(r Reassignment, now time.Time) error {
	if err := f.CheckOpen(); err != nil {
		return err
	}
	team := r.TargetTeam(f)
	if r.OwnerID == f.OwnerID && team == f.Team {
		return ErrSameOwner
	}
	detail := fmt.Sprintf("reassigned from %s to %s", f.OwnerID, r.OwnerID)
	if team != f.Team {
		detail = fmt.Sprintf("reassigned from %s (team %s) to %s (team %s)", f.OwnerID, f.Team, r.OwnerID, team)
	}
	f.OwnerID, f.Team, f.UpdatedAt = r.OwnerID, team, now
	f.record(Event{Action: ActionReassigned, Level: f.EscalationLevel, Actor: r.By, ActorName: r.ByName, Detail: detail + ": " + r.Reason, At: now})
	return nil
}

// OwnerHeldBy says whether another service decides the follow-up's owner;
// nil when this service does (follow-ups people open here, and any other
// FollowUp workflow's). Otherwise it is a 409 whose code names the subject
// (owner_held_by_lead, owner_held_by_opportunity, owner_held_by_visit,
// owner_held_by_customer), whose message says what to call instead, and whose
// details carry the service, the endpoint and the subject's ids.
//
// The subject is read from the workflow that tracks the follow-up: the lead,
// opportunity and visit workflows embed the tracker under their own ids
// (proto/contract/workflows), and care contacts are FollowUp workflows the
// customer service's care sweep opens as CareActor.
func OwnerHeldBy(f *FollowUp) error {
	lead, opp := wfc.LeadWorkflowID(""), wfc.OpportunityWorkflowID("")
	visit := strings.TrimSuffix(wfc.VisitWorkflowID("", ""), ":") // "Visit:" + customer + ":" + day
	switch {
	case strings.HasPrefix(f.WorkflowID, lead):
		id := strings.TrimPrefix(f.WorkflowID, lead)
		return apperr.Conflict("owner_held_by_lead", fmt.Sprintf(
			"this is the first-contact follow-up of lead %s, whose owner is the lead's: reassign the lead with POST /v1/leads/%s/reassign on the sales service; "+
				"its open first-contact follow-up is then cancelled and the new owner gets one counted from the reassignment", id, id)).
			With("service", "sales").With("endpoint", "POST /v1/leads/{id}/reassign").With("lead_id", id)
	case strings.HasPrefix(f.WorkflowID, opp):
		id := strings.TrimPrefix(f.WorkflowID, opp)
		return apperr.Conflict("owner_held_by_opportunity", fmt.Sprintf(
			"this follow-up reviews opportunity %s, whose owner is the opportunity's (its customer's owner); the sales service does not move an opportunity "+
				"to another owner: move its stage with POST /v1/opportunities/%s/stage, or close it with /won or /lost, which ends this follow-up", id, id)).
			With("service", "sales").With("endpoint", "POST /v1/opportunities/{id}/stage").With("opportunity_id", id)
	case strings.HasPrefix(f.WorkflowID, visit):
		customer, day, _ := strings.Cut(strings.TrimPrefix(f.WorkflowID, visit), ":")
		return apperr.Conflict("owner_held_by_visit", fmt.Sprintf(
			"this is the log of the visit to customer %s on %s, owed by the visitor who booked it; a visit does not change visitors: any visitor of the visit "+
				"or a manager logs it with POST /v1/visits/{id}/log on the customer service (the visit is in GET /v1/customers/%s/visits), which ends this follow-up",
			customer, day, customer)).
			With("service", "customer").With("endpoint", "POST /v1/visits/{id}/log").With("customer_id", customer).With("day", day)
	case f.Kind == policy.KindCareContact && f.OpenedBy == CareActor:
		return apperr.Conflict("owner_held_by_customer", fmt.Sprintf(
			"this care contact is owed by the owner of customer %s: give the customer to another owner with PATCH /v1/customers/%s (owner_id) on the customer service; "+
				"its care sweep then cancels this follow-up and opens the next one for the new owner", f.CustomerID, f.CustomerID)).
			With("service", "customer").With("endpoint", "PATCH /v1/customers/{id}").With("customer_id", f.CustomerID)
	}
	return nil
}

// User is a person the customer service's user directory knows, as far as a
// reassignment needs: whether they are enabled, their roles and teams.
type User struct {
	ID       string
	Roles    []string
	Teams    []string
	Disabled bool
}

// ErrReassignForbidden refuses a caller who is neither a manager nor an admin.
var ErrReassignForbidden = apperr.Forbidden("forbidden", "only a manager or an admin may give a follow-up to another owner")

// ErrTeamOutOfScope refuses a manager giving a follow-up to a team it does not manage.
var ErrTeamOutOfScope = apperr.Forbidden("owner_out_of_scope", "you may give follow-ups only to people of the teams you manage")

// CheckReassigner says whether p may reassign follow-ups at all, and to team:
// managers and admins may; a manager only to a team it manages (the
// follow-up itself must be of one of its teams: out of scope it is not found).
func CheckReassigner(p auth.Principal, team string) error {
	switch {
	case p.Has(auth.RoleAdmin):
		return nil
	case p.Has(auth.RoleManager):
		if !slices.Contains(p.Teams, team) {
			return ErrTeamOutOfScope
		}
		return nil
	}
	return ErrReassignForbidden
}

// CheckNewOwner says whether u (nil: the directory has no such user among
// team's people) may own a follow-up of team: an enabled rep or manager of
// that team. Anything else is a field error on owner_id.
func CheckNewOwner(ownerID, team string, u *User) error {
	ok := u != nil && u.ID == ownerID && !u.Disabled && slices.Contains(u.Teams, team) &&
		(slices.Contains(u.Roles, string(auth.RoleRep)) || slices.Contains(u.Roles, string(auth.RoleManager)))
	if ok {
		return nil
	}
	var v apperr.Validation
	v.Add("owner_id", "unknown_owner", fmt.Sprintf("no enabled rep or manager of team %s has this id (see GET /v1/users?team=%s on the customer service)", team, team))
	return v.Err()
}
