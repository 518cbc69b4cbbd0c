package slips

import (
	"net/url"
	"strings"

	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// RecipientFields are the inputs that name one recipient, as a form shows
// them (template "recipient"): a department and optionally one of its teams,
// or a person by user id. The inputs are named as the API names the
// recipient's fields (Name + ".department", ".team", ".user_id"), so the
// service's field errors land next to them.
type RecipientFields struct {
	// Name prefixes the inputs' names: "to", or "recipients[2]".
	Name string
	// ID prefixes the inputs' ids (unique in the page).
	ID     string
	Legend string
	// What the user typed.
	Department, Team, UserID string
	// Errs are the field messages by input: department, team, user_id, and
	// kind (said above the inputs).
	Errs map[string]string
	// People is the id of a datalist of people the person input offers ("" none).
	People      string
	Departments []string
}

// recipientFields are the inputs of the recipient named name in v, with
// the messages p has for them; the messages of whole (the recipient as a
// whole: "to", "recipients") are said above the inputs, as "kind".
func recipientFields(name, id, legend string, v url.Values, p *view.Problem, whole ...string) RecipientFields {
	f := RecipientFields{Name: name, ID: id, Legend: legend, Department: v.Get(name + ".department"), Team: v.Get(name + ".team"),
		UserID: v.Get(name + ".user_id"), Errs: map[string]string{}, Departments: Departments}
	for _, k := range []string{"department", "team", "user_id", "kind"} {
		if m := p.Field(name + "." + k); m != "" {
			f.Errs[k] = m
		}
	}
	for _, w := range whole {
		if m := p.Field(w); m != "" {
			f.Errs["kind"] = m
		}
	}
	return f
}

// recipientOf is the recipient the inputs named name in v ask for: a person
// when a user id is typed (with any department or team typed too, so the
// service says they do not go with a person), else a department; ok is
// false when every input is empty.
func recipientOf(v url.Values, name string) (serviceapi.RecipientRequest, bool) {
	get := func(k string) string { return strings.TrimSpace(v.Get(name + "." + k)) }
	dep, team, user := get("department"), get("team"), get("user_id")
	switch {
	case user != "":
		return serviceapi.RecipientRequest{Kind: ptr(infoslip.KindPerson), UserId: &user, Department: opt(dep), Team: opt(team)}, true
	case dep != "" || team != "":
		return serviceapi.RecipientRequest{Kind: ptr(infoslip.KindDepartment), Department: &dep, Team: opt(team)}, true
	}
	return serviceapi.RecipientRequest{}, false
}

// partLabel names a part for people: the person (and, for a department's
// part routed to them, the department and team), or the department and
// team nobody was routed to yet.
func partLabel(x *view.Ctx, p serviceapi.RecipientView) string {
	dept := orID(x, "slips.department."+str(p.Department), str(p.Department))
	unit := dept
	if t := str(p.Team); t != "" {
		unit = x.T("slips.recipient.unit", "Department", dept, "Team", t)
	}
	who := str(p.UserName)
	if who == "" {
		who = str(p.UserId)
	}
	switch {
	case str(p.Kind) == infoslip.KindDepartment && who != "":
		return x.T("slips.recipient.routed_unit", "Name", who, "Unit", unit)
	case str(p.Kind) == infoslip.KindDepartment:
		return unit
	}
	return who
}
