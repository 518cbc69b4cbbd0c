package board

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// choices are the people a follow-up can be given to — the enabled reps and
// managers of the directory the user reads (a manager: their teams') — and
// their teams. The follow-up service checks the choice again.
func choices(users []customerapi.UserView) ([]Option, []string) {
	var reps []Option
	var teams []string
	for _, u := range users {
		if u.Disabled != nil && *u.Disabled {
			continue
		}
		var roles, ts []string
		if u.Roles != nil {
			roles = *u.Roles
		}
		if u.Teams != nil {
			ts = *u.Teams
		}
		if !slices.Contains(roles, "rep") && !slices.Contains(roles, "manager") {
			continue
		}
		id := view.Str(u.Id)
		label := id
		if n := view.Str(u.Name); n != "" {
			label = n + " (" + id + ")"
		}
		if len(ts) > 0 {
			label += " · " + strings.Join(ts, ", ")
		}
		reps = append(reps, Option{Value: id, Label: label})
		teams = append(teams, ts...)
	}
	slices.SortFunc(reps, func(a, b Option) int { return strings.Compare(a.Label, b.Label) })
	return reps, sortedUnique(teams)
}

// reassign gives the follow-up to another owner through the follow-up
// service. When that service answers that another service decides the owner
// — a lead's first contact — the board reassigns the lead through the sales
// service instead (the lead's follow-up moves with it); for an opportunity,
// a visit or a customer's care contact it says so and links the page where
// that is done.
func (h *handler) reassign(c *gin.Context) {
	h.act(c, []string{"owner_id", "team", "reason", "move_customer"}, func(r *console.Request, it *itemData) {
		v := it.Values
		res, err := r.API.FollowUp.PostFollowUpsByIdReassignWithResponse(r.Ctx(), it.Row.ID,
			followupapi.ReassignRequest{OwnerId: ptr(v["owner_id"]), Team: ptr(v["team"]), Reason: ptr(v["reason"])})
		err = apis.Check(res, err)
		if err == nil {
			h.done(r, it, "reassigned")
			return
		}
		p := r.X.ProblemOf(err)
		if p.Status == http.StatusConflict && strings.HasPrefix(p.Code, "owner_held_by_") {
			if p.Code == "owner_held_by_lead" {
				if id, _ := p.Meta["lead_id"].(string); id != "" {
					h.reassignLead(r, it, id)
					return
				}
			}
			it.Held = heldBy(p)
			if it.Held != nil {
				p.Message = r.X.T("board.reassign.held." + it.Held.Kind)
			}
		}
		h.refuse(r, it, "reassign", p)
	})
}

// reassignLead hands the lead to the chosen rep through the sales service,
// with the same reason; the lead's workflow cancels its open first-contact
// follow-up and opens one for the new owner. The board always names the
// rep (the sales service would otherwise let the territory's rules pick).
func (h *handler) reassignLead(r *console.Request, it *itemData, leadID string) {
	v := it.Values
	if v["owner_id"] == "" {
		h.refuse(r, it, "reassign", &view.Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: r.X.T("board.reassign.refused"), Fields: map[string]string{"owner_id": r.X.T("board.reassign.owner_required")}})
		return
	}
	body := salesapi.ReassignRequest{ToOwnerId: ptr(v["owner_id"]), Reason: ptr(v["reason"])}
	if v["move_customer"] == "true" {
		move := true
		body.MoveCustomer = &move
	}
	res, err := r.API.Sales.PostLeadsByIdReassignWithResponse(r.Ctx(), leadID, nil, body)
	if err := apis.Check(res, err); err != nil {
		p := r.X.ProblemOf(err)
		renameField(p, "to_owner_id", "owner_id")
		h.refuse(r, it, "reassign", p)
		return
	}
	h.done(r, it, "lead_reassigned")
}

// heldBy is the subject named by an owner_held_by_* refusal, linked to the
// console page where its owner changes (or its follow-up ends).
func heldBy(p *view.Problem) *Subject {
	str := func(k string) string { s, _ := p.Meta[k].(string); return s }
	switch p.Code {
	case "owner_held_by_opportunity":
		if id := str("opportunity_id"); id != "" {
			return &Subject{Kind: "opportunity", ID: id, Href: "/opportunities/" + url.PathEscape(id)}
		}
	case "owner_held_by_visit":
		if day := str("day"); day != "" {
			return &Subject{Kind: "visit", ID: day, Href: "/visits?" + url.Values{"week": {day}}.Encode()}
		}
	case "owner_held_by_customer":
		if id := str("customer_id"); id != "" {
			return &Subject{Kind: "customer", ID: id, Href: "/customers/" + url.PathEscape(id)}
		}
	}
	return nil
}
